//! Tiled batches: the tensor kernel at its range edges on every ISA, every layout against plain
//! float64, bit-identical results across ISAs and thread counts, precision no worse than the
//! per-pair tree, the planner, and typed errors for bad input.

mod common;

use ckks_accel::Isa;
use ckks_accel::ckks::*;
use ckks_accel::eltwise::Eltwise;
use ckks_accel::parallel::*;
use common::{random_below, rng, test_primes};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::Arc;

/// The byte ranges of the frames nested in a batch frame (its tiles): each is a u64 length
/// prefix followed by a frame of exactly that length.
fn nested_frames(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut i = 32;
    while i + 32 <= bytes.len() - 8 {
        let prefix = u64::from_le_bytes(bytes[i - 8..i].try_into().unwrap()) as usize;
        let payload = u64::from_le_bytes(bytes[i + 16..i + 24].try_into().unwrap()) as usize;
        if &bytes[i..i + 4] == b"CKAC" && prefix == payload + 32 && i + prefix <= bytes.len() - 8 {
            out.push(i..i + prefix);
            i += prefix + 8;
        } else {
            i += 1;
        }
    }
    out
}

/// u128 reference of one `tensor_mac` word.
fn reference(q: u64, acc: [u64; 3], a: [u64; 2], b: [u64; 2], first: bool) -> [u64; 3] {
    let mul = |x: u64, y: u64| (x as u128 * y as u128 % q as u128) as u64;
    let add = |x: u64, y: u64| ((x as u128 + y as u128) % q as u128) as u64;
    let base = if first { [0; 3] } else { acc };
    [
        add(base[0], mul(a[0], b[0])),
        add(add(base[1], mul(a[0], b[1])), mul(a[1], b[0])),
        add(base[2], mul(a[1], b[1])),
    ]
}

#[test]
fn tensor_mac_matches_reference_on_every_isa_at_range_edges() {
    // Lengths around the vector widths and the chunk size.
    for n in [1usize, 7, 8, 16, 511, 512, 513, 1031] {
        for q in test_primes(1 << 10) {
            let mut r = rng(n as u64 ^ q);
            // Half random, then the edges: 0, 1, q − 1 mixed in every stream.
            let stream = |r: &mut ChaCha8Rng, salt: u64| -> Vec<u64> {
                let mut v = random_below(r, n, q);
                for (i, x) in v.iter_mut().enumerate() {
                    match (i as u64 + salt) % 5 {
                        0 => *x = q - 1,
                        1 => *x = 0,
                        2 if i % 2 == 0 => *x = 1,
                        _ => {}
                    }
                }
                v
            };
            let ins: Vec<Vec<u64>> = (0..7).map(|s| stream(&mut r, s)).collect();
            for first in [true, false] {
                let want: Vec<[u64; 3]> = (0..n)
                    .map(|i| {
                        reference(
                            q,
                            [ins[4][i], ins[5][i], ins[6][i]],
                            [ins[0][i], ins[1][i]],
                            [ins[2][i], ins[3][i]],
                            first,
                        )
                    })
                    .collect();
                for isa in Isa::available() {
                    let Ok(ops) = Eltwise::with_isa(q, isa) else {
                        continue;
                    };
                    let (mut d0, mut d1, mut d2) = (ins[4].clone(), ins[5].clone(), ins[6].clone());
                    ops.tensor_mac(
                        [&mut d0, &mut d1, &mut d2],
                        [&ins[0], &ins[1]],
                        [&ins[2], &ins[3]],
                        first,
                    );
                    for i in 0..n {
                        assert_eq!(
                            [d0[i], d1[i], d2[i]],
                            want[i],
                            "{isa} n={n} q={q} first={first} word {i}"
                        );
                    }
                }
            }
        }
    }
}

struct Env {
    ctx: Arc<CkksContext>,
    sk: SecretKey,
    kg: KeyGenerator,
}

fn params() -> CkksParams {
    common::insecure_params(10, &[55, 40, 40], &[56], 3, 40)
}

fn env(isa: Isa) -> Env {
    let ctx = CkksContext::with_isa(params(), isa).unwrap();
    let mut kg = KeyGenerator::from_seed(ctx.clone(), 21);
    let sk = kg.secret_key().unwrap();
    Env { ctx, sk, kg }
}

