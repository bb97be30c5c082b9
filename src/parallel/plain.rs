//! One side in plaintext: a server's rows (a database or a model) held as plaintext tiles
//! against encrypted queries — no relinearization, the accumulator stays in degree 1.
//!
//! - [`PlainBatch`]: k plaintext vectors laid out for a plan (group g, tile t), encoded at
//!   the plan's tensor level (the lowest level the products need, so the server's tiles take
//!   the least memory).
//! - [`EncryptedQueries`]: the encrypted side — k query vectors laid out like the rows
//!   (`encrypt`), or **one** query shared by every product (`encrypt_shared`): its T tiles
//!   replicate the query into each of the m blocks once and serve every group.
//! - [`InnerProductEngine::run_plain`]: per group Σ_t x_t · p_t, one rescale, the block sum.

use super::arena::RunLedger;
use super::plan::BatchPlan;
use super::{InnerProductEngine, RunStats};
use crate::ckks::{Ciphertext, Decryptor, Encoder, Encryptor, Plaintext};
use crate::error::{Error, Result};
use rayon::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

fn check_plain_plan(plan: &BatchPlan) -> Result<()> {
    if !plan.plaintext_side {
        return Err(Error::InvalidParameters {
            reason: "plan made for two encrypted sides: set BatchRequest::plaintext_side".into(),
        });
    }
    Ok(())
}

/// Plaintext rows laid out for a plaintext-side plan.
#[derive(Debug, Clone)]
pub struct PlainBatch {
    plan: BatchPlan,
    tiles: Vec<Plaintext>,
}

impl PlainBatch {
    /// Lays out and encodes the rows `ys` (the plan's k vectors) at the plan's tensor level.
    pub fn encode(plan: &BatchPlan, ys: &[Vec<f64>], encoder: &Encoder) -> Result<PlainBatch> {
        check_plain_plan(plan)?;
        plan.check_vectors("y", ys, plan.count)?;
        let (layout, m) = (&plan.layout, plan.layout.per_ciphertext);
        let scale = encoder.context().params().default_scale();
        let mut slots = vec![0.0; layout.slots];
        let mut tiles = Vec::with_capacity(plan.groups * layout.tiles);
        for g in 0..plan.groups {
            let rows: Vec<&[f64]> = ys[g * m..((g + 1) * m).min(plan.count)]
                .iter()
                .map(Vec::as_slice)
                .collect();
            for t in 0..layout.tiles {
                layout.fill_tile(&rows, t, &mut slots)?;
                tiles.push(encoder.encode(&slots, scale, plan.tensor_level)?);
            }
        }
        Ok(PlainBatch {
            plan: plan.clone(),
            tiles,
        })
    }

    /// The plan.
    pub fn plan(&self) -> &BatchPlan {
        &self.plan
    }

    /// Group g's plaintext tiles.
    pub fn group(&self, g: usize) -> &[Plaintext] {
        let t = self.plan.layout.tiles;
        &self.tiles[g * t..(g + 1) * t]
    }
}

/// The encrypted side of a plaintext-side batch.
#[derive(Debug, Clone)]
pub struct EncryptedQueries {
    plan: BatchPlan,
    tiles: Vec<Ciphertext>,
    shared: bool,
}

impl EncryptedQueries {
    /// k queries, one per row, laid out like the rows and encrypted at `level` (`None`: top).
    pub fn encrypt(
        plan: &BatchPlan,
        xs: &[Vec<f64>],
        level: Option<usize>,
        encoder: &Encoder,
        enc: &mut Encryptor,
    ) -> Result<EncryptedQueries> {
        check_plain_plan(plan)?;
        plan.check_vectors("x", xs, plan.count)?;
        let level = Self::level(plan, level, encoder)?;
        let (layout, m) = (&plan.layout, plan.layout.per_ciphertext);
        let scale = encoder.context().params().default_scale();
        let mut slots = vec![0.0; layout.slots];
        let mut tiles = Vec::with_capacity(plan.groups * layout.tiles);
        for g in 0..plan.groups {
            let qs: Vec<&[f64]> = xs[g * m..((g + 1) * m).min(plan.count)]
                .iter()
                .map(Vec::as_slice)
                .collect();
            for t in 0..layout.tiles {
                layout.fill_tile(&qs, t, &mut slots)?;
                tiles.push(enc.encrypt(&encoder.encode(&slots, scale, level)?)?);
            }
        }
        Ok(EncryptedQueries {
            plan: plan.clone(),
            tiles,
            shared: false,
        })
    }

