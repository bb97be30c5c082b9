//! The evaluation-key bundle (kind 9): round trips (full and compressed; tree, uniform and
//! non-uniform hoisted plans, no description), canonical bytes, and loading's refusals — the
//! issue-18 header rewrite (dim 8 → 4), dims 3, 64 (beyond the keys) and 2^40, bad plans,
//! missing rotation keys, mixed key encodings, another parameter set.

use ckks_accel::Error;
use ckks_accel::ckks::serialize::{self, Kind};
use ckks_accel::ckks::*;
use std::sync::Arc;

mod common;

struct Env {
    ctx: Arc<CkksContext>,
    sk: SecretKey,
    kg: KeyGenerator,
}

fn env() -> Env {
    let ctx = CkksContext::new(common::toy_params()).unwrap();
    let mut kg = KeyGenerator::from_seed(ctx.clone(), 21).with_seeded_keys(true);
    let sk = kg.secret_key().unwrap();
    Env { ctx, sk, kg }
}

fn bundle(e: &mut Env, dim: usize, method: SumMethod) -> KeyBundle {
    let galois =
        e.kg.galois_keys(&e.sk, &method.rotation_steps(dim), false)
            .unwrap();
    KeyBundle {
        keys: Arc::new(EvaluationKeys {
            relin: Some(e.kg.relin_key(&e.sk).unwrap()),
            galois,
        }),
        sum: Some((dim, method)),
    }
}

/// Offset of the tree description's dim (the last 8 payload bytes).
fn tree_dim_offset(bytes: &[u8]) -> usize {
    bytes.len() - 8 - 8
}

