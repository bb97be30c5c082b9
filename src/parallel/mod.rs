//! The parallel inner-product engine: k independent CKKS inner products
//! (mul → relinearize → rescale → log2(dim) rotate+add) over a `rayon` worker pool.
//!
//! - **Shared, immutable**: the context (plans, tables) and the evaluation keys, behind `Arc`s
//!   inside one [`Evaluator`]; never copied per worker.
//! - **Per task**: an [`EvaluatorScratch`] (64-byte-aligned arenas sized once for the top
//!   level) popped from the engine's pool for the length of one product (or one chunk) and
//!   pushed back after it. The pool's lock is held only for the pop and the push — never
//!   across parallel work or a callback — so concurrent callers on one engine, and a progress
//!   callback that calls the engine again, each get arenas of their own (the pool grows past
//!   `threads` arenas only while more runs overlap than there are workers).
//! - **Per run**: statistics (busy time, products and operation counters per worker) are
//!   gathered in a ledger that belongs to the run, so concurrent runs never report each
//!   other's work.
//! - **Modes** ([`Mode`]): `Task` (one product per worker at a time), `Limb` (one product at a
//!   time, its limbs and digits spread over the workers — for k below the thread count),
//!   `Packed` (many short vectors in the slots of one ciphertext; see [`PackedLayout`]), and
//!   `Auto`, resolved by [`choose_mode`] with a stated reason.
//! - **Schedules** ([`Schedule`]): work stealing (rayon's default) or static contiguous chunks
//!   (one per worker, to show the imbalance of the naive schedule).
//! - Results come back in input order and are bit-identical to a sequential run, whatever the
//!   mode, schedule or thread count.

mod arena;
mod batch;
mod layout;
mod packed;
mod pipeline;
mod plain;
mod plan;
mod serialize;
mod tiled;

use arena::{RunLedger, ScratchPool};
pub use batch::EncryptedBatch;
pub use layout::{LEVEL_MARGIN_BITS, LayoutKind, TiledLayout, lowest_output_level};
pub use packed::{PackedLayout, choose_mode};
pub use plain::{EncryptedQueries, PlainBatch};
pub use plan::{BatchCosts, BatchPlan, BatchRequest, PREDICTION_SLACK, plan_with_costs};

use crate::ckks::{Ciphertext, Evaluator, EvaluatorScratch, SumMethod};
use crate::error::{Error, Result};
use crate::profile::{Profile, ProfileLevel};
use rayon::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How a batch is spread over the workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// One product per worker at a time.
    Task,
    /// One product at a time; its limbs and digits are spread over the workers.
    Limb,
    /// Several short vectors share one ciphertext's slots (the batch was packed by the caller
    /// with [`PackedLayout`]); the packed ciphertexts then run as in `Task` mode.
    Packed,
    /// Per-pair products through a 4-stage pipeline (multiply → relinearize → rescale → sum)
    /// on dedicated threads joined by bounded queues (`EngineConfig::pipeline_queue`). An
    /// option, never chosen by `Auto`: the sum stage is ~85% of a product, so the pipeline runs
    /// at the speed of one thread (measured in `docs/benchmarks.md`).
    Pipeline,
    /// A planned batch ([`InnerProductEngine::run_batch`]): groups of tile pairs, one
    /// relinearization per group (see [`TiledLayout`] and [`BatchPlan`]).
    Tiled,
    /// Chosen from k, dim and the thread count by [`choose_mode`].
    Auto,
}

/// How `Task`-mode products are assigned to workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Schedule {
    /// rayon's work stealing.
    WorkStealing,
    /// Contiguous chunks of ⌈k / threads⌉ products, one per worker.
    Static,
}

