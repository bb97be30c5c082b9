//! Seeded (compressed) fresh ciphertexts: secret-key encryption whose uniform part is expanded
//! from a 32-byte seed; kind 11 of the format, half the bytes, re-expanded bit for bit on load,
//! tampering and truncation rejected with `Error::Deserialize`, decryption and engine results
//! identical to the full form's. A module of the `serialize` test binary (no binary of its own:
//! each one costs a link per CI profile).

use ckks_accel::Error;
use ckks_accel::ckks::serialize::{self, Kind};
use ckks_accel::ckks::*;
use ckks_accel::parallel::{BatchRequest, EncryptedBatch, EngineConfig, InnerProductEngine};
use std::sync::Arc;

use super::common;

struct Env {
    ctx: Arc<CkksContext>,
    kg: KeyGenerator,
    sk: SecretKey,
    encoder: Encoder,
}

fn env() -> Env {
    let ctx = CkksContext::new(common::small_params()).unwrap();
    let mut kg = KeyGenerator::from_seed(ctx.clone(), 21);
    let sk = kg.secret_key().unwrap();
    Env {
        encoder: Encoder::new(ctx.clone()),
        ctx,
        kg,
        sk,
    }
}

fn values(n: usize, shift: f64) -> Vec<f64> {
    (0..n).map(|i| ((i as f64) * 0.37 + shift).sin()).collect()
}

fn seeded_encryptor(e: &Env, seed: u64) -> Encryptor {
    Encryptor::with_secret_key(e.ctx.clone(), &e.sk)
        .unwrap()
        .with_seed(seed)
        .seeded(true)
        .unwrap()
}

#[test]
fn round_trip_half_the_bytes_and_decrypts() {
    let e = env();
    let mut enc = seeded_encryptor(&e, 3);
    let v = values(64, 0.0);
    let ct = enc.encrypt(&e.encoder.encode_default(&v).unwrap()).unwrap();
    let seed = *ct.seed().expect("a seeded fresh ciphertext");
    assert_eq!(
        ct.parts()[1],
        expand_ciphertext_uniform(e.ctx.basis(ct.level()).unwrap(), &seed)
    );
    let small = ct.to_bytes();
    let full = ct.to_bytes_full();
    assert_eq!(serialize::peek(&small).unwrap().0, Kind::SeededCiphertext);
    assert_eq!(serialize::peek(&full).unwrap().0, Kind::Ciphertext);
    let ratio = small.len() as f64 / full.len() as f64;
    assert!(ratio <= 0.5 + 1e-3, "compressed ratio {ratio}");
    // Both forms load to the same ciphertext, and the compressed one re-serializes exactly.
    let back = Ciphertext::from_bytes(&e.ctx, &small).unwrap();
    let back_full = Ciphertext::from_bytes(&e.ctx, &full).unwrap();
    assert_eq!(back, ct);
    assert_eq!(back_full, ct);
    assert_eq!(back.to_bytes(), small);
    assert_eq!(back.seed(), Some(&seed));
    assert_eq!(back_full.seed(), None, "a full blob carries no seed");
    assert_eq!(back_full.to_bytes(), full);
    let dec = Decryptor::new(e.ctx.clone(), &e.sk).unwrap();
    let got = e.encoder.decode(&dec.decrypt(&back).unwrap()).unwrap();
    for (g, w) in got.iter().zip(&v) {
        assert!((g - w).abs() < 1e-6, "{g} vs {w}");
    }
    // Fresh seeds: two encryptions of the same message share nothing.
    let ct2 = enc.encrypt(&e.encoder.encode_default(&v).unwrap()).unwrap();
    assert_ne!(ct2.seed(), ct.seed());
    assert_ne!(ct2.parts()[1], ct.parts()[1]);
}

#[test]
fn seeded_and_unseeded_secret_key_noise_match() {
    // The expansion is as uniform as the direct sampling: same error size either way.
    let e = env();
    let dec = Decryptor::new(e.ctx.clone(), &e.sk).unwrap();
    let v = values(e.ctx.params().slots(), 1.0);
    let pt = e.encoder.encode_default(&v).unwrap();
    let err = |enc: &mut Encryptor| {
        let got = e
            .encoder
            .decode(&dec.decrypt(&enc.encrypt(&pt).unwrap()).unwrap())
            .unwrap();
        got.iter()
            .zip(&v)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max)
    };
    let plain = Encryptor::with_secret_key(e.ctx.clone(), &e.sk)
        .unwrap()
        .with_seed(9);
    let (a, b) = (err(&mut seeded_encryptor(&e, 9)), err(&mut { plain }));
    assert!(a < 1e-7 && b < 1e-7, "seeded {a}, direct {b}");
}

