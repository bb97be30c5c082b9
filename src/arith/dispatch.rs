//! The one dispatch point: a verified instruction set ([`Backend`], built once per plan) runs a
//! generic job with the matching lanes inside that ISA's target-feature context (pulp's
//! `WithSimd` shape).
//!
//! A kernel family writes its work once as a job — this one doubles a slice mod q, and is the
//! `example_job_runs_on_every_isa` test below, checked against the scalar model on every ISA
//! of the machine:
//!
//! ```ignore
//! struct Double<'a>(&'a mut [u64], u64);
//! impl<L: Lanes> Job<L> for Double<'_> {
//!     type Output = ();
//!     #[inline(always)]
//!     fn run(self, l: L) {
//!         let q = l.splat(self.1);
//!         for x in self.0.chunks_exact_mut(L::LANES) {
//!             let v = l.load(x);
//!             l.store(x, add_mod(l, v, v, q));
//!         }
//!     }
//! }
//! backend.dispatch(Double(data, q));
//! ```
//!
//! (`ignore`: the lanes trait is crate-internal, so a doctest cannot name it.)
//!
//! A family that needs instructions beyond [`Lanes`] bounds `L` by its extension trait
//! (`ntt::NttKernel`, `rns::basis_conversion::ConvKernel`), implemented for every lanes type;
//! the compiler then checks that no ISA is missing. Every arm of [`Backend::dispatch`] names
//! its lanes: there is no fallback arm.

use super::lanes::{Lanes, Scalar52, Scalar64};
use crate::error::{Error, Result};
use crate::isa::Isa;
#[cfg(simd)]
use crate::isa::{Avx2Token, Avx512Token, IfmaToken};
#[cfg(simd)]
use pulp::NullaryFnOnce;

#[cfg(simd)]
pub(crate) use super::avx2::Avx2Lanes;
#[cfg(simd)]
pub(crate) use super::avx512::Avx512Lanes;
#[cfg(simd)]
pub(crate) use super::ifma::IfmaLanes;

/// A verified instruction set: the value every plan keeps and dispatches on.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Backend {
    /// The portable reference (64-bit Shoup products).
    Scalar,
    /// The portable model of IFMA's 52-bit Shoup products (reference plans of IFMA plans).
    Scalar52,
    #[cfg(simd)]
    Avx2(Avx2Token),
    #[cfg(simd)]
    Avx512(Avx512Token),
    #[cfg(simd)]
    Ifma(IfmaToken),
}

/// Work written once over the lanes `L`, run by [`Backend::dispatch`].
pub(crate) trait Job<L: Lanes> {
    /// What the job returns.
    type Output;
    /// Runs the job on `lanes` (inside the ISA's target-feature context).
    fn run(self, lanes: L) -> Self::Output;
}

/// A job that every backend can run, with one output type.
#[cfg(simd)]
pub(crate) trait AnyJob<O>:
    Job<Scalar64, Output = O>
    + Job<Scalar52, Output = O>
    + Job<Avx2Lanes, Output = O>
    + Job<Avx512Lanes, Output = O>
    + Job<IfmaLanes, Output = O>
{
}
#[cfg(simd)]
impl<O, J> AnyJob<O> for J where
    J: Job<Scalar64, Output = O>
        + Job<Scalar52, Output = O>
        + Job<Avx2Lanes, Output = O>
        + Job<Avx512Lanes, Output = O>
        + Job<IfmaLanes, Output = O>
{
}

/// A job that every backend can run, with one output type.
#[cfg(not(simd))]
pub(crate) trait AnyJob<O>: Job<Scalar64, Output = O> + Job<Scalar52, Output = O> {}
#[cfg(not(simd))]
impl<O, J> AnyJob<O> for J where J: Job<Scalar64, Output = O> + Job<Scalar52, Output = O> {}

/// A job bound to its lanes, for `pulp`'s `vectorize` (a struct rather than a closure, so the
/// call chain is `#[inline(always)]` end to end).
#[cfg(simd)]
struct Bound<J, L> {
    job: J,
    lanes: L,
}

#[cfg(simd)]
impl<L: Lanes, J: Job<L>> NullaryFnOnce for Bound<J, L> {
    type Output = J::Output;
    #[inline(always)]
    fn call(self) -> J::Output {
        self.job.run(self.lanes)
    }
}

