//! Running planned batches: groups of tile pairs, one relinearization per group.
//!
//! - **Groups ≥ threads**: one group per task on a pooled arena — its tiles' tensors into the
//!   arena's accumulator, then relinearize, rescale and sum (`Evaluator::group_inner_products`).
//! - **Groups < threads** (e.g. the main job: one group of 64 products): each group's tiles are
//!   split into `min(threads, T)` contiguous ranges accumulated on separate arenas in parallel,
//!   the partial tensors are added, and the finish runs with its key switches spread over the
//!   pool (as in `Mode::Limb`). Addition mod q is exact, so the result is bit-identical to the
//!   one-worker order.
//!
//! No lock is held across work or the progress callback (see `arena`); the run's statistics
//! are its own.

use super::arena::RunLedger;
use super::{EncryptedBatch, InnerProductEngine, RunStats};
use crate::ckks::{Ciphertext, EvaluationKeys, Evaluator, GaloisKeys, KeyGenerator, SecretKey};
use crate::error::{Error, Result};
use crate::parallel::plan::{BatchPlan, BatchRequest};
use rayon::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

impl InnerProductEngine {
    /// Checks a batch before any work: its parameters, the relinearization key, the sum's
    /// rotation keys, and every tile's shape (done again per group by the evaluator).
    pub fn validate_batch(&self, batch: &EncryptedBatch) -> Result<()> {
        let plan = batch.plan();
        let ctx = self.eval.context();
        if plan.layout.slots != ctx.params().slots() {
            return Err(Error::InvalidParameters {
                reason: format!(
                    "batch laid out for {} slots, the engine's parameters have {}",
                    plan.layout.slots,
                    ctx.params().slots()
                ),
            });
        }
        if self.eval.keys().relin.is_none() {
            return Err(Error::MissingKey {
                what: "relinearization key".into(),
            });
        }
        if plan.layout.block > 1 {
            self.eval.check_sum(&plan.sum, plan.layout.block)?;
        }
        for (index, (a, b)) in batch.tiles().iter().enumerate() {
            let task = |source: Error| Error::Task {
                index: index / plan.layout.tiles,
                source: Box::new(source),
            };
            for ct in [a, b] {
                self.eval.check(ct).map_err(task)?;
                if ct.level() < plan.tensor_level {
                    return Err(task(Error::InvalidLevel {
                        level: ct.level(),
                        min: plan.tensor_level,
                        max: ctx.params().max_level(),
                    }));
                }
            }
        }
        Ok(())
    }

    /// Loads a serialized batch (kind 10) for this engine's parameters on the engine's threads:
    /// [`EncryptedBatch::from_bytes_parallel`] inside the engine's pool, so a worker that reads
    /// its shards from storage loads them with the threads it runs them with. Same checks,
    /// errors and result as [`EncryptedBatch::from_bytes`]. A one-thread engine loads on the
    /// calling thread (no hop to its pool).
    pub fn load_batch(&self, bytes: &[u8]) -> Result<EncryptedBatch> {
        let ctx = self.eval.context();
        if self.threads == 1 {
            return EncryptedBatch::from_bytes(ctx, bytes);
        }
        self.pool
            .install(|| EncryptedBatch::from_bytes_parallel(ctx, bytes))
    }