fn vectors(k: usize, dim: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    (0..k)
        .map(|_| (0..dim).map(|_| r.random_range(-1.0..1.0)).collect())
        .collect()
}

fn exact(xs: &[Vec<f64>], ys: &[Vec<f64>]) -> Vec<f64> {
    xs.iter()
        .zip(ys)
        .map(|(x, y)| x.iter().zip(y).map(|(a, b)| a * b).sum())
        .collect()
}

struct Outcome {
    got: Vec<f64>,
    words: Vec<Vec<u64>>,
    stats: RunStats,
}

fn run(e: &mut Env, req: &BatchRequest, xs: &[Vec<f64>], ys: &[Vec<f64>]) -> (BatchPlan, Outcome) {
    let (plan, keys) = e.kg.batch_keys(&e.sk, req).unwrap();
    let eval = Evaluator::new(e.ctx.clone(), Arc::new(keys)).unwrap();
    let engine = InnerProductEngine::new(
        eval,
        EngineConfig {
            threads: Some(req.threads),
            ..Default::default()
        },
    )
    .unwrap();
    let encoder = Encoder::new(e.ctx.clone());
    let mut enc = Encryptor::with_secret_key(e.ctx.clone(), &e.sk)
        .unwrap()
        .with_seed(9);
    let batch = EncryptedBatch::encrypt(&plan, xs, ys, None, &encoder, &mut enc).unwrap();
    let (out, stats) = engine.run_batch(&batch, &|_, _| {}).unwrap();
    let dec = Decryptor::new(e.ctx.clone(), &e.sk).unwrap();
    let got = batch.decrypt(&out, &dec, &encoder).unwrap();
    let words = out
        .iter()
        .flat_map(|ct| ct.parts().iter().map(|p| p.as_words().to_vec()))
        .collect();
    (plan, Outcome { got, words, stats })
}

fn max_err(got: &[f64], want: &[f64]) -> f64 {
    got.iter()
        .zip(want)
        .map(|(g, w)| (g - w).abs())
        .fold(0.0, f64::max)
}

#[test]
fn every_layout_matches_float64_and_is_identical_across_isas_and_threads() {
    let slots = params().slots(); // 512
    // (k, dim, block): transposed, small and large tiles, packed (b = dim), a ragged last
    // group, a dim that is not a power of two, and the per-pair extreme (m = 1 via k = 1).
    let cases = [
        (700, 8, 1),
        (40, 64, 4),
        (3, 100, 32),
        (9, 64, 64),
        (5, 37, 16),
        (1, 256, 256),
        (2, 48, 2),
    ];
    for (k, dim, block) in cases {
        let xs = vectors(k, dim, k as u64);
        let ys = vectors(k, dim, dim as u64 + 1);
        let want = exact(&xs, &ys);
        let mut reference: Option<Vec<Vec<u64>>> = None;
        for isa in Isa::available() {
            for threads in [1, 2] {
                let mut e = env(isa);
                let mut req = BatchRequest::new(k, dim, threads);
                req.block = Some(block);
                // A fixed sum plan (the cost model's choice depends on timings): the tree for
                // odd k, hoisted radix 4 for even k.
                req.sum = if k % 2 == 1 {
                    SumChoice::Tree
                } else {
                    SumChoice::Hoisted(Some(4))
                };
                let (plan, o) = run(&mut e, &req, &xs, &ys);
                assert_eq!(plan.layout.block, block);
                assert_eq!(plan.layout.per_ciphertext, slots / block);
                assert_eq!(o.got.len(), k);
                let err = max_err(&o.got, &want);
                assert!(
                    err < 1e-4 * dim as f64,
                    "{isa} threads={threads} k={k} dim={dim} b={block}: max error {err}"
                );
                assert_eq!(o.stats.products, k);
                assert_eq!(o.stats.profile.relins as usize, plan.groups);
                match &reference {
                    None => reference = Some(o.words),
                    Some(r) => assert!(
                        *r == o.words,
                        "{isa} threads={threads} k={k} dim={dim} b={block}: words differ from scalar/1 thread"
                    ),
                }
            }
        }
    }
}