impl Backend {
    /// Checks that `isa` is available and returns its token.
    pub(crate) fn new(isa: Isa) -> Result<Backend> {
        if !isa.is_available() {
            return Err(Error::IsaUnavailable { isa });
        }
        Ok(match isa {
            Isa::Scalar => Backend::Scalar,
            // SAFETY (all three arms): `isa.is_available()` just confirmed with cpufeatures
            // (CPUID + XGETBV) that every feature the token names is present and enabled.
            #[cfg(simd)]
            Isa::Avx2 => Backend::Avx2(unsafe { Avx2Token::new_unchecked() }),
            #[cfg(simd)]
            // SAFETY: as above — AVX-512 F/DQ/VL (and AVX2) were just detected.
            Isa::Avx512 => Backend::Avx512(unsafe { Avx512Token::new_unchecked() }),
            #[cfg(simd)]
            // SAFETY: as above — AVX-512 F/DQ/VL and IFMA were just detected.
            Isa::Avx512Ifma => Backend::Ifma(unsafe { IfmaToken::new_unchecked() }),
            #[cfg(not(simd))]
            _ => unreachable!("is_available() is false for every SIMD isa without simd"),
        })
    }

    /// The scalar backend computing bit for bit what `isa`'s kernels compute (the 52-bit model
    /// for IFMA, the 64-bit reference otherwise).
    pub(crate) fn scalar_model_of(isa: Isa) -> Backend {
        match isa {
            Isa::Avx512Ifma => Backend::Scalar52,
            _ => Backend::Scalar,
        }
    }

    /// The instruction set of this backend (both scalar backends are [`Isa::Scalar`]).
    pub(crate) fn isa(self) -> Isa {
        match self {
            Backend::Scalar | Backend::Scalar52 => Isa::Scalar,
            #[cfg(simd)]
            Backend::Avx2(_) => Isa::Avx2,
            #[cfg(simd)]
            Backend::Avx512(_) => Isa::Avx512,
            #[cfg(simd)]
            Backend::Ifma(_) => Isa::Avx512Ifma,
        }
    }

    /// Runs `job` with this backend's lanes inside its target-feature context.
    #[inline(always)]
    pub(crate) fn dispatch<O, J: AnyJob<O>>(self, job: J) -> O {
        match self {
            Backend::Scalar => Job::<Scalar64>::run(job, Scalar64 {}),
            Backend::Scalar52 => Job::<Scalar52>::run(job, Scalar52 {}),
            #[cfg(simd)]
            Backend::Avx2(s) => s.vectorize(Bound {
                job,
                lanes: Avx2Lanes(s),
            }),
            #[cfg(simd)]
            Backend::Avx512(s) => s.vectorize(Bound {
                job,
                lanes: Avx512Lanes(s),
            }),
            #[cfg(simd)]
            Backend::Ifma(s) => s.vectorize(Bound {
                job,
                lanes: IfmaLanes(s),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arith::lanes::add_mod;

    /// The module docs' example kernel.
    struct Double<'a>(&'a mut [u64], u64);

    impl<L: Lanes> Job<L> for Double<'_> {
        type Output = ();
        #[inline(always)]
        fn run(self, l: L) {
            let q = l.splat(self.1);
            for x in self.0.chunks_exact_mut(L::LANES) {
                let v = l.load(x);
                l.store(x, add_mod(l, v, v, q));
            }
        }
    }

    /// Gathers `base[idx]` for every index vector, on the backend's lanes.
    struct Gather<'a>(&'a [u64], &'a [u32], &'a mut [u64]);

    impl<L: Lanes> Job<L> for Gather<'_> {
        type Output = ();
        #[inline(always)]
        fn run(self, l: L) {
            for (ix, o) in self
                .1
                .chunks_exact(L::LANES)
                .zip(self.2.chunks_exact_mut(L::LANES))
            {
                l.store(o, l.gather(self.0, ix));
            }
        }
    }

    #[test]
    fn example_job_runs_on_every_isa() {
        let q = (1u64 << 61) - 1;
        let input: Vec<u64> = (0..64u64)
            .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15) % q)
            .collect();
        let mut want = input.clone();
        Backend::Scalar.dispatch(Double(&mut want, q));
        assert!(want.iter().zip(&input).all(|(&w, &x)| w == (2 * x) % q));
        for isa in Isa::available() {
            let mut got = input.clone();
            Backend::new(isa).unwrap().dispatch(Double(&mut got, q));
            assert_eq!(got, want, "{isa}");
        }
    }

    #[test]
    fn gathers_check_their_indices_on_every_isa() {
        let base: Vec<u64> = (100..164).collect();
        let idx: Vec<u32> = (0..64u32).map(|i| (i * 37) % 64).collect();
        for isa in Isa::available() {
            let b = Backend::new(isa).unwrap();
            let mut out = vec![0u64; 64];
            b.dispatch(Gather(&base, &idx, &mut out));
            assert!(
                out.iter().zip(&idx).all(|(&o, &k)| o == base[k as usize]),
                "{isa}"
            );
            let mut bad = idx.clone();
            bad[13] = 64;
            let caught = std::panic::catch_unwind(|| {
                let mut out = vec![0u64; 64];
                b.dispatch(Gather(&base, &bad, &mut out));
            });
            assert!(
                caught.is_err(),
                "{isa}: out-of-bounds gather index not caught"
            );
        }
    }
}