impl std::str::FromStr for Mode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Mode> {
        match s.to_ascii_lowercase().as_str() {
            "task" => Ok(Mode::Task),
            "limb" => Ok(Mode::Limb),
            "packed" => Ok(Mode::Packed),
            "tiled" => Ok(Mode::Tiled),
            "pipeline" => Ok(Mode::Pipeline),
            "auto" => Ok(Mode::Auto),
            _ => Err(Error::InvalidParameters {
                reason: format!("unknown mode {s:?} (task, limb, packed, tiled, pipeline, auto)"),
            }),
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mode::Task => "task",
            Mode::Limb => "limb",
            Mode::Packed => "packed",
            Mode::Tiled => "tiled",
            Mode::Pipeline => "pipeline",
            Mode::Auto => "auto",
        })
    }
}

impl std::str::FromStr for Schedule {
    type Err = Error;
    fn from_str(s: &str) -> Result<Schedule> {
        match s.to_ascii_lowercase().as_str() {
            "stealing" | "work-stealing" | "dynamic" => Ok(Schedule::WorkStealing),
            "static" => Ok(Schedule::Static),
            _ => Err(Error::InvalidParameters {
                reason: format!("unknown schedule {s:?} (stealing, static)"),
            }),
        }
    }
}

impl std::fmt::Display for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Schedule::WorkStealing => "stealing",
            Schedule::Static => "static",
        })
    }
}

/// A resolved mode and why it was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// `Task`, `Limb` or `Packed` (never `Auto`).
    pub mode: Mode,
    /// One sentence for people reading the output.
    pub reason: String,
}

/// Most worker threads an engine accepts (checked before the pool or any scratch is built:
/// each worker preallocates a scratch arena of several polynomials).
pub const MAX_THREADS: usize = 1024;

/// Engine settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineConfig {
    /// Worker threads (`None`: `RAYON_NUM_THREADS`, else every core).
    pub threads: Option<usize>,
    /// How to spread the work.
    pub mode: Mode,
    /// Task-mode schedule.
    pub schedule: Schedule,
    /// What the per-worker profiles record.
    pub profile: ProfileLevel,
    /// Pin worker thread i to core i mod cores (`core_affinity`; a no-op where the OS does not
    /// allow it). Off by default: on the 2-vCPU machines measured it changes nothing
    /// measurable (`docs/benchmarks.md`).
    pub pin_threads: bool,
    /// [`Mode::Pipeline`]: products that may wait between two stages (≥ 1).
    pub pipeline_queue: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            threads: None,
            mode: Mode::Auto,
            schedule: Schedule::WorkStealing,
            profile: ProfileLevel::Counts,
            pin_threads: false,
            pipeline_queue: 2,
        }
    }
}

/// What one batch did.
#[derive(Debug, Clone, PartialEq)]
pub struct RunStats {
    /// The mode that ran.
    pub mode: Mode,
    /// The schedule that ran.
    pub schedule: Schedule,
    /// Worker threads.
    pub threads: usize,
    /// Products (ciphertext pairs) computed.
    pub products: usize,
    /// Wall time of the batch.
    pub wall: Duration,
    /// Busy time per worker (time inside products).
    pub busy: Vec<Duration>,
    /// Products per worker.
    pub tasks: Vec<usize>,
    /// Merged operation counts (and times, if timed).
    pub profile: Profile,
}

impl RunStats {
    /// 1 − mean / max worker busy time (0 = perfectly balanced).
    pub fn load_imbalance(&self) -> f64 {
        let max = self
            .busy
            .iter()
            .max()
            .copied()
            .unwrap_or_default()
            .as_secs_f64();
        if max == 0.0 {
            return 0.0;
        }
        let mean =
            self.busy.iter().map(Duration::as_secs_f64).sum::<f64>() / self.busy.len() as f64;
        1.0 - mean / max
    }
}

/// The engine: an evaluator, a worker pool and one scratch arena per worker.
pub struct InnerProductEngine {
    eval: Evaluator,
    pool: rayon::ThreadPool,
    threads: usize,
    config: EngineConfig,
    arenas: ScratchPool,
    sum: SumMethod,
    output_level: Option<usize>,
}

impl std::fmt::Debug for InnerProductEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InnerProductEngine")
            .field("threads", &self.threads)
            .field("config", &self.config)
            .finish()
    }
}

