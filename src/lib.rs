//! # ckks-accel
//!
//! Hand-vectorized kernels for RNS lattice homomorphic encryption (CKKS first): the negacyclic
//! NTT and element-wise modular arithmetic, each with a scalar reference and AVX2, AVX-512 and
//! AVX-512 IFMA versions chosen at run time ([`Isa::detect`]) and checked bit for bit against
//! the scalar one.
//!
//! Layers, with data flowing one way down the list:
//! [`arith`] (moduli, primes) → [`ntt`], [`eltwise`] (kernels, one file per ISA).
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
pub use error::{Error, Result};
pub use isa::Isa;

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
