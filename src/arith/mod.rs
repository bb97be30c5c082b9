//! Modular arithmetic on word-sized primes: the layer every kernel stands on.
//!
//! - [`Modulus`]: a prime q < 2^62 with its Barrett and Shoup constants, exact `mul_mod`,
//!   `pow_mod`, `inv_mod`, and the lazy Shoup product used inside butterflies.
//! - [`ntt_primes`], [`is_prime`], [`primitive_root_2n`]: NTT-friendly prime generation.
//! - The ring-degree limits every layer checks ([`check_ring_degree`]).
//! - Inside the crate: the lanes trait (`lanes.rs`: one vector type and its modular primitives,
//!   implemented once per ISA in `avx2.rs`, `avx512.rs`, `ifma.rs`) and the one dispatch point
//!   (`dispatch.rs`) that runs a kernel written over it on the plan's instruction set.
//!
//! ## Ranges
//! Every function documents its input and output ranges. "Lazy" values are kept in
//! [0, 2q) or [0, 4q) between kernels; q < 2^62 guarantees 4q fits in a u64, and the IFMA
//! kernels additionally need 4q < 2^52, i.e. q < 2^50 ([`IFMA_MODULUS_LIMIT`]).
//!
//! ## Adding a kernel
//! Write the loop once as a `dispatch::Job<L>` for every `L: lanes::Lanes` (or for
//! `L: YourExtension` if it needs instructions beyond the lanes trait, with one small `impl`
//! per lanes type), and run it with `backend.dispatch(job)`. Test it against
//! `Backend::scalar_model_of(isa)` on every available ISA.

#[cfg(simd)]
pub(crate) mod avx2;
#[cfg(simd)]
pub(crate) mod avx512;
pub(crate) mod dispatch;
#[cfg(simd)]
pub(crate) mod ifma;
pub(crate) mod lanes;
mod modulus;
mod primes;

pub use modulus::Modulus;
pub use primes::{is_prime, ntt_primes, primitive_root_2n};

use crate::error::{Error, Result};

/// Moduli must be below this bound (so that 4q < 2^64 for lazy reduction).
pub const MODULUS_LIMIT: u64 = 1 << 62;
/// The IFMA (52-bit lane) kernels need q below this bound (so that 4q < 2^52).
pub const IFMA_MODULUS_LIMIT: u64 = 1 << 50;
/// Mask of the low 52 bits, the lane width of `vpmadd52{lo,hi}uq`.
pub const MASK52: u64 = (1 << 52) - 1;

/// Smallest supported ring degree.
pub const MIN_RING_DEGREE: usize = 1 << 4;
/// Largest supported ring degree.
pub const MAX_RING_DEGREE: usize = 1 << 20;

/// Checks that `n` is a power of two in [`MIN_RING_DEGREE`], [`MAX_RING_DEGREE`].
pub fn check_ring_degree(n: usize) -> Result<()> {
    if n.is_power_of_two() && (MIN_RING_DEGREE..=MAX_RING_DEGREE).contains(&n) {
        Ok(())
    } else {
        Err(Error::InvalidRingDegree {
            n,
            min: MIN_RING_DEGREE,
            max: MAX_RING_DEGREE,
        })
    }
}
