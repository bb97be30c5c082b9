//! `ckks-accel bench ckks`: median times of the CKKS operations at a reference set (top level,
//! fresh ciphertexts, one thread) and the precision of the seed inner product.

use super::args::{self, PresetArg};
use super::{CliResult, timing};
use ckks_accel::Isa;
use ckks_accel::ckks::{
    CkksContext, CkksParams, Decryptor, Encoder, Encryptor, EvaluationKeys, Evaluator,
    KeyGenerator, NoiseMeter, NoiseReport, Preset, SumMethod, SumPlan,
};
use ckks_accel::parallel::PackedLayout;
use clap::Args;
use serde_json::json;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

/// Options of `bench ckks`.
#[derive(Debug, Args)]
pub struct CkksArgs {
    /// Parameter set of the reference workloads.
    #[arg(long, default_value = "S", ignore_case = true, value_parser = args::parser::<PresetArg, Preset>())]
    pub params: Preset,

    /// Inner-product length (power of two) [default: 4096 for S, 16384 for L].
    #[arg(long)]
    pub dim: Option<usize>,

    /// Timed calls per operation [default: enough for about 0.1 s, at least 11].
    #[arg(long, value_name = "N")]
    pub reps: Option<NonZeroUsize>,

    /// Products per batch for the precision report (inputs uniform in [−1, 1)).
    #[arg(long, default_value_t = 16)]
    pub batch: usize,

    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// The noise after each stage of the inner-product pipeline (fresh, mul, relinearize, rescale,
/// each rotate-and-add of the doubling tree), measured with the secret key.
#[allow(clippy::too_many_arguments)]
fn noise_budget(
    eval: &Evaluator,
    meter: &NoiseMeter,
    encoder: &Encoder,
    enc: &mut Encryptor,
    sk_enc: &mut Encryptor,
    x: &[f64],
    y: &[f64],
    dim: usize,
) -> CliResult<Vec<(String, NoiseReport)>> {
    let slots = encoder.slots();
    let pad = |v: &[f64]| -> Vec<f64> {
        (0..slots)
            .map(|i| v.get(i).copied().unwrap_or(0.0))
            .collect()
    };
    let z: Vec<f64> = pad(&x.iter().zip(y).map(|(a, b)| a * b).collect::<Vec<_>>());
    let window = |w: usize| -> Vec<f64> {
        (0..slots)
            .map(|i| (0..w).map(|j| z[(i + j) % slots]).sum())
            .collect()
    };
    let mut rows = Vec::new();
    let a = enc.encrypt(&encoder.encode_default(x)?)?;
    let b = enc.encrypt(&encoder.encode_default(y)?)?;
    rows.push(("fresh (public key)".to_string(), meter.measure(&a, x)?));
    let a_sk = sk_enc.encrypt(&encoder.encode_default(x)?)?;
    rows.push(("fresh (secret key)".to_string(), meter.measure(&a_sk, x)?));
    let mut s = eval.scratch();
    let prod = eval.mul(&a, &b)?;
    rows.push(("mul (tensor)".to_string(), meter.measure(&prod, &z)?));
    let relin = eval.relinearize(&prod, &mut s)?;
    rows.push(("relinearize".to_string(), meter.measure(&relin, &z)?));
    let mut acc = eval.rescale(&relin, &mut s)?;
    rows.push(("rescale".to_string(), meter.measure(&acc, &z)?));
    let mut w = 1;
    while w < dim {
        let rot = eval.rotate(&acc, w as i64, &mut s)?;
        eval.add_assign(&mut acc, &rot)?;
        w *= 2;
        rows.push((
            format!("rotate {} + add", w / 2),
            meter.measure(&acc, &window(w))?,
        ));
    }
    Ok(rows)
}

/// Max and mean |error| of one sum method over a batch of products.
struct BatchError {
    name: &'static str,
    max: f64,
    mean: f64,
}

/// Runs `batch` inner products (fresh public-key encryptions, uniform inputs) with the plain
/// tree, a hoisted radix-4 sum, the hoisted sum at output level 1 (level-aware) and the tree on
/// packed ciphertexts (two vectors per ciphertext when they fit), and reports max and mean
/// |error| against the float64 products.
#[allow(clippy::too_many_arguments)]
fn batch_errors(
    eval: &Evaluator,
    encoder: &Encoder,
    enc: &mut Encryptor,
    dec: &Decryptor,
    dim: usize,
    batch: usize,
    hoisted: &SumMethod,
) -> CliResult<Vec<BatchError>> {
    let xs: Vec<Vec<f64>> = (0..batch)
        .map(|i| test_vector(dim, 100 + 2 * i as u64))
        .collect();
    let ys: Vec<Vec<f64>> = (0..batch)
        .map(|i| test_vector(dim, 101 + 2 * i as u64))
        .collect();
    let want: Vec<f64> = xs
        .iter()
        .zip(&ys)
        .map(|(x, y)| x.iter().zip(y).map(|(a, b)| a * b).sum())
        .collect();
    let slots = encoder.slots();
    let layout = PackedLayout::new(slots, dim)?;
    let mut s = eval.scratch();
    let mut run = |name: &'static str,
                   px: &[Vec<f64>],
                   py: &[Vec<f64>],
                   method: &SumMethod,
                   level: Option<usize>|
     -> CliResult<BatchError> {
        let mut decoded = Vec::with_capacity(px.len());
        for (x, y) in px.iter().zip(py) {
            let a = enc.encrypt(&encoder.encode_default(x)?)?;
            let b = enc.encrypt(&encoder.encode_default(y)?)?;
            let mut out = a.clone();
            eval.inner_product_with(&a, &b, dim, method, level, &mut out, &mut s)?;
            decoded.push(encoder.decode(&dec.decrypt(&out)?)?);
        }
        let got: Vec<f64> = if px.len() < batch {
            layout.unpack(&decoded, batch)?
        } else {
            decoded.iter().map(|d| d[0]).collect()
        };
        let errs: Vec<f64> = got.iter().zip(&want).map(|(g, w)| (g - w).abs()).collect();
        Ok(BatchError {
            name,
            max: errs.iter().copied().fold(0.0, f64::max),
            mean: errs.iter().sum::<f64>() / errs.len().max(1) as f64,
        })
    };
    let mut rows = vec![
        run("tree", &xs, &ys, &SumMethod::Tree, None)?,
        run("hoisted", &xs, &ys, hoisted, None)?,
        run("level_aware", &xs, &ys, hoisted, Some(1))?,
    ];
    if layout.per_ciphertext >= 2 {
        let (px, py) = (layout.pack(&xs)?, layout.pack(&ys)?);
        rows.push(run("packed", &px, &py, &SumMethod::Tree, None)?);
    }
    Ok(rows)
}

/// Deterministic test vectors in [−1, 1).
pub fn test_vector(len: usize, seed: u64) -> Vec<f64> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            let x = state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11;
            x as f64 / (1u64 << 52) as f64 - 1.0
        })
        .collect()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Runs the benchmark.