impl InnerProductEngine {
    /// Builds the pool and preallocates every worker's scratch.
    pub fn new(eval: Evaluator, config: EngineConfig) -> Result<InnerProductEngine> {
        let mut builder = rayon::ThreadPoolBuilder::new();
        if let Some(t) = config.threads {
            if t == 0 || t > MAX_THREADS {
                return Err(Error::InvalidParameters {
                    reason: format!("threads = {t} must be in 1..={MAX_THREADS}"),
                });
            }
            builder = builder.num_threads(t);
        }
        if config.pipeline_queue == 0 {
            return Err(Error::InvalidParameters {
                reason: "pipeline_queue = 0: the pipeline needs room for at least one product between stages".into(),
            });
        }
        if config.pin_threads {
            builder = builder.start_handler(pipeline::pin_current_thread);
        }
        let pool = builder.build().map_err(|e| Error::InvalidParameters {
            reason: format!("thread pool: {e}"),
        })?;
        let threads = pool.current_num_threads();
        let arenas = ScratchPool::new(&eval, config.profile, threads);
        Ok(InnerProductEngine {
            eval,
            pool,
            threads,
            config,
            arenas,
            sum: SumMethod::Tree,
            output_level: None,
        })
    }

    /// Uses `sum` for the inner sums (default: the plain doubling tree) and, if given, drops each
    /// product to `output_level` before summing (opt-in: cheaper key switches, fewer levels left).
    pub fn with_sum(mut self, sum: SumMethod, output_level: Option<usize>) -> InnerProductEngine {
        self.sum = sum;
        self.output_level = output_level;
        self
    }

    /// The sum method.
    pub fn sum_method(&self) -> &SumMethod {
        &self.sum
    }

    /// Worker threads.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// The evaluator.
    pub fn evaluator(&self) -> &Evaluator {
        &self.eval
    }

    /// The configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The mode this engine would use for k ciphertext pairs (`Packed` only if configured:
    /// packing is the caller's choice at encoding time).
    pub fn plan(&self, k: usize, dim: usize) -> Plan {
        match self.config.mode {
            Mode::Auto => choose_mode(
                k,
                dim,
                self.eval.context().params().slots(),
                self.threads,
                false,
            ),
            Mode::Packed | Mode::Tiled => Plan {
                mode: Mode::Packed,
                reason: "packed batch: each ciphertext holds several products".into(),
            },
            m => Plan {
                mode: m,
                reason: "requested".into(),
            },
        }
    }

    /// Checks the whole batch before any work: power-of-two `dim` within the slots, every
    /// rotation key of the tree, the relinearization key, and per pair: parameters, degree 2,
    /// equal levels (≥ 1, for the rescale) and scales.
    pub fn validate(&self, pairs: &[(Ciphertext, Ciphertext)], dim: usize) -> Result<()> {
        self.eval.check_sum(&self.sum, dim)?;
        if self.eval.keys().relin.is_none() {
            return Err(Error::MissingKey {
                what: "relinearization key".into(),
            });
        }
        for (index, (a, b)) in pairs.iter().enumerate() {
            let task = |source: Error| Error::Task {
                index,
                source: Box::new(source),
            };
            self.eval.check(a).map_err(task)?;
            self.eval.check(b).map_err(task)?;
            if a.degree() != 2 || b.degree() != 2 {
                return Err(task(Error::WrongDegree {
                    expected: 2,
                    found: a.degree().max(b.degree()),
                }));
            }
            if a.level() != b.level() {
                return Err(task(Error::LevelMismatch {
                    left: a.level(),
                    right: b.level(),
                }));
            }
            if a.level() == 0 {
                return Err(task(Error::InvalidLevel {
                    level: 0,
                    min: 1,
                    max: self.eval.context().params().max_level(),
                }));
            }
        }
        Ok(())
    }

    /// Runs the batch; results in input order.
    pub fn run(&self, pairs: &[(Ciphertext, Ciphertext)], dim: usize) -> Result<Vec<Ciphertext>> {
        self.run_with_progress(pairs, dim, &|_, _| {})
            .map(|(out, _)| out)
    }

