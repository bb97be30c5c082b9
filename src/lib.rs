//! # ckks-accel
//!
//! Hand-vectorized kernels for RNS lattice homomorphic encryption (CKKS first): the negacyclic
//! NTT and element-wise modular arithmetic, each with a scalar reference and AVX2, AVX-512 and
//! AVX-512 IFMA versions chosen at run time ([`Isa::detect`]) and checked bit for bit against
//! the scalar one.
//!
//! ## Layers
//! Data flows one way down this list; each layer imports only from the ones above it (and from
//! the leaf modules [`isa`], [`aligned`], [`profile`] and the error type).
//!
//! 1. [`arith`] — moduli and primes, the ring-degree limits, and inside the crate the **lanes
//!    trait** (one vector type with its modular primitives, implemented once per ISA: scalar,
//!    AVX2, AVX-512, IFMA) and the **one dispatch point** (`Backend::dispatch`) that runs a
//!    kernel written once over the lanes on a plan's instruction set.
//! 2. [`ntt`] (negacyclic NTT plans) and [`eltwise`] (element-wise modular ops): kernel families
//!    written once over the lanes; the NTT adds its per-ISA shuffles (`NttKernel`).
//! 3. [`rns`] — RNS bases and polynomials, the basis-conversion kernel (`ConvKernel`: exact
//!    128-bit / IFMA accumulators), automorphisms, rescaling, sampling.
//! 4. [`keyswitch`] — hybrid key switching, one file per step: ModUp (`mod_up`: digit
//!    conversion + NTTs), the digit MAC (`accumulate`, with [`keyswitch::LimbDot`]), ModDown
//!    (`mod_down`: INTTs + exact conversion + NTTs); keys, seeded keys, noise.
//! 5. [`ckks`] — encoding, encryption, evaluation, hoisted sums, batched tensors, serialization.
//! 6. [`parallel`] — the inner-product engine and the batch planner.
//!
//! ```
//! use ckks_accel::{Isa, ntt::NttPlan, arith::ntt_primes};
//! let n = 1 << 12;
//! let q = ntt_primes(50, n, 1)?[0];
//! let plan = NttPlan::new(n, q)?;
//! println!("NTT runs on {}", plan.isa());
//! let mut a = vec![1u64; n];
//! plan.forward(&mut a);
//! plan.inverse(&mut a);
//! assert!(a.iter().all(|&x| x == 1));
//! # Ok::<(), ckks_accel::Error>(())
//! ```
#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

pub mod aligned;
pub mod arith;
pub mod ckks;
pub mod eltwise;
mod error;
pub mod isa;
pub mod keyswitch;
pub mod ntt;
pub mod parallel;
pub mod profile;
pub mod rns;

pub use aligned::AlignedVec;
pub use error::{Error, ErrorKind, Result};
pub use isa::Isa;

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