#[test]
fn public_key_encryptor_cannot_seed() {
    let mut e = env();
    let pk = e.kg.public_key(&e.sk).unwrap();
    let enc = Encryptor::with_public_key(e.ctx.clone(), &pk).unwrap();
    assert!(matches!(
        enc.seeded(true),
        Err(Error::InvalidParameters { .. })
    ));
    let enc = Encryptor::with_public_key(e.ctx.clone(), &pk).unwrap();
    assert!(!enc.seeded(false).unwrap().is_seeded());
}

#[test]
fn truncated_tampered_or_relabelled_blobs_are_rejected() {
    let e = env();
    let ct = seeded_encryptor(&e, 4)
        .encrypt(&e.encoder.encode_default(&[0.5, 0.25]).unwrap())
        .unwrap();
    let small = ct.to_bytes();
    let n = small.len();
    for cut in [n - 1, n - 8, n - 40, 40, 24] {
        assert!(
            matches!(
                Ciphertext::from_bytes(&e.ctx, &small[..cut]),
                Err(Error::Deserialize { .. })
            ),
            "truncated to {cut}"
        );
    }
    // A flipped bit anywhere (seed, c0, scale, kind byte) fails the checksum or the kind.
    for pos in [6, 30, n / 2, n - 8 - 1, n - 8 - 32] {
        let mut bad = small.clone();
        bad[pos] ^= 0x10;
        assert!(
            matches!(
                Ciphertext::from_bytes(&e.ctx, &bad),
                Err(Error::Deserialize { .. })
            ),
            "bit flipped at {pos}"
        );
    }
    // Kind 11 relabelled as kind 6 with a valid checksum: the payload does not parse.
    let mut relabelled = small.clone();
    relabelled[6] = Kind::Ciphertext as u8;
    let sum = common::checksum(&relabelled[..n - 8]);
    relabelled[n - 8..].copy_from_slice(&sum.to_le_bytes());
    assert!(matches!(
        Ciphertext::from_bytes(&e.ctx, &relabelled),
        Err(Error::Deserialize { .. })
    ));
    // A consistent seed change (checksum recomputed) loads but decrypts to noise: only the
    // secret key tells (documented; `seal` catches it).
    let mut reseeded = small.clone();
    reseeded[n - 9] ^= 1;
    let sum = common::checksum(&reseeded[..n - 8]);
    reseeded[n - 8..].copy_from_slice(&sum.to_le_bytes());
    let wrong = Ciphertext::from_bytes(&e.ctx, &reseeded).unwrap();
    let dec = Decryptor::new(e.ctx.clone(), &e.sk).unwrap();
    let got = e.encoder.decode(&dec.decrypt(&wrong).unwrap()).unwrap();
    assert!(
        got[0].abs() > 1.0,
        "a wrong seed must not decrypt: {}",
        got[0]
    );
    // Another parameter set refuses the blob.
    let other = CkksContext::new(common::toy_params()).unwrap();
    assert!(Ciphertext::from_bytes(&other, &small).is_err());
}

#[test]
fn changed_ciphertexts_fall_back_to_the_full_form() {
    let e = env();
    let ct = seeded_encryptor(&e, 5)
        .encrypt(&e.encoder.encode_default(&[0.5]).unwrap())
        .unwrap();
    let eval = Evaluator::new(e.ctx.clone(), Arc::new(EvaluationKeys::default())).unwrap();
    let mut sum = ct.clone();
    eval.add_assign(&mut sum, &ct).unwrap(); // c1 changed in place: the seed no longer fits
    assert_eq!(sum.seed(), None);
    assert_eq!(
        serialize::peek(&sum.to_bytes()).unwrap().0,
        Kind::Ciphertext
    );
    assert_eq!(
        Ciphertext::from_bytes(&e.ctx, &sum.to_bytes()).unwrap(),
        sum
    );
    // Dropping levels keeps the prefix of the expansion: still compressible, still exact.
    let mut low = ct.clone();
    eval.drop_to_level(&mut low, 0).unwrap();
    assert!(low.is_compressible());
    let back = Ciphertext::from_bytes(&e.ctx, &low.to_bytes()).unwrap();
    assert_eq!(back, low);
}

