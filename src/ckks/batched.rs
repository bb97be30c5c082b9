//! Inner products of whole groups with one relinearization: tensors accumulated in degree 2
//! (lazy relinearization), then one key switch, one rescale and one slot sum per group.
//!
//! For tile pairs `(x_t, y_t)`, `t < T`, of one level ℓ and scale Δ each, the group's tensor is
//!
//! ```text
//! acc = Σ_t x_t ⊗ y_t = (Σ x_t0·y_t0, Σ x_t0·y_t1 + x_t1·y_t0, Σ x_t1·y_t1)   (scale Δ²)
//! ```
//!
//! in evaluation form, limb by limb ([`crate::eltwise::Eltwise::tensor_mac`]: accumulators in
//! [0, q), canonical after every tile, so every ISA gives the same words). Relinearization is
//! linear in the third part, so switching `acc.2` once equals the sum of the per-tile switches
//! (up to one key-switch noise instead of T). Then one rescale (Δ² / q_ℓ) and the sum over the
//! block of slots a product occupies ([`Evaluator::inner_sum_with`], tree or hoisted radix).
//!
//! **One side in plaintext** (a server's rows against encrypted queries):
//! `acc = Σ_t x_t · p_t = (Σ x_t0·p_t, Σ x_t1·p_t)` stays in degree 1, so a group needs no
//! relinearization at all — one rescale and the sum ([`Evaluator::plain_tensor_accumulate`],
//! [`Evaluator::finish_plain_group`]).
//!
//! **Levels.** The tensor is computed at `level` from the first `level + 1` limbs of the
//! inputs, which may sit at any level ≥ `level` (dropping limbs commutes with every step:
//! the limbs that are not read would be dropped before the sum anyway). The result is at
//! `level − 1`. Choosing the lowest level that still holds the result
//! (`parallel::lowest_output_level`) makes the tensor, the relinearization and every rotation
//! of the sum as cheap as the chain allows.

use super::ciphertext::{Ciphertext, Plaintext};
use super::evaluator::{Evaluator, EvaluatorScratch};
use super::sum::SumMethod;
use crate::error::{Error, Result};
use crate::rns::{Representation, RnsPoly};

impl Evaluator {
    /// `acc ← Σ_t a_t ⊗ b_t` over `tiles` at `level` (`first`: overwrite `acc`; else add to
    /// it — `acc` must then be a degree-3 ciphertext at `level` with the tiles' product scale).
    ///
    /// Every tile must be a degree-2 ciphertext of these parameters at a level ≥ `level`, all
    /// `a_t` of one scale and all `b_t` of one scale. `acc`'s buffers are reused.
    pub fn tensor_accumulate(
        &self,
        tiles: &[(Ciphertext, Ciphertext)],
        level: usize,
        acc: &mut Ciphertext,
        first: bool,
    ) -> Result<()> {
        let Some(((a0, b0), _)) = tiles.split_first() else {
            return Err(Error::InvalidParameters {
                reason: "a group needs at least one tile pair".into(),
            });
        };
        let scale = self.tile_product_scale(a0, b0, level)?;
        for (index, (a, b)) in tiles.iter().enumerate() {
            let task = |source: Error| Error::Task {
                index,
                source: Box::new(source),
            };
            self.check_tile(a, level).map_err(task)?;
            self.check_tile(b, level).map_err(task)?;
            if !super::evaluator::scales_match(a.scale, a0.scale)
                || !super::evaluator::scales_match(b.scale, b0.scale)
            {
                return Err(task(Error::ScaleMismatch {
                    left: a.scale * b.scale,
                    right: scale,
                }));
            }
        }
        let basis = self.basis(level)?;
        self.prepare_accumulator(acc, 3, level, a0.params_id, scale, first)?;
        let n = basis.n();
        let [d0, d1, d2] = acc.parts.as_mut_slice() else {
            unreachable!("three parts")
        };
        for (t, (a, b)) in tiles.iter().enumerate() {
            let fresh = first && t == 0;
            for i in 0..basis.len() {
                let limb = i * n..(i + 1) * n;
                basis.ops(i).tensor_mac(
                    [
                        &mut d0.as_words_mut()[limb.clone()],
                        &mut d1.as_words_mut()[limb.clone()],
                        &mut d2.as_words_mut()[limb.clone()],
                    ],
                    [
                        &a.parts[0].as_words()[limb.clone()],
                        &a.parts[1].as_words()[limb.clone()],
                    ],
                    [
                        &b.parts[0].as_words()[limb.clone()],
                        &b.parts[1].as_words()[limb],
                    ],
                    fresh,
                );
            }
        }
        Ok(())
    }

