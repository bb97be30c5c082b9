//! `ckks-accel inner-product`: the main job. Generates keys, encrypts k pairs of random vectors,
//! runs the parallel engine at each thread count, decrypts and checks every result against the
//! plaintext inner product, and prints the scaling table (or one JSON object).

use super::args::{self, ModeArg, PresetArg, ProfileArg, ScheduleArg, SumArg};
use super::{CliResult, isa_select};
use ckks_accel::Isa;
use ckks_accel::ckks::{
    Ciphertext, CkksContext, CkksParams, Decryptor, Encoder, Encryptor, EvaluationKeys, Evaluator,
    KeyGenerator, Preset,
};
use ckks_accel::parallel::{
    EngineConfig, InnerProductEngine, Mode, PackedLayout, RunStats, Schedule, choose_mode,
};
use ckks_accel::profile::{Profile, ProfileLevel};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Instant;

/// Options of `inner-product`.
#[derive(Debug, Args)]
pub struct InnerProductArgs {
    /// Parameter set of the reference workloads.
    #[arg(long, default_value = "S", ignore_case = true, value_parser = args::parser::<PresetArg, Preset>())]
    pub params: Preset,
    /// Number of independent inner products [default: 64 for S, 16 for L].
    #[arg(long)]
    pub k: Option<usize>,
    /// Vector length [default: 4096 for S, 16384 for L]; a power of two ≤ slots for the
    /// per-pair modes (task, limb, packed), any length for auto / tiled.
    #[arg(long)]
    pub dim: Option<usize>,
    /// Thread counts to run, comma-separated [default: 1 up to every core].
    #[arg(long, value_delimiter = ',')]
    pub threads: Vec<usize>,
    /// How the batch is spread over the workers.
    #[arg(long, default_value = "auto", value_parser = args::parser::<ModeArg, Mode>())]
    pub mode: Mode,
    /// Task-mode schedule.
    #[arg(long, default_value = "stealing", value_parser = args::parser::<ScheduleArg, Schedule>())]
    pub schedule: Schedule,
    /// Per-worker profiling.
    #[arg(long, default_value = "counts", value_parser = args::parser::<ProfileArg, ProfileLevel>())]
    pub profile: ProfileLevel,
    /// Instruction set cap (must be available here) [default: the detected one].
    #[arg(long, value_parser = isa_select::parse_isa)]
    pub isa: Option<Isa>,
    /// Seed of the random vectors and of the (test-only, deterministic) key generation.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Largest acceptable |decrypted − expected| of any product (exit status 1 above it).
    #[arg(long, default_value_t = 1e-4)]
    pub bound: f64,
    /// Inner-sum method.
    #[arg(long, value_enum, default_value_t = SumArg::Auto)]
    pub sum: SumArg,
    /// Force the radix of the hoisted sum (power of two ≥ 2).
    #[arg(long)]
    pub radix: Option<usize>,
    /// Opt-in level-aware summing: drop each product to this level before the rotations
    /// (cheaper key switches; the result then has only `level` levels left, and |result|·Δ must
    /// stay below Q_level / 2 — the headroom is printed).
    #[arg(long)]
    pub output_level: Option<usize>,
    /// Block size b of the tiled layout (a power of two) [default: the planner's choice].
    /// Only with `--mode auto` or `tiled`.
    #[arg(long)]
    pub block: Option<usize>,
    /// Pin worker thread i to core i (`EngineConfig::pin_threads`).
    #[arg(long)]
    pub pin: bool,
    /// Products that may wait between two stages of `--mode pipeline` (≥ 1).
    #[arg(long, default_value_t = 2)]
    pub pipeline_queue: usize,
    /// Timed repetitions per thread count for the planned path (median reported) [default:
    /// enough for ~0.5 s, 5..=51].
    #[arg(long)]
    pub reps: Option<usize>,
    /// Print one JSON object instead of the tables.
    #[arg(long)]
    pub json: bool,
}

/// A progress bar on stderr (hidden for `--json`).
pub(crate) fn bar(len: u64, msg: &str, hidden: bool) -> ProgressBar {
    let pb = if hidden {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(len)
    };
    pb.set_style(
        ProgressStyle::with_template("{msg:>22} [{bar:30}] {pos}/{len} {elapsed}")
            .expect("template")
            .progress_chars("=> "),
    );
    pb.set_message(msg.to_string());
    pb
}

