//! Batches of plain vectors laid out for a [`BatchPlan`]: encrypt, run
//! ([`InnerProductEngine::run_batch`]), decrypt — the only place a user meets layouts.

use super::plan::BatchPlan;
use super::{InnerProductEngine, RunStats};
use crate::ckks::{Ciphertext, Decryptor, Encoder, Encryptor};
use crate::error::{Error, Result};

/// Encrypted tile pairs laid out for a plan: group g's tiles are
/// `tiles()[g·T .. (g+1)·T]` (T = `plan().layout.tiles`).
#[derive(Debug, Clone)]
pub struct EncryptedBatch {
    plan: BatchPlan,
    tiles: Vec<(Ciphertext, Ciphertext)>,
}

impl EncryptedBatch {
    /// Lays the pairs `(xs[i], ys[i])` out for `plan` and encrypts every tile at `level`
    /// (`None`: the top level, the reference workload; any level ≥ `plan.tensor_level` works
    /// and smaller inputs are cheaper to store and move). Public- or secret-key encryption,
    /// whichever `enc` holds.
    ///
    /// Errors (nothing is returned half-built): `xs` and `ys` of different counts or a count
    /// other than the plan's, a vector whose length is not the plan's dim, NaN/∞, a value
    /// beyond the plan's `value_bound`, or a level below the tensor level.
    ///
    /// ```
    /// # use ckks_accel::ckks::*;
    /// # use ckks_accel::parallel::*;
    /// # let params = CkksParams::builder().ring_degree(1 << 10).q_bits(&[50, 40]).p_bits(&[50])
    /// #     .dnum(2).log_scale(40).allow_insecure(true).build()?;
    /// # let ctx = CkksContext::new(params)?;
    /// let mut kg = KeyGenerator::from_seed(ctx.clone(), 3);
    /// let sk = kg.secret_key()?;
    /// let req = BatchRequest::new(5, 8, 1);           // 5 products of length 8, one thread
    /// let (plan, keys) = kg.batch_keys(&sk, &req)?;   // calibrated plan + exactly its keys
    /// let eval = Evaluator::new(ctx.clone(), std::sync::Arc::new(keys))?;
    /// let engine = InnerProductEngine::new(eval, EngineConfig { threads: Some(1), ..Default::default() })?;
    /// let xs: Vec<Vec<f64>> = (0..5).map(|i| vec![0.1 * i as f64; 8]).collect();
    /// let ys = vec![vec![0.5; 8]; 5];
    /// let (encoder, mut enc) = (Encoder::new(ctx.clone()), Encryptor::with_secret_key(ctx.clone(), &sk)?);
    /// let batch = EncryptedBatch::encrypt(&plan, &xs, &ys, None, &encoder, &mut enc)?;
    /// let (out, stats) = engine.run_batch(&batch, &|_, _| {})?;
    /// assert_eq!(out.len(), plan.groups);
    /// let got = batch.decrypt(&out, &Decryptor::new(ctx.clone(), &sk)?, &encoder)?;
    /// for (i, g) in got.iter().enumerate() {
    ///     assert!((g - 0.4 * i as f64).abs() < 1e-6);
    /// }
    /// # Ok::<(), ckks_accel::Error>(())
    /// ```
    pub fn encrypt(
        plan: &BatchPlan,
        xs: &[Vec<f64>],
        ys: &[Vec<f64>],
        level: Option<usize>,
        encoder: &Encoder,
        enc: &mut Encryptor,
    ) -> Result<EncryptedBatch> {
        let layout = &plan.layout;
        if xs.len() != ys.len() || xs.len() != plan.count {
            return Err(Error::InvalidParameters {
                reason: format!(
                    "{} x vectors and {} y vectors for a plan of {} products",
                    xs.len(),
                    ys.len(),
                    plan.count
                ),
            });
        }
        let params = encoder.context().params();
        if params.slots() != layout.slots {
            return Err(Error::InvalidParameters {
                reason: format!(
                    "plan for {} slots, the encoder's parameters have {}",
                    layout.slots,
                    params.slots()
                ),
            });
        }
        let level = level.unwrap_or(params.max_level());
        if level < plan.tensor_level || level > params.max_level() {
            return Err(Error::InvalidLevel {
                level,
                min: plan.tensor_level,
                max: params.max_level(),
            });
        }
        if plan.plaintext_side {
            return Err(Error::InvalidParameters {
                reason: "a plaintext-side plan: encrypt queries with EncryptedQueries and encode the rows with PlainBatch".into(),
            });
        }
        plan.check_vectors("x", xs, plan.count)?;
        plan.check_vectors("y", ys, plan.count)?;
        let m = layout.per_ciphertext;
        let scale = params.default_scale();
        let mut slots = vec![0.0; layout.slots];
        let mut tiles = Vec::with_capacity(plan.groups * layout.tiles);
        for g in 0..plan.groups {
            let range = g * m..((g + 1) * m).min(plan.count);
            let gx: Vec<&[f64]> = xs[range.clone()].iter().map(Vec::as_slice).collect();
            let gy: Vec<&[f64]> = ys[range].iter().map(Vec::as_slice).collect();
            for t in 0..layout.tiles {
                layout.fill_tile(&gx, t, &mut slots)?;
                let cx = enc.encrypt(&encoder.encode(&slots, scale, level)?)?;
                layout.fill_tile(&gy, t, &mut slots)?;
                let cy = enc.encrypt(&encoder.encode(&slots, scale, level)?)?;
                tiles.push((cx, cy));
            }
        }
        Ok(EncryptedBatch {
            plan: plan.clone(),
            tiles,
        })
    }