#[test]
fn tiled_is_at_least_as_precise_as_the_per_pair_tree_and_unbiased() {
    let (k, dim) = (128, 64);
    let xs = vectors(k, dim, 5);
    let ys = vectors(k, dim, 6);
    let want = exact(&xs, &ys);
    let mut e = env(Isa::detect());
    // The per-pair tree on the same inputs (the seed pattern), at the top level.
    let keys = Arc::new(EvaluationKeys {
        relin: Some(e.kg.relin_key(&e.sk).unwrap()),
        galois: e
            .kg
            .galois_keys(&e.sk, &KeyGenerator::tree_sum_steps(dim), false)
            .unwrap(),
    });
    let eval = Evaluator::new(e.ctx.clone(), keys).unwrap();
    let encoder = Encoder::new(e.ctx.clone());
    let mut enc = Encryptor::with_secret_key(e.ctx.clone(), &e.sk)
        .unwrap()
        .with_seed(9);
    let dec = Decryptor::new(e.ctx.clone(), &e.sk).unwrap();
    let mut scratch = eval.scratch();
    let mut tree = Vec::new();
    for (x, y) in xs.iter().zip(&ys) {
        let a = enc.encrypt(&encoder.encode_default(x).unwrap()).unwrap();
        let b = enc.encrypt(&encoder.encode_default(y).unwrap()).unwrap();
        let mut out = a.clone();
        eval.inner_product_into(&a, &b, dim, &mut out, &mut scratch)
            .unwrap();
        tree.push(encoder.decode(&dec.decrypt(&out).unwrap()).unwrap()[0]);
    }
    let rms = |got: &[f64]| {
        (got.iter()
            .zip(&want)
            .map(|(g, w)| (g - w).powi(2))
            .sum::<f64>()
            / got.len() as f64)
            .sqrt()
    };
    let (tree_max, tree_rms) = (max_err(&tree, &want), rms(&tree));
    for block in [1, 8, 64] {
        let mut req = BatchRequest::new(k, dim, 1);
        req.block = Some(block);
        req.sum = SumChoice::Tree;
        let (_, o) = run(&mut e, &req, &xs, &ys);
        let (err, r) = (max_err(&o.got, &want), rms(&o.got));
        eprintln!(
            "b = {block}: max {err:.3e} rms {r:.3e}; per-pair tree max {tree_max:.3e} rms {tree_rms:.3e}"
        );
        // The RMS over 128 products moves by a few % between seeds; the max by ±30%.
        assert!(
            r <= tree_rms * 1.15 && err <= tree_max * 1.5,
            "b = {block}: tiled error (max {err:.3e}, rms {r:.3e}) above the per-pair tree's (max {tree_max:.3e}, rms {tree_rms:.3e})"
        );
        // No systematic bias: the mean signed error is within 4 standard errors of zero.
        let d: Vec<f64> = o.got.iter().zip(&want).map(|(g, w)| g - w).collect();
        let mean = d.iter().sum::<f64>() / d.len() as f64;
        let sd = (d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (d.len() - 1) as f64).sqrt();
        assert!(
            mean.abs() <= 4.0 * sd / (d.len() as f64).sqrt() + 1e-12,
            "b = {block}: mean error {mean:.3e} (sd {sd:.3e})"
        );
    }
}

#[test]
fn planner_picks_a_tiled_layout_with_few_key_switches_and_exact_keys() {
    let mut e = env(Isa::detect());
    // 64 products of dim 64 in 512 slots: packing would need 8 ciphertexts × 6 rotations.
    let req = BatchRequest::new(64, 64, 1);
    let (plan, keys) = e.kg.batch_keys(&e.sk, &req).unwrap();
    assert!(plan.key_switches_per_product() < 0.5, "{plan:?}");
    assert!(plan.predicted_s > 0.0);
    assert!(!plan.reason.is_empty());
    assert_eq!(keys.galois.len(), plan.rotation_steps().len());
    for s in plan.rotation_steps() {
        assert!(keys.galois.has_rotation(e.ctx.params().n(), s));
    }
    // The lowest output level holds dim · 1² with the margin: level 0 (55 bits) here.
    assert_eq!(plan.output_level, 0);
    assert_eq!(plan.tensor_level, 1);
    // b = 1 needs no rotation key at all.
    let mut one = BatchRequest::new(512, 4, 1);
    one.block = Some(1);
    let (plan1, keys1) = e.kg.batch_keys(&e.sk, &one).unwrap();
    assert_eq!(plan1.rotations_per_group(), 0);
    assert!(keys1.galois.is_empty());
}

