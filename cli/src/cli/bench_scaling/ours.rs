//! Our side of `bench scaling`: one top-level key switch (a relinearization: the key switches
//! s² to s) through [`KeySwitcher::switch`], single thread, as `bench keyswitch` measures it;
//! then the same switch by the KLSS method ([`KlssSwitcher`], the grouping the cost model
//! predicts fastest from the hybrid's measured per-operation costs), checked equal.

use super::super::{CliResult, timing};
use super::Shape;
use ckks_accel::Isa;
use ckks_accel::keyswitch::{KeySwitcher, KlssSwitcher, OpCosts};
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
    /// The KLSS method on the same switch, if some grouping is exact here.
    pub klss: Option<KlssResult>,
}

/// The KLSS method on one shape.
#[derive(Debug, Clone)]
pub struct KlssResult {
    /// Median time of one switch in ms.
    pub ms: f64,
    /// Primes per output group (the cost model's choice).
    pub group_primes: usize,
    /// Auxiliary primes.
    pub aux_primes: usize,
    /// NTTs per switch, KLSS and hybrid.
    pub ntts: (usize, usize),
    /// Bytes of key read per switch, KLSS and hybrid.
    pub key_bytes_read: (usize, usize),
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
    // KLSS: the grouping predicted fastest from this switch's measured per-operation costs.
    scratch.profile = Profile::new(ProfileLevel::Timed);
    ks.switch(&d, &key, &mut c0, &mut c1, &mut scratch)?;
    let l = shape.q_limbs;
    let hybrid_cost = ks.cost(l)?;
    let costs = OpCosts::from_profile(&scratch.profile, &hybrid_cost);
    let klss = match KlssSwitcher::best_grouping(&ks, l, &costs)? {
        None => None,
        Some((g, _)) => {
            let klss = KlssSwitcher::new(&ks, g)?;
            let kkey = klss.derive_key(&key)?;
            let mut ks_scratch = klss.scratch();
            ks_scratch.profile = Profile::new(ProfileLevel::Off);
            let (mut k0, mut k1) = (c0.clone(), c1.clone());
            // As many timed calls as the hybrid's, at most 11 (KLSS is the slower one here).
            let (t, _) = timing::median_time_reps(NonZeroUsize::new(reps.min(11)), || {
                klss.switch(&d, &kkey, &mut k0, &mut k1, &mut ks_scratch)
                    .expect("valid inputs")
            });
            if (&k0, &k1) != (&c0, &c1) {
                return Err("KLSS output differs from the hybrid switch".into());
            }
            let cost = klss.cost(l)?;
            Some(KlssResult {
                ms: t.as_secs_f64() * 1e3,
                group_primes: g,
                aux_primes: klss.aux_basis().len(),
                ntts: (cost.ntts, hybrid_cost.ntts),
                key_bytes_read: (cost.key_bytes_read, hybrid_cost.key_bytes_read),
            })
        }
    };
    Ok(OursResult {
        ms: t.as_secs_f64() * 1e3,
        reps,
        keygen_s,
        klss,
    })
}