/// Shares of time per kernel family in one product (from a timed profile and the product's
/// wall time): the largest is the bottleneck.
fn bottleneck(p: &Profile, product_ns: f64) -> (String, f64, Value) {
    let ks = p.timed_ns() as f64;
    let parts = [
        ("ntt", (p.ntt_ns + p.intt_ns) as f64),
        ("basis_conversion", p.conv_ns as f64),
        ("mac", p.mac_ns as f64),
        ("keyswitch_other", p.other_ns as f64),
        ("outside_keyswitch", (product_ns - ks).max(0.0)),
    ];
    let total: f64 = parts.iter().map(|(_, t)| t).sum::<f64>().max(1.0);
    let shares: serde_json::Map<String, Value> = parts
        .iter()
        .map(|(k, t)| (k.to_string(), json!(t / total)))
        .collect();
    let (name, t) = parts
        .iter()
        .copied()
        .fold(("", 0.0), |a, b| if b.1 > a.1 { b } else { a });
    (name.to_string(), t / total, Value::Object(shares))
}

/// k pairs of vectors uniform in [−1, 1) (53 random bits per value) from `seed`, and their
/// plaintext inner products. Every path of the command uses the same vectors for a seed.
pub(crate) fn random_pairs(
    seed: u64,
    k: usize,
    dim: usize,
) -> (Vec<Vec<f64>>, Vec<Vec<f64>>, Vec<f64>) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed ^ 0x5eed);
    let mut uniform = || (rng.next_u64() >> 11) as f64 / (1u64 << 52) as f64 - 1.0;
    let xs: Vec<Vec<f64>> = (0..k)
        .map(|_| (0..dim).map(|_| uniform()).collect())
        .collect();
    let ys: Vec<Vec<f64>> = (0..k)
        .map(|_| (0..dim).map(|_| uniform()).collect())
        .collect();
    let expected = xs
        .iter()
        .zip(&ys)
        .map(|(x, y)| x.iter().zip(y).map(|(a, b)| a * b).sum())
        .collect();
    (xs, ys, expected)
}

/// Operation counts of a run, per product (the `ops_per_product` JSON object).
pub(crate) fn ops_per_product(p: &Profile, products: usize) -> Value {
    let per = |x: u64| x as f64 / products.max(1) as f64;
    json!({
        "mul": per(p.muls), "relinearize": per(p.relins), "rescale": per(p.rescales),
        "rotate": per(p.rotations), "add": per(p.adds), "key_switch": per(p.key_switches),
        "mod_up": per(p.mod_ups), "mod_down": per(p.mod_downs), "ntt": per(p.ntt), "intt": per(p.intt),
        "basis_conversion_limbs": per(p.conv_limbs), "mac_limbs": per(p.mac_limbs),
    })
}

/// Most products one run accepts (each holds two encrypted vectors in memory).
const MAX_K: usize = 1 << 16;

