//! Batches of plain vectors: choose the mode, pack when several vectors fit one ciphertext,
//! encrypt, and after the run decrypt and unpack — the library form of what the CLI's
//! `--mode auto` does (packing has to be decided at encoding time, before the engine runs).

use super::{InnerProductEngine, Mode, PackedLayout, Plan, choose_mode};
use crate::ckks::{Ciphertext, Decryptor, Encoder, Encryptor};
use crate::error::{Error, Result};

/// Encrypted pairs ready for [`InnerProductEngine::run`], with the plan and layout used to
/// build them.
#[derive(Debug, Clone)]
pub struct EncryptedBatch {
    pairs: Vec<(Ciphertext, Ciphertext)>,
    plan: Plan,
    layout: PackedLayout,
    count: usize,
}

impl EncryptedBatch {
    /// Encrypts the pairs `(xs[i], ys[i])` (all of one power-of-two length `dim` ≤ slots) for
    /// `engine`: with the engine in [`Mode::Auto`] (or [`Mode::Packed`]) vectors are packed
    /// `slots / dim` per ciphertext when more than one fits and there is more than one pair;
    /// otherwise one pair per ciphertext pair.
    ///
    /// ```
    /// # use ckks_accel::ckks::*;
    /// # use ckks_accel::parallel::{EncryptedBatch, EngineConfig, InnerProductEngine, Mode};
    /// # use std::sync::Arc;
    /// # let params = CkksParams::builder().ring_degree(1 << 10).q_bits(&[50, 40]).p_bits(&[50])
    /// #     .dnum(2).log_scale(40).allow_insecure(true).build()?;
    /// # let ctx = CkksContext::new(params)?;
    /// let mut kg = KeyGenerator::from_seed(ctx.clone(), 3);
    /// let sk = kg.secret_key()?;
    /// let (method, galois) = kg.sum_keys(&sk, SumChoice::Tree, 8, 0)?;
    /// let keys = Arc::new(EvaluationKeys { relin: Some(kg.relin_key(&sk)?), galois });
    /// let eval = Evaluator::new(ctx.clone(), keys)?;
    /// let cfg = EngineConfig { threads: Some(1), mode: Mode::Auto, ..Default::default() };
    /// let engine = InnerProductEngine::new(eval, cfg)?.with_sum(method, None);
    /// let xs: Vec<Vec<f64>> = (0..5).map(|i| vec![0.1 * i as f64; 8]).collect();
    /// let ys = vec![vec![0.5; 8]; 5];
    /// let (encoder, mut enc) = (Encoder::new(ctx.clone()), Encryptor::with_secret_key(ctx.clone(), &sk)?);
    /// let batch = EncryptedBatch::encrypt(&engine, &xs, &ys, &encoder, &mut enc)?;
    /// assert_eq!(batch.plan().mode, Mode::Packed);
    /// assert_eq!(batch.pairs().len(), 1);                  // 5 vectors of 8 in 512 slots
    /// let out = engine.run(batch.pairs(), batch.dim())?;
    /// let got = batch.decrypt(&out, &Decryptor::new(ctx.clone(), &sk)?, &encoder)?;
    /// for (i, g) in got.iter().enumerate() {
    ///     assert!((g - 0.4 * i as f64).abs() < 1e-6);
    /// }
    /// # Ok::<(), ckks_accel::Error>(())
    /// ```
    pub fn encrypt(
        engine: &InnerProductEngine,
        xs: &[Vec<f64>],
        ys: &[Vec<f64>],
        encoder: &Encoder,
        enc: &mut Encryptor,
    ) -> Result<EncryptedBatch> {
        if xs.len() != ys.len() || xs.is_empty() {
            return Err(Error::InvalidParameters {
                reason: format!(
                    "{} x vectors and {} y vectors (need the same non-zero count)",
                    xs.len(),
                    ys.len()
                ),
            });
        }
        let dim = xs[0].len();
        let slots = engine.evaluator().context().params().slots();
        let layout = PackedLayout::new(slots, dim)?;
        let count = xs.len();
        let plan = match engine.config().mode {
            Mode::Auto | Mode::Packed => choose_mode(count, dim, slots, engine.threads(), true),
            _ => engine.plan(count, dim),
        };
        // `pack` checks every length (also when not packing, with one vector per group).
        let (px, py) = if plan.mode == Mode::Packed {
            (layout.pack(xs)?, layout.pack(ys)?)
        } else {
            let single = PackedLayout {
                dim,
                per_ciphertext: 1,
            };
            (single.pack(xs)?, single.pack(ys)?)
        };
        let pairs = px
            .iter()
            .zip(&py)
            .map(|(x, y)| {
                Ok((
                    enc.encrypt(&encoder.encode_default(x)?)?,
                    enc.encrypt(&encoder.encode_default(y)?)?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(EncryptedBatch {
            pairs,
            plan,
            layout,
            count,
        })
    }

    /// The ciphertext pairs to run.
    pub fn pairs(&self) -> &[(Ciphertext, Ciphertext)] {
        &self.pairs
    }

    /// The vector length (the span of the inner sums).
    pub fn dim(&self) -> usize {
        self.layout.dim
    }

    /// Number of products (vector pairs), not ciphertext pairs.
    pub fn count(&self) -> usize {
        self.count
    }

    /// The mode chosen and why.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The `count()` inner products from the engine's results for [`EncryptedBatch::pairs`].
    pub fn decrypt(
        &self,
        results: &[Ciphertext],
        dec: &Decryptor,
        encoder: &Encoder,
    ) -> Result<Vec<f64>> {
        if results.len() != self.pairs.len() {
            return Err(Error::InvalidParameters {
                reason: format!(
                    "{} results for {} ciphertext pairs",
                    results.len(),
                    self.pairs.len()
                ),
            });
        }
        let decoded = results
            .iter()
            .map(|ct| encoder.decode(&dec.decrypt(ct)?))
            .collect::<Result<Vec<_>>>()?;
        if self.plan.mode == Mode::Packed {
            self.layout.unpack(&decoded, self.count)
        } else {
            Ok(decoded.iter().map(|d| d[0]).collect())
        }
    }
}