pub fn run(args: &CkksArgs) -> CliResult {
    let params = CkksParams::preset(args.params)?;
    let dim = args.dim.unwrap_or(match args.params {
        Preset::S | Preset::SIfma => 4096,
        Preset::L | Preset::LIfma => 16384,
    });
    let ctx = CkksContext::new(params)?;
    let mut kg = KeyGenerator::from_seed(ctx.clone(), 7);
    let sk = kg.secret_key()?;
    let pk = kg.public_key(&sk)?;
    let hoisted = SumMethod::Hoisted(SumPlan::radix(dim, 4)?);
    let mut steps = KeyGenerator::tree_sum_steps(dim);
    steps.extend([1, 2, 4, 8]);
    steps.extend(hoisted.rotation_steps(dim));
    steps.sort_unstable();
    steps.dedup();
    let keys = Arc::new(EvaluationKeys {
        relin: Some(kg.relin_key(&sk)?),
        galois: kg.galois_keys(&sk, &steps, false)?,
    });
    let eval = Evaluator::new(ctx.clone(), keys)?;
    let encoder = Encoder::new(ctx.clone());
    let mut enc = Encryptor::with_public_key(ctx.clone(), &pk)?.with_seed(1);
    let (x, y) = (test_vector(dim, 1), test_vector(dim, 2));
    let a = enc.encrypt(&encoder.encode_default(&x)?)?;
    let b = enc.encrypt(&encoder.encode_default(&y)?)?;
    let mut s = eval.scratch();
    let reps = args.reps;
    let mut prod = eval.mul(&a, &b)?;
    let mut relin = eval.relinearize(&prod, &mut s)?;
    let mut resc = eval.rescale(&relin, &mut s)?;
    let mut rot = a.clone();
    let mut acc = a.clone();
    let mut ip = a.clone();
    let t_add = timing::median_time(reps, || eval.add_assign(&mut acc, &b).expect("add"));
    let t_mul = timing::median_time(reps, || eval.mul_into(&a, &b, &mut prod).expect("mul"));
    let t_relin = timing::median_time(reps, || {
        eval.relinearize_into(&prod, &mut relin, &mut s)
            .expect("relin")
    });
    let t_rescale = timing::median_time(reps, || {
        eval.rescale_into(&relin, &mut resc, &mut s)
            .expect("rescale")
    });
    // Relinearize + rescale as one step (ModDown fused with the rescale), beside the two.
    let t_relin_rescale = timing::median_time(reps, || {
        eval.relinearize_rescale_into(&prod, &mut resc, &mut s)
            .expect("relin+rescale")
    });
    let t_rot = timing::median_time(reps, || {
        eval.rotate_into(&a, 1, &mut rot, &mut s).expect("rotate")
    });
    let t_rot4 = timing::median_time(reps, || {
        for k in [1, 2, 4, 8] {
            eval.rotate_into(&a, k, &mut rot, &mut s).expect("rotate");
        }
    });
    let t_hoist4 = timing::median_time(reps, || {
        eval.rotate_hoisted(&a, &[1, 2, 4, 8], &mut s)
            .expect("hoisted");
    });
    let ip_reps = reps.or(NonZeroUsize::new(5));
    let t_ip = timing::median_time(ip_reps, || {
        eval.inner_product_into(&a, &b, dim, &mut ip, &mut s)
            .expect("ip")
    });
    let dec = Decryptor::new(ctx.clone(), &sk)?;
    let got = encoder.decode(&dec.decrypt(&ip)?)?;
    let want: f64 = x.iter().zip(&y).map(|(p, q)| p * q).sum();
    let err = (got[0] - want).abs();
    let isa = Isa::detect();
    // Noise of a fresh public-key encryption and of the inner-product result (every slot: the
    // doubling tree leaves slot i = Σ_{j<dim} x_{i+j}·y_{i+j}, indices mod the slot count).
    let meter = NoiseMeter::new(ctx.clone(), &sk)?;
    let fresh = meter.measure(&a, &x)?;
    let slots = encoder.slots();
    let prod: Vec<f64> = (0..slots)
        .map(|i| if i < dim { x[i] * y[i] } else { 0.0 })
        .collect();
    let window: Vec<f64> = (0..slots)
        .map(|i| (0..dim).map(|j| prod[(i + j) % slots]).sum())
        .collect();
    let ip_noise = meter.measure(&ip, &window)?;
    let mut sk_enc = Encryptor::with_secret_key(ctx.clone(), &sk)?.with_seed(3);
    let budget = noise_budget(&eval, &meter, &encoder, &mut enc, &mut sk_enc, &x, &y, dim)?;
    let rows = batch_errors(
        &eval,
        &encoder,
        &mut enc,
        &dec,
        dim,
        args.batch.max(1),
        &hoisted,
    )?;
    if args.json {
        let out = json!({
            "params": args.params.to_string(),
            "isa": isa.to_string(),
            "threads": 1,
            "dim": dim,
            "ms": {
                "add": ms(t_add), "mul": ms(t_mul), "relinearize": ms(t_relin), "rescale": ms(t_rescale),
                "relinearize_rescale": ms(t_relin_rescale),
                "rotate": ms(t_rot), "rotate_4": ms(t_rot4), "hoisted_rotate_4": ms(t_hoist4),
                "inner_product": ms(t_ip),
            },
            "inner_product_max_abs_error": err,
            "batch": args.batch.max(1),
            "noise": {"fresh": fresh, "inner_product": ip_noise},
            "noise_budget": budget.iter().map(|(k, r)| json!({"stage": k, "report": r})).collect::<Vec<_>>(),
            "errors": rows.iter().map(|r| (r.name.to_string(), json!({"max_abs": r.max, "mean_abs": r.mean}))).collect::<serde_json::Map<_, _>>(),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "CKKS at set {} (n = {}), top level, {isa}, 1 thread, medians in ms",
        args.params,
        ctx.params().n()
    );
    for (name, t) in [
        ("add", t_add),
        ("mul (tensor)", t_mul),
        ("relinearize", t_relin),
        ("rescale", t_rescale),
        ("relinearize + rescale", t_relin_rescale),
        ("rotate(1)", t_rot),
        ("4 rotations", t_rot4),
        ("4 rotations, hoisted", t_hoist4),
        ("inner product", t_ip),
    ] {
        println!("{name:<24} {:>10.3}", ms(t));
    }
    println!(
        "inner product dim {dim}: error {err:.2e} (got {:.9}, expected {want:.9})",
        got[0]
    );
    println!("noise, fresh public-key encryption: {fresh}");
    println!("noise, inner product (every slot):   {ip_noise}");
    println!("noise budget (coefficient std / max in bits, slot error std / max):");
    for (stage, r) in &budget {
        println!(
            "  {stage:<22} coeff std 2^{:>5.1} max 2^{:>5.1}   slot std {:.2e} max {:.2e}",
            r.coefficients.log2_std(),
            r.coefficients.log2_max(),
            r.slots.std,
            r.slots.max_abs
        );
    }
    println!(
        "|error| over {} products (dim {dim}, public-key encryption): max / mean",
        args.batch.max(1)
    );
    for r in &rows {
        println!("{:<24} {:>10.2e} {:>10.2e}", r.name, r.max, r.mean);
    }
    Ok(())
}
