//! Faster inner sums: hoisted radix-r folding with double hoisting, a calibrated cost model
//! that picks r, and level-aware summing.
//!
//! A [`SumPlan`] is a list of steps `(r, s)`: after the step, slot i holds
//! `Σ_{j<r} x[i + j·s]`, so strides 1, r_0, r_0·r_1, … cover the whole span. One step:
//! decompose `c1` once, for each j = 1..r−1 multiply the decomposition by the Galois key of
//! rotation j·s and accumulate σ_j of the product in Q_ℓ ∪ P, then a **single** ModDown for all
//! r−1 rotations (double hoisting); `c0` gains Σ_j σ_j(c0). The plain doubling tree is the plan
//! with r = 2 everywhere run without hoisting ([`SumMethod::Tree`]): one full key switch per step.

use super::ciphertext::Ciphertext;
use super::evaluator::{Evaluator, EvaluatorScratch};
use super::keys::{EvaluationKeys, GaloisKeys, KeyGenerator, SecretKey};
use crate::error::{Error, Result};
use crate::rns::RnsPoly;
use crate::rns::{Representation, automorphism};
use serde::Serialize;
use std::sync::Arc;
use std::time::Instant;

/// How an inner sum is computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum SumMethod {
    /// The plain doubling tree: log2(span) rotate + add, one key switch each.
    Tree,
    /// Hoisted radix folding with double hoisting, following the plan.
    Hoisted(SumPlan),
}

/// The steps of a hoisted sum over a power-of-two span.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SumPlan {
    /// The span (slots summed).
    pub span: usize,
    /// (radix r, stride s) of each step, strides increasing.
    pub steps: Vec<(usize, usize)>,
}

impl SumPlan {
    /// Radix `radix` (a power of two ≥ 2) for every step; the last step takes what remains.
    pub fn radix(span: usize, radix: usize) -> Result<SumPlan> {
        if !span.is_power_of_two() || !radix.is_power_of_two() || radix < 2 {
            return Err(Error::InvalidParameters {
                reason: format!("span {span} and radix {radix} must be powers of two, radix ≥ 2"),
            });
        }
        let mut steps = Vec::new();
        let mut stride = 1;
        while stride < span {
            let r = radix.min(span / stride);
            steps.push((r, stride));
            stride *= r;
        }
        Ok(SumPlan { span, steps })
    }

    /// Rotation amounts whose keys the plan needs.
    pub fn rotation_steps(&self) -> Vec<i64> {
        let mut v: Vec<i64> = self
            .steps
            .iter()
            .flat_map(|&(r, s)| (1..r).map(move |j| (j * s) as i64))
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Number of rotations (= Galois keys used).
    pub fn rotations(&self) -> usize {
        self.steps.iter().map(|&(r, _)| r - 1).sum()
    }

    /// Number of decompositions (= ModUps) and ModDown pairs: one per step.
    pub fn hoisted_steps(&self) -> usize {
        self.steps.len()
    }

    /// The largest radix.
    pub fn max_radix(&self) -> usize {
        self.steps.iter().map(|&(r, _)| r).max().unwrap_or(1)
    }
}

impl SumMethod {
    /// Rotation amounts whose keys the method needs for `span`.
    pub fn rotation_steps(&self, span: usize) -> Vec<i64> {
        match self {
            SumMethod::Tree => (0..span.trailing_zeros()).map(|k| 1i64 << k).collect(),
            SumMethod::Hoisted(p) => p.rotation_steps(),
        }
    }
}

/// Measured unit costs (seconds) of the pieces of a sum at one level.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SumCosts {
    /// Level measured.
    pub level: usize,
    /// One full rotation (decompose + MAC + ModDown pair + automorphisms + add).
    pub rotation: f64,
    /// One decomposition (INTT + ModUp + NTT).
    pub decompose: f64,
    /// One hoisted rotation: MAC + σ of the Q ∪ P accumulators + σ(c0).
    pub hoisted_rotation: f64,
    /// One ModDown pair (and the final additions).
    pub finish: f64,
}

impl SumCosts {
    /// Predicted seconds of the plain tree over `span`.
    pub fn tree(&self, span: usize) -> f64 {
        span.trailing_zeros() as f64 * self.rotation
    }

