//! Seeded (compressed) switching keys: generation, compressed round trips that give back the
//! same keys bit for bit, half the size, the encoding byte and the seed checked on load / with
//! the secret key, and products with keys loaded from their compressed form.

use ckks_accel::Error;
use ckks_accel::ckks::*;
use std::sync::Arc;

mod common;

fn params() -> CkksParams {
    common::toy_params()
}

struct Env {
    ctx: Arc<CkksContext>,
    kg: KeyGenerator,
    sk: SecretKey,
    relin: RelinKey,
    galois: GaloisKeys,
}

fn env() -> Env {
    let ctx = CkksContext::new(params()).unwrap();
    let mut kg = KeyGenerator::from_seed(ctx.clone(), 5).with_seeded_keys(true);
    let sk = kg.secret_key().unwrap();
    let relin = kg.relin_key(&sk).unwrap();
    let galois = kg.galois_keys(&sk, &[1, 2, 4], true).unwrap();
    Env {
        ctx,
        kg,
        sk,
        relin,
        galois,
    }
}

#[test]
fn compressed_round_trip_is_bit_identical_and_half_the_size() {
    let e = env();
    assert!(e.relin.is_seeded() && e.galois.is_seeded());
    let full = e.relin.to_bytes();
    let small = e.relin.to_bytes_compressed().unwrap();
    assert_eq!(small[24], 1, "seeded encoding byte");
    let back = RelinKey::from_bytes(&e.ctx, &small).unwrap();
    assert_eq!(
        back.to_bytes(),
        full,
        "re-expanded key equals the generated one"
    );
    assert_eq!(back.to_bytes_compressed().unwrap(), small);
    let ratio = small.len() as f64 / full.len() as f64;
    assert!((0.49..0.51).contains(&ratio), "ratio {ratio}");

    let gfull = e.galois.to_bytes();
    let gsmall = e.galois.to_bytes_compressed().unwrap();
    let gback = GaloisKeys::from_bytes(&e.ctx, &gsmall).unwrap();
    assert_eq!(gback.to_bytes(), gfull);
    assert_eq!(gback.elements(), e.galois.elements());
    let gratio = gsmall.len() as f64 / gfull.len() as f64;
    assert!((0.49..0.51).contains(&gratio), "ratio {gratio}");
    // A full encoding of a seeded key still loads (and keeps no seed: it was not stored).
    assert!(!RelinKey::from_bytes(&e.ctx, &full).unwrap().is_seeded());
    // Genuine keys verify against the secret key with a few bits of error.
    assert!(e.kg.verify_relin_key(&e.sk, &back).unwrap() < 6.0);
    assert!(e.kg.verify_galois_keys(&e.sk, &gback).unwrap() < 6.0);
}

#[test]
fn unseeded_keys_cannot_be_compressed() {
    let ctx = CkksContext::new(params()).unwrap();
    let mut kg = KeyGenerator::from_seed(ctx, 5);
    let sk = kg.secret_key().unwrap();
    let relin = kg.relin_key(&sk).unwrap();
    assert!(!relin.is_seeded());
    assert!(matches!(
        relin.to_bytes_compressed(),
        Err(Error::InvalidParameters { .. })
    ));
    let g = kg.galois_keys(&sk, &[1], false).unwrap();
    assert!(g.to_bytes_compressed().is_err());
    // Unseeded keys verify too.
    assert!(kg.verify_relin_key(&sk, &relin).unwrap() < 6.0);
}

#[test]
fn tampered_encoding_byte_is_rejected() {
    let e = env();
    let mut b = e.relin.to_bytes_compressed().unwrap();
    // Checksum alone catches an accidental flip.
    let mut accidental = b.clone();
    accidental[24] = 0;
    assert!(matches!(
        RelinKey::from_bytes(&e.ctx, &accidental),
        Err(Error::Deserialize { .. })
    ));
    // With the checksum recomputed, "full" makes the loader read the seed as the first a_j's
    // header (and find no room for the rest): refused either way.
    b[24] = 0;
    common::refix(&mut b);
    match RelinKey::from_bytes(&e.ctx, &b) {
        Err(Error::Deserialize { reason }) => {
            assert!(
                reason.contains("degree") || reason.contains("truncated"),
                "{reason}"
            )
        }
        other => panic!("expected a shape error, got {other:?}"),
    }
}

