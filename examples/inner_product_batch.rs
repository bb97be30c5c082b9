//! A batch of encrypted inner products on the parallel engine, the way the CLI's main job runs
//! it: the planner calibrates this machine's unit costs and picks the layout (block size b,
//! products per ciphertext, tiles per group), the sum plan and the lowest output level; exactly
//! the plan's keys are generated; the batch is laid out, encrypted, run with one
//! relinearization per group, decrypted and checked against plain doubles.
//!
//! `cargo run --release --example inner_product_batch`

use ckks_accel::ckks::*;
use ckks_accel::parallel::{BatchRequest, EncryptedBatch, EngineConfig, InnerProductEngine};
use std::sync::Arc;
use std::time::Instant;

fn main() -> Result<(), ckks_accel::Error> {
    let ctx = CkksContext::new(CkksParams::preset(Preset::S)?)?;
    let (k, dim, threads) = (32, 256, 2);
    let mut kg = KeyGenerator::new(ctx.clone())?;
    let sk = kg.secret_key()?;
    let (plan, keys) = kg.batch_keys(&sk, &BatchRequest::new(k, dim, threads))?;
    println!("plan: {}", plan.reason);
    println!(
        "{} rotation keys, {:.3} key switches per product",
        keys.galois.len(),
        plan.key_switches_per_product()
    );
    let eval = Evaluator::new(ctx.clone(), Arc::new(keys))?;
    let config = EngineConfig {
        threads: Some(threads),
        ..Default::default()
    };
    let engine = InnerProductEngine::new(eval, config)?;

    let value = |i: usize, j: usize| ((i * 31 + j * 17) % 97) as f64 / 97.0 - 0.5;
    let xs: Vec<Vec<f64>> = (0..k)
        .map(|i| (0..dim).map(|j| value(i, j)).collect())
        .collect();
    let ys: Vec<Vec<f64>> = (0..k)
        .map(|i| (0..dim).map(|j| value(j, i)).collect())
        .collect();
    let encoder = Encoder::new(ctx.clone());
    let mut enc = Encryptor::with_public_key(ctx.clone(), &kg.public_key(&sk)?)?;
    let batch = EncryptedBatch::encrypt(&plan, &xs, &ys, None, &encoder, &mut enc)?;
    let t = Instant::now();
    let (results, _stats) = engine.run_batch(&batch, &|_, _| {})?;
    let wall = t.elapsed();
    let got = batch.decrypt(&results, &Decryptor::new(ctx.clone(), &sk)?, &encoder)?;
    let max_err = xs
        .iter()
        .zip(&ys)
        .zip(&got)
        .map(|((x, y), g)| (x.iter().zip(y).map(|(a, b)| a * b).sum::<f64>() - g).abs())
        .fold(0.0, f64::max);
    println!(
        "ran in {:.1} ms on {} threads; max |error| vs plain doubles = {max_err:.2e}",
        wall.as_secs_f64() * 1e3,
        engine.threads()
    );
    assert!(max_err < 1e-4, "error {max_err} too large");
    Ok(())
}
