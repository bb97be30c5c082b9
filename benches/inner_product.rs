//! The inner-product engine at sets S and L: sequential vs parallel, per mode and schedule.
//! `cargo bench --bench inner_product -- S/` for set S only.

use ckks_accel::ckks::{
    CkksContext, CkksParams, Encoder, Encryptor, EvaluationKeys, Evaluator, KeyGenerator, Preset,
};
use ckks_accel::parallel::{EngineConfig, InnerProductEngine, Mode, Schedule};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::sync::Arc;

fn bench_set(c: &mut Criterion, preset: Preset, k: usize, dim: usize) {
    let ctx = CkksContext::new(CkksParams::preset(preset).expect("preset")).expect("context");
    let mut kg = KeyGenerator::from_seed(ctx.clone(), 1);
    let sk = kg.secret_key().expect("sk");
    let pk = kg.public_key(&sk).expect("pk");
    let keys = EvaluationKeys {
        relin: Some(kg.relin_key(&sk).expect("rlk")),
        galois: kg
            .galois_keys(&sk, &KeyGenerator::tree_sum_steps(dim), false)
            .expect("gk"),
    };
    let eval = Evaluator::new(ctx.clone(), Arc::new(keys)).expect("evaluator");
    let encoder = Encoder::new(ctx.clone());
    let mut enc = Encryptor::with_public_key(ctx.clone(), &pk)
        .expect("enc")
        .with_seed(3);
    let v: Vec<f64> = (0..dim)
        .map(|i| ((i * 37 % 201) as f64) / 100.0 - 1.0)
        .collect();
    let ct = enc
        .encrypt(&encoder.encode_default(&v).expect("encode"))
        .expect("encrypt");
    let pairs: Vec<_> = (0..k).map(|_| (ct.clone(), ct.clone())).collect();
    let mut outs: Vec<_> = pairs.iter().map(|(a, _)| a.clone()).collect();
    let mut group = c.benchmark_group(format!("{preset}"));
    group.sample_size(10);
    group.throughput(Throughput::Elements(k as u64));
    let cases = [
        (1, Mode::Task, Schedule::WorkStealing),
        (2, Mode::Task, Schedule::WorkStealing),
        (2, Mode::Task, Schedule::Static),
        (2, Mode::Limb, Schedule::WorkStealing),
    ];
    for (threads, mode, schedule) in cases {
        let engine = InnerProductEngine::new(
            eval.clone(),
            EngineConfig {
                threads: Some(threads),
                mode,
                schedule,
                ..Default::default()
            },
        )
        .expect("engine");
        group.bench_function(format!("k={k}/{mode}/{schedule}/threads={threads}"), |b| {
            b.iter(|| {
                engine
                    .run_into(&pairs, dim, &mut outs, &|_, _| {})
                    .expect("run")
            })
        });
    }
    group.finish();
}

fn inner_product(c: &mut Criterion) {
    bench_set(c, Preset::S, 8, 4096);
    bench_set(c, Preset::L, 2, 16384);
}

criterion_group!(benches, inner_product);
criterion_main!(benches);
