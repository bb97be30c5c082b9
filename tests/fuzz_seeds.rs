//! The fuzz targets' seed corpus (`fuzz/corpus/<target>/`) is valid for the current format:
//! every seed is regenerated here (deterministic seeds) and must equal the checked-in file, and
//! must load. After a deliberate format change, regenerate the files with
//! `CKKS_ACCEL_WRITE_FUZZ_SEEDS=1 cargo test --test fuzz_seeds`.
//!
//! The parameters and the seal key are the fuzz crate's own (`fuzz/src/fixture.rs`, included by
//! `tests/common`).

mod common;

use ckks_accel::ckks::serialize;
use ckks_accel::ckks::*;
use std::path::PathBuf;
use std::sync::Arc;

use common::{SEAL_KEY, fuzz_params as params};

fn seeds() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let ctx: Arc<CkksContext> = CkksContext::new(params()).unwrap();
    let mut kg = KeyGenerator::from_seed(ctx.clone(), 11);
    let sk = kg.secret_key().unwrap();
    let pk = kg.public_key(&sk).unwrap();
    let rk = kg.relin_key(&sk).unwrap();
    let gk = kg.galois_keys(&sk, &[1, 2], true).unwrap();
    let enc = Encoder::new(ctx.clone());
    let pt = enc.encode_default(&[0.5, -0.25, 0.125]).unwrap();
    let ct = Encryptor::with_public_key(ctx.clone(), &pk)
        .unwrap()
        .with_seed(12)
        .encrypt(&pt)
        .unwrap();
    let eval = Evaluator::new(ctx.clone(), Arc::new(EvaluationKeys::default())).unwrap();
    let ct3 = eval.mul(&ct, &ct).unwrap();
    let gk_bytes = gk.to_bytes();
    let mut seeded = KeyGenerator::from_seed(ctx.clone(), 13).with_seeded_keys(true);
    let rk_seeded = seeded
        .relin_key(&sk)
        .unwrap()
        .to_bytes_compressed()
        .unwrap();
    let gk_seeded = seeded
        .galois_keys(&sk, &[1, 3], true)
        .unwrap()
        .to_bytes_compressed()
        .unwrap();
    let bundle_tree = KeyBundle {
        keys: Arc::new(EvaluationKeys {
            relin: Some(seeded.relin_key(&sk).unwrap()),
            galois: seeded.galois_keys(&sk, &[1, 2], false).unwrap(),
        }),
        sum: Some((4, SumMethod::Tree)),
    };
    let plan = SumPlan {
        span: 8,
        steps: vec![(2, 1), (4, 2)],
    };
    let bundle_hoisted = KeyBundle {
        keys: Arc::new(EvaluationKeys {
            relin: None,
            galois: kg.galois_keys(&sk, &plan.rotation_steps(), true).unwrap(),
        }),
        sum: Some((8, SumMethod::Hoisted(plan))),
    };
    let mut req = ckks_accel::parallel::BatchRequest::new(3, 4, 1);
    req.block = Some(2);
    let batch_plan = ckks_accel::parallel::BatchPlan::uncosted(ctx.params(), &req).unwrap();
    let xs = vec![vec![0.5, -0.25, 0.125, 1.0]; 3];
    let batch = ckks_accel::parallel::EncryptedBatch::encrypt(
        &batch_plan,
        &xs,
        &xs,
        None,
        &Encoder::new(ctx.clone()),
        &mut Encryptor::with_public_key(ctx.clone(), &pk)
            .unwrap()
            .with_seed(14),
    )
    .unwrap();
    let mut seeded_enc = Encryptor::with_secret_key(ctx.clone(), &sk)
        .unwrap()
        .with_seed(15)
        .seeded(true)
        .unwrap();
    let ct_seeded = seeded_enc.encrypt(&pt).unwrap();
    let batch_seeded = ckks_accel::parallel::EncryptedBatch::encrypt(
        &batch_plan,
        &xs,
        &xs,
        None,
        &Encoder::new(ctx.clone()),
        &mut seeded_enc,
    )
    .unwrap();
    vec![
        ("batch_from_bytes", "k3-dim4-b2", batch.to_bytes()),
        (
            "batch_from_bytes",
            "k3-dim4-b2-seeded",
            batch_seeded.to_bytes(),
        ),
        (
            "batch_plan_from_bytes",
            "k3-dim4-b2",
            batch_plan.to_bytes(ctx.params().id()),
        ),
        ("ciphertext_from_bytes", "seeded", ct_seeded.to_bytes()),
        (
            "key_bundle_from_bytes",
            "tree4-relin-seeded",
            bundle_tree.to_bytes_compressed(&ctx).unwrap(),
        ),
        (
            "key_bundle_from_bytes",
            "hoisted8-2x4-conj-full",
            bundle_hoisted.to_bytes(&ctx).unwrap(),
        ),
        ("relin_key_from_bytes", "relin-seeded", rk_seeded),
        ("galois_keys_from_bytes", "rot1-rot3-conj-seeded", gk_seeded),
        ("params_from_bytes", "toy", ctx.params().to_bytes()),
        (
            "params_from_bytes",
            "preset-s",
            CkksParams::preset(Preset::S).unwrap().to_bytes(),
        ),
        ("ciphertext_from_bytes", "degree2", ct.to_bytes()),
        ("ciphertext_from_bytes", "degree3", ct3.to_bytes()),
        ("plaintext_from_bytes", "plaintext", pt.to_bytes()),
        ("public_key_from_bytes", "public", pk.to_bytes()),
        ("relin_key_from_bytes", "relin", rk.to_bytes()),
        ("galois_keys_from_bytes", "rot1-rot2-conj", gk_bytes.clone()),
        (
            "secret_key_from_bytes",
            "secret",
            sk.to_bytes(&ctx).unwrap().to_vec(),
        ),
        (
            "unseal",
            "sealed-ciphertext",
            serialize::seal(&SEAL_KEY, &ct.to_bytes()).unwrap(),
        ),
        (
            "unseal",
            "sealed-galois",
            serialize::seal(&SEAL_KEY, &gk_bytes).unwrap(),
        ),
    ]
}

#[test]
fn fuzz_seed_corpus_is_current() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let write = std::env::var_os("CKKS_ACCEL_WRITE_FUZZ_SEEDS").is_some();
    for (target, name, bytes) in seeds() {
        let path = root.join(target).join(name);
        if write {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        }
        let on_disk = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            on_disk == bytes,
            "{} is stale: regenerate with CKKS_ACCEL_WRITE_FUZZ_SEEDS=1",
            path.display()
        );
        assert!(serialize::peek(&bytes).is_ok());
    }
}
