//! Our side of `bench scaling`: one top-level key switch (a relinearization: the key switches
//! s² to s) through [`KeySwitcher::switch`], single thread, as `bench keyswitch` measures it.

use super::super::{CliResult, timing};
use super::Shape;
use ckks_accel::Isa;
use ckks_accel::keyswitch::KeySwitcher;
use ckks_accel::profile::{Profile, ProfileLevel};
use ckks_accel::rns::{Representation, RnsPoly, sampling};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::num::NonZeroUsize;
use std::time::Instant;

/// Our result on one shape.
#[derive(Debug, Clone)]
pub struct OursResult {
    /// Median time of one switch in ms.
    pub ms: f64,
    /// Timed switches.
    pub reps: usize,
    /// Key generation time in s (context + relinearization key).
    pub keygen_s: f64,
}

/// Median time of one switch at `shape`'s top level, kernels capped at `isa`; `reps` timed calls
/// (default: about [`timing::TARGET_TIME`], at least [`timing::MIN_REPS`]).
pub fn measure(shape: &Shape, isa: Isa, reps: Option<NonZeroUsize>) -> CliResult<OursResult> {
    let t0 = Instant::now();
    let (q, p) = shape.primes()?;
    let ks = KeySwitcher::with_isa(shape.n(), &q, &p, shape.dnum, isa).map_err(|e| {
        format!(
            "n = 2^{}, {} Q + {} P limbs, dnum {}: {e}",
            shape.log_n, shape.q_limbs, shape.p_limbs, shape.dnum
        )
    })?;
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let qp = ks.qp_basis();
    let mut s = sampling::from_signed(qp, &sampling::ternary_coeffs(shape.n(), None, &mut rng));
    s.ntt(qp)?;
    let mut s2 = s.clone();
    s2.mul_assign(&s, qp)?;
    let key = ks.generate_key(&s2, &s, &mut rng)?;
    let keygen_s = t0.elapsed().as_secs_f64();
    let d = sampling::uniform(ks.q_basis(), Representation::Evaluation, &mut rng);
    let mut c0 = RnsPoly::zero(ks.q_basis(), Representation::Evaluation);
    let mut c1 = c0.clone();
    let mut scratch = ks.scratch();
    scratch.profile = Profile::new(ProfileLevel::Off);
    let (t, reps) = timing::median_time_reps(reps, || {
        ks.switch(&d, &key, &mut c0, &mut c1, &mut scratch)
            .expect("valid inputs")
    });
    Ok(OursResult {
        ms: t.as_secs_f64() * 1e3,
        reps,
        keygen_s,
    })
}
