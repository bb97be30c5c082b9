//! A batch of encrypted inner products on the parallel engine, the way the CLI's `--mode auto
//! --sum auto` runs it: the cost model picks the inner-sum method (and only its rotation keys are
//! generated), short vectors are packed several per ciphertext, results are unpacked and checked
//! against plain doubles.
//!
//! `cargo run --release --example inner_product_batch`

use ckks_accel::ckks::*;
use ckks_accel::parallel::{EncryptedBatch, EngineConfig, InnerProductEngine, Mode};
use std::sync::Arc;
use std::time::Instant;

fn main() -> Result<(), ckks_accel::Error> {
    let ctx = CkksContext::new(CkksParams::preset(Preset::S)?)?;
    let (k, dim) = (32, 256);
    let mut kg = KeyGenerator::new(ctx.clone())?;
    let sk = kg.secret_key()?;
    let sum_level = ctx.params().max_level() - 1; // after the product's rescale
    let (method, galois) = kg.sum_keys(&sk, SumChoice::Auto, dim, sum_level)?;
    println!("sum method: {method:?} ({} rotation keys)", galois.len());
    let keys = Arc::new(EvaluationKeys {
        relin: Some(kg.relin_key(&sk)?),
        galois,
    });
    let eval = Evaluator::new(ctx.clone(), keys)?;
    let config = EngineConfig {
        mode: Mode::Auto,
        ..Default::default()
    };
    let engine = InnerProductEngine::new(eval, config)?.with_sum(method, None);

    let value = |i: usize, j: usize| ((i * 31 + j * 17) % 97) as f64 / 97.0 - 0.5;
    let xs: Vec<Vec<f64>> = (0..k)
        .map(|i| (0..dim).map(|j| value(i, j)).collect())
        .collect();
    let ys: Vec<Vec<f64>> = (0..k)
        .map(|i| (0..dim).map(|j| value(j, i)).collect())
        .collect();
    let encoder = Encoder::new(ctx.clone());
    let mut enc = Encryptor::with_public_key(ctx.clone(), &kg.public_key(&sk)?)?;
    let batch = EncryptedBatch::encrypt(&engine, &xs, &ys, &encoder, &mut enc)?;
    println!(
        "{k} products of dim {dim}: mode {} ({}), {} ciphertext pairs",
        batch.plan().mode,
        batch.plan().reason,
        batch.pairs().len()
    );
    let t = Instant::now();
    let results = engine.run(batch.pairs(), batch.dim())?;
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
