//! The batch planner: which layout, block size, sum plan and levels run k inner products
//! fastest, from the calibrated unit costs of this machine.
//!
//! For a block b (every power of two up to min(dim, slots)) with m = slots / b products per
//! ciphertext, G = ⌈k / m⌉ groups of T = ⌈dim / b⌉ tile pairs, the predicted wall time is
//!
//! ```text
//! group = T·mac + finish + sum(b)           (mac: one tile's tensor at the tensor level;
//!                                            finish: relinearize + rescale; sum: tree or
//!                                            hoisted plan over b at the output level)
//! wall  = ⌈G / threads⌉ · group             if G ≥ threads
//!       = G · (T·mac / min(threads, T) + finish + sum(b))   otherwise (a group's tiles split)
//! ```
//!
//! which counts the fill of the last group (⌈·⌉) and the per-pair layout (b ≥ dim, m = 1) is
//! among the candidates. Plans within [`PREDICTION_SLACK`] of the fastest count as ties, and
//! ties go to the fewest tile pairs (the least input to encrypt, store and stream; e.g. at set L
//! with k = 16 it avoids 2.5 GiB of mostly empty tiles for a 1% predicted gain), then to the
//! fewest rotation keys.

use super::layout::{TiledLayout, lowest_output_level};
use crate::ckks::{Ciphertext, Evaluator, Plaintext, SumChoice, SumCosts, SumMethod, SumPlan};
use crate::error::{Error, Result};
use crate::rns::{Representation, RnsPoly};
use std::time::Instant;

/// What a caller asks of a batch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatchRequest {
    /// Number of products k (≥ 1).
    pub count: usize,
    /// Vector length.
    pub dim: usize,
    /// Worker threads the engine has.
    pub threads: usize,
    /// Force a block size (a power of two); `None`: the planner's choice.
    pub block: Option<usize>,
    /// The sum plan over the block (default: the cost model's choice).
    pub sum: SumChoice,
    /// The level of the results (`None`: the lowest that holds them; ask for more to compute
    /// further). The tensor is computed one level above.
    pub output_level: Option<usize>,
    /// One operand is a plaintext the evaluator holds (no relinearization; see
    /// `parallel::PlainBatch`).
    pub plaintext_side: bool,
    /// Bound on |x_i| and |y_i| (default 1). The lowest output level is derived from
    /// dim · bound²; [`super::EncryptedBatch::encrypt`] refuses values beyond it.
    pub value_bound: f64,
}

impl BatchRequest {
    /// The output level this request resolves to on `params`: `output_level` if given (checked
    /// against the lowest level that holds the results and the top), else that lowest level.
    pub fn resolve_output_level(&self, params: &crate::ckks::CkksParams) -> Result<usize> {
        check_request(params, self)?;
        output_level(params, self)
    }

    /// k products of length `dim` on `threads` workers; every other choice the planner's.
    pub fn new(count: usize, dim: usize, threads: usize) -> BatchRequest {
        BatchRequest {
            count,
            dim,
            threads,
            block: None,
            sum: SumChoice::Auto,
            output_level: None,
            plaintext_side: false,
            value_bound: 1.0,
        }
    }
}

/// Measured unit costs (seconds) of a group's pieces, at one pair of levels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatchCosts {
    /// Level of the tensors.
    pub tensor_level: usize,
    /// One tile pair's tensor multiply-accumulate at the tensor level.
    pub tile_mac: f64,
    /// One relinearization at the tensor level and the rescale after it (NaN without a
    /// relinearization key).
    pub finish: f64,
    /// One ciphertext × plaintext tile's multiply-accumulate (the plaintext side).
    pub plain_tile_mac: f64,
    /// One rescale of a degree-2 ciphertext at the tensor level (the plaintext side's finish).
    pub rescale: f64,
    /// Unit costs of a sum at the output level (`None`: no rotation key to measure with, so
    /// only b = 1 is planned).
    pub sum: Option<SumCosts>,
}

/// A planned batch: the layout, the sum over each block, the levels and the prediction.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchPlan {
    /// The slot layout.
    pub layout: TiledLayout,
    /// Products k.
    pub count: usize,
    /// Groups ⌈k / m⌉ (one output ciphertext each).
    pub groups: usize,
    /// How each group's blocks are summed (over `layout.block` slots).
    pub sum: SumMethod,
    /// Level of the results.
    pub output_level: usize,
    /// Level of the tensors (output level + 1); inputs must be at this level or above.
    pub tensor_level: usize,
    /// The bound on |x_i|, |y_i| the levels were chosen for.
    pub value_bound: f64,
    /// Planned for one side in plaintext (no relinearization).
    pub plaintext_side: bool,
    /// Predicted wall time in seconds (0 if the plan was not costed).
    pub predicted_s: f64,
    /// Why this plan, in one or two sentences.
    pub reason: String,
}

