//! The [`Evaluator`]: homomorphic operations on ciphertexts, on the accelerated kernels.
//!
//! An evaluator holds the shared context and evaluation keys (no secret) and is `Send + Sync`;
//! every call that needs temporary buffers takes a per-worker [`EvaluatorScratch`]. The `_into`
//! variants write into caller-owned outputs and allocate nothing once the buffers have reached
//! their largest size.
//!
//! Levels and scales are tracked: binary operations require equal levels (else
//! [`Error::LevelMismatch`]) and equal scales up to a relative 2^−30 (else
//! [`Error::ScaleMismatch`]); objects of other parameters give [`Error::ParamsMismatch`].
//!
//! Layout: this file holds the types, construction and the shared checks; `arith` the
//! additions, products, relinearization, rescaling and level drops; `rotate` the rotations,
//! conjugation and slot sums (the sum strategies and batched inner products are in
//! `ckks::sum`).

mod arith;
mod rotate;

use super::ciphertext::{Ciphertext, Plaintext};
use super::context::CkksContext;
use super::keys::EvaluationKeys;
use crate::aligned::AlignedVec;
use crate::error::{Error, Result};
use crate::keyswitch::{Decomposition, KeySwitchScratch};
use crate::profile::{Profile, ProfileLevel};
use crate::rns::{Representation, RnsBasis, RnsPoly};
use std::sync::Arc;

/// Per-worker work buffers (64-byte aligned), sized for the top level and reused at every level.
pub struct EvaluatorScratch {
    pub(crate) ks: KeySwitchScratch,
    pub(crate) dec: Decomposition,
    pub(crate) t0: RnsPoly,
    pub(crate) t1: RnsPoly,
    pub(crate) t2: RnsPoly,
    pub(crate) t3: RnsPoly,
    rescale: AlignedVec,
    /// A degree-3 temporary (products before relinearization).
    pub(crate) prod: Ciphertext,
    /// A degree-2 temporary.
    pub(crate) tmp: Ciphertext,
    /// A second degree-2 temporary.
    pub(crate) tmp2: Ciphertext,
    /// The degree-3 accumulator of a group's tensors (`ckks::batched`).
    pub(crate) acc: Ciphertext,
}

impl std::fmt::Debug for EvaluatorScratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EvaluatorScratch { .. }")
    }
}

impl EvaluatorScratch {
    /// Operation counts (and times, if enabled) of the key switches and their kernels.
    pub fn profile(&self) -> &Profile {
        &self.ks.profile
    }
    /// Mutable access to the profile (to reset it or change its level).
    pub fn profile_mut(&mut self) -> &mut Profile {
        &mut self.ks.profile
    }
    /// Spread the limbs and digits of every key switch over the current rayon pool (the
    /// engine's `Limb` mode). Results are bit-identical either way.
    pub fn set_parallel(&mut self, parallel: bool) {
        self.ks.set_parallel(parallel);
    }

    /// Sets the profiling level (and clears the counters).
    pub fn set_profile_level(&mut self, level: ProfileLevel) {
        self.ks.profile = Profile::new(level);
    }
}

/// Homomorphic operations for one parameter set and one set of evaluation keys.
#[derive(Debug, Clone)]
pub struct Evaluator {
    ctx: Arc<CkksContext>,
    keys: Arc<EvaluationKeys>,
}

pub(crate) fn scales_match(a: f64, b: f64) -> bool {
    ((a - b) / a.max(b)).abs() < 1.0 / (1u64 << 30) as f64
}

impl Evaluator {
    /// An evaluator over `ctx` with evaluation `keys` (shared, never copied per worker).
    pub fn new(ctx: Arc<CkksContext>, keys: Arc<EvaluationKeys>) -> Result<Evaluator> {
        if let Some(r) = &keys.relin {
            ctx.check_id(r.params_id)?;
        }
        if !keys.galois.keys.is_empty() {
            ctx.check_id(keys.galois.params_id)?;
        }
        Ok(Evaluator { ctx, keys })
    }