    /// Runs the batch, calling `progress(done, total)` after each product (from the worker that
    /// finished it). Returns the results in input order and the run's statistics.
    pub fn run_with_progress(
        &self,
        pairs: &[(Ciphertext, Ciphertext)],
        dim: usize,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<(Vec<Ciphertext>, RunStats)> {
        let mut outputs: Vec<Ciphertext> = pairs.iter().map(|(a, _)| a.clone()).collect();
        let stats = self.run_into(pairs, dim, &mut outputs, progress)?;
        Ok((outputs, stats))
    }

    /// Runs the batch into caller-owned `outputs` (one per pair, reused across batches: once they
    /// and the worker arenas have their sizes, a batch allocates nothing per product).
    pub fn run_into(
        &self,
        pairs: &[(Ciphertext, Ciphertext)],
        dim: usize,
        outputs: &mut [Ciphertext],
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<RunStats> {
        if outputs.len() != pairs.len() {
            return Err(Error::InvalidParameters {
                reason: format!("{} outputs for {} pairs", outputs.len(), pairs.len()),
            });
        }
        self.validate(pairs, dim)?;
        let plan = self.plan(pairs.len(), dim);
        let ledger = RunLedger::new(self.threads, self.config.profile);
        let done = AtomicUsize::new(0);
        let total = pairs.len();
        let start = Instant::now();
        // One product on one arena. No lock is held while it runs or while `progress` is
        // called: the arena was popped from the pool, and the ledger is locked only to add the
        // product's time and counters afterwards.
        let one = |index: usize,
                   out: &mut Ciphertext,
                   scratch: &mut EvaluatorScratch|
         -> Result<()> {
            let (a, b) = &pairs[index];
            let t = Instant::now();
            let r =
                self.eval
                    .inner_product_with(a, b, dim, &self.sum, self.output_level, out, scratch);
            ledger.record(t.elapsed(), scratch);
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
            r.map_err(|source| Error::Task {
                index,
                source: Box::new(source),
            })
        };
        let result: Result<()> = self
            .pool
            .install(|| match (plan.mode, self.config.schedule) {
                (Mode::Pipeline, _) => self.run_pipeline(pairs, dim, outputs, progress, &ledger),
                (Mode::Limb, _) => {
                    // One product at a time on one arena; its key switches fan out over the
                    // pool (while this thread waits it may run other callers' work, which takes
                    // arenas of its own).
                    let mut arena = self.arenas.take(&self.eval);
                    arena.set_parallel(true);
                    outputs
                        .iter_mut()
                        .enumerate()
                        .try_for_each(|(i, out)| one(i, out, &mut arena))
                }
                (_, Schedule::WorkStealing) => {
                    outputs.par_iter_mut().enumerate().try_for_each(|(i, out)| {
                        let mut arena = self.arenas.take(&self.eval);
                        arena.set_parallel(false);
                        one(i, out, &mut arena)
                    })
                }
                (_, Schedule::Static) => {
                    // ⌈k / threads⌉ contiguous products per chunk, one chunk per task.
                    let chunk = total.div_ceil(self.threads).max(1);
                    outputs
                        .par_chunks_mut(chunk)
                        .with_max_len(1)
                        .enumerate()
                        .try_for_each(|(c, outs)| {
                            let mut arena = self.arenas.take(&self.eval);
                            arena.set_parallel(false);
                            outs.iter_mut()
                                .enumerate()
                                .try_for_each(|(j, out)| one(c * chunk + j, out, &mut arena))
                        })
                }
            });
        let wall = start.elapsed();
        result?;
        let (mut busy, tasks, profile) = ledger.finish();
        if plan.mode == Mode::Limb {
            // One arena did all products; the other threads helped inside them.
            let all: Duration = busy.iter().sum();
            busy = vec![all; self.threads];
        }
        Ok(RunStats {
            mode: plan.mode,
            schedule: self.config.schedule,
            threads: self.threads,
            products: total,
            wall,
            busy,
            tasks,
            profile,
        })
    }
}
