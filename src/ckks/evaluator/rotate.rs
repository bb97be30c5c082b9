//! Rotations (Galois automorphisms) and slot sums.
//!
//! A rotation by k slots applies σ_g, g = 5^k mod 2n with k taken mod n/2 (conjugation:
//! g = 2n − 1), to both parts and key-switches the second from σ_g(s) back to s with the
//! Galois key of g: `(σ(c0) + ks0, ks1)` where `(ks0, ks1) = KeySwitch(σ(c1))`. The key
//! switch's decomposition of c1 is computed once and shared by all rotations of one ciphertext
//! (`rotate_hoisted`). `inner_sum_assign` sums `span` consecutive slots by the doubling tree:
//! log2(span) rotations and additions.

use super::{Evaluator, EvaluatorScratch};
use crate::ckks::SumMethod;
use crate::ckks::ciphertext::Ciphertext;
use crate::error::{Error, Result};
use crate::rns::{Automorphism, Representation, automorphism};

impl Evaluator {
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
        let mut rot = std::mem::replace(&mut scratch.tmp, Ciphertext::placeholder());
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
        self.inner_product_with(a, b, span, &SumMethod::Tree, None, out, scratch)
    }
}