    /// The context.
    pub fn context(&self) -> &Arc<CkksContext> {
        &self.ctx
    }

    /// The evaluation keys.
    pub fn keys(&self) -> &Arc<EvaluationKeys> {
        &self.keys
    }

    /// Fresh work buffers for one worker.
    pub fn scratch(&self) -> EvaluatorScratch {
        let ks = self.ctx.key_switcher();
        let top = ks.q_basis();
        let zero = || RnsPoly::zero(top, Representation::Evaluation);
        let ct = |parts: usize| Ciphertext {
            params_id: self.ctx.params().id(),
            parts: (0..parts).map(|_| zero()).collect(),
            scale: 1.0,
            seed: None,
        };
        EvaluatorScratch {
            ks: ks.scratch(),
            dec: ks.decomposition_buffer(),
            t0: zero(),
            t1: zero(),
            t2: zero(),
            t3: zero(),
            rescale: AlignedVec::zeroed(2 * top.n()),
            prod: ct(3),
            tmp: ct(2),
            tmp2: ct(2),
            acc: ct(3),
        }
    }

    pub(crate) fn basis(&self, level: usize) -> Result<&RnsBasis> {
        self.ctx.basis(level)
    }

    /// Validates one ciphertext: parameters, 2–3 parts over the same level, evaluation form.
    pub fn check(&self, ct: &Ciphertext) -> Result<()> {
        self.ctx.check_id(ct.params_id)?;
        if !(2..=3).contains(&ct.parts.len()) {
            return Err(Error::WrongDegree {
                expected: 2,
                found: ct.parts.len(),
            });
        }
        let basis = self.basis(ct.level())?;
        for p in &ct.parts {
            basis.check(p.primes())?;
            if p.representation() != Representation::Evaluation {
                return Err(Error::WrongRepresentation {
                    expected: "evaluation",
                    found: "coefficient",
                });
            }
        }
        Ok(())
    }

    pub(crate) fn check_degree(ct: &Ciphertext, degree: usize) -> Result<()> {
        if ct.degree() == degree {
            Ok(())
        } else {
            Err(Error::WrongDegree {
                expected: degree,
                found: ct.degree(),
            })
        }
    }

    fn check_pair(&self, a: &Ciphertext, b: &Ciphertext) -> Result<()> {
        self.check(a)?;
        self.check(b)?;
        if a.level() != b.level() {
            return Err(Error::LevelMismatch {
                left: a.level(),
                right: b.level(),
            });
        }
        if !scales_match(a.scale, b.scale) {
            return Err(Error::ScaleMismatch {
                left: a.scale,
                right: b.scale,
            });
        }
        Ok(())
    }

    fn check_plain(&self, ct: &Ciphertext, pt: &Plaintext, same_scale: bool) -> Result<()> {
        self.check(ct)?;
        self.ctx.check_id(pt.params_id)?;
        if ct.level() != pt.level() {
            return Err(Error::LevelMismatch {
                left: ct.level(),
                right: pt.level(),
            });
        }
        if same_scale && !scales_match(ct.scale, pt.scale) {
            return Err(Error::ScaleMismatch {
                left: ct.scale,
                right: pt.scale,
            });
        }
        Ok(())
    }

    /// Reshapes `out` to `parts` polynomials over `basis` (evaluation form), with the
    /// parameters and scale of `like`; buffers are reused.
    fn shape_like(out: &mut Ciphertext, like: &Ciphertext, parts: usize, basis: &RnsBasis) {
        out.params_id = like.params_id;
        out.scale = like.scale;
        out.parts.truncate(parts);
        out.parts
            .resize_with(parts, || RnsPoly::zero(basis, Representation::Evaluation));
        out.parts
            .iter_mut()
            .for_each(|p| p.reshape(basis, Representation::Evaluation));
    }
}
