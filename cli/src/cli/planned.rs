//! `inner-product --mode auto|tiled` (the default): the batch planner's path. Calibrates the
//! unit costs, plans the layout (block size, products per ciphertext, tiles per group), the
//! sum over each block and the lowest output level, generates exactly the plan's keys, lays out
//! and encrypts the batch, runs it at each thread count (one relinearization per group),
//! decrypts and checks every product, and reports the plan, predicted and measured times.

use super::CliResult;
use super::args::SumArg;
use super::inner_product::{InnerProductArgs, bar, ops_per_product, random_pairs};
use ckks_accel::Isa;
use ckks_accel::ckks::{
    CkksContext, CkksParams, Decryptor, Encoder, Encryptor, EvaluationKeys, Evaluator,
    KeyGenerator, SumChoice, SumMethod,
};
use ckks_accel::parallel::{
    BatchRequest, EncryptedBatch, EngineConfig, InnerProductEngine, RunStats, plan_with_costs,
};
use serde_json::json;
use std::sync::Arc;

/// Runs the planned main job (options already checked by the caller).
pub fn run(
    args: &InnerProductArgs,
    isa: Isa,
    params: CkksParams,
    k: usize,
    dim: usize,
    threads: &[usize],
) -> CliResult {
    let max_threads = *threads.iter().max().expect("non-empty");
    let mut req = BatchRequest::new(k, dim, max_threads);
    req.block = args.block;
    req.output_level = args.output_level;
    req.value_bound = 1.0; // the vectors are uniform in [−1, 1)
    req.sum = match (args.sum, args.radix) {
        (SumArg::Tree, _) => SumChoice::Tree,
        (_, Some(r)) => SumChoice::Hoisted(Some(r)),
        (SumArg::Hoisted, None) => SumChoice::Hoisted(None),
        (SumArg::Auto, None) => SumChoice::Auto,
    };
    let out_level = req.resolve_output_level(&params)?;
    let quiet = args.json;
    let ctx = CkksContext::with_isa(params, isa)?;

    // Keys: secret, public, relinearization and the rotation by 1 (to cost the sums); then the
    // plan's other rotation keys (the rotation by 1 is dropped if the plan does not use it).
    let mut kg = KeyGenerator::from_seed(ctx.clone(), args.seed);
    let pb = bar(4, "generating keys", quiet);
    let sk = kg.secret_key()?;
    pb.inc(1);
    let pk = kg.public_key(&sk)?;
    pb.inc(1);
    let relin = kg.relin_key(&sk)?;
    pb.inc(1);
    let one = kg.galois_keys(&sk, &[1], false)?;
    pb.inc(1);
    pb.finish_and_clear();
    let probe = Evaluator::new(
        ctx.clone(),
        Arc::new(EvaluationKeys {
            relin: Some(relin.clone()),
            galois: one.clone(),
        }),
    )?;
    let costs = probe.calibrate_batch(out_level + 1)?;
    let plan = plan_with_costs(ctx.params(), &req, &costs)?;
    let steps = plan.rotation_steps();
    let mut galois = if steps.contains(&1) {
        one
    } else {
        Default::default()
    };
    let rest: Vec<i64> = steps.iter().copied().filter(|&s| s != 1).collect();
    let pb = bar(rest.len() as u64, "rotation keys", quiet);
    for &s in &rest {
        galois.merge(kg.galois_keys(&sk, &[s], false)?)?;
        pb.inc(1);
    }
    pb.finish_and_clear();
    let rotation_keys = galois.len();
    let key_bytes = galois.size_bytes() + relin.key_size_bytes();
    let eval = Evaluator::new(
        ctx.clone(),
        Arc::new(EvaluationKeys {
            relin: Some(relin),
            galois,
        }),
    )?;

    let (xs, ys, expected) = random_pairs(args.seed, k, dim);
    let encoder = Encoder::new(ctx.clone());
    let mut enc = Encryptor::with_public_key(ctx.clone(), &pk)?.with_seed(args.seed);
    if !quiet {
        eprintln!(
            "encrypting {} tile pairs at the top level",
            plan.groups * plan.layout.tiles
        );
    }
    let batch = EncryptedBatch::encrypt(&plan, &xs, &ys, None, &encoder, &mut enc)?;

    // Runs.
    let mut runs: Vec<(usize, RunStats)> = Vec::new();
    let mut spreads: Vec<(f64, f64, usize)> = Vec::new();
    let mut results = Vec::new();
    for &th in threads {
        let engine = InnerProductEngine::new(
            eval.clone(),
            EngineConfig {
                threads: Some(th),
                mode: ckks_accel::parallel::Mode::Tiled,
                schedule: args.schedule,
                profile: args.profile,
                pin_threads: args.pin,
                ..Default::default()
            },
        )?;
        // One warm-up run (first-touch of the arenas and outputs), then `reps` timed runs
        // (default: enough for ~0.5 s, 5..=51); the median run's statistics are reported.
        let t = std::time::Instant::now();
        engine.run_batch(&batch, &|_, _| {})?;
        let first_s = t.elapsed().as_secs_f64();
        let reps = args
            .reps
            .unwrap_or_else(|| ((0.5 / first_s.max(1e-6)).ceil() as usize).clamp(5, 51));
        let pb = bar(reps as u64, &format!("{th} thread(s)"), quiet);
        let mut samples: Vec<RunStats> = Vec::with_capacity(reps);
        let mut outs = Vec::new();
        for _ in 0..reps {
            let (o, stats) = engine.run_batch(&batch, &|_, _| {})?;
            if !outs.is_empty() && o != outs {
                return Err("results differ between repetitions".into());
            }
            outs = o;
            samples.push(stats);
            pb.inc(1);
        }
        pb.finish_and_clear();
        samples.sort_by_key(|s| s.wall);
        let walls: Vec<f64> = samples.iter().map(|s| s.wall.as_secs_f64()).collect();
        spreads.push((walls[0], walls[walls.len() - 1], reps));
        let stats = samples.swap_remove(samples.len() / 2);
        if !runs.is_empty() && outs != results {
            return Err(format!("results at {th} threads differ from the first run's").into());
        }
        results = outs;
        runs.push((th, stats));
    }

    // Verification.
    let dec = Decryptor::new(ctx.clone(), &sk)?;
    let got = batch.decrypt(&results, &dec, &encoder)?;
    let errs: Vec<f64> = got
        .iter()
        .zip(&expected)
        .map(|(g, w)| (g - w).abs())
        .collect();
    let max_err = errs.iter().copied().fold(0.0, f64::max);
    let mean_err = errs.iter().sum::<f64>() / errs.len().max(1) as f64;
    let signed_mean = got.iter().zip(&expected).map(|(g, w)| g - w).sum::<f64>() / k as f64;

    // Report.
    let first = &runs[0].1;
    let ops = ops_per_product(&first.profile, k);
    // Predicted shares of one group's time: the tensor MACs, relinearize + rescale, the sum.
    let sum_s = plan.predicted_group_sum_s(&costs);
    let group = [
        ("tensor_mac", plan.layout.tiles as f64 * costs.tile_mac),
        ("relinearize_rescale", costs.finish),
        ("sum_rotations", sum_s),
    ];
    let total: f64 = group.iter().map(|g| g.1).sum::<f64>().max(1e-12);
    let (bn, bn_t) = group
        .iter()
        .copied()
        .fold(("", 0.0), |a, b| if b.1 > a.1 { b } else { a });
    let one_thread = runs
        .iter()
        .find(|(th, _)| *th == 1)
        .map(|(_, s)| s.wall.as_secs_f64());
    let mut run_rows = Vec::new();
    for ((th, s), (min_s, max_s, reps)) in runs.iter().zip(&spreads) {
        let wall = s.wall.as_secs_f64();
        let mut req_th = req;
        req_th.threads = *th;
        let predicted = plan_with_costs(ctx.params(), &req_th, &costs)
            .ok()
            .filter(|p| p.layout == plan.layout)
            .map(|p| p.predicted_s);
        let speedup = one_thread.map(|b| b / wall);
        run_rows.push(json!({
            "threads": th, "wall_s": wall, "wall_min_s": min_s, "wall_max_s": max_s, "reps": reps,
            "products_per_s": k as f64 / wall,
            "speedup": speedup, "efficiency": speedup.map(|x| x / *th as f64),
            "load_imbalance": s.load_imbalance(), "predicted_s": predicted,
            "bottleneck": bn, "bottleneck_share": bn_t / total, "mode": s.mode.to_string(),
            "ciphertext_pairs": batch.tiles().len(),
        }));
    }
    let ok = max_err <= args.bound;
    let method = match &plan.sum {
        SumMethod::Tree => "tree",
        SumMethod::Hoisted(_) => "hoisted",
    };
    let plan_json = json!({
        "layout": plan.layout.kind().to_string(), "block": plan.layout.block,
        "per_ciphertext": plan.layout.per_ciphertext, "tiles_per_group": plan.layout.tiles,
        "groups": plan.groups, "output_level": plan.output_level, "tensor_level": plan.tensor_level,
        "rotations_per_group": plan.rotations_per_group(),
        "key_switches_per_product": plan.key_switches_per_product(),
        "predicted_s": plan.predicted_s, "reason": plan.reason,
        "unit_costs_s": {"tile_mac": costs.tile_mac, "relinearize_rescale": costs.finish, "sum": sum_s},
    });
    let sum_json = json!({
        "method": method,
        "steps": match &plan.sum { SumMethod::Hoisted(p) => json!(p.steps), _ => json!(null) },
        "span": plan.layout.block, "output_level": plan.output_level,
        "predicted_ms": sum_s * 1e3,
    });
    if args.json {
        let out = json!({
            "params": args.params.to_string(), "isa": isa.to_string(), "k": k, "dim": dim,
            "mode": "tiled", "mode_reason": plan.reason, "schedule": args.schedule.to_string(),
            "profile": format!("{:?}", args.profile).to_lowercase(), "plan": plan_json,
            "max_abs_error": max_err, "mean_abs_error": mean_err, "mean_signed_error": signed_mean,
            "bound": args.bound, "ok": ok, "sum": sum_json, "rotation_keys": rotation_keys,
            "evaluation_key_bytes": key_bytes, "input_bytes": batch.input_bytes(),
            "ops_per_product": ops, "runs": run_rows,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "inner products: set {} (n = {}), k = {k}, dim = {dim}, isa {isa}",
            args.params,
            ctx.params().n()
        );
        println!("plan: {}", plan.reason);
        println!(
            "{:>7} {:>24} {:>12} {:>12} {:>8} {:>10} {:>10}",
            "threads",
            "median ms (min–max, n)",
            "predicted ms",
            "products/s",
            "speedup",
            "efficiency",
            "imbalance"
        );
        for r in &run_rows {
            println!(
                "{:>7} {:>24} {:>12} {:>12.1} {:>8} {:>10} {:>9.1}%",
                r["threads"].as_u64().unwrap_or(0),
                format!(
                    "{:.2} ({:.2}–{:.2}, {})",
                    1e3 * r["wall_s"].as_f64().unwrap_or(0.0),
                    1e3 * r["wall_min_s"].as_f64().unwrap_or(0.0),
                    1e3 * r["wall_max_s"].as_f64().unwrap_or(0.0),
                    r["reps"].as_u64().unwrap_or(0)
                ),
                r["predicted_s"]
                    .as_f64()
                    .map_or("n/a".into(), |x| format!("{:.2}", 1e3 * x)),
                r["products_per_s"].as_f64().unwrap_or(0.0),
                r["speedup"]
                    .as_f64()
                    .map_or("n/a".into(), |x| format!("{x:.2}")),
                r["efficiency"]
                    .as_f64()
                    .map_or("n/a".into(), |x| format!("{:.1}%", 100.0 * x)),
                100.0 * r["load_imbalance"].as_f64().unwrap_or(0.0)
            );
        }
        println!(
            "per group (predicted): tensor MACs {:.2} ms, relinearize + rescale {:.2} ms, sum over {} slots {:.2} ms ({method}) — bottleneck {bn}",
            1e3 * group[0].1,
            1e3 * group[1].1,
            plan.layout.block,
            1e3 * sum_s
        );
        println!(
            "key switches per product: {:.3}; per product: {ops}",
            plan.key_switches_per_product()
        );
        println!(
            "rotation keys: {rotation_keys}, evaluation keys {:.1} MiB, encrypted inputs {:.1} MiB",
            key_bytes as f64 / (1 << 20) as f64,
            batch.input_bytes() as f64 / (1 << 20) as f64
        );
        println!(
            "max |error| over {k} products: {max_err:.2e}, mean {mean_err:.2e}, mean signed {signed_mean:.1e} (bound {:.0e}) — {}",
            args.bound,
            if ok { "ok" } else { "FAILED" }
        );
    }
    if !ok {
        return Err(format!(
            "max error {max_err:.3e} exceeds the bound {:.1e}",
            args.bound
        )
        .into());
    }
    Ok(())
}
