//! Worker arenas and per-run statistics, shared by every caller of one engine without holding a
//! lock across work.
//!
//! - [`ScratchPool`]: a stack of [`EvaluatorScratch`] arenas (64-byte-aligned buffers sized
//!   for the top level). A task pops one ([`ScratchPool::take`]) for the length of a product
//!   or a group and the guard pushes it back on drop. The stack's mutex is held for the pop
//!   and the push only, so a thread that waits inside parallel work (and is handed another
//!   caller's task by rayon meanwhile) never blocks on an arena it already holds. The engine
//!   preallocates one arena per worker; more are allocated only while more tasks overlap than
//!   there are workers (concurrent or re-entrant runs) and are kept for later runs.
//! - [`RunLedger`]: the busy time, task count and operation counters of one run, one slot per
//!   worker thread. A task adds its figures after it finishes (a short lock on its slot, no
//!   callback or work inside), so two runs on one engine never count each other's work.

use crate::ckks::{Evaluator, EvaluatorScratch};
use crate::profile::{Profile, ProfileLevel};
use std::ops::{Deref, DerefMut};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while a lock was held cannot leave these plain containers half-updated in a way
    // that matters (a stack of arenas, additive counters): keep going.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A stack of per-worker arenas.
pub(crate) struct ScratchPool {
    free: Mutex<Vec<EvaluatorScratch>>,
    level: ProfileLevel,
}

impl ScratchPool {
    /// A pool with `count` arenas for `eval`, profiling at `level`.
    pub(crate) fn new(eval: &Evaluator, level: ProfileLevel, count: usize) -> ScratchPool {
        let free = (0..count).map(|_| Self::fresh(eval, level)).collect();
        ScratchPool {
            free: Mutex::new(free),
            level,
        }
    }

    fn fresh(eval: &Evaluator, level: ProfileLevel) -> EvaluatorScratch {
        let mut s = eval.scratch();
        s.set_profile_level(level);
        s
    }

    /// Pops an arena (or allocates one if every arena is in use); it returns to the pool when
    /// the guard drops. Its profile counters start at zero.
    pub(crate) fn take<'a>(&'a self, eval: &Evaluator) -> PooledScratch<'a> {
        let popped = lock(&self.free).pop();
        let mut scratch = popped.unwrap_or_else(|| Self::fresh(eval, self.level));
        scratch.profile_mut().reset();
        PooledScratch {
            pool: self,
            scratch: Some(scratch),
        }
    }

    /// Arenas currently in the pool (not lent out).
    #[cfg(test)]
    pub(crate) fn available(&self) -> usize {
        lock(&self.free).len()
    }
}

/// An arena lent by a [`ScratchPool`]; pushed back on drop.
pub(crate) struct PooledScratch<'a> {
    pool: &'a ScratchPool,
    scratch: Option<EvaluatorScratch>,
}

impl Deref for PooledScratch<'_> {
    type Target = EvaluatorScratch;
    fn deref(&self) -> &EvaluatorScratch {
        self.scratch.as_ref().expect("present until drop")
    }
}

impl DerefMut for PooledScratch<'_> {
    fn deref_mut(&mut self) -> &mut EvaluatorScratch {
        self.scratch.as_mut().expect("present until drop")
    }
}

impl Drop for PooledScratch<'_> {
    fn drop(&mut self) {
        if let Some(s) = self.scratch.take() {
            lock(&self.pool.free).push(s);
        }
    }
}

#[derive(Default)]
struct Slot {
    busy: Duration,
    tasks: usize,
    profile: Profile,
}

/// Statistics of one run, one slot per worker thread of the engine's pool.
pub(crate) struct RunLedger {
    slots: Vec<Mutex<Slot>>,
}

impl RunLedger {
    /// An empty ledger for `threads` workers.
    pub(crate) fn new(threads: usize, level: ProfileLevel) -> RunLedger {
        RunLedger {
            slots: (0..threads.max(1))
                .map(|_| {
                    Mutex::new(Slot {
                        profile: Profile::new(level),
                        ..Default::default()
                    })
                })
                .collect(),
        }
    }

    /// Adds one finished task: its busy time and the arena's counters since the last record
    /// (which are then cleared), to the slot of the calling worker thread.
    pub(crate) fn record(&self, busy: Duration, scratch: &mut EvaluatorScratch) {
        let i = rayon::current_thread_index().unwrap_or(0) % self.slots.len();
        let mut slot = lock(&self.slots[i]);
        slot.busy += busy;
        slot.tasks += 1;
        slot.profile.merge(scratch.profile());
        drop(slot);
        scratch.profile_mut().reset();
    }

    /// Adds counters of work that is not a task of its own (partial accumulations of a split
    /// group), without counting a task.
    #[allow(dead_code)] // used by the tiled engine
    pub(crate) fn record_work(&self, busy: Duration, scratch: &mut EvaluatorScratch) {
        let i = rayon::current_thread_index().unwrap_or(0) % self.slots.len();
        let mut slot = lock(&self.slots[i]);
        slot.busy += busy;
        slot.profile.merge(scratch.profile());
        drop(slot);
        scratch.profile_mut().reset();
    }

    /// The statistics of a planned-batch run (`Mode::Tiled`) of `products` products.
    pub(crate) fn tiled_stats(
        self,
        schedule: super::Schedule,
        threads: usize,
        products: usize,
        wall: Duration,
    ) -> super::RunStats {
        let (busy, tasks, profile) = self.finish();
        super::RunStats {
            mode: super::Mode::Tiled,
            schedule,
            threads,
            products,
            wall,
            busy,
            tasks,
            profile,
        }
    }

    /// Busy time and tasks per worker, and the merged counters.
    pub(crate) fn finish(self) -> (Vec<Duration>, Vec<usize>, Profile) {
        let mut busy = Vec::with_capacity(self.slots.len());
        let mut tasks = Vec::with_capacity(self.slots.len());
        let mut profile: Option<Profile> = None;
        for slot in self.slots {
            let slot = slot.into_inner().unwrap_or_else(PoisonError::into_inner);
            busy.push(slot.busy);
            tasks.push(slot.tasks);
            match &mut profile {
                Some(p) => p.merge(&slot.profile),
                None => profile = Some(slot.profile),
            }
        }
        (busy, tasks, profile.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ckks::{CkksContext, CkksParams, EvaluationKeys};
    use std::sync::Arc;

    #[test]
    fn arenas_return_to_the_pool_and_grow_only_under_overlap() {
        let params = CkksParams::builder()
            .ring_degree(16)
            .q_bits(&[40, 30])
            .p_bits(&[40])
            .dnum(2)
            .log_scale(30)
            .allow_insecure(true)
            .build()
            .unwrap();
        let ctx = CkksContext::new(params).unwrap();
        let eval = Evaluator::new(ctx, Arc::new(EvaluationKeys::default())).unwrap();
        let pool = ScratchPool::new(&eval, ProfileLevel::Counts, 2);
        {
            let _a = pool.take(&eval);
            let _b = pool.take(&eval);
            assert_eq!(pool.available(), 0);
            let _c = pool.take(&eval); // a third overlapping task gets a fresh arena
        }
        assert_eq!(pool.available(), 3);
    }
}