impl BatchPlan {
    /// Rotations per group of the sum plan over the block.
    pub fn rotations_per_group(&self) -> usize {
        let b = self.layout.block;
        if b <= 1 {
            return 0;
        }
        match &self.sum {
            SumMethod::Tree => b.trailing_zeros() as usize,
            SumMethod::Hoisted(p) => p.rotations(),
        }
    }

    /// Predicted seconds of one group's sum under `costs` (0 for b = 1 or without sum costs).
    pub fn predicted_group_sum_s(&self, costs: &BatchCosts) -> f64 {
        match (&costs.sum, self.layout.block) {
            (_, 0 | 1) | (None, _) => 0.0,
            (Some(sc), b) => match &self.sum {
                SumMethod::Tree => sc.tree(b),
                SumMethod::Hoisted(p) => sc.hoisted(p),
            },
        }
    }

    /// Key switches per product: (1 relinearization, none on the plaintext side, + rotations)
    /// per group, over k.
    pub fn key_switches_per_product(&self) -> f64 {
        let relin = usize::from(!self.plaintext_side);
        (self.groups * (relin + self.rotations_per_group())) as f64 / self.count.max(1) as f64
    }

    /// The rotation amounts whose keys the plan needs (none for b = 1).
    pub fn rotation_steps(&self) -> Vec<i64> {
        if self.layout.block <= 1 {
            Vec::new()
        } else {
            self.sum.rotation_steps(self.layout.block)
        }
    }

    /// A plan without costs: the given block (or, by default, the largest block whose group
    /// holds every product, b = slots / k rounded down to a power of two, clamped to dim),
    /// the plain tree and the lowest output level. Used when nothing can be measured.
    pub fn uncosted(params: &crate::ckks::CkksParams, req: &BatchRequest) -> Result<BatchPlan> {
        check_request(params, req)?;
        let slots = params.slots();
        let block = match req.block {
            Some(b) => b,
            None => {
                let fit = (slots / req.count).max(1);
                let fit = 1usize << (usize::BITS - 1 - fit.leading_zeros());
                fit.min(req.dim.next_power_of_two()).min(slots)
            }
        };
        let layout = TiledLayout::new(slots, req.dim, block)?;
        let output_level = output_level(params, req)?;
        let sum = match req.sum {
            SumChoice::Hoisted(Some(r)) if block > 1 => {
                SumMethod::Hoisted(SumPlan::radix(block, r.min(block))?)
            }
            _ => SumMethod::Tree,
        };
        Ok(BatchPlan {
            layout,
            count: req.count,
            groups: layout.groups(req.count),
            sum,
            output_level,
            tensor_level: output_level + 1,
            value_bound: req.value_bound,
            plaintext_side: req.plaintext_side,
            predicted_s: 0.0,
            reason: "not costed: block from the fill of one group".into(),
        })
    }
}

fn check_request(params: &crate::ckks::CkksParams, req: &BatchRequest) -> Result<()> {
    if req.count == 0 {
        return Err(Error::InvalidParameters {
            reason: "a batch of 0 products".into(),
        });
    }
    if req.threads == 0 {
        return Err(Error::InvalidParameters {
            reason: "threads must be ≥ 1".into(),
        });
    }
    if req.dim == 0 || req.dim > params.slots() * params.slots() {
        return Err(Error::InvalidParameters {
            reason: format!(
                "dim {} must be in 1..={}",
                req.dim,
                params.slots() * params.slots()
            ),
        });
    }
    Ok(())
}

fn output_level(params: &crate::ckks::CkksParams, req: &BatchRequest) -> Result<usize> {
    let lowest = lowest_output_level(params, req.dim, req.value_bound)?;
    match req.output_level {
        None => Ok(lowest),
        Some(l) if l >= lowest && l < params.max_level() => Ok(l),
        Some(l) => Err(Error::InvalidLevel {
            level: l,
            min: lowest,
            max: params.max_level() - 1,
        }),
    }
}

/// Plans predicted within this factor of the fastest are treated as equally fast (the model's
/// error on these machines is ±10–15%); among them the planner takes the smallest input.
pub const PREDICTION_SLACK: f64 = 1.15;