    /// Runs a planned batch: one output ciphertext per group (at the plan's output level),
    /// product i of group g in slot `i·b` (decrypt with [`EncryptedBatch::decrypt`]).
    /// `progress(done, total)` counts products and runs with no lock held (it may call the
    /// engine again).
    pub fn run_batch(
        &self,
        batch: &EncryptedBatch,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<(Vec<Ciphertext>, RunStats)> {
        let mut outputs = vec![Ciphertext::placeholder(); batch.plan().groups];
        let stats = self.run_batch_into(batch, &mut outputs, progress)?;
        Ok((outputs, stats))
    }

    /// [`InnerProductEngine::run_batch`] into caller-owned outputs (one per group; reused
    /// across batches, so a warm run allocates nothing per group).
    pub fn run_batch_into(
        &self,
        batch: &EncryptedBatch,
        outputs: &mut [Ciphertext],
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<RunStats> {
        let plan = batch.plan();
        if outputs.len() != plan.groups {
            return Err(Error::InvalidParameters {
                reason: format!("{} outputs for {} groups", outputs.len(), plan.groups),
            });
        }
        self.validate_batch(batch)?;
        let ledger = RunLedger::new(self.threads, self.config.profile);
        let done = AtomicUsize::new(0);
        let (m, k, span) = (plan.layout.per_ciphertext, plan.count, plan.layout.block);
        let products_in = |g: usize| m.min(k - g * m);
        let task = |g: usize| {
            move |source: Error| Error::Task {
                index: g,
                source: Box::new(source),
            }
        };
        let start = Instant::now();
        let split = plan.groups < self.threads && plan.layout.tiles > 1;
        let result: Result<()> = self.pool.install(|| {
            if !split {
                outputs.par_iter_mut().enumerate().try_for_each(|(g, out)| {
                    let mut arena = self.arenas.take(&self.eval);
                    arena.set_parallel(plan.groups < self.threads);
                    let t = Instant::now();
                    let r = self.eval.group_inner_products(
                        batch.group(g),
                        plan.tensor_level,
                        span,
                        &plan.sum,
                        out,
                        &mut arena,
                    );
                    ledger.record(t.elapsed(), &mut arena);
                    progress(
                        done.fetch_add(products_in(g), Ordering::Relaxed) + products_in(g),
                        k,
                    );
                    r.map_err(task(g))
                })
            } else {
                outputs.iter_mut().enumerate().try_for_each(|(g, out)| {
                    let tiles = batch.group(g);
                    let parts = self.threads.min(tiles.len());
                    let chunk = tiles.len().div_ceil(parts);
                    let partials = tiles
                        .par_chunks(chunk)
                        .with_max_len(1)
                        .map(|range| {
                            let mut arena = self.arenas.take(&self.eval);
                            let t = Instant::now();
                            let r = self.eval.accumulate_in_scratch(
                                range,
                                plan.tensor_level,
                                &mut arena,
                            );
                            ledger.record_work(t.elapsed(), &mut arena);
                            r.map(|()| arena)
                        })
                        .collect::<Result<Vec<_>>>()
                        .map_err(task(g))?;
                    let mut partials = partials.into_iter();
                    let mut first = partials.next().expect("at least one range");
                    let t = Instant::now();
                    let r = (|| {
                        for other in partials {
                            self.eval.merge_accumulators(&mut first, &other)?;
                        }
                        first.set_parallel(true);
                        self.eval
                            .finish_in_scratch(span, &plan.sum, out, &mut first)
                    })();
                    ledger.record(t.elapsed(), &mut first);
                    drop(first);
                    progress(
                        done.fetch_add(products_in(g), Ordering::Relaxed) + products_in(g),
                        k,
                    );
                    r.map_err(task(g))
                })
            }
        });
        let wall = start.elapsed();
        result?;
        Ok(ledger.tiled_stats(self.config.schedule, self.threads, k, wall))
    }
}

impl InnerProductEngine {
    /// Streams groups through the engine with memory bounded by `threads` groups: pulls up to
    /// `threads` groups (each `plan.layout.tiles` tile pairs) from `groups`, runs them in
    /// parallel (one arena each), hands each result to `sink(group_index, result)` in input
    /// order, and repeats until the iterator ends. A batch larger than memory runs this way
    /// with groups read from storage and results written back as they finish.
    ///
    /// Errors: an iterator error or a group of the wrong size stops the stream (results already
    /// handed to `sink` stay delivered; nothing after the failing group is started); a `sink`
    /// error stops it too. Returns the statistics of everything that ran.
    pub fn run_stream<I, F>(&self, plan: &BatchPlan, groups: I, mut sink: F) -> Result<RunStats>
    where
        I: IntoIterator<Item = Result<Vec<(Ciphertext, Ciphertext)>>>,
        F: FnMut(usize, Ciphertext) -> Result<()>,
    {
        if self.eval.keys().relin.is_none() {
            return Err(Error::MissingKey {
                what: "relinearization key".into(),
            });
        }
        if plan.layout.block > 1 {
            self.eval.check_sum(&plan.sum, plan.layout.block)?;
        }
        let ledger = RunLedger::new(self.threads, self.config.profile);
        let span = plan.layout.block;
        let mut window: Vec<Vec<(Ciphertext, Ciphertext)>> = Vec::with_capacity(self.threads);
        let mut outputs: Vec<Ciphertext> = vec![Ciphertext::placeholder(); self.threads];
        let mut iter = groups.into_iter();
        let (mut next, mut done_groups) = (0usize, 0usize);
        let start = Instant::now();
        loop {
            window.clear();
            for g in iter.by_ref() {
                let g = g?;
                if g.len() != plan.layout.tiles {
                    return Err(Error::Task {
                        index: next + window.len(),
                        source: Box::new(Error::InvalidParameters {
                            reason: format!(
                                "group of {} tile pairs, the plan has {}",
                                g.len(),
                                plan.layout.tiles
                            ),
                        }),
                    });
                }
                window.push(g);
                if window.len() == self.threads {
                    break;
                }
            }
            if window.is_empty() {
                break;
            }
            let first = next;
            self.pool.install(|| {
                outputs[..window.len()]
                    .par_iter_mut()
                    .zip(window.par_iter())
                    .enumerate()
                    .try_for_each(|(j, (out, tiles))| {
                        let mut arena = self.arenas.take(&self.eval);
                        arena.set_parallel(false);
                        let t = Instant::now();
                        let r = self.eval.group_inner_products(
                            tiles,
                            plan.tensor_level,
                            span,
                            &plan.sum,
                            out,
                            &mut arena,
                        );
                        ledger.record(t.elapsed(), &mut arena);
                        r.map_err(|source| Error::Task {
                            index: first + j,
                            source: Box::new(source),
                        })
                    })
            })?;
            for out in outputs[..window.len()].iter_mut() {
                sink(next, std::mem::replace(out, Ciphertext::placeholder()))?;
                next += 1;
            }
            done_groups += window.len();
        }
        let wall = start.elapsed();
        let products = if done_groups == plan.groups {
            plan.count
        } else {
            done_groups * plan.layout.per_ciphertext
        };
        Ok(ledger.tiled_stats(self.config.schedule, self.threads, products, wall))
    }
}

impl KeyGenerator {
    /// Plans a batch (calibrating this machine's unit costs, see [`Evaluator::plan_batch`]) and
    /// generates exactly the keys the plan uses: the relinearization key (not for a
    /// plaintext-side request) and the sum's rotation keys (none for b = 1). The rotation key for 1 step is generated first to cost the sums
    /// and is kept only if the plan uses it.
    pub fn batch_keys(
        &mut self,
        sk: &SecretKey,
        req: &BatchRequest,
    ) -> Result<(BatchPlan, EvaluationKeys)> {
        let ctx = self.context().clone();
        let relin = self.relin_key(sk)?;
        let one = self.galois_keys(sk, &[1], false)?;
        let probe = Evaluator::new(
            ctx,
            Arc::new(EvaluationKeys {
                relin: Some(relin),
                galois: one,
            }),
        )?;
        let plan = probe.plan_batch(req)?;
        let steps = plan.rotation_steps();
        let keys = Arc::try_unwrap(probe.keys().clone()).unwrap_or_else(|a| (*a).clone());
        let galois = if steps.contains(&1) {
            let mut g = keys.galois;
            let rest: Vec<i64> = steps.into_iter().filter(|&s| s != 1).collect();
            g.merge(self.galois_keys(sk, &rest, false)?)?;
            g
        } else if steps.is_empty() {
            GaloisKeys::default()
        } else {
            self.galois_keys(sk, &steps, false)?
        };
        Ok((
            plan,
            EvaluationKeys {
                // The plaintext side never relinearizes.
                relin: if req.plaintext_side { None } else { keys.relin },
                galois,
            },
        ))
    }
}