#[test]
fn bad_batches_get_typed_errors() {
    let mut e = env(Isa::detect());
    assert!(e.kg.batch_keys(&e.sk, &BatchRequest::new(0, 8, 1)).is_err());
    assert!(e.kg.batch_keys(&e.sk, &BatchRequest::new(4, 0, 1)).is_err());
    let mut req = BatchRequest::new(4, 8, 1);
    req.value_bound = f64::NAN;
    assert!(e.kg.batch_keys(&e.sk, &req).is_err());
    let mut req = BatchRequest::new(4, 8, 1);
    req.output_level = Some(9);
    assert!(matches!(
        e.kg.batch_keys(&e.sk, &req),
        Err(ckks_accel::Error::InvalidLevel { .. })
    ));
    let req = BatchRequest::new(4, 8, 1);
    let (plan, _) = e.kg.batch_keys(&e.sk, &req).unwrap();
    let encoder = Encoder::new(e.ctx.clone());
    let mut enc = Encryptor::with_secret_key(e.ctx.clone(), &e.sk).unwrap();
    let xs = vectors(4, 8, 1);
    let enc_with = |xs: &[Vec<f64>], ys: &[Vec<f64>], level, enc: &mut Encryptor| {
        EncryptedBatch::encrypt(&plan, xs, ys, level, &encoder, enc)
    };
    assert!(enc_with(&xs, &xs[..3], None, &mut enc).is_err()); // counts differ
    assert!(enc_with(&xs[..3], &xs[..3], None, &mut enc).is_err()); // not the plan's k
    let mut ragged = xs.clone();
    ragged[2].pop();
    assert!(enc_with(&ragged, &xs, None, &mut enc).is_err());
    let mut nan = xs.clone();
    nan[1][3] = f64::NAN;
    assert!(enc_with(&nan, &xs, None, &mut enc).is_err());
    let mut big = xs.clone();
    big[0][0] = 1.5; // beyond the plan's value_bound of 1
    assert!(enc_with(&big, &xs, None, &mut enc).is_err());
    assert!(matches!(
        enc_with(&xs, &xs, Some(0), &mut enc),
        Err(ckks_accel::Error::InvalidLevel { .. })
    ));
    // Results of another batch's layout are refused at decryption.
    let batch = enc_with(&xs, &xs, None, &mut enc).unwrap();
    let dec = Decryptor::new(e.ctx.clone(), &e.sk).unwrap();
    let top = batch.tiles()[0].0.clone();
    assert!(batch.decrypt(&[top.clone(), top], &dec, &encoder).is_err());
    assert!(
        batch
            .decrypt(&[batch.tiles()[0].0.clone()], &dec, &encoder)
            .is_err()
    );
    // An engine without the plan's rotation keys refuses before any work.
    let eval = Evaluator::new(e.ctx.clone(), Arc::new(EvaluationKeys::default())).unwrap();
    let engine = InnerProductEngine::new(eval, EngineConfig::default()).unwrap();
    assert!(matches!(
        engine.run_batch(&batch, &|_, _| {}),
        Err(ckks_accel::Error::MissingKey { .. })
    ));
}