/// Bytes of distinct tiles the tile-MAC calibration streams through (more than the caches).
const CALIBRATION_BYTES: usize = 48 << 20;

impl Evaluator {
    /// Measures the unit costs of a batch at `tensor_level` (tens of ms, on zero ciphertexts:
    /// the kernels' cost does not depend on the data; the tile MAC streams 48 MiB of distinct
    /// tiles so that it is measured from memory, as in a real batch). Needs the relinearization key; the sum
    /// costs need the rotation key for 1 step (else `sum` is `None`).
    pub fn calibrate_batch(&self, tensor_level: usize) -> Result<BatchCosts> {
        let ctx = self.context();
        if tensor_level == 0 || tensor_level > ctx.params().max_level() {
            return Err(Error::InvalidLevel {
                level: tensor_level,
                min: 1,
                max: ctx.params().max_level(),
            });
        }
        let basis = ctx.basis(tensor_level)?;
        let zero = RnsPoly::zero(basis, Representation::Evaluation);
        let ct =
            Ciphertext::from_parts(ctx, vec![zero.clone(), zero], ctx.params().default_scale())?;
        // Tiles are read from memory in a real batch: calibrate on distinct tiles that
        // together exceed the caches (≥ 48 MiB, 4..=64 tile pairs), not on one hot tile.
        let tile_bytes = 4 * basis.len() * basis.n() * 8;
        let count = (CALIBRATION_BYTES / tile_bytes).clamp(4, 64);
        let tiles: Vec<(Ciphertext, Ciphertext)> =
            (0..count).map(|_| (ct.clone(), ct.clone())).collect();
        let mut scratch = self.scratch();
        let mut acc = ct.clone();
        let mut out = ct.clone();
        let best = |f: &mut dyn FnMut() -> Result<()>| -> Result<f64> {
            f()?;
            let mut best = f64::INFINITY;
            for _ in 0..3 {
                let t = Instant::now();
                f()?;
                best = best.min(t.elapsed().as_secs_f64());
            }
            Ok(best)
        };
        let tile_mac = best(&mut || self.tensor_accumulate(&tiles, tensor_level, &mut acc, true))?
            / tiles.len() as f64;
        let finish = if self.keys().relin.is_some() {
            best(&mut || self.finish_group(&acc, 1, &SumMethod::Tree, &mut out, &mut scratch))?
        } else {
            f64::NAN
        };
        // The plaintext side: ciphertext × plaintext tiles (degree 2), then only a rescale.
        let pt = Plaintext::from_poly(
            ctx,
            RnsPoly::zero(basis, Representation::Evaluation),
            ctx.params().default_scale(),
        )?;
        let plains: Vec<Plaintext> = (0..count).map(|_| pt.clone()).collect();
        let (cts, pts): (Vec<&Ciphertext>, Vec<&Plaintext>) =
            tiles.iter().map(|(a, _)| a).zip(&plains).unzip();
        let mut acc2 = ct.clone();
        let plain_tile_mac =
            best(&mut || self.plain_tensor_accumulate(&cts, &pts, tensor_level, &mut acc2, true))?
                / count as f64;
        let rescale = best(&mut || self.rescale_into(&acc2, &mut out, &mut scratch))?;
        let n = ctx.params().n();
        let g = crate::rns::automorphism::galois_element_for_rotation(n, 1);
        let sum = if self.keys().galois.get(g).is_some() {
            Some(self.calibrate_sum(&out, tensor_level - 1, &mut scratch)?)
        } else {
            None
        };
        Ok(BatchCosts {
            tensor_level,
            tile_mac,
            finish,
            plain_tile_mac,
            rescale,
            sum,
        })
    }

    /// Plans `req` on this evaluator's parameters: calibrates the unit costs at the levels the
    /// request needs and returns the fastest predicted plan (see the module docs).
    pub fn plan_batch(&self, req: &BatchRequest) -> Result<BatchPlan> {
        let params = self.context().params();
        check_request(params, req)?;
        let out_level = output_level(params, req)?;
        let costs = self.calibrate_batch(out_level + 1)?;
        plan_with_costs(params, req, &costs)
    }
}