    /// A batch from tile pairs the caller already holds (laid out as [`EncryptedBatch::encrypt`]
    /// does). Errors if the count is not `groups × tiles` of the plan.
    pub fn from_tiles(plan: &BatchPlan, tiles: Vec<(Ciphertext, Ciphertext)>) -> Result<Self> {
        let want = plan.groups * plan.layout.tiles;
        if tiles.len() != want {
            return Err(Error::InvalidParameters {
                reason: format!("{} tile pairs for a plan of {want}", tiles.len()),
            });
        }
        Ok(EncryptedBatch {
            plan: plan.clone(),
            tiles,
        })
    }

    /// The plan the batch is laid out for.
    pub fn plan(&self) -> &BatchPlan {
        &self.plan
    }

    /// Every tile pair, group by group.
    pub fn tiles(&self) -> &[(Ciphertext, Ciphertext)] {
        &self.tiles
    }

    /// Group g's tile pairs.
    pub fn group(&self, g: usize) -> &[(Ciphertext, Ciphertext)] {
        let t = self.plan.layout.tiles;
        &self.tiles[g * t..(g + 1) * t]
    }

    /// Number of products.
    pub fn count(&self) -> usize {
        self.plan.count
    }

    /// Bytes of the encrypted inputs (coefficient words only).
    pub fn input_bytes(&self) -> usize {
        self.tiles
            .iter()
            .map(|(a, b)| {
                (a.parts.iter().chain(&b.parts))
                    .map(|p| p.as_words().len() * 8)
                    .sum::<usize>()
            })
            .sum()
    }

    /// Runs the batch on `engine` (same as [`InnerProductEngine::run_batch`]).
    pub fn run(
        &self,
        engine: &InnerProductEngine,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<(Vec<Ciphertext>, RunStats)> {
        engine.run_batch(self, progress)
    }

    /// The k inner products, in input order, from the group outputs of a run of this batch.
    /// Errors if the result count is not the plan's group count or a result is not at the
    /// plan's output level (results of another batch or layout).
    pub fn decrypt(
        &self,
        results: &[Ciphertext],
        dec: &Decryptor,
        encoder: &Encoder,
    ) -> Result<Vec<f64>> {
        self.plan.decrypt_results(results, dec, encoder)
    }
}

impl BatchPlan {
    /// The k inner products, in input order, from the group outputs of a run of this plan
    /// (product i of group g in slot i·b of output g). Errors if the result count is not the
    /// plan's group count or a result is not at the plan's output level (results of another
    /// batch or layout).
    pub fn decrypt_results(
        &self,
        results: &[Ciphertext],
        dec: &Decryptor,
        encoder: &Encoder,
    ) -> Result<Vec<f64>> {
        if results.len() != self.groups {
            return Err(Error::InvalidParameters {
                reason: format!(
                    "{} results for a batch of {} groups",
                    results.len(),
                    self.groups
                ),
            });
        }
        if let Some(r) = results.iter().find(|r| r.level() != self.output_level) {
            return Err(Error::LevelMismatch {
                left: r.level(),
                right: self.output_level,
            });
        }
        let m = self.layout.per_ciphertext;
        let mut out = Vec::with_capacity(self.count);
        for (g, ct) in results.iter().enumerate() {
            let slots = encoder.decode(&dec.decrypt(ct)?)?;
            let here = m.min(self.count - g * m);
            out.extend((0..here).map(|i| slots[self.layout.result_slot(i)]));
        }
        Ok(out)
    }

    /// Checks plain vectors against the plan: `count` vectors (the plan's k, or 1 for a
    /// shared query), each of length dim, finite, within `value_bound`. `side` names them in
    /// the error.
    pub fn check_vectors(&self, side: &str, vs: &[Vec<f64>], count: usize) -> Result<()> {
        if vs.len() != count {
            return Err(Error::InvalidParameters {
                reason: format!("{} {side} vectors, the plan needs {count}", vs.len()),
            });
        }
        for (i, v) in vs.iter().enumerate() {
            if v.len() != self.layout.dim {
                return Err(Error::InvalidParameters {
                    reason: format!(
                        "{side}[{i}] has length {}, the plan's dim is {}",
                        v.len(),
                        self.layout.dim
                    ),
                });
            }
            if let Some(bad) = v
                .iter()
                .find(|a| !a.is_finite() || a.abs() > self.value_bound)
            {
                return Err(Error::EncodingError {
                    reason: format!(
                        "{side}[{i}] holds {bad}: every value must be finite with |v| ≤ {} (the plan's value_bound)",
                        self.value_bound
                    ),
                });
            }
        }
        Ok(())
    }
}