/// Runs the main job.
pub fn run(args: &InnerProductArgs) -> CliResult {
    let isa = match args.isa {
        Some(i) => *isa_select::resolve(&[i])?.first().expect("one isa"),
        None => Isa::detect(),
    };
    let params = CkksParams::preset(args.params)?;
    let large = matches!(args.params, Preset::L | Preset::LIfma);
    let k = args.k.unwrap_or(if large { 16 } else { 64 });
    let dim = args.dim.unwrap_or(if large { 16384 } else { 4096 });
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let threads: Vec<usize> = if args.threads.is_empty() {
        (1..=cores).collect()
    } else {
        args.threads.clone()
    };
    if args.pipeline_queue == 0 {
        return Err(
            "--pipeline-queue 0: the pipeline needs room for at least one product between stages"
                .into(),
        );
    }
    if k == 0 || threads.contains(&0) {
        return Err("k and every thread count must be at least 1".into());
    }
    let slots = params.slots();
    let planned = matches!(args.mode, Mode::Auto | Mode::Tiled);
    if !planned && (!dim.is_power_of_two() || dim > slots) {
        return Err(
            format!("dim {dim} must be a power of two ≤ {slots} (or use --mode auto)").into(),
        );
    }
    if planned && (dim == 0 || dim > slots * slots) {
        return Err(format!("dim {dim} must be in 1..={}", slots * slots).into());
    }
    if let Some(b) = args.block {
        if !planned {
            return Err("--block needs --mode auto or tiled".into());
        }
        if !b.is_power_of_two() || b > slots || b > dim.next_power_of_two() {
            return Err(format!(
                "--block {b} must be a power of two ≤ min(slots {slots}, {})",
                dim.next_power_of_two()
            )
            .into());
        }
    }
    let max_threads = *threads.iter().max().expect("non-empty");
    let plan = match args.mode {
        Mode::Auto | Mode::Tiled => choose_mode(k, dim, slots, max_threads, true),
        m => ckks_accel::parallel::Plan {
            mode: m,
            reason: "requested".into(),
        },
    };
    // Every option is checked here, before the context and the keys (minutes at set L).
    let max_level = params.max_level();
    let sum_level = args.output_level.unwrap_or(max_level - 1);
    if sum_level + 1 > max_level {
        return Err(format!(
            "--output-level {sum_level} must be below {max_level} (the product's level after rescaling is {})",
            max_level - 1
        )
        .into());
    }
    match (args.sum, args.radix) {
        (SumArg::Tree, Some(r)) => {
            return Err(format!("--radix {r} needs --sum hoisted or auto, not tree").into());
        }
        (SumArg::Hoisted | SumArg::Auto, Some(r)) => {
            ckks_accel::ckks::SumPlan::radix(dim.next_power_of_two().min(slots), r)?;
        }
        (_, None) => {}
    }
    if !(args.bound.is_finite() && args.bound > 0.0) {
        return Err(format!("--bound {} must be a positive number", args.bound).into());
    }
    if let Some(&t) = threads
        .iter()
        .find(|&&t| t > ckks_accel::parallel::MAX_THREADS)
    {
        return Err(format!(
            "--threads {t}: at most {} worker threads",
            ckks_accel::parallel::MAX_THREADS
        )
        .into());
    }
    if k > MAX_K {
        return Err(format!("--k {k}: at most {MAX_K} products per run").into());
    }
    if planned {
        return super::planned::run(args, isa, params, k, dim, &threads);
    }
    let quiet = args.json;
    let ctx = CkksContext::with_isa(params, isa)?;

    // Keys.
    // Keys: the secret, public and relinearization keys, and the rotation by 1 (needed by every
    // sum plan and by the cost-model calibration); then the rest of the chosen plan's keys.
    let mut kg = KeyGenerator::from_seed(ctx.clone(), args.seed);
    let pb = bar(4, "generating keys", quiet);
    let sk = kg.secret_key()?;
    pb.inc(1);
    let pk = kg.public_key(&sk)?;
    pb.inc(1);
    let relin = kg.relin_key(&sk)?;
    pb.inc(1);
    let mut galois = kg.galois_keys(&sk, &[1], false)?;
    pb.inc(1);
    let relin_bytes = relin.key_size_bytes();
    let (method, predicted, tree_predicted) = {
        let probe_eval = Evaluator::new(
            ctx.clone(),
            Arc::new(EvaluationKeys {
                relin: None,
                galois: galois.clone(),
            }),
        )?;
        let mut probe = Encryptor::with_public_key(ctx.clone(), &pk)?.with_seed(args.seed);
        let zero = probe.encrypt(&Encoder::new(ctx.clone()).encode_default(&[0.0])?)?;
        let costs = probe_eval.calibrate_sum(&zero, sum_level, &mut probe_eval.scratch())?;
        let forced = |r: usize| {
            ckks_accel::ckks::SumPlan::radix(dim, r).map(ckks_accel::ckks::SumMethod::Hoisted)
        };
        let method = match (args.sum, args.radix) {
            (SumArg::Tree, _) => ckks_accel::ckks::SumMethod::Tree,
            (SumArg::Hoisted | SumArg::Auto, Some(r)) => forced(r)?,
            (SumArg::Hoisted, None) => match costs.choose(dim, 16).0 {
                ckks_accel::ckks::SumMethod::Tree => forced(4)?,
                m => m,
            },
            (SumArg::Auto, None) => costs.choose(dim, 16).0,
        };
        let predicted = match &method {
            ckks_accel::ckks::SumMethod::Tree => costs.tree(dim),
            ckks_accel::ckks::SumMethod::Hoisted(p) => costs.hoisted(p),
        };
        (method, predicted, costs.tree(dim))
    };
    let steps: Vec<i64> = method
        .rotation_steps(dim)
        .into_iter()
        .filter(|&s| s != 1)
        .collect();
    let pb = bar(steps.len() as u64, "rotation keys", quiet);
    for &s in &steps {
        galois.merge(kg.galois_keys(&sk, &[s], false)?)?;
        pb.inc(1);
    }
    pb.finish_and_clear();
    let rotation_keys = galois.len();
    let key_bytes = galois.size_bytes() + relin_bytes;
    let keys = Arc::new(EvaluationKeys {
        relin: Some(relin),
        galois,
    });
    let eval = Evaluator::new(ctx.clone(), keys)?;

    // Data.
    let (xs, ys, expected) = random_pairs(args.seed, k, dim);
    let packed = plan.mode == Mode::Packed;
    let layout = PackedLayout::new(slots, dim)?;
    let (px, py) = if packed {
        (layout.pack(&xs)?, layout.pack(&ys)?)
    } else {
        (xs, ys)
    };
    let encoder = Encoder::new(ctx.clone());
    let mut enc = Encryptor::with_public_key(ctx.clone(), &pk)?.with_seed(args.seed);
    let pb = bar(2 * px.len() as u64, "encrypting", quiet);
    let mut encrypt = |v: &Vec<f64>| -> CliResult<Ciphertext> {
        let ct = enc.encrypt(&encoder.encode_default(v)?)?;
        pb.inc(1);
        Ok(ct)
    };
    let mut pairs = Vec::with_capacity(px.len());
    for (x, y) in px.iter().zip(&py) {
        pairs.push((encrypt(x)?, encrypt(y)?));
    }
    pb.finish_and_clear();

    // One timed product for the bottleneck breakdown.
    let mut scratch = eval.scratch();
    scratch.set_profile_level(ProfileLevel::Timed);
    let mut out = pairs[0].0.clone();
    eval.inner_product_with(
        &pairs[0].0,
        &pairs[0].1,
        dim,
        &method,
        args.output_level,
        &mut out,
        &mut scratch,
    )?;
    scratch.set_profile_level(ProfileLevel::Timed);
    let t = Instant::now();
    eval.inner_product_with(
        &pairs[0].0,
        &pairs[0].1,
        dim,
        &method,
        args.output_level,
        &mut out,
        &mut scratch,
    )?;
    let product_ns = t.elapsed().as_nanos() as f64;
    let calibration = *scratch.profile();
    drop(scratch);

    // Runs.
    let mut runs: Vec<(usize, RunStats)> = Vec::new();
    let mut results: Vec<Ciphertext> = Vec::new();
    for &th in &threads {
        let engine = InnerProductEngine::new(
            eval.clone(),
            EngineConfig {
                threads: Some(th),
                mode: plan.mode,
                schedule: args.schedule,
                profile: args.profile,
                pin_threads: args.pin,
                pipeline_queue: args.pipeline_queue,
            },
        )?
        .with_sum(method.clone(), args.output_level);
        let pb = bar(pairs.len() as u64, &format!("{th} thread(s)"), quiet);
        let (outs, stats) =
            engine.run_with_progress(&pairs, dim, &|done, _| pb.set_position(done as u64))?;
        pb.finish_and_clear();
        if let Some((_, first)) = runs.first()
            && outs != results
        {
            return Err(format!(
                "results at {th} threads differ from those at {} threads",
                first.threads
            )
            .into());
        }
        results = outs;
        runs.push((th, stats));
    }

    // Verification.
    let dec = Decryptor::new(ctx.clone(), &sk)?;
    let pb = bar(results.len() as u64, "verifying", quiet);
    let mut decoded = Vec::with_capacity(results.len());
    for ct in &results {
        decoded.push(encoder.decode(&dec.decrypt(ct)?)?);
        pb.inc(1);
    }
    pb.finish_and_clear();
    let got: Vec<f64> = if packed {
        layout.unpack(&decoded, k)?
    } else {
        decoded.iter().map(|d| d[0]).collect()
    };
    let abs_errs: Vec<f64> = got
        .iter()
        .zip(&expected)
        .map(|(g, w)| (g - w).abs())
        .collect();
    let max_err = abs_errs.iter().copied().fold(0.0, f64::max);
    let mean_err = abs_errs.iter().sum::<f64>() / abs_errs.len().max(1) as f64;

    // Report.
    // Speedup and efficiency are relative to the 1-thread run (absent if it was not run).
    let one_thread = runs
        .iter()
        .find(|(th, _)| *th == 1)
        .map(|(_, s)| s.wall.as_secs_f64());
    let first = &runs[0].1;
    let ops = ops_per_product(&first.profile, first.products);
    let ciphertexts = pairs.len();
    let mut run_rows = Vec::new();
    for (th, s) in &runs {
        let wall = s.wall.as_secs_f64();
        let speedup = one_thread.map(|b| b / wall);
        let efficiency = speedup.map(|s| s / *th as f64);
        let (name, share, shares) = if args.profile == ProfileLevel::Timed {
            let mean_ns =
                s.busy.iter().map(|b| b.as_nanos() as f64).sum::<f64>() / s.products.max(1) as f64;
            let mut prof = s.profile;
            prof.ntt_ns /= s.products as u64;
            prof.intt_ns /= s.products as u64;
            prof.conv_ns /= s.products as u64;
            prof.mac_ns /= s.products as u64;
            prof.other_ns /= s.products as u64;
            bottleneck(&prof, mean_ns)
        } else {
            bottleneck(&calibration, product_ns)
        };
        run_rows.push(json!({
            "threads": th, "wall_s": wall, "products_per_s": k as f64 / wall, "speedup": speedup,
            "efficiency": efficiency, "load_imbalance": s.load_imbalance(), "bottleneck": name,
            "bottleneck_share": share, "time_shares": shares, "mode": s.mode.to_string(),
            "ciphertext_pairs": ciphertexts,
        }));
    }
    let ok = max_err <= args.bound;
    let out_level = args.output_level.unwrap_or(ctx.params().max_level() - 1);
    let log_q: f64 = ctx.params().q()[..=out_level]
        .iter()
        .map(|&q| (q as f64).log2())
        .sum();
    let headroom_bits = log_q - 1.0 - results[0].scale().log2();
    let sum_json = json!({
        "method": match &method { ckks_accel::ckks::SumMethod::Tree => "tree", _ => "hoisted" },
        "steps": match &method { ckks_accel::ckks::SumMethod::Hoisted(p) => json!(p.steps), _ => json!(null) },
        "predicted_ms": predicted * 1e3,
        "tree_predicted_ms": tree_predicted * 1e3,
        "output_level": out_level,
        "headroom_bits": headroom_bits,
    });
    if args.json {
        let out = json!({
            "params": args.params.to_string(), "isa": isa.to_string(), "k": k, "dim": dim,
            "mode": plan.mode.to_string(), "mode_reason": plan.reason, "schedule": args.schedule.to_string(),
            "profile": format!("{:?}", args.profile).to_lowercase(), "max_abs_error": max_err,
            "mean_abs_error": mean_err, "bound": args.bound,
            "ok": ok, "sum": sum_json, "rotation_keys": rotation_keys, "evaluation_key_bytes": key_bytes,
            "ops_per_product": ops, "runs": run_rows,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "inner products: set {} (n = {}), k = {k}, dim = {dim}, isa {isa}, mode {} ({}), schedule {}",
            args.params,
            ctx.params().n(),
            plan.mode,
            plan.reason,
            args.schedule
        );
        println!(
            "{:>7} {:>9} {:>12} {:>8} {:>10} {:>10}  bottleneck",
            "threads", "wall s", "products/s", "speedup", "efficiency", "imbalance"
        );
        for r in &run_rows {
            println!(
                "{:>7} {:>9.3} {:>12.2} {:>8} {:>10} {:>9.1}%  {} ({:.0}%)",
                r["threads"].as_u64().unwrap_or(0),
                r["wall_s"].as_f64().unwrap_or(0.0),
                r["products_per_s"].as_f64().unwrap_or(0.0),
                r["speedup"]
                    .as_f64()
                    .map_or("n/a".into(), |x| format!("{x:.2}")),
                r["efficiency"]
                    .as_f64()
                    .map_or("n/a".into(), |x| format!("{:.1}%", 100.0 * x)),
                100.0 * r["load_imbalance"].as_f64().unwrap_or(0.0),
                r["bottleneck"].as_str().unwrap_or(""),
                100.0 * r["bottleneck_share"].as_f64().unwrap_or(0.0)
            );
        }
        println!(
            "sum: {} (predicted {:.1} ms per sum, plain tree {:.1} ms); output level {out_level}, headroom 2^{headroom_bits:.1} for |result|",
            match &method {
                ckks_accel::ckks::SumMethod::Tree => "plain doubling tree".to_string(),
                ckks_accel::ckks::SumMethod::Hoisted(p) =>
                    format!("hoisted, steps (radix, stride) {:?}", p.steps),
            },
            predicted * 1e3,
            tree_predicted * 1e3
        );
        println!("per product (per ciphertext pair): {ops}");
        println!(
            "rotation keys: {rotation_keys}, evaluation keys: {:.1} MiB",
            key_bytes as f64 / (1 << 20) as f64
        );
        println!(
            "max |error| over {k} products: {max_err:.2e}, mean {mean_err:.2e} (bound {:.0e}) — {}",
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