/// The fastest plan for `req` under `costs` (see the module docs for the model).
pub fn plan_with_costs(
    params: &crate::ckks::CkksParams,
    req: &BatchRequest,
    costs: &BatchCosts,
) -> Result<BatchPlan> {
    check_request(params, req)?;
    let out_level = output_level(params, req)?;
    if costs.tensor_level != out_level + 1 {
        return Err(Error::InvalidParameters {
            reason: format!(
                "costs measured at tensor level {}, the batch needs {}",
                costs.tensor_level,
                out_level + 1
            ),
        });
    }
    let slots = params.slots();
    let max_block = req.dim.next_power_of_two().min(slots);
    let mut candidates: Vec<(TiledLayout, SumMethod, f64)> = Vec::new();
    let mut push = |layout: TiledLayout| -> Result<()> {
        let b = layout.block;
        let (sum, sum_s) = if b == 1 {
            (SumMethod::Tree, 0.0)
        } else {
            let Some(sc) = &costs.sum else {
                return Ok(());
            };
            match req.sum {
                SumChoice::Tree => (SumMethod::Tree, sc.tree(b)),
                SumChoice::Hoisted(Some(r)) => {
                    let p = SumPlan::radix(b, r.min(b))?;
                    let t = sc.hoisted(&p);
                    (SumMethod::Hoisted(p), t)
                }
                SumChoice::Hoisted(None) | SumChoice::Auto => sc.choose(b, SumChoice::MAX_RADIX),
            }
        };
        let groups = layout.groups(req.count) as f64;
        let t = layout.tiles as f64;
        let threads = req.threads as f64;
        let (mac, finish) = if req.plaintext_side {
            (costs.plain_tile_mac, costs.rescale)
        } else {
            (costs.tile_mac, costs.finish)
        };
        let wall = if groups >= threads {
            (groups / threads).ceil() * (t * mac + finish + sum_s)
        } else {
            groups * (t * mac / threads.min(t) + finish + sum_s)
        };
        if !wall.is_finite() {
            return Err(Error::MissingKey {
                what: "relinearization key (to cost ciphertext × ciphertext groups)".into(),
            });
        }
        candidates.push((layout, sum, wall));
        Ok(())
    };
    match req.block {
        Some(b) => push(TiledLayout::new(slots, req.dim, b)?)?,
        None => {
            let mut b = 1;
            while b <= max_block {
                push(TiledLayout::new(slots, req.dim, b)?)?;
                b *= 2;
            }
            push(TiledLayout::per_pair(slots, req.dim)?)?;
        }
    }
    // The fastest prediction; then, within the model's error (PREDICTION_SLACK), the plan with
    // the fewest tile pairs (the least input to encrypt, store and stream), then the fewest
    // rotation keys.
    let fastest = candidates.iter().map(|c| c.2).fold(f64::INFINITY, f64::min);
    let Some(best) = candidates
        .iter()
        .filter(|c| c.2 <= fastest * PREDICTION_SLACK)
        .min_by_key(|c| {
            (
                c.0.groups(req.count) * c.0.tiles,
                c.1.rotation_steps(c.0.block).len(),
            )
        })
        .cloned()
    else {
        return Err(Error::MissingKey {
            what: "rotation key for 1 step (to cost blocks > 1)".into(),
        });
    };
    let (layout, sum, predicted_s) = best;
    let mut ranked: Vec<_> = candidates.iter().collect();
    ranked.sort_by(|x, y| x.2.partial_cmp(&y.2).unwrap_or(std::cmp::Ordering::Equal));
    let runner_up = ranked
        .iter()
        .find(|c| c.0 != layout)
        .map(|c| format!("; next best {} at {:.2} ms", c.0, c.2 * 1e3))
        .unwrap_or_default();
    let groups = layout.groups(req.count);
    let reason = format!(
        "{} products of dim {}{}: {} gives {} group(s) of {} tile pair(s), {} relinearization per group and {} rotation(s) at level {}; predicted {:.2} ms on {} thread(s){}",
        req.count,
        req.dim,
        if req.plaintext_side {
            " (one side in plaintext)"
        } else {
            ""
        },
        layout,
        groups,
        layout.tiles,
        if req.plaintext_side { 0 } else { 1 },
        if layout.block <= 1 {
            0
        } else {
            match &sum {
                SumMethod::Tree => layout.block.trailing_zeros() as usize,
                SumMethod::Hoisted(p) => p.rotations(),
            }
        },
        out_level,
        predicted_s * 1e3,
        req.threads,
        runner_up
    );
    Ok(BatchPlan {
        layout,
        count: req.count,
        groups,
        sum,
        output_level: out_level,
        tensor_level: out_level + 1,
        value_bound: req.value_bound,
        plaintext_side: req.plaintext_side,
        predicted_s,
        reason,
    })
}
