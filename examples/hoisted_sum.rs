//! Inner sums over many slots: the plain doubling tree against hoisted radix-r folding (one
//! decomposition and one ModDown per step), with the calibrated cost model's prediction. Both
//! results decrypt to the same sum.
//!
//! `cargo run --release --example hoisted_sum`

use ckks_accel::ckks::*;
use std::sync::Arc;
use std::time::Instant;

fn main() -> Result<(), ckks_accel::Error> {
    let ctx = CkksContext::new(CkksParams::preset(Preset::S)?)?;
    let span = 1024;
    let mut kg = KeyGenerator::new(ctx.clone())?;
    let sk = kg.secret_key()?;
    let level = ctx.params().max_level();
    let plan = SumPlan::radix(span, 8)?;
    let mut steps = SumMethod::Tree.rotation_steps(span);
    steps.extend(plan.rotation_steps());
    let keys = Arc::new(EvaluationKeys {
        relin: None,
        galois: kg.galois_keys(&sk, &steps, false)?,
    });
    let eval = Evaluator::new(ctx.clone(), keys)?;
    let (auto, costs) = eval.choose_sum(SumChoice::Auto, span, level)?;
    let costs = costs.expect("Auto measures");
    println!(
        "cost model (this machine): tree {:.2} ms, hoisted radix 8 {:.2} ms; Auto picks {auto:?}",
        costs.tree(span) * 1e3,
        costs.hoisted(&plan) * 1e3
    );

    let encoder = Encoder::new(ctx.clone());
    let values: Vec<f64> = (0..span).map(|i| (i % 10) as f64 / 10.0).collect();
    let want: f64 = values.iter().sum();
    let mut enc = Encryptor::with_secret_key(ctx.clone(), &sk)?;
    let ct = enc.encrypt(&encoder.encode_default(&values)?)?;
    let dec = Decryptor::new(ctx.clone(), &sk)?;
    let mut scratch = eval.scratch();
    for method in [SumMethod::Tree, SumMethod::Hoisted(plan.clone())] {
        let mut x = ct.clone();
        let t = Instant::now();
        eval.inner_sum_with(&mut x, &method, span, &mut scratch)?;
        let ms = t.elapsed().as_secs_f64() * 1e3;
        let got = encoder.decode(&dec.decrypt(&x)?)?[0];
        println!(
            "{:<8} {ms:7.2} ms  sum = {got:.6} (want {want}), {} rotation keys",
            if method == SumMethod::Tree {
                "tree"
            } else {
                "hoisted"
            },
            method.rotation_steps(span).len()
        );
        assert!((got - want).abs() < 1e-3);
    }
    Ok(())
}