    /// With `first`, shapes `acc` as a `parts`-part ciphertext at `level` of product `scale`
    /// (buffers reused); otherwise checks that it already is one.
    fn prepare_accumulator(
        &self,
        acc: &mut Ciphertext,
        parts: usize,
        level: usize,
        params_id: u64,
        scale: f64,
        first: bool,
    ) -> Result<()> {
        let basis = self.basis(level)?;
        if first {
            acc.params_id = params_id;
            acc.parts
                .resize_with(parts, || RnsPoly::zero(basis, Representation::Evaluation));
            acc.parts.truncate(parts);
            for p in &mut acc.parts {
                p.reshape(basis, Representation::Evaluation);
            }
            acc.scale = scale;
            return Ok(());
        }
        self.check(acc)?;
        Self::check_degree(acc, parts)?;
        if acc.level() != level {
            return Err(Error::LevelMismatch {
                left: acc.level(),
                right: level,
            });
        }
        if !super::evaluator::scales_match(acc.scale, scale) {
            return Err(Error::ScaleMismatch {
                left: acc.scale,
                right: scale,
            });
        }
        Ok(())
    }

    /// A tile: a degree-2 ciphertext of these parameters at a level ≥ `level`.
    fn check_tile(&self, ct: &Ciphertext, level: usize) -> Result<()> {
        self.check(ct)?;
        Self::check_degree(ct, 2)?;
        if ct.level() < level {
            return Err(Error::InvalidLevel {
                level: ct.level(),
                min: level,
                max: self.context().params().max_level(),
            });
        }
        Ok(())
    }

    fn tile_product_scale(&self, a: &Ciphertext, b: &Ciphertext, level: usize) -> Result<f64> {
        let s = a.scale * b.scale;
        crate::ckks::context::check_scale(s, self.basis(level)?)?;
        Ok(s)
    }

    /// `out ← sum(rescale(relinearize(acc)))`: one key switch of `acc.2`, one rescale (the result
    /// is one level below `acc`), then `Σ_{k < span} rot(·, k)` by `method` (`span` = 1: no
    /// rotation). `acc` is a degree-3 ciphertext at a level ≥ 1.
    pub fn finish_group(
        &self,
        acc: &Ciphertext,
        span: usize,
        method: &SumMethod,
        out: &mut Ciphertext,
        scratch: &mut EvaluatorScratch,
    ) -> Result<()> {
        if span > 1 {
            self.check_sum(method, span)?;
        } else if span != 1 {
            return Err(Error::InvalidParameters {
                reason: "a sum over 0 slots".into(),
            });
        }
        // Relinearization and rescale as one division by P·q_ℓ (one rounding, 2ℓ fewer NTTs).
        self.relinearize_rescale_into(acc, out, scratch)?;
        if span > 1 {
            self.inner_sum_with(out, method, span, scratch)?;
        }
        Ok(())
    }

    /// One group on one arena: [`Evaluator::tensor_accumulate`] of every tile into the arena's
    /// accumulator at `level`, then [`Evaluator::finish_group`] into `out` (at `level − 1`).
    pub fn group_inner_products(
        &self,
        tiles: &[(Ciphertext, Ciphertext)],
        level: usize,
        span: usize,
        method: &SumMethod,
        out: &mut Ciphertext,
        scratch: &mut EvaluatorScratch,
    ) -> Result<()> {
        let mut acc = std::mem::replace(&mut scratch.acc, Ciphertext::placeholder());
        let r = self
            .tensor_accumulate(tiles, level, &mut acc, true)
            .and_then(|()| self.finish_group(&acc, span, method, out, scratch));
        scratch.acc = acc;
        r
    }