    /// Predicted seconds of a hoisted plan.
    pub fn hoisted(&self, plan: &SumPlan) -> f64 {
        plan.steps
            .iter()
            .map(|&(r, _)| self.decompose + (r - 1) as f64 * self.hoisted_rotation + self.finish)
            .sum()
    }

    /// The cheapest method for `span` among the tree and radices 2..=`max_radix` (ties go to
    /// fewer keys), with its predicted time.
    pub fn choose(&self, span: usize, max_radix: usize) -> (SumMethod, f64) {
        let mut best = (SumMethod::Tree, self.tree(span));
        let mut r = 2;
        while r <= max_radix.min(span.max(2)) {
            if let Ok(plan) = SumPlan::radix(span, r) {
                let t = self.hoisted(&plan);
                if t < best.1 * 0.98 {
                    best = (SumMethod::Hoisted(plan), t);
                }
            }
            r *= 2;
        }
        best
    }
}

/// What the caller asks for; [`Evaluator::choose_sum`] / [`KeyGenerator::sum_keys`] resolve it
/// to a [`SumMethod`] (the library form of the CLI's `--sum` and `--radix`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SumChoice {
    /// The plain doubling tree.
    Tree,
    /// Hoisted folding with this radix (a power of two ≥ 2), or with the radix the cost model
    /// finds cheapest (radix 4 if the model prefers the tree).
    Hoisted(Option<usize>),
    /// The calibrated cost model picks the tree or the cheapest hoisted radix (up to
    /// [`SumChoice::MAX_RADIX`]).
    #[default]
    Auto,
}

impl SumChoice {
    /// Largest radix the cost model considers.
    pub const MAX_RADIX: usize = 16;
}

impl Evaluator {
    /// Resolves `choice` for sums over `span` slots at `level`, measuring the unit costs on this
    /// machine for `Auto` and `Hoisted(None)` (a few ms: needs the rotation key for 1 step; the
    /// timing runs on a zero ciphertext, the kernels' cost does not depend on the data).
    /// Returns the method and the measured costs (`None` when nothing was measured).
    pub fn choose_sum(
        &self,
        choice: SumChoice,
        span: usize,
        level: usize,
    ) -> Result<(SumMethod, Option<SumCosts>)> {
        let forced = |r: usize| SumPlan::radix(span, r).map(SumMethod::Hoisted);
        match choice {
            SumChoice::Tree => return Ok((SumMethod::Tree, None)),
            SumChoice::Hoisted(Some(r)) => return Ok((forced(r)?, None)),
            SumChoice::Hoisted(None) | SumChoice::Auto => {}
        }
        let ctx = self.context();
        let basis = ctx.basis(level)?;
        let zero = RnsPoly::zero(basis, Representation::Evaluation);
        let ct =
            Ciphertext::from_parts(ctx, vec![zero.clone(), zero], ctx.params().default_scale())?;
        let costs = self.calibrate_sum(&ct, level, &mut self.scratch())?;
        let method = match (choice, costs.choose(span, SumChoice::MAX_RADIX).0) {
            (SumChoice::Hoisted(None), SumMethod::Tree) => forced(4)?,
            (_, m) => m,
        };
        Ok((method, Some(costs)))
    }

    /// Checks a method's keys and span before any work.
    pub fn check_sum(&self, method: &SumMethod, span: usize) -> Result<()> {
        match method {
            SumMethod::Tree => self.check_inner_sum(span),
            SumMethod::Hoisted(plan) => {
                let slots = self.context().params().slots();
                if plan.span != span || !span.is_power_of_two() || span > slots {
                    return Err(Error::InvalidParameters {
                        reason: format!(
                            "plan for span {} used for span {span} (slots {slots})",
                            plan.span
                        ),
                    });
                }
                let n = self.context().params().n();
                // Iterate the steps directly (no allocation: this runs once per product).
                for s in plan
                    .steps
                    .iter()
                    .flat_map(|&(r, s)| (1..r).map(move |j| (j * s) as i64))
                {
                    let g = automorphism::galois_element_for_rotation(n, s);
                    self.galois(g, || {
                        format!("rotation key for {s} steps (hoisted sum over {span} slots)")
                    })?;
                }
                Ok(())
            }
        }
    }