fn set_u64(bytes: &mut [u8], at: usize, v: u64) {
    bytes[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

#[test]
fn bundles_round_trip_canonically() {
    let mut e = env();
    let nonuniform = SumPlan {
        span: 64,
        steps: vec![(4, 1), (2, 4), (8, 8)],
    };
    let cases = vec![
        bundle(&mut e, 8, SumMethod::Tree),
        bundle(
            &mut e,
            64,
            SumMethod::Hoisted(SumPlan::radix(64, 4).unwrap()),
        ),
        bundle(&mut e, 64, SumMethod::Hoisted(nonuniform.clone())),
        bundle(&mut e, 1, SumMethod::Tree),
        bundle(&mut e, 1, SumMethod::Hoisted(SumPlan::radix(1, 2).unwrap())),
        KeyBundle {
            keys: Arc::new(EvaluationKeys {
                relin: None,
                galois: e.kg.galois_keys(&e.sk, &[3], true).unwrap(),
            }),
            sum: None,
        },
        KeyBundle::default(),
    ];
    for b in &cases {
        for compressed in [false, true] {
            let bytes = if compressed {
                b.to_bytes_compressed(&e.ctx).unwrap()
            } else {
                b.to_bytes(&e.ctx).unwrap()
            };
            assert_eq!(
                serialize::peek(&bytes).unwrap(),
                (Kind::KeyBundle, e.ctx.params().id())
            );
            let back = KeyBundle::from_bytes(&e.ctx, &bytes).unwrap();
            assert_eq!(back.sum, b.sum);
            assert_eq!(back.keys.relin.is_some(), b.keys.relin.is_some());
            assert_eq!(back.keys.galois.elements(), b.keys.galois.elements());
            let again = if compressed {
                back.to_bytes_compressed(&e.ctx).unwrap()
            } else {
                back.to_bytes(&e.ctx).unwrap()
            };
            assert_eq!(again, bytes, "re-serializing must give the same bytes");
        }
    }
    // Full bytes of a seeded bundle re-expand to the same key material.
    let b = &cases[1];
    let full = b.to_bytes(&e.ctx).unwrap();
    let from_compressed =
        KeyBundle::from_bytes(&e.ctx, &b.to_bytes_compressed(&e.ctx).unwrap()).unwrap();
    assert_eq!(from_compressed.to_bytes(&e.ctx).unwrap(), full);
    // The non-uniform plan keeps its exact steps.
    let back = KeyBundle::from_bytes(&e.ctx, &cases[2].to_bytes(&e.ctx).unwrap()).unwrap();
    assert_eq!(back.sum, Some((64, SumMethod::Hoisted(nonuniform))));
}

#[test]
fn loaded_bundle_computes_the_right_sum() {
    let mut e = env();
    let b = bundle(&mut e, 8, SumMethod::Hoisted(SumPlan::radix(8, 4).unwrap()));
    let back = KeyBundle::from_bytes(&e.ctx, &b.to_bytes_compressed(&e.ctx).unwrap()).unwrap();
    let (dim, method) = back.sum.clone().unwrap();
    let eval = Evaluator::new(e.ctx.clone(), back.keys.clone()).unwrap();
    let encoder = Encoder::new(e.ctx.clone());
    let mut enc = Encryptor::with_secret_key(e.ctx.clone(), &e.sk).unwrap();
    let x: Vec<f64> = (0..dim).map(|i| 0.25 + i as f64 / 16.0).collect();
    let ct = enc.encrypt(&encoder.encode_default(&x).unwrap()).unwrap();
    let mut out = ct.clone();
    eval.inner_product_with(&ct, &ct, dim, &method, None, &mut out, &mut eval.scratch())
        .unwrap();
    let got = encoder
        .decode(
            &Decryptor::new(e.ctx.clone(), &e.sk)
                .unwrap()
                .decrypt(&out)
                .unwrap(),
        )
        .unwrap()[0];
    let want: f64 = x.iter().map(|v| v * v).sum();
    assert!((got - want).abs() < 1e-3, "{got} vs {want}");
}

#[test]
fn the_issue_18_dim_rewrite_fails_to_load() {
    let mut e = env();
    // Tree keys for dim 8 (rotations 1, 2, 4): rewriting dim 8 → 4 in place, as the issue did
    // with the Python container, now breaks the checksum.
    let b = bundle(&mut e, 8, SumMethod::Tree);
    let bytes = b.to_bytes(&e.ctx).unwrap();
    let at = tree_dim_offset(&bytes);
    assert_eq!(&bytes[at..at + 8], &8u64.to_le_bytes());
    let mut forged = bytes.clone();
    set_u64(&mut forged, at, 4);
    common::deserialize_err(KeyBundle::from_bytes(&e.ctx, &forged), "checksum");
    // The same rewrite with the checksum recomputed is a *consistent* forgery (tree keys for 8
    // include those for 4): the unkeyed format cannot tell, a sealed bundle can.
    common::refix(&mut forged);
    assert_eq!(
        KeyBundle::from_bytes(&e.ctx, &forged)
            .unwrap()
            .sum
            .unwrap()
            .0,
        4
    );
    let key = [7u8; 32];
    let mut sealed = serialize::seal(&key, &bytes).unwrap();
    let inner = 24 + at;
    set_u64(&mut sealed, inner, 4);
    common::refix(&mut sealed);
    common::deserialize_err(serialize::unseal(&key, &sealed), "integrity tag");
    // A hoisted plan over 8 relabelled as dim 4 (checksum recomputed) no longer covers its span.
    let b = bundle(&mut e, 8, SumMethod::Hoisted(SumPlan::radix(8, 2).unwrap()));
    let mut bytes = b.to_bytes(&e.ctx).unwrap();
    let dim_at = bytes.len() - 8 - (8 + 1 + 16 * 3);
    assert_eq!(&bytes[dim_at..dim_at + 8], &8u64.to_le_bytes());
    set_u64(&mut bytes, dim_at, 4);
    common::refix(&mut bytes);
    common::deserialize_err(KeyBundle::from_bytes(&e.ctx, &bytes), "steps");
}

#[test]
fn bad_dims_fail_to_load_with_a_typed_error() {
    let mut e = env();
    let bytes = bundle(&mut e, 8, SumMethod::Tree).to_bytes(&e.ctx).unwrap();
    let at = tree_dim_offset(&bytes);
    for (dim, needle) in [
        (3u64, "power of two"),
        (0, "power of two"),
        (64, "rotation key for 8 steps"),
        (1 << 40, "power of two ≤ 512 slots"),
        (u64::MAX, "power of two"),
    ] {
        let mut forged = bytes.clone();
        set_u64(&mut forged, at, dim);
        common::refix(&mut forged);
        common::deserialize_err(KeyBundle::from_bytes(&e.ctx, &forged), needle);
    }
    // The writer refuses the same descriptions.
    let good = bundle(&mut e, 8, SumMethod::Tree);
    for dim in [3, 64, 1 << 40] {
        let b = KeyBundle {
            keys: good.keys.clone(),
            sum: Some((dim, SumMethod::Tree)),
        };
        assert!(matches!(
            b.to_bytes(&e.ctx),
            Err(Error::InvalidParameters { .. })
        ));
    }
}

#[test]
fn bad_plans_and_missing_keys_are_refused() {
    let mut e = env();
    let keys = bundle(&mut e, 64, SumMethod::Tree).keys; // rotations 1, 2, …, 32
    let write = |steps: Vec<(usize, usize)>, span: usize| {
        let b = KeyBundle {
            keys: keys.clone(),
            sum: Some((64, SumMethod::Hoisted(SumPlan { span, steps }))),
        };
        b.to_bytes(&e.ctx)
    };
    type Case = (Vec<(usize, usize)>, usize, &'static str);
    let cases: Vec<Case> = vec![
        (
            vec![(2, 1), (2, 2), (2, 4), (2, 8), (2, 16)],
            64,
            "cover 32",
        ),
        (
            vec![(2, 1), (4, 2), (2, 4), (4, 16)],
            64,
            "stride 4, expected 8",
        ),
        (vec![(3, 1)], 64, "radix 3"),
        (vec![(1, 1)], 64, "radix 1"),
        (vec![(2, 2), (32, 4)], 64, "stride 2, expected 1"),
        (vec![(128, 1)], 64, "beyond the span"),
        (vec![(64, 1)], 32, "described for dim 64"),
        (vec![(4, 1), (16, 4)], 64, "rotation key for 3 steps"),
    ];
    for (steps, span, needle) in cases {
        match write(steps.clone(), span) {
            Err(Error::InvalidParameters { reason }) => {
                assert!(
                    reason.contains(needle),
                    "{steps:?}: {reason:?} lacks {needle:?}"
                )
            }
            other => panic!("{steps:?}: {other:?}"),
        }
    }
    // On load: a valid radix-2 plan's bytes with one stride rewritten.
    let b = KeyBundle {
        keys: keys.clone(),
        sum: Some((64, SumMethod::Hoisted(SumPlan::radix(64, 2).unwrap()))),
    };
    let bytes = b.to_bytes(&e.ctx).unwrap();
    let steps_at = bytes.len() - 8 - 16 * 6;
    let mut forged = bytes.clone();
    set_u64(&mut forged, steps_at + 16 * 2 + 8, 5); // step 2's stride: 4 → 5
    common::refix(&mut forged);
    common::deserialize_err(
        KeyBundle::from_bytes(&e.ctx, &forged),
        "stride 5, expected 4",
    );
    let mut forged = bytes.clone();
    forged[steps_at - 1] = 200; // step count
    common::refix(&mut forged);
    common::deserialize_err(KeyBundle::from_bytes(&e.ctx, &forged), "200 plan steps");
    let mut forged = bytes.clone();
    forged[steps_at - 1 - 8 - 1] = 7; // sum method tag
    common::refix(&mut forged);
    common::deserialize_err(
        KeyBundle::from_bytes(&e.ctx, &forged),
        "unknown sum method 7",
    );
}

#[test]
fn key_encodings_and_parameters_are_checked() {
    let mut e = env();
    let b = bundle(&mut e, 4, SumMethod::Tree);
    let full = b.to_bytes(&e.ctx).unwrap();
    // Byte 24 is the bundle's key encoding: flipping it makes every key disagree.
    let mut forged = full.clone();
    forged[24] = 1;
    common::refix(&mut forged);
    common::deserialize_err(KeyBundle::from_bytes(&e.ctx, &forged), "encoding differs");
    forged[24] = 9;
    common::refix(&mut forged);
    common::deserialize_err(
        KeyBundle::from_bytes(&e.ctx, &forged),
        "unknown key encoding 9",
    );
    let mut forged = full.clone();
    forged[25] = 2; // relinearization flag
    common::refix(&mut forged);
    common::deserialize_err(KeyBundle::from_bytes(&e.ctx, &forged), "flag 2");
    // Unseeded keys cannot be written compressed.
    let mut plain = KeyGenerator::from_seed(e.ctx.clone(), 5);
    let unseeded = KeyBundle {
        keys: Arc::new(EvaluationKeys {
            relin: Some(plain.relin_key(&e.sk).unwrap()),
            galois: GaloisKeys::default(),
        }),
        sum: None,
    };
    assert!(!unseeded.is_seeded() && b.is_seeded());
    assert!(unseeded.to_bytes_compressed(&e.ctx).is_err());
    // Another parameter set.
    let other = CkksContext::new(common::insecure_params(10, &[50, 35], &[50], 2, 35)).unwrap();
    assert!(matches!(
        KeyBundle::from_bytes(&other, &full),
        Err(Error::ParamsMismatch { .. })
    ));
    assert!(matches!(
        b.to_bytes(&other),
        Err(Error::ParamsMismatch { .. })
    ));
    // Other kinds are refused by kind.
    common::deserialize_err(
        KeyBundle::from_bytes(&e.ctx, &b.keys.galois.to_bytes()),
        "GaloisKeys where KeyBundle was expected",
    );
    // Truncations never load.
    for cut in [0, 1, 24, 31, full.len() / 2, full.len() - 1] {
        assert!(KeyBundle::from_bytes(&e.ctx, &full[..cut]).is_err());
    }
}

/// A deterministic stand-in for the fuzz target on stable: single-byte and 8-byte mutations
/// of valid bundles, with the checksum recomputed so the payload checks are reached. Nothing
/// panics, and whatever loads re-serializes to exactly its bytes.
#[test]
fn mutated_bundles_never_panic_and_stay_canonical() {
    let mut e = env();
    let plan = SumPlan {
        span: 16,
        steps: vec![(2, 1), (8, 2)],
    };
    let bundles = [
        bundle(&mut e, 8, SumMethod::Tree)
            .to_bytes_compressed(&e.ctx)
            .unwrap(),
        bundle(&mut e, 16, SumMethod::Hoisted(plan))
            .to_bytes_compressed(&e.ctx)
            .unwrap(),
    ];
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut loaded = 0;
    for bytes in &bundles {
        // Concentrate on the header and the tail (flags, counts, sum description).
        let tail = bytes.len() - 8 - 80;
        let spots: Vec<usize> = (0..40).chain(tail..bytes.len() - 8).collect();
        for &at in &spots {
            for _ in 0..4 {
                let mut m = bytes.clone();
                let r = next();
                if r & 1 == 0 {
                    m[at] = (r >> 8) as u8;
                } else {
                    let end = (at + 8).min(bytes.len() - 8);
                    for (k, b) in m[at..end].iter_mut().enumerate() {
                        *b = (r >> (8 * k)) as u8;
                    }
                }
                common::refix(&mut m);
                if let Ok(b) = KeyBundle::from_bytes(&e.ctx, &m) {
                    loaded += 1;
                    let full = b.to_bytes(&e.ctx).unwrap();
                    let compressed = b.to_bytes_compressed(&e.ctx).ok();
                    assert!(full == m || compressed.as_deref() == Some(&m[..]));
                }
            }
        }
    }
    assert!(loaded > 0, "some mutations (e.g. identical bytes) load");
}
