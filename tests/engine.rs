//! The parallel inner-product engine: results in input order, bit-identical across modes,
//! schedules and thread counts, decrypting to the plaintext inner products; packing; typed
//! errors before any work; progress reporting.

mod common;

use ckks_accel::Error;
use ckks_accel::ckks::*;
use ckks_accel::parallel::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Env {
    ctx: Arc<CkksContext>,
    sk: SecretKey,
    pk: PublicKey,
    keys: Arc<EvaluationKeys>,
}

fn env(dim: usize) -> Env {
    let params = common::small_params();
    let ctx = CkksContext::new(params).unwrap();
    let mut kg = KeyGenerator::from_seed(ctx.clone(), 5);
    let sk = kg.secret_key().unwrap();
    let pk = kg.public_key(&sk).unwrap();
    let keys = Arc::new(EvaluationKeys {
        relin: Some(kg.relin_key(&sk).unwrap()),
        galois: kg
            .galois_keys(&sk, &KeyGenerator::tree_sum_steps(dim), false)
            .unwrap(),
    });
    Env { ctx, sk, pk, keys }
}

fn vectors(k: usize, dim: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    (0..k)
        .map(|_| (0..dim).map(|_| r.random_range(-1.0..1.0)).collect())
        .collect()
}

impl Env {
    fn encrypt_all(&self, vs: &[Vec<f64>]) -> Vec<Ciphertext> {
        let enc = Encoder::new(self.ctx.clone());
        let mut e = Encryptor::with_public_key(self.ctx.clone(), &self.pk)
            .unwrap()
            .with_seed(1);
        vs.iter()
            .map(|v| e.encrypt(&enc.encode_default(v).unwrap()).unwrap())
            .collect()
    }
    fn decrypt_slots(&self, ct: &Ciphertext) -> Vec<f64> {
        let d = Decryptor::new(self.ctx.clone(), &self.sk).unwrap();
        Encoder::new(self.ctx.clone())
            .decode(&d.decrypt(ct).unwrap())
            .unwrap()
    }
    fn engine(&self, threads: usize, mode: Mode, schedule: Schedule) -> InnerProductEngine {
        common::engine(&self.ctx, self.keys.clone(), threads, mode, schedule)
    }
}

#[test]
fn every_mode_and_schedule_gives_identical_ordered_results() {
    let (k, dim) = (5, 256);
    let e = env(dim);
    let (xs, ys) = (vectors(k, dim, 1), vectors(k, dim, 2));
    let (cx, cy) = (e.encrypt_all(&xs), e.encrypt_all(&ys));
    let pairs: Vec<_> = cx.into_iter().zip(cy).collect();
    let reference = e
        .engine(1, Mode::Task, Schedule::WorkStealing)
        .run(&pairs, dim)
        .unwrap();
    for (i, ct) in reference.iter().enumerate() {
        let want: f64 = xs[i].iter().zip(&ys[i]).map(|(a, b)| a * b).sum();
        let got = e.decrypt_slots(ct)[0];
        assert!((got - want).abs() < 1e-5, "product {i}: {got} vs {want}");
    }
    for (threads, mode, schedule) in [
        (2, Mode::Task, Schedule::WorkStealing),
        (2, Mode::Task, Schedule::Static),
        (3, Mode::Task, Schedule::Static),
        (2, Mode::Limb, Schedule::WorkStealing),
        (2, Mode::Auto, Schedule::WorkStealing),
        (2, Mode::Pipeline, Schedule::WorkStealing),
        (1, Mode::Pipeline, Schedule::WorkStealing),
    ] {
        let engine = e.engine(threads, mode, schedule);
        let calls = AtomicUsize::new(0);
        let (out, stats) = engine
            .run_with_progress(&pairs, dim, &|done, total| {
                assert!(done <= total);
                calls.fetch_add(1, Ordering::Relaxed);
            })
            .unwrap();
        assert_eq!(out, reference, "{threads} threads, {mode}, {schedule}");
        assert_eq!(calls.load(Ordering::Relaxed), k);
        assert_eq!(stats.products, k);
        assert_eq!(stats.profile.muls, k as u64);
        assert_eq!(stats.profile.relins, k as u64);
        assert_eq!(stats.profile.rescales, k as u64);
        assert_eq!(stats.profile.rotations, (k * 8) as u64);
        assert_eq!(stats.profile.adds, (k * 8) as u64);
        assert!((0.0..=1.0).contains(&stats.load_imbalance()));
    }
}