#[test]
fn wrong_seed_or_relabelled_key_fails_verification() {
    let e = env();
    let mut b = e.relin.to_bytes_compressed().unwrap();
    let seed_at = b.len() - 8 - 32;
    b[seed_at] ^= 1;
    // Accidental corruption: the checksum.
    assert!(RelinKey::from_bytes(&e.ctx, &b).is_err());
    // A consistently rewritten seed loads (nothing public can tell) but fails against the secret.
    common::refix(&mut b);
    let forged = RelinKey::from_bytes(&e.ctx, &b).unwrap();
    match e.kg.verify_relin_key(&e.sk, &forged) {
        Err(Error::KeyMismatch { reason }) => assert!(reason.contains("wrong seed"), "{reason}"),
        other => panic!("expected KeyMismatch, got {other:?}"),
    }
    // The expansion is domain-separated by the Galois element: the same seed under another
    // element gives other uniform parts, so a relabelled key is no key for its new element.
    let ks = e.ctx.key_switcher();
    let seed = [7u8; 32];
    let x = ks.expand_uniform(&seed, Some(3));
    let y = ks.expand_uniform(&seed, Some(5));
    assert_ne!(x[0].as_words(), y[0].as_words());
    assert_eq!(
        x[0].as_words(),
        ks.expand_uniform(&seed, Some(3))[0].as_words()
    );
}

#[test]
fn keys_loaded_compressed_compute_the_same_products() {
    let e = env();
    let n = e.ctx.params().n();
    let relin = RelinKey::from_bytes(&e.ctx, &e.relin.to_bytes_compressed().unwrap()).unwrap();
    let galois = GaloisKeys::from_bytes(&e.ctx, &e.galois.to_bytes_compressed().unwrap()).unwrap();
    let orig = Evaluator::new(
        e.ctx.clone(),
        Arc::new(EvaluationKeys {
            relin: Some(e.relin.clone()),
            galois: e.galois.clone(),
        }),
    )
    .unwrap();
    let loaded = Evaluator::new(
        e.ctx.clone(),
        Arc::new(EvaluationKeys {
            relin: Some(relin),
            galois,
        }),
    )
    .unwrap();
    let enc = Encoder::new(e.ctx.clone());
    let x: Vec<f64> = (0..8).map(|i| (i as f64 - 3.5) / 4.0).collect();
    let mut encr = Encryptor::with_secret_key(e.ctx.clone(), &e.sk)
        .unwrap()
        .with_seed(3);
    let a = encr.encrypt(&enc.encode_default(&x).unwrap()).unwrap();
    let (mut s1, mut s2) = (orig.scratch(), loaded.scratch());
    let mut out1 = a.clone();
    let mut out2 = a.clone();
    orig.inner_product_with(&a, &a, 8, &SumMethod::Tree, None, &mut out1, &mut s1)
        .unwrap();
    loaded
        .inner_product_with(&a, &a, 8, &SumMethod::Tree, None, &mut out2, &mut s2)
        .unwrap();
    assert_eq!(out1.to_bytes(), out2.to_bytes(), "bit-identical products");
    let dec = Decryptor::new(e.ctx.clone(), &e.sk).unwrap();
    let got = enc.decode(&dec.decrypt(&out1).unwrap()).unwrap()[0];
    let want: f64 = x.iter().map(|v| v * v).sum();
    assert!((got - want).abs() < 1e-3, "{got} vs {want}");
    let conj = loaded.conjugate(&a, &mut s2).unwrap();
    let back = enc.decode(&dec.decrypt(&conj).unwrap()).unwrap();
    assert!((back[1] - x[1]).abs() < 1e-3);
    assert!(n > 0);
}

/// Sizes at the reference sets (S generated; L computed from the shape — printed with
/// `cargo test --test seeded_keys -- --nocapture sizes`).
#[test]
fn sizes_at_set_s() {
    let ctx = CkksContext::new(CkksParams::preset(Preset::S).unwrap()).unwrap();
    let mut kg = KeyGenerator::from_seed(ctx.clone(), 1).with_seeded_keys(true);
    let sk = kg.secret_key().unwrap();
    let relin = kg.relin_key(&sk).unwrap();
    let (full, small) = (
        relin.to_bytes().len(),
        relin.to_bytes_compressed().unwrap().len(),
    );
    let p = ctx.params();
    let per_poly = 7 + 8 * (p.q().len() + p.p().len()) * (1 + p.n());
    assert_eq!(full, 32 + 3 + 2 * p.dnum() * per_poly);
    assert_eq!(small, 32 + 3 + p.dnum() * per_poly + 32);
    println!(
        "set S relinearization key: full {full} B, compressed {small} B ({:.3}); 13 keys (tree, dim 4096): {:.1} → {:.1} MiB",
        small as f64 / full as f64,
        13.0 * full as f64 / 1048576.0,
        13.0 * small as f64 / 1048576.0
    );
    assert!(kg.verify_relin_key(&sk, &relin).unwrap() < 6.0);
}
