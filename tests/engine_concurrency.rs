//! One engine shared by many threads, and re-entered from its own progress callback: every
//! call finishes (a watchdog fails the test instead of letting it hang), every result is right,
//! and each run's statistics count exactly its own work.
//!
//! Before the arena pool (issue 18) these tests hung: a worker locked its arena for the length
//! of a product, and a thread waiting inside that product's parallel work was handed another
//! caller's product, which locked the same arena on the same thread.

mod common;

use ckks_accel::ckks::*;
use ckks_accel::parallel::*;
use std::sync::mpsc;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Generous: the whole test takes well under a second of work; a deadlock never finishes.
const WATCHDOG: Duration = Duration::from_secs(120);

struct Env {
    ctx: Arc<CkksContext>,
    sk: SecretKey,
    keys: Arc<EvaluationKeys>,
}

const DIM: usize = 8;

fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
        let params = common::insecure_params(10, &[50, 40], &[50], 2, 40);
        let ctx = CkksContext::new(params).unwrap();
        let mut kg = KeyGenerator::from_seed(ctx.clone(), 11);
        let sk = kg.secret_key().unwrap();
        let keys = Arc::new(EvaluationKeys {
            relin: Some(kg.relin_key(&sk).unwrap()),
            galois: kg
                .galois_keys(&sk, &KeyGenerator::tree_sum_steps(DIM), false)
                .unwrap(),
        });
        Env { ctx, sk, keys }
    })
}

fn pair(e: &Env, seed: u64) -> ((Ciphertext, Ciphertext), f64) {
    let x: Vec<f64> = (0..DIM)
        .map(|i| ((i as u64 * 7 + seed) % 11) as f64 / 11.0)
        .collect();
    let y: Vec<f64> = (0..DIM)
        .map(|i| ((i as u64 * 3 + seed) % 5) as f64 / 5.0)
        .collect();
    let want = x.iter().zip(&y).map(|(a, b)| a * b).sum();
    let encoder = Encoder::new(e.ctx.clone());
    let mut enc = Encryptor::with_secret_key(e.ctx.clone(), &e.sk)
        .unwrap()
        .with_seed(seed);
    let cx = enc.encrypt(&encoder.encode_default(&x).unwrap()).unwrap();
    let cy = enc.encrypt(&encoder.encode_default(&y).unwrap()).unwrap();
    ((cx, cy), want)
}

fn decrypt0(e: &Env, ct: &Ciphertext) -> f64 {
    let dec = Decryptor::new(e.ctx.clone(), &e.sk).unwrap();
    Encoder::new(e.ctx.clone())
        .decode(&dec.decrypt(ct).unwrap())
        .unwrap()[0]
}

fn engine(threads: usize, mode: Mode, schedule: Schedule) -> Arc<InnerProductEngine> {
    let e = env();
    Arc::new(common::engine(
        &e.ctx,
        e.keys.clone(),
        threads,
        mode,
        schedule,
    ))
}

/// Runs `f` on `callers` threads at once and fails if they have not all finished within the
/// watchdog's time (the stuck threads are left behind; the test process ends after the run).
fn all_finish(callers: usize, f: impl Fn(usize) + Send + Sync + 'static) {
    let f = Arc::new(f);
    let (tx, rx) = mpsc::channel();
    for c in 0..callers {
        let (f, tx) = (f.clone(), tx.clone());
        std::thread::spawn(move || {
            f(c);
            let _ = tx.send(c);
        });
    }
    drop(tx);
    let deadline = std::time::Instant::now() + WATCHDOG;
    for _ in 0..callers {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(_) => {}
            Err(mpsc::RecvTimeoutError::Timeout) => {
                panic!("watchdog: a caller did not finish within {WATCHDOG:?} (deadlock)")
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                panic!("a caller panicked")
            }
        }
    }
}

#[test]
fn sixteen_callers_share_one_engine() {
    for (mode, schedule) in [
        (Mode::Task, Schedule::WorkStealing),
        (Mode::Task, Schedule::Static),
        (Mode::Limb, Schedule::WorkStealing),
    ] {
        let eng = engine(2, mode, schedule);
        all_finish(16, move |c| {
            let e = env();
            for round in 0..3 {
                let batch: Vec<_> = (0..1 + c % 3)
                    .map(|i| pair(e, (c * 10 + i + round * 100) as u64))
                    .collect();
                let pairs: Vec<_> = batch.iter().map(|(p, _)| p.clone()).collect();
                let (out, stats) = eng.run_with_progress(&pairs, DIM, &|_, _| {}).unwrap();
                // Statistics belong to this run: its products and its rotations only.
                assert_eq!(stats.products, pairs.len());
                assert_eq!(stats.tasks.iter().sum::<usize>(), pairs.len());
                assert_eq!(
                    stats.profile.rotations as usize,
                    pairs.len() * DIM.trailing_zeros() as usize
                );
                for (ct, (_, want)) in out.iter().zip(&batch) {
                    assert!((decrypt0(e, ct) - want).abs() < 1e-3);
                }
            }
        });
    }
}

#[test]
fn progress_callback_reenters_the_engine() {
    for threads in [1, 2] {
        for mode in [Mode::Task, Mode::Limb] {
            let eng = engine(threads, mode, Schedule::WorkStealing);
            let inner = eng.clone();
            all_finish(1, move |_| {
                let e = env();
                let batch: Vec<_> = (0..3).map(|i| pair(e, i)).collect();
                let pairs: Vec<_> = batch.iter().map(|(p, _)| p.clone()).collect();
                let nested = std::sync::Mutex::new(Vec::new());
                let (out, stats) = eng
                    .run_with_progress(&pairs, DIM, &|done, _| {
                        // Re-enter the engine that is running us, from its own worker.
                        let one = [pairs[done - 1].clone()];
                        let (r, s) = inner.run_with_progress(&one, DIM, &|_, _| {}).unwrap();
                        assert_eq!(s.products, 1);
                        nested.lock().unwrap().push((done - 1, r));
                    })
                    .unwrap();
                assert_eq!(stats.products, 3);
                assert_eq!(stats.profile.rotations as usize, 3 * 3);
                for (ct, (_, want)) in out.iter().zip(&batch) {
                    assert!((decrypt0(e, ct) - want).abs() < 1e-3);
                }
                for (i, r) in nested.into_inner().unwrap() {
                    assert!((decrypt0(e, &r[0]) - batch[i].1).abs() < 1e-3);
                }
            });
        }
    }
}