#[test]
fn packed_mode_serves_many_products_per_ciphertext() {
    let (k, dim) = (12, 256);
    let e = env(dim);
    let slots = e.ctx.params().slots();
    let layout = PackedLayout::new(slots, dim).unwrap();
    assert_eq!(layout.per_ciphertext, 8);
    let (xs, ys) = (vectors(k, dim, 3), vectors(k, dim, 4));
    let (px, py) = (layout.pack(&xs).unwrap(), layout.pack(&ys).unwrap());
    assert_eq!(px.len(), 2);
    let pairs: Vec<_> = e
        .encrypt_all(&px)
        .into_iter()
        .zip(e.encrypt_all(&py))
        .collect();
    let out = e
        .engine(2, Mode::Packed, Schedule::WorkStealing)
        .run(&pairs, dim)
        .unwrap();
    let decoded: Vec<Vec<f64>> = out.iter().map(|c| e.decrypt_slots(c)).collect();
    let got = layout.unpack(&decoded, k).unwrap();
    for i in 0..k {
        let want: f64 = xs[i].iter().zip(&ys[i]).map(|(a, b)| a * b).sum();
        assert!((got[i] - want).abs() < 1e-5, "packed product {i}");
    }
    assert!(layout.pack(&[vec![0.0; 3]]).is_err());
    assert!(PackedLayout::new(slots, 3).is_err());
}

#[test]
fn auto_mode_explains_its_choice() {
    assert_eq!(choose_mode(64, 4096, 8192, 2, false).mode, Mode::Task);
    assert_eq!(choose_mode(1, 4096, 8192, 2, false).mode, Mode::Limb);
    let p = choose_mode(64, 256, 8192, 2, true);
    assert_eq!(p.mode, Mode::Packed);
    assert!(p.reason.contains("pack"));
    assert_eq!(choose_mode(64, 8192, 8192, 2, true).mode, Mode::Task);
}

#[test]
fn bad_batches_fail_before_any_work() {
    let dim = 64;
    let e = env(dim);
    let cts = e.encrypt_all(&vectors(4, dim, 5));
    let mut pairs: Vec<_> = cts.iter().cloned().zip(cts.iter().cloned()).collect();
    let engine = e.engine(2, Mode::Task, Schedule::WorkStealing);
    assert!(matches!(
        engine.run(&pairs, 48),
        Err(Error::InvalidParameters { .. })
    ));
    assert!(matches!(
        engine.run(&pairs, 1 << 20),
        Err(Error::InvalidParameters { .. })
    ));
    assert!(matches!(
        engine.run(&pairs, 128),
        Err(Error::MissingKey { .. })
    ));
    // A pair at mismatched levels: reported with its index.
    let eval = engine.evaluator();
    eval.drop_to_level(&mut pairs[2].1, 1).unwrap();
    match engine.run(&pairs, dim) {
        Err(Error::Task { index, source }) => {
            assert_eq!(index, 2);
            assert!(matches!(*source, Error::LevelMismatch { .. }));
        }
        other => panic!("expected a task error, got {other:?}"),
    }
    // A ciphertext of other parameters.
    let other = env(dim);
    let foreign = {
        let params = CkksParams::preset(Preset::S).unwrap();
        let ctx = CkksContext::new(params).unwrap();
        let mut kg = KeyGenerator::from_seed(ctx.clone(), 1);
        let sk = kg.secret_key().unwrap();
        Encryptor::with_secret_key(ctx.clone(), &sk)
            .unwrap()
            .encrypt(&Encoder::new(ctx).encode_default(&[1.0]).unwrap())
            .unwrap()
    };
    let pairs2 = vec![(other.encrypt_all(&vectors(1, dim, 6))[0].clone(), foreign)];
    assert!(matches!(
        engine.run(&pairs2, dim),
        Err(Error::Task { index: 0, .. })
    ));
    assert!(
        InnerProductEngine::new(
            eval.clone(),
            EngineConfig {
                threads: Some(0),
                ..Default::default()
            }
        )
        .is_err()
    );
    // A pipeline with no room between stages is refused up front.
    assert!(matches!(
        InnerProductEngine::new(
            eval.clone(),
            EngineConfig {
                mode: Mode::Pipeline,
                pipeline_queue: 0,
                ..Default::default()
            }
        ),
        Err(Error::InvalidParameters { .. })
    ));
}

#[test]
fn pinned_and_pipelined_engines_match_task_mode() {
    let (k, dim) = (6, 64);
    let e = env(dim);
    let (xs, ys) = (vectors(k, dim, 3), vectors(k, dim, 4));
    let pairs: Vec<_> = e
        .encrypt_all(&xs)
        .into_iter()
        .zip(e.encrypt_all(&ys))
        .collect();
    let reference = e
        .engine(2, Mode::Task, Schedule::WorkStealing)
        .run(&pairs, dim)
        .unwrap();
    for (mode, pin, queue) in [
        (Mode::Task, true, 2),
        (Mode::Pipeline, false, 1),
        (Mode::Pipeline, true, 3),
    ] {
        let eval = Evaluator::new(e.ctx.clone(), e.keys.clone()).unwrap();
        let engine = InnerProductEngine::new(
            eval,
            EngineConfig {
                threads: Some(2),
                mode,
                pin_threads: pin,
                pipeline_queue: queue,
                ..Default::default()
            },
        )
        .unwrap();
        let (out, stats) = engine.run_with_progress(&pairs, dim, &|_, _| {}).unwrap();
        assert!(out == reference, "{mode} pin={pin} queue={queue}");
        assert_eq!(stats.products, k);
        assert_eq!(stats.profile.rotations as usize, k * 6);
        assert_eq!(stats.profile.muls as usize, k);
    }
}