    /// In place: `ct ← Σ_{k < span} rot(ct, k)` by `method`.
    pub fn inner_sum_with(
        &self,
        ct: &mut Ciphertext,
        method: &SumMethod,
        span: usize,
        scratch: &mut EvaluatorScratch,
    ) -> Result<()> {
        match method {
            SumMethod::Tree => self.inner_sum_assign(ct, span, scratch),
            SumMethod::Hoisted(plan) => {
                self.check(ct)?;
                Self::check_degree(ct, 2)?;
                self.check_sum(method, span)?;
                for &(r, s) in &plan.steps {
                    self.hoisted_step(ct, r, s, scratch)?;
                }
                Ok(())
            }
        }
    }

    /// One double-hoisted step: `ct ← Σ_{j<r} rot(ct, j·s)`.
    fn hoisted_step(
        &self,
        ct: &mut Ciphertext,
        r: usize,
        s: usize,
        scratch: &mut EvaluatorScratch,
    ) -> Result<()> {
        let n = self.context().params().n();
        let basis = self.basis(ct.level())?;
        let ks = self.context().key_switcher();
        let q_len = basis.len();
        ks.decompose(&ct.parts[1], &mut scratch.dec, &mut scratch.ks)?;
        ks.hoisted_begin(q_len, &mut scratch.ks)?;
        // t1 = c0 + Σ_j σ_j(c0)
        scratch.t1.reshape(basis, Representation::Evaluation);
        scratch
            .t1
            .as_words_mut()
            .copy_from_slice(ct.parts[0].as_words());
        for j in 1..r {
            let g = automorphism::galois_element_for_rotation(n, (j * s) as i64);
            let (auto, key) = self.galois(g, || format!("rotation key for {} steps", j * s))?;
            ks.hoisted_accumulate(&scratch.dec, key, auto, &mut scratch.ks)?;
            for (i, (src, acc)) in ct.parts[0].limbs().zip(scratch.t1.limbs_mut()).enumerate() {
                auto.add_eval_limb(basis.modulus(i), src, acc);
            }
            scratch.ks.profile.rotations += 1;
            scratch.ks.profile.adds += 1;
        }
        scratch.t2.reshape(basis, Representation::Evaluation);
        scratch.t3.reshape(basis, Representation::Evaluation);
        ks.hoisted_finish(q_len, &mut scratch.t2, &mut scratch.t3, &mut scratch.ks)?;
        ct.parts[0]
            .as_words_mut()
            .copy_from_slice(scratch.t1.as_words());
        ct.parts[0].add_assign(&scratch.t2, basis)?;
        ct.parts[1].add_assign(&scratch.t3, basis)
    }

    /// The inner-product pipeline with a chosen sum: `out ← sum(drop(rescale(relin(a ⊗ b))))`,
    /// where the product is first dropped to `output_level` if given (fewer limbs make every key
    /// switch of the sum cheaper; the message is unchanged, only the levels left for later
    /// operations shrink).
    #[allow(clippy::too_many_arguments)]
    pub fn inner_product_with(
        &self,
        a: &Ciphertext,
        b: &Ciphertext,
        span: usize,
        method: &SumMethod,
        output_level: Option<usize>,
        out: &mut Ciphertext,
        scratch: &mut EvaluatorScratch,
    ) -> Result<()> {
        self.check_sum(method, span)?;
        if let Some(l) = output_level
            && l + 1 > a.level()
        {
            return Err(Error::InvalidLevel {
                level: l,
                min: 0,
                max: a.level().saturating_sub(1),
            });
        }
        let mut prod = std::mem::replace(&mut scratch.prod, Ciphertext::placeholder());
        let r = (|| {
            self.mul_into(a, b, &mut prod)?;
            scratch.ks.profile.muls += 1;
            self.relinearize_rescale_into(&prod, out, scratch)?;
            if let Some(l) = output_level {
                self.drop_to_level(out, l)?;
            }
            self.inner_sum_with(out, method, span, scratch)
        })();
        scratch.prod = prod;
        r
    }

