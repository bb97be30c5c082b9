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

use super::ciphertext::{Ciphertext, Plaintext};
use super::context::CkksContext;
use super::keys::EvaluationKeys;
use crate::aligned::AlignedVec;
use crate::error::{Error, Result};
use crate::keyswitch::{Decomposition, KeySwitchScratch};
use crate::profile::{Profile, ProfileLevel};
use crate::rns::{Automorphism, Representation, RnsBasis, RnsPoly, automorphism};
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

fn scales_match(a: f64, b: f64) -> bool {
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

    /// `a += b` (equal level and scale; degrees may differ, the result has the larger one).
    pub fn add_assign(&self, a: &mut Ciphertext, b: &Ciphertext) -> Result<()> {
        self.check_pair(a, b)?;
        let basis = self.basis(a.level())?;
        for (i, pb) in b.parts.iter().enumerate() {
            if i < a.parts.len() {
                a.parts[i].add_assign(pb, basis)?;
            } else {
                a.parts.push(pb.clone());
            }
        }
        Ok(())
    }

    /// `a + b`.
    pub fn add(&self, a: &Ciphertext, b: &Ciphertext) -> Result<Ciphertext> {
        let mut r = a.clone();
        self.add_assign(&mut r, b)?;
        Ok(r)
    }

    /// `a −= b`.
    pub fn sub_assign(&self, a: &mut Ciphertext, b: &Ciphertext) -> Result<()> {
        self.check_pair(a, b)?;
        let basis = self.basis(a.level())?;
        for (i, pb) in b.parts.iter().enumerate() {
            if i < a.parts.len() {
                a.parts[i].sub_assign(pb, basis)?;
            } else {
                let mut neg = pb.clone();
                neg.neg_assign(basis)?;
                a.parts.push(neg);
            }
        }
        Ok(())
    }

    /// `a − b`.
    pub fn sub(&self, a: &Ciphertext, b: &Ciphertext) -> Result<Ciphertext> {
        let mut r = a.clone();
        self.sub_assign(&mut r, b)?;
        Ok(r)
    }

    /// `−a`.
    pub fn negate_assign(&self, a: &mut Ciphertext) -> Result<()> {
        self.check(a)?;
        let basis = self.basis(a.level())?;
        a.parts.iter_mut().try_for_each(|p| p.neg_assign(basis))
    }

    /// `ct += pt` (same level and scale).
    pub fn add_plain_assign(&self, ct: &mut Ciphertext, pt: &Plaintext) -> Result<()> {
        self.check_plain(ct, pt, true)?;
        let basis = self.basis(ct.level())?;
        ct.parts[0].add_assign(&pt.poly, basis)
    }

    /// `ct −= pt` (same level and scale).
    pub fn sub_plain_assign(&self, ct: &mut Ciphertext, pt: &Plaintext) -> Result<()> {
        self.check_plain(ct, pt, true)?;
        let basis = self.basis(ct.level())?;
        ct.parts[0].sub_assign(&pt.poly, basis)
    }

    /// `ct ·= pt` (same level; the scales multiply).
    pub fn mul_plain_assign(&self, ct: &mut Ciphertext, pt: &Plaintext) -> Result<()> {
        self.check_plain(ct, pt, false)?;
        self.product_scale(ct.scale, pt.scale, ct.level())?;
        let basis = self.basis(ct.level())?;
        for p in &mut ct.parts {
            p.mul_assign(&pt.poly, basis)?;
        }
        ct.scale *= pt.scale;
        Ok(())
    }

    /// The scale of a product, checked: finite and within the modulus of `level` (else the
    /// result would decode to ∞/NaN or noise).
    fn product_scale(&self, a: f64, b: f64, level: usize) -> Result<f64> {
        let s = a * b;
        super::context::check_scale(s, self.basis(level)?)?;
        Ok(s)
    }

    /// Adds the real constant `c` to every slot (rounded at the ciphertext's scale).
    pub fn add_const_assign(&self, ct: &mut Ciphertext, c: f64) -> Result<()> {
        self.check(ct)?;
        let basis = self.basis(ct.level())?;
        let v = (c * ct.scale).round();
        if !v.is_finite() || v.abs() >= 2f64.powi(126) {
            return Err(Error::InvalidParameters {
                reason: format!("constant {c} too large at this scale"),
            });
        }
        let v = v as i128;
        for (i, limb) in ct.parts[0].limbs_mut().enumerate() {
            // A constant polynomial is the same value at every evaluation point.
            let m = basis.modulus(i);
            let k = v.rem_euclid(m.value() as i128) as u64;
            limb.iter_mut().for_each(|x| *x = m.add_mod(*x, k));
        }
        Ok(())
    }

    /// Multiplies every slot by the real constant `c`, encoded at the default scale Δ (the
    /// result's scale is multiplied by Δ; rescale afterwards).
    pub fn mul_const_assign(&self, ct: &mut Ciphertext, c: f64) -> Result<()> {
        self.check(ct)?;
        let basis = self.basis(ct.level())?;
        let delta = self.ctx.params().default_scale();
        self.product_scale(ct.scale, delta, ct.level())?;
        let v = (c * delta).round();
        if !v.is_finite() || v.abs() >= 2f64.powi(126) {
            return Err(Error::InvalidParameters {
                reason: format!("constant {c} too large"),
            });
        }
        let v = v as i128;
        let ks: Vec<u64> = basis
            .primes()
            .iter()
            .map(|&q| v.rem_euclid(q as i128) as u64)
            .collect();
        for p in &mut ct.parts {
            p.mul_scalar_assign(&ks, basis)?;
        }
        ct.scale *= delta;
        Ok(())
    }

    /// `out = a ⊗ b` (degree 3: `(a0b0, a0b1 + a1b0, a1b1)`), scale `a.scale · b.scale`.
    /// `out`'s buffers are reused.
    pub fn mul_into(&self, a: &Ciphertext, b: &Ciphertext, out: &mut Ciphertext) -> Result<()> {
        self.check(a)?;
        self.check(b)?;
        if a.degree() != 2 || b.degree() != 2 {
            return Err(Error::WrongDegree {
                expected: 2,
                found: a.degree().max(b.degree()),
            });
        }
        if a.level() != b.level() {
            return Err(Error::LevelMismatch {
                left: a.level(),
                right: b.level(),
            });
        }
        let scale = self.product_scale(a.scale, b.scale, a.level())?;
        let basis = self.basis(a.level())?;
        out.params_id = a.params_id;
        out.parts
            .resize_with(3, || RnsPoly::zero(basis, Representation::Evaluation));
        for (i, p) in out.parts.iter_mut().enumerate() {
            p.reshape(basis, Representation::Evaluation);
            match i {
                0 => p.as_words_mut().copy_from_slice(a.parts[0].as_words()),
                1 => p.as_words_mut().copy_from_slice(a.parts[0].as_words()),
                _ => p.as_words_mut().copy_from_slice(a.parts[1].as_words()),
            }
        }
        out.parts[0].mul_assign(&b.parts[0], basis)?;
        out.parts[1].mul_assign(&b.parts[1], basis)?;
        out.parts[1].mul_add_assign(&a.parts[1], &b.parts[0], basis)?;
        out.parts[2].mul_assign(&b.parts[1], basis)?;
        out.scale = scale;
        Ok(())
    }

    /// `a ⊗ b` (degree 3).
    pub fn mul(&self, a: &Ciphertext, b: &Ciphertext) -> Result<Ciphertext> {
        let mut out = a.clone();
        self.mul_into(a, b, &mut out)?;
        Ok(out)
    }

    /// Relinearizes a degree-3 ciphertext into `out` (degree 2) with the relinearization key.
    pub fn relinearize_into(
        &self,
        ct: &Ciphertext,
        out: &mut Ciphertext,
        scratch: &mut EvaluatorScratch,
    ) -> Result<()> {
        self.check(ct)?;
        Self::check_degree(ct, 3)?;
        let rlk = self.keys.relin.as_ref().ok_or_else(|| Error::MissingKey {
            what: "relinearization key".into(),
        })?;
        let basis = self.basis(ct.level())?;
        let ks = self.ctx.key_switcher();
        scratch.t0.reshape(basis, Representation::Evaluation);
        scratch.t1.reshape(basis, Representation::Evaluation);
        ks.switch(
            &ct.parts[2],
            &rlk.key,
            &mut scratch.t0,
            &mut scratch.t1,
            &mut scratch.ks,
        )?;
        scratch.ks.profile.relins += 1;
        Self::shape_like(out, ct, 2, basis);
        out.parts[0]
            .as_words_mut()
            .copy_from_slice(ct.parts[0].as_words());
        out.parts[1]
            .as_words_mut()
            .copy_from_slice(ct.parts[1].as_words());
        out.parts[0].add_assign(&scratch.t0, basis)?;
        out.parts[1].add_assign(&scratch.t1, basis)?;
        Ok(())
    }

    /// Relinearizes a degree-3 ciphertext.
    pub fn relinearize(
        &self,
        ct: &Ciphertext,
        scratch: &mut EvaluatorScratch,
    ) -> Result<Ciphertext> {
        let mut out = ct.clone();
        self.relinearize_into(ct, &mut out, scratch)?;
        Ok(out)
    }

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

    /// Divides by the last prime (with rounding) into `out`, one level down; scale / q_ℓ.
    pub fn rescale_into(
        &self,
        ct: &Ciphertext,
        out: &mut Ciphertext,
        scratch: &mut EvaluatorScratch,
    ) -> Result<()> {
        self.check(ct)?;
        if ct.level() == 0 {
            return Err(Error::InvalidLevel {
                level: 0,
                min: 1,
                max: self.ctx.params().max_level(),
            });
        }
        let basis = self.basis(ct.level())?;
        let lower = self.basis(ct.level() - 1)?;
        let scale = ct.scale / *basis.primes().last().expect("level ≥ 1") as f64;
        // A scale below 1 after rescaling means the message was rescaled too often: refuse
        // rather than return a ciphertext whose decoding is noise.
        super::context::check_scale(scale, lower)?;
        Self::shape_like(out, ct, ct.degree(), lower);
        for (src, dst) in ct.parts.iter().zip(out.parts.iter_mut()) {
            src.rescale_into(basis, dst, &mut scratch.rescale)?;
        }
        out.scale = scale;
        scratch.ks.profile.rescales += 1;
        Ok(())
    }

    /// Rescales one level down.
    pub fn rescale(&self, ct: &Ciphertext, scratch: &mut EvaluatorScratch) -> Result<Ciphertext> {
        let mut out = ct.clone();
        self.rescale_into(ct, &mut out, scratch)?;
        Ok(out)
    }

    /// Drops primes (no division) down to `level`: the message and scale are unchanged.
    pub fn drop_to_level(&self, ct: &mut Ciphertext, level: usize) -> Result<()> {
        self.check(ct)?;
        if level > ct.level() {
            return Err(Error::LevelMismatch {
                left: ct.level(),
                right: level,
            });
        }
        let basis = self.basis(level)?;
        ct.parts.iter_mut().try_for_each(|p| p.truncate(basis))
    }

    pub(crate) fn galois(
        &self,
        g: usize,
        what: impl FnOnce() -> String,
    ) -> Result<(&Automorphism, &crate::keyswitch::SwitchingKey)> {
        self.keys
            .galois
            .get(g)
            .ok_or_else(|| Error::MissingKey { what: what() })
    }

    /// Whether the rotation key for `steps` exists.
    pub fn has_rotation_key(&self, steps: i64) -> bool {
        self.keys.galois.has_rotation(self.ctx.params().n(), steps)
    }

    fn apply_galois_into(
        &self,
        ct: &Ciphertext,
        g: usize,
        out: &mut Ciphertext,
        scratch: &mut EvaluatorScratch,
        decomposed: bool,
    ) -> Result<()> {
        let (auto, key) = self.galois(g, || format!("Galois key for element {g}"))?;
        let basis = self.basis(ct.level())?;
        let ks = self.ctx.key_switcher();
        if !decomposed {
            ks.decompose(&ct.parts[1], &mut scratch.dec, &mut scratch.ks)?;
        }
        Self::shape_like(out, ct, 2, basis);
        scratch.ks.profile.rotations += 1;
        let (o0, o1) = out.parts.split_at_mut(1);
        ks.apply(
            &scratch.dec,
            key,
            Some(auto),
            &mut scratch.t0,
            &mut o1[0],
            &mut scratch.ks,
        )?;
        auto.apply(&ct.parts[0], &mut o0[0], basis)?;
        o0[0].add_assign(&scratch.t0, basis)?;
        Ok(())
    }

    /// Rotates the slots left by `steps` (negative: right) into `out`.
    pub fn rotate_into(
        &self,
        ct: &Ciphertext,
        steps: i64,
        out: &mut Ciphertext,
        scratch: &mut EvaluatorScratch,
    ) -> Result<()> {
        self.check(ct)?;
        Self::check_degree(ct, 2)?;
        let n = self.ctx.params().n();
        let g = automorphism::galois_element_for_rotation(n, steps);
        if g == 1 {
            out.clone_from(ct);
            return Ok(());
        }
        self.galois(g, || {
            format!("rotation key for {steps} steps (Galois element {g})")
        })?;
        scratch
            .t0
            .reshape(self.basis(ct.level())?, Representation::Evaluation);
        self.apply_galois_into(ct, g, out, scratch, false)
    }

    /// Rotates the slots left by `steps`.
    pub fn rotate(
        &self,
        ct: &Ciphertext,
        steps: i64,
        scratch: &mut EvaluatorScratch,
    ) -> Result<Ciphertext> {
        let mut out = ct.clone();
        self.rotate_into(ct, steps, &mut out, scratch)?;
        Ok(out)
    }

    /// Several rotations of one ciphertext sharing one decomposition (hoisting).
    pub fn rotate_hoisted(
        &self,
        ct: &Ciphertext,
        steps: &[i64],
        scratch: &mut EvaluatorScratch,
    ) -> Result<Vec<Ciphertext>> {
        self.check(ct)?;
        Self::check_degree(ct, 2)?;
        let n = self.ctx.params().n();
        let gs: Vec<usize> = steps
            .iter()
            .map(|&s| automorphism::galois_element_for_rotation(n, s))
            .collect();
        for (&g, &s) in gs.iter().zip(steps) {
            if g != 1 {
                self.galois(g, || {
                    format!("rotation key for {s} steps (Galois element {g})")
                })?;
            }
        }
        let ks = self.ctx.key_switcher();
        ks.decompose(&ct.parts[1], &mut scratch.dec, &mut scratch.ks)?;
        scratch
            .t0
            .reshape(self.basis(ct.level())?, Representation::Evaluation);
        let mut outs = Vec::with_capacity(steps.len());
        for &g in &gs {
            let mut out = ct.clone();
            if g != 1 {
                self.apply_galois_into(ct, g, &mut out, scratch, true)?;
            }
            outs.push(out);
        }
        Ok(outs)
    }

    /// Complex conjugation of every slot.
    pub fn conjugate(&self, ct: &Ciphertext, scratch: &mut EvaluatorScratch) -> Result<Ciphertext> {
        self.check(ct)?;
        Self::check_degree(ct, 2)?;
        let g = 2 * self.ctx.params().n() - 1;
        self.galois(g, || "conjugation key".into())?;
        scratch
            .t0
            .reshape(self.basis(ct.level())?, Representation::Evaluation);
        let mut out = ct.clone();
        self.apply_galois_into(ct, g, &mut out, scratch, false)?;
        Ok(out)
    }

    /// Checks that `span` is a power of two within the slots and that every rotation key of the
    /// doubling tree (1, 2, …, span/2) exists — before any work.
    pub fn check_inner_sum(&self, span: usize) -> Result<()> {
        let slots = self.ctx.params().slots();
        if !span.is_power_of_two() || span > slots {
            return Err(Error::InvalidParameters {
                reason: format!("span {span} must be a power of two ≤ {slots}"),
            });
        }
        let mut step = 1;
        while step < span {
            if !self.has_rotation_key(step as i64) {
                return Err(Error::MissingKey {
                    what: format!("rotation key for {step} steps (inner sum over {span} slots)"),
                });
            }
            step *= 2;
        }
        Ok(())
    }

    /// In place: `ct ← Σ_{k < span} rot(ct, k)` by the doubling tree (log2(span) rotations and
    /// additions); every slot then holds the sum of `span` consecutive slots.
    pub fn inner_sum_assign(
        &self,
        ct: &mut Ciphertext,
        span: usize,
        scratch: &mut EvaluatorScratch,
    ) -> Result<()> {
        self.check(ct)?;
        Self::check_degree(ct, 2)?;
        self.check_inner_sum(span)?;
        let mut rot = std::mem::replace(
            &mut scratch.tmp,
            Ciphertext {
                params_id: 0,
                parts: Vec::new(),
                scale: 1.0,
            },
        );
        let r = (|| {
            let mut step = 1;
            while step < span {
                self.rotate_into(ct, step as i64, &mut rot, scratch)?;
                self.add_assign(ct, &rot)?;
                scratch.ks.profile.adds += 1;
                step *= 2;
            }
            Ok(())
        })();
        scratch.tmp = rot;
        r
    }

    /// The inner product pipeline on one pair: `out ← inner_sum(rescale(relin(a ⊗ b)), span)`.
    /// Exactly 1 multiplication, 1 relinearization, 1 rescale, log2(span) rotations and additions.
    /// Allocates nothing once `out` and `scratch` have reached their sizes.
    pub fn inner_product_into(
        &self,
        a: &Ciphertext,
        b: &Ciphertext,
        span: usize,
        out: &mut Ciphertext,
        scratch: &mut EvaluatorScratch,
    ) -> Result<()> {
        self.inner_product_with(a, b, span, &super::SumMethod::Tree, None, out, scratch)
    }
}