    /// `acc ← Σ_t x_t · p_t` (degree 2) over ciphertext tiles `cts` and plaintext tiles `pts`
    /// (equal counts) at `level` (`first`: overwrite `acc`, else add — `acc` must then be a
    /// degree-2 ciphertext at `level` with the product scale). Ciphertexts and plaintexts may
    /// sit at any level ≥ `level`; all ciphertexts share one scale and all plaintexts one.
    pub fn plain_tensor_accumulate(
        &self,
        cts: &[&Ciphertext],
        pts: &[&Plaintext],
        level: usize,
        acc: &mut Ciphertext,
        first: bool,
    ) -> Result<()> {
        let (Some(c0), Some(p0)) = (cts.first(), pts.first()) else {
            return Err(Error::InvalidParameters {
                reason: "a group needs at least one tile".into(),
            });
        };
        if cts.len() != pts.len() {
            return Err(Error::InvalidParameters {
                reason: format!(
                    "{} ciphertext tiles and {} plaintext tiles",
                    cts.len(),
                    pts.len()
                ),
            });
        }
        let scale = c0.scale * p0.scale;
        crate::ckks::context::check_scale(scale, self.basis(level)?)?;
        let max = self.context().params().max_level();
        for (index, (c, p)) in cts.iter().zip(pts).enumerate() {
            let task = |source: Error| Error::Task {
                index,
                source: Box::new(source),
            };
            self.check_tile(c, level).map_err(task)?;
            self.context().check_id(p.params_id).map_err(task)?;
            if p.poly.representation() != Representation::Evaluation {
                return Err(task(Error::InvalidParameters {
                    reason: "plaintext tile not in evaluation form".into(),
                }));
            }
            if p.level() < level {
                return Err(task(Error::InvalidLevel {
                    level: p.level(),
                    min: level,
                    max,
                }));
            }
            if !super::evaluator::scales_match(c.scale, c0.scale)
                || !super::evaluator::scales_match(p.scale, p0.scale)
            {
                return Err(task(Error::ScaleMismatch {
                    left: c.scale * p.scale,
                    right: scale,
                }));
            }
        }
        let basis = self.basis(level)?;
        self.prepare_accumulator(acc, 2, level, c0.params_id, scale, first)?;
        let n = basis.n();
        let [d0, d1] = acc.parts.as_mut_slice() else {
            unreachable!("two parts")
        };
        for (t, (c, p)) in cts.iter().zip(pts).enumerate() {
            let fresh = first && t == 0;
            for i in 0..basis.len() {
                let limb = i * n..(i + 1) * n;
                let ops = basis.ops(i);
                let pw = &p.poly.as_words()[limb.clone()];
                for (d, src) in [(&mut *d0, &c.parts[0]), (&mut *d1, &c.parts[1])] {
                    let (dw, sw) = (
                        &mut d.as_words_mut()[limb.clone()],
                        &src.as_words()[limb.clone()],
                    );
                    if fresh {
                        ops.mul(sw, pw, dw);
                    } else {
                        ops.mul_add_assign(dw, sw, pw);
                    }
                }
            }
        }
        Ok(())
    }

    /// `out ← sum(rescale(acc))` for a degree-2 accumulator of ciphertext × plaintext tiles
    /// (no relinearization): the result is one level below `acc`.
    pub fn finish_plain_group(
        &self,
        acc: &Ciphertext,
        span: usize,
        method: &SumMethod,
        out: &mut Ciphertext,
        scratch: &mut EvaluatorScratch,
    ) -> Result<()> {
        Self::check_degree(acc, 2)?;
        if span > 1 {
            self.check_sum(method, span)?;
        }
        self.rescale_into(acc, out, scratch)?;
        if span > 1 {
            self.inner_sum_with(out, method, span, scratch)?;
        }
        Ok(())
    }

    /// One plaintext-side group on one arena (see [`Evaluator::plain_tensor_accumulate`]).
    #[allow(clippy::too_many_arguments)]
    pub fn plain_group_inner_products(
        &self,
        cts: &[&Ciphertext],
        pts: &[&Plaintext],
        level: usize,
        span: usize,
        method: &SumMethod,
        out: &mut Ciphertext,
        scratch: &mut EvaluatorScratch,
    ) -> Result<()> {
        let mut acc = std::mem::replace(&mut scratch.acc, Ciphertext::placeholder());
        let r = self
            .plain_tensor_accumulate(cts, pts, level, &mut acc, true)
            .and_then(|()| self.finish_plain_group(&acc, span, method, out, scratch));
        scratch.acc = acc;
        r
    }

    /// Adds the arena accumulator of `other` into `scratch`'s (partial tensors of one group
    /// computed on several workers).
    pub(crate) fn merge_accumulators(
        &self,
        scratch: &mut EvaluatorScratch,
        other: &EvaluatorScratch,
    ) -> Result<()> {
        self.add_assign(&mut scratch.acc, &other.acc)
    }

    /// [`Evaluator::tensor_accumulate`] into the arena's accumulator.
    pub(crate) fn accumulate_in_scratch(
        &self,
        tiles: &[(Ciphertext, Ciphertext)],
        level: usize,
        scratch: &mut EvaluatorScratch,
    ) -> Result<()> {
        self.tensor_accumulate(tiles, level, &mut scratch.acc, true)
    }

    /// [`Evaluator::finish_group`] of the arena's accumulator.
    pub(crate) fn finish_in_scratch(
        &self,
        span: usize,
        method: &SumMethod,
        out: &mut Ciphertext,
        scratch: &mut EvaluatorScratch,
    ) -> Result<()> {
        let acc = std::mem::replace(&mut scratch.acc, Ciphertext::placeholder());
        let r = self.finish_group(&acc, span, method, out, scratch);
        scratch.acc = acc;
        r
    }
}
