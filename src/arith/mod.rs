//! Modular arithmetic on word-sized primes: the layer every kernel stands on.
//!
//! - [`Modulus`]: a prime q < 2^62 with its Barrett and Shoup constants, exact `mul_mod`,
//!   `pow_mod`, `inv_mod`, and the lazy Shoup product used inside butterflies.
//! - [`ntt_primes`], [`is_prime`], [`primitive_root_2n`]: NTT-friendly prime generation.
//!
//! ## Ranges
//! Every function documents its input and output ranges. "Lazy" values are kept in
//! [0, 2q) or [0, 4q) between kernels; q < 2^62 guarantees 4q fits in a u64, and the IFMA
//! kernels additionally need 4q < 2^52, i.e. q < 2^50 ([`IFMA_MODULUS_LIMIT`]).

#[cfg(simd)]
pub(crate) mod avx2;
#[cfg(simd)]
pub(crate) mod avx512;
mod modulus;
mod primes;

pub use modulus::Modulus;
pub use primes::{is_prime, ntt_primes, primitive_root_2n};

/// Moduli must be below this bound (so that 4q < 2^64 for lazy reduction).
pub const MODULUS_LIMIT: u64 = 1 << 62;
/// The IFMA (52-bit lane) kernels need q below this bound (so that 4q < 2^52).
pub const IFMA_MODULUS_LIMIT: u64 = 1 << 50;
/// Mask of the low 52 bits, the lane width of `vpmadd52{lo,hi}uq`.
pub const MASK52: u64 = (1 << 52) - 1;
