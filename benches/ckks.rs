//! CKKS operations at the reference sets S and L (top level, fresh ciphertexts, one thread):
//! mul, relinearize, rescale, rotate, hoisted rotations and the seed inner product.
//! `cargo bench --bench ckks -- S/` for set S only.

use ckks_accel::ckks::{
    CkksContext, CkksParams, Encoder, Encryptor, EvaluationKeys, Evaluator, KeyGenerator, Preset,
};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::sync::Arc;

fn vector(len: usize, seed: u64) -> Vec<f64> {
    (0..len)
        .map(|i| (((i as u64 + 1) * (seed * 2654435761 + 97)) % 2001) as f64 / 1000.0 - 1.0)
        .collect()
}

fn bench_set(c: &mut Criterion, preset: Preset, dim: usize) {
    let ctx = CkksContext::new(CkksParams::preset(preset).expect("preset")).expect("context");
    let mut kg = KeyGenerator::from_seed(ctx.clone(), 1);
    let sk = kg.secret_key().expect("sk");
    let pk = kg.public_key(&sk).expect("pk");
    let mut steps = KeyGenerator::tree_sum_steps(dim);
    steps.extend([1, 2, 4, 8]);
    let keys = EvaluationKeys {
        relin: Some(kg.relin_key(&sk).expect("rlk")),
        galois: kg.galois_keys(&sk, &steps, false).expect("gk"),
    };
    let eval = Evaluator::new(ctx.clone(), Arc::new(keys)).expect("evaluator");
    let encoder = Encoder::new(ctx.clone());
    let mut enc = Encryptor::with_public_key(ctx.clone(), &pk)
        .expect("enc")
        .with_seed(2);
    let a = enc
        .encrypt(&encoder.encode_default(&vector(dim, 1)).expect("encode"))
        .expect("encrypt");
    let b = enc
        .encrypt(&encoder.encode_default(&vector(dim, 2)).expect("encode"))
        .expect("encrypt");
    let mut s = eval.scratch();
    let mut prod = eval.mul(&a, &b).expect("mul");
    let mut relin = eval.relinearize(&prod, &mut s).expect("relin");
    let mut out = eval.rescale(&relin, &mut s).expect("rescale");
    let mut group = c.benchmark_group(format!("{preset}"));
    group.sample_size(10);
    group.bench_function("mul", |bch| {
        bch.iter(|| eval.mul_into(black_box(&a), &b, &mut prod).expect("mul"))
    });
    group.bench_function("relinearize", |bch| {
        bch.iter(|| {
            eval.relinearize_into(&prod, &mut relin, &mut s)
                .expect("relin")
        })
    });
    group.bench_function("rescale", |bch| {
        bch.iter(|| {
            eval.rescale_into(&relin, &mut out, &mut s)
                .expect("rescale")
        })
    });
    group.bench_function("rotate_1", |bch| {
        bch.iter(|| eval.rotate_into(&a, 1, &mut out, &mut s).expect("rotate"))
    });
    group.bench_function("hoisted_rotate_4", |bch| {
        bch.iter(|| {
            eval.rotate_hoisted(&a, &[1, 2, 4, 8], &mut s)
                .expect("hoisted")
        })
    });
    group.bench_function(format!("inner_product_dim_{dim}"), |bch| {
        bch.iter(|| {
            eval.inner_product_into(&a, &b, dim, &mut out, &mut s)
                .expect("ip")
        })
    });
    group.finish();
}

fn ckks(c: &mut Criterion) {
    bench_set(c, Preset::S, 4096);
    bench_set(c, Preset::L, 16384);
}

criterion_group!(benches, ckks);
criterion_main!(benches);