    /// One query `x` against every row: T tiles, each holding the query's tile in all m
    /// blocks, reused by every group (the client sends T ciphertexts whatever k is).
    pub fn encrypt_shared(
        plan: &BatchPlan,
        x: &[f64],
        level: Option<usize>,
        encoder: &Encoder,
        enc: &mut Encryptor,
    ) -> Result<EncryptedQueries> {
        check_plain_plan(plan)?;
        let x = x.to_vec();
        plan.check_vectors("x", std::slice::from_ref(&x), 1)?;
        let level = Self::level(plan, level, encoder)?;
        let layout = &plan.layout;
        let copies = vec![x.as_slice(); layout.per_ciphertext];
        let scale = encoder.context().params().default_scale();
        let mut slots = vec![0.0; layout.slots];
        let mut tiles = Vec::with_capacity(layout.tiles);
        for t in 0..layout.tiles {
            layout.fill_tile(&copies, t, &mut slots)?;
            tiles.push(enc.encrypt(&encoder.encode(&slots, scale, level)?)?);
        }
        Ok(EncryptedQueries {
            plan: plan.clone(),
            tiles,
            shared: true,
        })
    }

    fn level(plan: &BatchPlan, level: Option<usize>, encoder: &Encoder) -> Result<usize> {
        let max = encoder.context().params().max_level();
        let level = level.unwrap_or(max);
        if level < plan.tensor_level || level > max {
            return Err(Error::InvalidLevel {
                level,
                min: plan.tensor_level,
                max,
            });
        }
        Ok(level)
    }

    /// Group g's ciphertext tiles (the same T tiles for every group when shared).
    pub fn group(&self, g: usize) -> &[Ciphertext] {
        let t = self.plan.layout.tiles;
        if self.shared {
            &self.tiles
        } else {
            &self.tiles[g * t..(g + 1) * t]
        }
    }

    /// Whether one query serves every group.
    pub fn is_shared(&self) -> bool {
        self.shared
    }

    /// Bytes of the encrypted queries (coefficient words only).
    pub fn input_bytes(&self) -> usize {
        self.tiles
            .iter()
            .flat_map(|c| c.parts())
            .map(|p| p.as_words().len() * 8)
            .sum()
    }

    /// The k products, in row order, from the results of [`InnerProductEngine::run_plain`].
    pub fn decrypt(
        &self,
        results: &[Ciphertext],
        dec: &Decryptor,
        encoder: &Encoder,
    ) -> Result<Vec<f64>> {
        self.plan.decrypt_results(results, dec, encoder)
    }
}

impl InnerProductEngine {
    /// Runs a plaintext-side batch: group g is Σ_t x_t · p_t over the queries' and the rows'
    /// tiles, one rescale and the block sum (no relinearization key needed). Results as
    /// [`InnerProductEngine::run_batch`]'s.
    pub fn run_plain(
        &self,
        queries: &EncryptedQueries,
        rows: &PlainBatch,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<(Vec<Ciphertext>, RunStats)> {
        let plan = rows.plan();
        if queries.plan != *plan {
            return Err(Error::InvalidParameters {
                reason: "queries and rows were laid out for different plans".into(),
            });
        }
        if plan.layout.block > 1 {
            self.eval.check_sum(&plan.sum, plan.layout.block)?;
        }
        let ledger = RunLedger::new(self.threads, self.config.profile);
        let done = AtomicUsize::new(0);
        let (m, k, span) = (plan.layout.per_ciphertext, plan.count, plan.layout.block);
        let mut outputs = vec![Ciphertext::placeholder(); plan.groups];
        let start = Instant::now();
        let result: Result<()> = self.pool.install(|| {
            outputs.par_iter_mut().enumerate().try_for_each(|(g, out)| {
                let mut arena = self.arenas.take(&self.eval);
                arena.set_parallel(plan.groups < self.threads);
                let cts: Vec<&Ciphertext> = queries.group(g).iter().collect();
                let pts: Vec<&Plaintext> = rows.group(g).iter().collect();
                let t = Instant::now();
                let r = self.eval.plain_group_inner_products(
                    &cts,
                    &pts,
                    plan.tensor_level,
                    span,
                    &plan.sum,
                    out,
                    &mut arena,
                );
                ledger.record(t.elapsed(), &mut arena);
                let here = m.min(k - g * m);
                progress(done.fetch_add(here, Ordering::Relaxed) + here, k);
                r.map_err(|source| Error::Task {
                    index: g,
                    source: Box::new(source),
                })
            })
        });
        let wall = start.elapsed();
        result?;
        Ok((
            outputs,
            ledger.tiled_stats(self.config.schedule, self.threads, k, wall),
        ))
    }
}