    /// Measures the unit costs of a sum at `level` on a throw-away ciphertext `ct` (any
    /// ciphertext of these parameters at or above `level`). Needs the rotation key for 1 step.
    pub fn calibrate_sum(
        &self,
        ct: &Ciphertext,
        level: usize,
        scratch: &mut EvaluatorScratch,
    ) -> Result<SumCosts> {
        let mut x = ct.clone();
        self.drop_to_level(&mut x, level)?;
        let n = self.context().params().n();
        let g = automorphism::galois_element_for_rotation(n, 1);
        self.galois(g, || {
            "rotation key for 1 step (cost-model calibration)".into()
        })?;
        let mut out = x.clone();
        let time = |f: &mut dyn FnMut() -> Result<()>| -> Result<f64> {
            f()?;
            let mut best = f64::INFINITY;
            for _ in 0..3 {
                let t = Instant::now();
                f()?;
                best = best.min(t.elapsed().as_secs_f64());
            }
            Ok(best)
        };
        let rotation = time(&mut || self.rotate_into(&x, 1, &mut out, scratch))?;
        let ks = self.context().key_switcher();
        let decompose = time(&mut || ks.decompose(&x.parts[1], &mut scratch.dec, &mut scratch.ks))?;
        let (auto, key) = self.galois(g, || "rotation key for 1 step".into())?;
        let basis = self.basis(level)?;
        scratch.t1.reshape(basis, Representation::Evaluation);
        let hoisted_rotation = time(&mut || {
            ks.hoisted_accumulate(&scratch.dec, key, auto, &mut scratch.ks)?;
            for (i, (src, acc)) in x.parts[0].limbs().zip(scratch.t1.limbs_mut()).enumerate() {
                auto.add_eval_limb(basis.modulus(i), src, acc);
            }
            Ok(())
        })?;
        scratch.t2.reshape(basis, Representation::Evaluation);
        scratch.t3.reshape(basis, Representation::Evaluation);
        let finish = time(&mut || {
            ks.hoisted_finish(
                basis.len(),
                &mut scratch.t2,
                &mut scratch.t3,
                &mut scratch.ks,
            )?;
            out.parts[0].add_assign(&scratch.t2, basis)?;
            out.parts[1].add_assign(&scratch.t3, basis)
        })?;
        Ok(SumCosts {
            level,
            rotation,
            decompose,
            hoisted_rotation,
            finish,
        })
    }
}

impl KeyGenerator {
    /// Resolves `choice` for sums over `span` slots at `level` (see [`Evaluator::choose_sum`])
    /// and generates exactly the rotation keys the chosen method needs — what the CLI's
    /// `--sum auto` does, as one library call.
    ///
    /// ```
    /// # use ckks_accel::ckks::*;
    /// # let params = CkksParams::builder().ring_degree(1 << 10).q_bits(&[50, 40]).p_bits(&[50])
    /// #     .dnum(2).log_scale(40).allow_insecure(true).build()?;
    /// # let ctx = CkksContext::new(params)?;
    /// let mut kg = KeyGenerator::from_seed(ctx.clone(), 7);
    /// let sk = kg.secret_key()?;
    /// let (method, galois) = kg.sum_keys(&sk, SumChoice::Auto, 64, 0)?;
    /// assert_eq!(galois.len(), method.rotation_steps(64).len());
    /// # Ok::<(), ckks_accel::Error>(())
    /// ```
    pub fn sum_keys(
        &mut self,
        sk: &SecretKey,
        choice: SumChoice,
        span: usize,
        level: usize,
    ) -> Result<(SumMethod, GaloisKeys)> {
        let ctx = self.context().clone();
        let slots = ctx.params().slots();
        if !span.is_power_of_two() || span > slots {
            return Err(Error::InvalidParameters {
                reason: format!("span {span} must be a power of two <= {slots}"),
            });
        }
        let mut galois = self.galois_keys(sk, &[1], false)?;
        let method = match choice {
            SumChoice::Tree | SumChoice::Hoisted(Some(_)) => {
                let probe = Evaluator::new(ctx, Arc::new(EvaluationKeys::default()))?;
                probe.choose_sum(choice, span, level)?.0
            }
            _ => {
                let probe = Evaluator::new(
                    ctx,
                    Arc::new(EvaluationKeys {
                        relin: None,
                        galois: galois.clone(),
                    }),
                )?;
                probe.choose_sum(choice, span, level)?.0
            }
        };
        // Every plan over span ≥ 2 starts with stride 1, so the rotation by 1 is always used.
        let rest: Vec<i64> = method
            .rotation_steps(span)
            .into_iter()
            .filter(|&s| s != 1)
            .collect();
        galois.merge(self.galois_keys(sk, &rest, false)?)?;
        Ok((method, galois))
    }
}