#[test]
fn streaming_matches_the_batch_run_group_by_group() {
    let mut e = env(Isa::detect());
    let (k, dim) = (300, 16); // b = 4 → 128 products per ciphertext: 3 groups (the last partial)
    let mut req = BatchRequest::new(k, dim, 2);
    req.block = Some(4);
    req.sum = SumChoice::Tree;
    let (plan, keys) = e.kg.batch_keys(&e.sk, &req).unwrap();
    let eval = Evaluator::new(e.ctx.clone(), Arc::new(keys)).unwrap();
    let engine = InnerProductEngine::new(
        eval,
        EngineConfig {
            threads: Some(2),
            ..Default::default()
        },
    )
    .unwrap();
    let (xs, ys) = (vectors(k, dim, 1), vectors(k, dim, 2));
    let encoder = Encoder::new(e.ctx.clone());
    let mut enc = Encryptor::with_secret_key(e.ctx.clone(), &e.sk).unwrap();
    let batch = EncryptedBatch::encrypt(&plan, &xs, &ys, None, &encoder, &mut enc).unwrap();
    let (whole, _) = engine.run_batch(&batch, &|_, _| {}).unwrap();
    let mut streamed = Vec::new();
    let groups = (0..plan.groups).map(|g| Ok(batch.group(g).to_vec()));
    let stats = engine
        .run_stream(&plan, groups, |g, ct| {
            assert_eq!(g, streamed.len(), "results in input order");
            streamed.push(ct);
            Ok(())
        })
        .unwrap();
    assert_eq!(stats.products, k);
    assert!(
        streamed == whole,
        "streamed results differ from the batch run"
    );
    // A wrong-size group stops the stream with a typed error naming it.
    let bad = (0..2).map(|g| Ok(batch.group(g)[..plan.layout.tiles - 1].to_vec()));
    assert!(matches!(
        engine.run_stream(&plan, bad, |_, _| Ok(())),
        Err(ckks_accel::Error::Task { index: 0, .. })
    ));
}

#[test]
fn plaintext_side_rows_against_encrypted_queries() {
    let mut e = env(Isa::detect());
    let (k, dim) = (100, 40);
    let mut req = BatchRequest::new(k, dim, 2);
    req.plaintext_side = true;
    let (plan, keys) = e.kg.batch_keys(&e.sk, &req).unwrap();
    assert!(
        keys.relin.is_none(),
        "the plaintext side needs no relinearization key"
    );
    assert!(plan.key_switches_per_product() < 1.0);
    let eval = Evaluator::new(e.ctx.clone(), Arc::new(keys)).unwrap();
    let engine = InnerProductEngine::new(
        eval,
        EngineConfig {
            threads: Some(2),
            ..Default::default()
        },
    )
    .unwrap();
    let rows = vectors(k, dim, 3);
    let encoder = Encoder::new(e.ctx.clone());
    let mut enc = Encryptor::with_secret_key(e.ctx.clone(), &e.sk).unwrap();
    let dec = Decryptor::new(e.ctx.clone(), &e.sk).unwrap();
    let plain = PlainBatch::encode(&plan, &rows, &encoder).unwrap();
    // k different queries.
    let xs = vectors(k, dim, 4);
    let q = EncryptedQueries::encrypt(&plan, &xs, None, &encoder, &mut enc).unwrap();
    let (out, stats) = engine.run_plain(&q, &plain, &|_, _| {}).unwrap();
    assert_eq!(stats.profile.relins, 0);
    let got = q.decrypt(&out, &dec, &encoder).unwrap();
    assert!(max_err(&got, &exact(&xs, &rows)) < 1e-5);
    // One shared query against every row: T ciphertexts for all groups.
    let x = vectors(1, dim, 5).remove(0);
    let shared = EncryptedQueries::encrypt_shared(&plan, &x, None, &encoder, &mut enc).unwrap();
    assert!(shared.is_shared());
    let (out, _) = engine.run_plain(&shared, &plain, &|_, _| {}).unwrap();
    let got = shared.decrypt(&out, &dec, &encoder).unwrap();
    let want = exact(&vec![x; k], &rows);
    assert!(max_err(&got, &want) < 1e-5);
    // Mixing plans, or a two-sided plan for rows, is refused.
    let other = BatchPlan::uncosted(e.ctx.params(), &BatchRequest::new(k, dim, 1)).unwrap();
    assert!(PlainBatch::encode(&other, &rows, &encoder).is_err());
    assert!(EncryptedBatch::encrypt(&plan, &xs, &rows, None, &encoder, &mut enc).is_err());
}

