//! Arithmetic and level management: additions, plaintext and constant operations, the tensor
//! product and its relinearization, rescaling and dropping levels.
//!
//! Scales: additions need equal scales (relative 2^−30); products multiply them and are
//! checked to stay finite and below the level's modulus; `rescale` divides by the last prime
//! q_ℓ and refuses a result below 1 (a message rescaled too often). Constants are rounded to
//! integers at the ciphertext's scale (addition) or at the default scale Δ (multiplication),
//! and must stay below 2^126 in magnitude.

use super::{Evaluator, EvaluatorScratch};
use crate::ckks::ciphertext::{Ciphertext, Plaintext};
use crate::error::{Error, Result};
use crate::rns::{Representation, RnsPoly};

impl Evaluator {
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
        crate::ckks::context::check_scale(s, self.basis(level)?)?;
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

    /// Relinearizes a degree-3 ciphertext and rescales it, into `out` (degree 2, one level
    /// down, scale / q_ℓ): the same result as [`Evaluator::relinearize_into`] followed by
    /// [`Evaluator::rescale_into`] up to one rounding, computed as **one** division by P·q_ℓ
    /// ([`crate::keyswitch::ModDownRescale`]: 2ℓ fewer NTTs). Where the parameters have no fused
    /// step (more than 6 special primes) it runs the two steps, using `scratch`'s spare buffer.
    pub fn relinearize_rescale_into(
        &self,
        ct: &Ciphertext,
        out: &mut Ciphertext,
        scratch: &mut EvaluatorScratch,
    ) -> Result<()> {
        self.check(ct)?;
        Self::check_degree(ct, 3)?;
        let ks = self.ctx.key_switcher();
        let level = ct.level();
        if level == 0 || !ks.fuses_rescale(level + 1) {
            let mut relin = std::mem::replace(&mut scratch.tmp2, Ciphertext::placeholder());
            let r = self
                .relinearize_into(ct, &mut relin, scratch)
                .and_then(|_| self.rescale_into(&relin, out, scratch));
            scratch.tmp2 = relin;
            return r;
        }
        let rlk = self.keys.relin.as_ref().ok_or_else(|| Error::MissingKey {
            what: "relinearization key".into(),
        })?;
        let basis = self.basis(level)?;
        let lower = self.basis(level - 1)?;
        let scale = ct.scale / *basis.primes().last().expect("level ≥ 1") as f64;
        crate::ckks::context::check_scale(scale, lower)?;
        Self::shape_like(out, ct, 2, lower);
        let [p0, p1] = &mut out.parts[..] else {
            unreachable!("shape_like made two parts")
        };
        ks.switch_rescale(
            &ct.parts[2],
            &rlk.key,
            (&ct.parts[0], &ct.parts[1]),
            p0,
            p1,
            &mut scratch.ks,
        )?;
        out.scale = scale;
        scratch.ks.profile.relins += 1;
        scratch.ks.profile.rescales += 1;
        Ok(())
    }

    /// [`Evaluator::relinearize_rescale_into`] into a new ciphertext.
    pub fn relinearize_rescale(
        &self,
        ct: &Ciphertext,
        scratch: &mut EvaluatorScratch,
    ) -> Result<Ciphertext> {
        let mut out = ct.clone();
        self.relinearize_rescale_into(ct, &mut out, scratch)?;
        Ok(out)
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
        crate::ckks::context::check_scale(scale, lower)?;
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
    /// A `level` above the ciphertext's own is [`Error::InvalidLevel`] (allowed: 0 up to the
    /// ciphertext's level; a level can only go down).
    pub fn drop_to_level(&self, ct: &mut Ciphertext, level: usize) -> Result<()> {
        self.check(ct)?;
        if level > ct.level() {
            return Err(Error::InvalidLevel {
                level,
                min: 0,
                max: ct.level(),
            });
        }
        let basis = self.basis(level)?;
        ct.parts.iter_mut().try_for_each(|p| p.truncate(basis))
    }
}
