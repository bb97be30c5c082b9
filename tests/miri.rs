//! Small, fast tests meant for Miri (`.ci/miri.sh`: `cargo +nightly miri test --features
//! force-scalar --test miri`), which also run under plain `cargo test`: the scalar NTT and
//! element-wise kernels at n = 16, and a whole CKKS pipeline at n = 16 — key generation (with
//! the wiping wrappers), encryption, multiplication, relinearization and rotation (ModUp /
//! ModDown), rescaling, decryption and decoding, serialization with sealing, and the parallel
//! engine on two threads.

mod common;

use ckks_accel::arith::ntt_primes;
use ckks_accel::ckks::serialize;
use ckks_accel::ckks::*;
use ckks_accel::eltwise::Eltwise;
use ckks_accel::ntt::NttPlan;
use ckks_accel::parallel::{
    BatchPlan, BatchRequest, EncryptedBatch, EngineConfig, InnerProductEngine, Mode,
};
use ckks_accel::{AlignedVec, Isa};
use std::sync::Arc;

const N: usize = 16;

#[test]
fn scalar_ntt_and_eltwise_small() {
    let q = ntt_primes(50, N, 1).unwrap()[0];
    let plan = NttPlan::with_isa(N, q, Isa::Scalar).unwrap();
    let ops = Eltwise::with_isa(q, Isa::Scalar).unwrap();
    let a0: Vec<u64> = (0..N as u64).map(|i| (i * 7919 + 3) % q).collect();
    let mut a = AlignedVec::from_slice(&a0);
    let mut b = AlignedVec::zeroed(N);
    b[1] = 1; // X
    plan.forward(&mut a);
    plan.forward(&mut b);
    let mut c = AlignedVec::zeroed(N);
    ops.mul(&a, &b, &mut c);
    plan.inverse(&mut c);
    // a·X: coefficients shift up by one, the top one wraps negated.
    assert_eq!(c[0], (q - a0[N - 1]) % q);
    assert_eq!(&c[1..], &a0[..N - 1]);
    plan.inverse(&mut a);
    assert_eq!(&a[..], &a0[..]);
    let mut s = AlignedVec::zeroed(N);
    ops.add(&a, &a, &mut s);
    ops.sub_assign(&mut s, &a);
    assert_eq!(&s[..], &a[..]);
}

fn params() -> CkksParams {
    common::fuzz_params()
}

#[test]
fn ckks_pipeline_small() {
    let ctx = CkksContext::with_isa(params(), Isa::Scalar).unwrap();
    let mut kg = KeyGenerator::from_seed(ctx.clone(), 1);
    let sk = kg.secret_key().unwrap();
    let pk = kg.public_key(&sk).unwrap();
    let keys = Arc::new(EvaluationKeys {
        relin: Some(kg.relin_key(&sk).unwrap()),
        galois: kg.galois_keys(&sk, &[1, 2], false).unwrap(),
    });
    let enc = Encoder::new(ctx.clone());
    let x = [0.5, -0.25, 0.75, 0.125];
    let mut e = Encryptor::with_public_key(ctx.clone(), &pk)
        .unwrap()
        .with_seed(2);
    let ct = e.encrypt(&enc.encode_default(&x).unwrap()).unwrap();
    let eval = Evaluator::new(ctx.clone(), keys.clone()).unwrap();
    let mut s = eval.scratch();
    let prod = eval
        .rescale(
            &eval
                .relinearize(&eval.mul(&ct, &ct).unwrap(), &mut s)
                .unwrap(),
            &mut s,
        )
        .unwrap();
    let rot = eval.rotate(&prod, 1, &mut s).unwrap();
    let dec = Decryptor::new(ctx.clone(), &sk).unwrap();
    let out = enc.decode(&dec.decrypt(&rot).unwrap()).unwrap();
    for i in 0..3 {
        assert!(
            (out[i] - x[i + 1] * x[i + 1]).abs() < 1e-3,
            "{i}: {}",
            out[i]
        );
    }

    // Serialization, sealing and the secret key's format.
    let bytes = rot.to_bytes();
    assert_eq!(Ciphertext::from_bytes(&ctx, &bytes).unwrap(), rot);
    let key = [3u8; 32];
    let sealed = serialize::seal(&key, &bytes).unwrap();
    assert_eq!(serialize::unseal(&key, &sealed).unwrap(), &bytes[..]);
    let sk2 = SecretKey::from_bytes(&ctx, &sk.to_bytes(&ctx).unwrap()).unwrap();
    let again = enc
        .decode(
            &Decryptor::new(ctx.clone(), &sk2)
                .unwrap()
                .decrypt(&rot)
                .unwrap(),
        )
        .unwrap();
    assert_eq!(again, out);
    let gk = GaloisKeys::from_bytes(&ctx, &keys.galois.to_bytes()).unwrap();
    assert_eq!(gk.elements(), keys.galois.elements());

    // The engine on two threads (rayon), tree sum over 4 slots.
    let engine = InnerProductEngine::new(
        eval,
        EngineConfig {
            threads: Some(2),
            mode: Mode::Task,
            ..Default::default()
        },
    )
    .unwrap();
    let pairs = vec![(ct.clone(), ct.clone()), (ct.clone(), ct)];
    let (results, _) = engine.run_with_progress(&pairs, 4, &|_, _| {}).unwrap();
    let want: f64 = x.iter().map(|v| v * v).sum();
    for r in &results {
        let got = enc.decode(&dec.decrypt(r).unwrap()).unwrap()[0];
        assert!((got - want).abs() < 1e-3, "{got} vs {want}");
    }

    // A tiled batch (b = 2, tiles split over both workers when there is one group), with the
    // arenas popped from the pool and the ledger filled from two threads.
    let mut req = BatchRequest::new(3, 4, 2);
    req.block = Some(2);
    req.sum = SumChoice::Tree;
    let plan = BatchPlan::uncosted(ctx.params(), &req).unwrap();
    let xs = vec![vec![0.5, -0.25, 0.125, 0.75]; 3];
    let mut penc = Encryptor::with_secret_key(ctx.clone(), &sk)
        .unwrap()
        .with_seed(3);
    let batch = EncryptedBatch::encrypt(&plan, &xs, &xs, None, &enc, &mut penc).unwrap();
    let (out, stats) = engine.run_batch(&batch, &|_, _| {}).unwrap();
    assert_eq!(stats.products, 3);
    let want: f64 = xs[0].iter().map(|v| v * v).sum();
    for g in batch.decrypt(&out, &dec, &enc).unwrap() {
        assert!((g - want).abs() < 1e-3, "{g} vs {want}");
    }
}