#[test]
fn batches_serialize_canonically_and_hostile_bytes_are_refused() {
    let mut e = env(Isa::detect());
    let mut req = BatchRequest::new(7, 24, 1);
    req.block = Some(8);
    req.sum = SumChoice::Hoisted(Some(4));
    let (plan, keys) = e.kg.batch_keys(&e.sk, &req).unwrap();
    let encoder = Encoder::new(e.ctx.clone());
    let mut enc = Encryptor::with_secret_key(e.ctx.clone(), &e.sk).unwrap();
    let (xs, ys) = (vectors(7, 24, 1), vectors(7, 24, 2));
    let batch = EncryptedBatch::encrypt(&plan, &xs, &ys, Some(1), &encoder, &mut enc).unwrap();
    let bytes = batch.to_bytes();
    let back = EncryptedBatch::from_bytes(&e.ctx, &bytes).unwrap();
    assert_eq!(back.to_bytes(), bytes);
    assert_eq!(back.plan(), batch.plan());
    // The loaded batch runs and decrypts like the original.
    let eval = Evaluator::new(e.ctx.clone(), Arc::new(keys)).unwrap();
    let engine = InnerProductEngine::new(eval, EngineConfig::default()).unwrap();
    let (out, _) = engine.run_batch(&back, &|_, _| {}).unwrap();
    let dec = Decryptor::new(e.ctx.clone(), &e.sk).unwrap();
    let got = back.decrypt(&out, &dec, &encoder).unwrap();
    assert!(max_err(&got, &exact(&xs, &ys)) < 1e-4);
    // A batch written by a version-2 build (outer and tile frames with FNV trailers) loads
    // to the same batch, through the one-pass nested checksum.
    let v2 = common::as_version_2(&bytes, &nested_frames(&bytes));
    assert_ne!(v2, bytes);
    let old = EncryptedBatch::from_bytes(&e.ctx, &v2).unwrap();
    assert_eq!(old.to_bytes(), bytes);
    // Tiles of another version than their batch are refused (v2 tiles in a v3 batch).
    let tiles = nested_frames(&bytes);
    let mut mixed = common::as_version_2(&bytes, &tiles);
    mixed[4..6].copy_from_slice(&3u16.to_le_bytes());
    common::refix(&mut mixed);
    common::deserialize_err(
        EncryptedBatch::from_bytes(&e.ctx, &mixed),
        "format version 2 in a version 3 batch",
    );
    common::deserialize_err(
        EncryptedBatch::from_bytes_parallel(&e.ctx, &mixed),
        "format version 2 in a version 3 batch",
    );
    // The engine's loader and the parallel one it uses with several threads (here on rayon's
    // global pool) give the same batch, also from version 2.
    assert_eq!(engine.load_batch(&bytes).unwrap().to_bytes(), bytes);
    let par = |b: &[u8]| EncryptedBatch::from_bytes_parallel(&e.ctx, b);
    assert_eq!(par(&bytes).unwrap().to_bytes(), bytes);
    assert_eq!(par(&v2).unwrap().to_bytes(), bytes);
    // Every single-byte change and every truncation is refused (checksums, then shapes), by
    // both loaders with the same error.
    let error =
        |r: Result<EncryptedBatch, ckks_accel::Error>| r.map(|_| ()).unwrap_err().to_string();
    for i in (0..bytes.len()).step_by(97) {
        let mut bad = bytes.clone();
        bad[i] ^= 0x41;
        let seq = error(EncryptedBatch::from_bytes(&e.ctx, &bad));
        assert_eq!(seq, error(par(&bad)), "byte {i}");
    }
    for len in [0, 10, 31, bytes.len() / 2, bytes.len() - 1] {
        let seq = error(EncryptedBatch::from_bytes(&e.ctx, &bytes[..len]));
        assert_eq!(seq, error(par(&bytes[..len])), "length {len}");
    }
    // A tile tampered with and its own and the batch's checksums recomputed: the tile's
    // residue check (or shape) refuses it in both loaders.
    let tiles = nested_frames(&bytes);
    let t = &tiles[tiles.len() / 2];
    let mut forged = bytes.clone();
    forged[t.end - 16..t.end - 8].copy_from_slice(&u64::MAX.to_le_bytes());
    let sum = common::checksum(&forged[t.start..t.end - 8]);
    forged[t.end - 8..t.end].copy_from_slice(&sum.to_le_bytes());
    common::refix(&mut forged);
    let seq = error(EncryptedBatch::from_bytes(&e.ctx, &forged));
    assert_eq!(seq, error(par(&forged)));
    // Another parameter set's context refuses it.
    let other = CkksContext::new(common::insecure_params(10, &[55, 40, 40], &[57], 3, 40)).unwrap();
    assert!(EncryptedBatch::from_bytes(&other, &bytes).is_err());
}