#[test]
fn batch_of_seeded_tiles_is_half_the_bytes_and_gives_bit_identical_results() {
    let mut e = env();
    let (k, dim) = (24, 64);
    let req = BatchRequest::new(k, dim, 1);
    let (plan, keys) = e.kg.batch_keys(&e.sk, &req).unwrap();
    let eval = Evaluator::new(e.ctx.clone(), Arc::new(keys)).unwrap();
    let engine = InnerProductEngine::new(
        eval,
        EngineConfig {
            threads: Some(1),
            ..Default::default()
        },
    )
    .unwrap();
    let xs: Vec<Vec<f64>> = (0..k).map(|i| values(dim, i as f64)).collect();
    let ys: Vec<Vec<f64>> = (0..k).map(|i| values(dim, 0.5 - i as f64)).collect();
    let mut enc = seeded_encryptor(&e, 6);
    let batch = EncryptedBatch::encrypt(&plan, &xs, &ys, None, &e.encoder, &mut enc).unwrap();
    let small = batch.to_bytes();
    // The same tiles written in full: the reference of size and of results.
    let full_tiles: Vec<(Ciphertext, Ciphertext)> = batch
        .tiles()
        .iter()
        .map(|(a, b)| {
            (
                Ciphertext::from_bytes(&e.ctx, &a.to_bytes_full()).unwrap(),
                Ciphertext::from_bytes(&e.ctx, &b.to_bytes_full()).unwrap(),
            )
        })
        .collect();
    let full_batch = EncryptedBatch::from_tiles(&plan, full_tiles).unwrap();
    let full = full_batch.to_bytes();
    let ratio = small.len() as f64 / full.len() as f64;
    assert!(ratio <= 0.51, "batch bytes ratio {ratio}");
    let loaded = EncryptedBatch::from_bytes(&e.ctx, &small).unwrap();
    assert_eq!(loaded.to_bytes(), small, "canonical");
    let (a, _) = engine.run_batch(&loaded, &|_, _| {}).unwrap();
    let (b, _) = engine.run_batch(&full_batch, &|_, _| {}).unwrap();
    let bytes = |v: &[Ciphertext]| v.iter().map(Ciphertext::to_bytes).collect::<Vec<_>>();
    assert_eq!(bytes(&a), bytes(&b), "bit-identical results");
    let dec = Decryptor::new(e.ctx.clone(), &e.sk).unwrap();
    let got = loaded.decrypt(&a, &dec, &e.encoder).unwrap();
    for (i, g) in got.iter().enumerate() {
        let want: f64 = xs[i].iter().zip(&ys[i]).map(|(x, y)| x * y).sum();
        assert!((g - want).abs() < 1e-4, "product {i}: {g} vs {want}");
    }
}

#[test]
fn batch_loading_checks_every_tile_checksum_in_its_single_pass() {
    // The batch computes its own and its tiles' checksums in one pass: a tile whose trailer is
    // wrong is still rejected when the batch's own checksum was made to match.
    let mut e = env();
    let req = BatchRequest::new(4, 8, 1);
    let (plan, _) = e.kg.batch_keys(&e.sk, &req).unwrap();
    let mut enc = seeded_encryptor(&e, 8);
    let xs = vec![vec![0.25; 8]; 4];
    let batch = EncryptedBatch::encrypt(&plan, &xs, &xs, None, &e.encoder, &mut enc).unwrap();
    let good = batch.to_bytes();
    assert_eq!(
        EncryptedBatch::from_bytes(&e.ctx, &good)
            .unwrap()
            .to_bytes(),
        good
    );
    let n = good.len();
    let first = 24 + good[24..].windows(4).position(|w| w == b"CKAC").unwrap();
    let len = u64::from_le_bytes(good[first + 16..first + 24].try_into().unwrap()) as usize;
    let trailer = first + 24 + len;
    let mut bad = good.clone();
    bad[trailer] ^= 1;
    let sum = common::checksum(&bad[..n - 8]);
    bad[n - 8..].copy_from_slice(&sum.to_le_bytes());
    let err = EncryptedBatch::from_bytes(&e.ctx, &bad).unwrap_err();
    assert!(
        matches!(&err, Error::Deserialize { reason } if reason.contains("checksum")),
        "{err}"
    );
    // And a flipped bit in a tile's body, with the batch checksum left alone, fails as before.
    let mut flipped = good.clone();
    flipped[first + 100] ^= 4;
    assert!(matches!(
        EncryptedBatch::from_bytes(&e.ctx, &flipped),
        Err(Error::Deserialize { .. })
    ));
}
