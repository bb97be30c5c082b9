//! `Mode::Pipeline`: per-pair products through four stages on dedicated threads —
//! multiply → relinearize → rescale (and the optional level drop) → inner sum — joined by
//! bounded queues of `EngineConfig::pipeline_queue` products. Each stage owns an arena from the
//! engine's pool; ciphertext buffers travel forward with the product and come back on a return
//! queue, so a warm run allocates only up to `queue + 2` buffers per link, not one per product.
//! Results land in input order (each carries its index).
//!
//! Kept as an option with its measured reason (`docs/benchmarks.md`): a product's stages are
//! far from balanced (the log2(dim) rotations of the sum are ~85% of it), so the pipeline's
//! throughput is that of its sum stage — one thread's — whatever the number of cores.

use super::InnerProductEngine;
use super::arena::RunLedger;
use crate::ckks::Ciphertext;
use crate::error::{Error, Result};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::Instant;

/// Pins the calling thread to core `index` mod the cores `core_affinity` reports (the rayon
/// pool's start handler, and the pipeline's stage threads). Silently does nothing where the OS
/// refuses or reports no cores.
pub(crate) fn pin_current_thread(index: usize) {
    if let Some(ids) = core_affinity::get_core_ids()
        && !ids.is_empty()
    {
        core_affinity::set_for_current(ids[index % ids.len()]);
    }
}

/// One link between two stages: products forward, spent buffers back.
/// A product in flight: its index and its ciphertext.
type Item = (usize, Ciphertext);

struct Link {
    fwd: (SyncSender<Item>, Receiver<Item>),
    back: (SyncSender<Ciphertext>, Receiver<Ciphertext>),
}

impl Link {
    fn new(bound: usize) -> Link {
        Link {
            fwd: sync_channel(bound),
            back: sync_channel(bound + 2),
        }
    }
}

impl InnerProductEngine {
    /// Runs `pairs` through the four stages (see the module docs). The batch was validated.
    pub(crate) fn run_pipeline(
        &self,
        pairs: &[(Ciphertext, Ciphertext)],
        dim: usize,
        outputs: &mut [Ciphertext],
        progress: &(dyn Fn(usize, usize) + Sync),
        ledger: &RunLedger,
    ) -> Result<()> {
        let bound = self.config.pipeline_queue;
        let (l1, l2, l3) = (Link::new(bound), Link::new(bound), Link::new(bound));
        let failed_flag = AtomicBool::new(false);
        let first_error: Mutex<Option<Error>> = Mutex::new(None);
        let failed = &failed_flag;
        let fail = &|index: usize, e: Error| {
            failed.store(true, Ordering::Relaxed);
            let mut slot = first_error.lock().unwrap_or_else(|p| p.into_inner());
            slot.get_or_insert(Error::Task {
                index,
                source: Box::new(e),
            });
        };
        let done = &AtomicUsize::new(0);
        let total = pairs.len();
        let pin = self.config.pin_threads;
        let eval = &self.eval;
        // A buffer: a spent one from the next stage, else a fresh one (only while warming up).
        let buffer = |back: &Receiver<Ciphertext>| {
            back.try_recv()
                .unwrap_or_else(|_| Ciphertext::placeholder())
        };
        let (tx1, rx1) = l1.fwd;
        let (ret1_tx, ret1_rx) = l1.back;
        let (tx2, rx2) = l2.fwd;
        let (ret2_tx, ret2_rx) = l2.back;
        let (tx3, rx3) = l3.fwd;
        let (ret3_tx, ret3_rx) = l3.back;
        std::thread::scope(|s| {
            // Stage 1: a ⊗ b.
            s.spawn(move || {
                if pin {
                    pin_current_thread(0);
                }
                let mut arena = self.arenas.take(eval);
                for (i, (a, b)) in pairs.iter().enumerate() {
                    if failed.load(Ordering::Relaxed) {
                        break;
                    }
                    let t = Instant::now();
                    let mut prod = buffer(&ret1_rx);
                    let r = eval.mul_into(a, b, &mut prod);
                    arena.ks.profile.muls += 1;
                    ledger.record_work(t.elapsed(), &mut arena);
                    match r {
                        Ok(()) => {
                            if tx1.send((i, prod)).is_err() {
                                break;
                            }
                        }
                        Err(e) => fail(i, e),
                    }
                }
                drop(tx1);
            });
            // Stage 2: relinearize.
            s.spawn(move || {
                if pin {
                    pin_current_thread(1);
                }
                let mut arena = self.arenas.take(eval);
                for (i, prod) in rx1.iter() {
                    let t = Instant::now();
                    let mut out = buffer(&ret2_rx);
                    let r = eval.relinearize_into(&prod, &mut out, &mut arena);
                    ledger.record_work(t.elapsed(), &mut arena);
                    let _ = ret1_tx.try_send(prod);
                    match r {
                        Ok(()) => {
                            if tx2.send((i, out)).is_err() {
                                break;
                            }
                        }
                        Err(e) => fail(i, e),
                    }
                }
                drop(tx2);
            });
            // Stage 3: rescale (and drop to the output level).
            s.spawn(move || {
                if pin {
                    pin_current_thread(2);
                }
                let mut arena = self.arenas.take(eval);
                for (i, ct) in rx2.iter() {
                    let t = Instant::now();
                    let mut out = buffer(&ret3_rx);
                    let r = eval
                        .rescale_into(&ct, &mut out, &mut arena)
                        .and_then(|()| match self.output_level {
                            Some(l) => eval.drop_to_level(&mut out, l),
                            None => Ok(()),
                        });
                    ledger.record_work(t.elapsed(), &mut arena);
                    let _ = ret2_tx.try_send(ct);
                    match r {
                        Ok(()) => {
                            if tx3.send((i, out)).is_err() {
                                break;
                            }
                        }
                        Err(e) => fail(i, e),
                    }
                }
                drop(tx3);
            });
            // Stage 4 (this thread): the sum, into the caller's output slot.
            if pin {
                pin_current_thread(3);
            }
            let mut arena = self.arenas.take(eval);
            for (i, mut ct) in rx3.iter() {
                let t = Instant::now();
                let r = eval.inner_sum_with(&mut ct, &self.sum, dim, &mut arena);
                // A product is one task: counted once, at its last stage.
                ledger.record(t.elapsed(), &mut arena);
                match r {
                    Ok(()) => {
                        let spent = std::mem::replace(&mut outputs[i], ct);
                        let _ = ret3_tx.try_send(spent);
                        progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
                    }
                    Err(e) => fail(i, e),
                }
            }
        });
        match first_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}
