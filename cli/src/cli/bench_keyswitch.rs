//! `ckks-accel bench keyswitch`: median time of one hybrid key switch at the top level of a
//! reference set, per instruction set, with a breakdown of where the time goes; then the KLSS
//! method on the best ISA (output groups chosen by the cost model from the hybrid's measured
//! per-operation costs, or `--klss-groups`), checked word for word against the hybrid output.

use super::args::{self, PresetArg};
use super::{CliResult, isa_select, timing};
use ckks_accel::Isa;
use ckks_accel::keyswitch::{
    Fusion, KeySwitcher, KlssSwitcher, OpCosts, ReferenceSet, SwitchCost, SwitchingKey,
};
use ckks_accel::profile::{Profile, ProfileLevel};
use ckks_accel::rns::{Representation, RnsPoly, sampling};
use clap::Args;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::{Value, json};
use std::num::NonZeroUsize;

/// Options of `bench keyswitch`.
#[derive(Debug, Args)]
pub struct KeySwitchArgs {
    /// Reference parameter set (or its IFMA-friendly variant).
    #[arg(long, default_value = "S", ignore_case = true, value_parser = args::parser::<PresetArg, ReferenceSet>())]
    pub params: ReferenceSet,

    /// Instruction sets to measure (each must be available). Default: scalar and the detected one.
    #[arg(long, value_name = "ISA,...", value_delimiter = ',', value_parser = isa_select::parse_isa)]
    pub isa: Vec<Isa>,

    /// Timed key switches per ISA [default: enough for about 0.1 s, at least 11].
    #[arg(long, value_name = "N")]
    pub reps: Option<NonZeroUsize>,

    /// Key-switching digits instead of the set's own (e.g. a high-dnum variant, where KLSS's
    /// linear NTT count matters most).
    #[arg(long, value_name = "DNUM")]
    pub dnum: Option<NonZeroUsize>,

    /// KLSS output groups of this many primes [default: the cost model's choice].
    #[arg(long, value_name = "PRIMES")]
    pub klss_groups: Option<NonZeroUsize>,

    /// Skip the KLSS measurement.
    #[arg(long)]
    pub no_klss: bool,

    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// One measured ISA.
struct Measured {
    isa: Isa,
    ms: f64,
    profile: Profile,
    /// Median over [`PROFILED_RUNS`] profiled switches of the conversion time per output word.
    conv_ns_per_word: f64,
}

/// Profiled switches per ISA for the conversion's time per output word.
const PROFILED_RUNS: usize = 5;

/// Runs the benchmark.
pub fn run(args: &KeySwitchArgs) -> CliResult {
    let isas = if args.isa.is_empty() {
        let mut v = vec![Isa::Scalar, Isa::detect()];
        v.dedup();
        v
    } else {
        isa_select::resolve(&args.isa)?
    };
    let mut shape = args.params.primes()?;
    if let Some(d) = args.dnum {
        shape.dnum = d.get();
    }
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let mut results = Vec::new();
    let mut h;
    let mut noise = None;
    let mut last = None;
    for &isa in &isas {
        let ks = KeySwitcher::with_isa(shape.n, &shape.q, &shape.p, shape.dnum, isa)?;
        let qp = ks.qp_basis();
        let coeffs = sampling::ternary_coeffs(shape.n, None, &mut rng);
        h = coeffs.iter().filter(|&&c| c != 0).count();
        let mut s = sampling::from_signed(qp, &coeffs);
        s.ntt(qp)?;
        let mut s2 = s.clone();
        s2.mul_assign(&s, qp)?;
        let key = ks.generate_key(&s2, &s, &mut rng)?;
        let basis = ks.q_basis().clone();
        let d = sampling::uniform(&basis, Representation::Evaluation, &mut rng);
        let mut c0 = RnsPoly::zero(&basis, Representation::Evaluation);
        let mut c1 = c0.clone();
        let mut scratch = ks.scratch();
        scratch.profile = Profile::new(ProfileLevel::Off);
        let reps = args.reps.or(if isa == Isa::Scalar {
            NonZeroUsize::new(5)
        } else {
            None
        });
        let t = timing::median_time(reps, || {
            ks.switch(&d, &key, &mut c0, &mut c1, &mut scratch)
                .expect("valid inputs")
        });
        // More runs with section timers: the breakdown (last run) and the conversion's median
        // time per output word.
        let mut conv = Vec::with_capacity(PROFILED_RUNS);
        for _ in 0..PROFILED_RUNS {
            scratch.profile = Profile::new(ProfileLevel::Timed);
            ks.switch(&d, &key, &mut c0, &mut c1, &mut scratch)?;
            let p = &scratch.profile;
            conv.push(p.conv_ns as f64 / (p.conv_limbs.max(1) * shape.n as u64) as f64);
        }
        conv.sort_by(f64::total_cmp);
        // The noise this switch added (every ISA computes the same words).
        noise = Some((
            ks.measure_noise(&c0, &c1, &s, &d, &s2)?,
            ks.expected_noise_std(basis.len(), h)?,
        ));
        results.push(Measured {
            isa,
            ms: t.as_secs_f64() * 1e3,
            profile: scratch.profile,
            conv_ns_per_word: conv[PROFILED_RUNS / 2],
        });
        last = Some((ks, key, d, c0, c1));
    }
    let (ks, key, d, mut c0, mut c1) = last.expect("at least one ISA");
    let best = results.last().expect("at least one ISA");
    // The one-thread data flows (`Fusion`), alternated in 3 rounds: median of the round medians.
    let flows = [Fusion::Staged, Fusion::NttMac, Fusion::PerLimb];
    let flow_ms: Vec<f64> = {
        let mut scratches: Vec<_> = flows
            .iter()
            .map(|&f| {
                let mut s = ks.scratch();
                s.set_fusion(f);
                s.profile = Profile::new(ProfileLevel::Off);
                s
            })
            .collect();
        let mut times = vec![Vec::new(); flows.len()];
        for _ in 0..3 {
            for (s, t) in scratches.iter_mut().zip(&mut times) {
                t.push(timing::median_time(args.reps, || {
                    ks.switch(&d, &key, &mut c0, &mut c1, s)
                        .expect("valid inputs")
                }));
            }
        }
        times
            .into_iter()
            .map(|mut t| {
                t.sort();
                t[1].as_secs_f64() * 1e3
            })
            .collect()
    };
    let klss = if args.no_klss {
        None
    } else {
        Some(measure_klss(
            args,
            &ks,
            &key,
            &d,
            (&c0, &c1),
            &best.profile,
        )?)
    };
    let hybrid_cost = ks.cost(shape.q.len())?;
    let scalar_ms = results.iter().find(|m| m.isa == Isa::Scalar).map(|m| m.ms);
    let (e, want) = noise.expect("at least one ISA");
    let noise_json = json!({
        "std": e.std, "max_abs": e.max_abs, "mean": e.mean, "log2_std": e.log2_std(),
        "log2_max": e.log2_max(), "expected_std": want, "log2_expected_std": want.log2(),
    });
    let ghz = timing::measured_ghz();
    // Words of the switched polynomial d (ℓ limbs of n words).
    let in_words = (shape.q.len() * shape.n) as f64;
    let cycles_per_word = |m: &Measured| m.ms * 1e6 * ghz / in_words;
    if args.json {
        let best = results.last().expect("at least one ISA");
        let conv = |m: &Measured| {
            json!({
                "ns_per_output_word": m.conv_ns_per_word,
                "cycles_per_output_word": m.conv_ns_per_word * ghz,
            })
        };
        let out = json!({
            "params": args.params.to_string(),
            "n": shape.n,
            "q_limbs": shape.q.len(),
            "p_limbs": shape.p.len(),
            "dnum": shape.dnum,
            "isa": best.isa.to_string(),
            "threads": 1,
            "keyswitch_ms": best.ms,
            "keyswitch_cycles_per_word": cycles_per_word(best),
            "breakdown": breakdown(&best.profile),
            "ops": ops(&best.profile),
            "speedup_vs_scalar": scalar_ms.map(|s| s / best.ms),
            "clock_ghz": ghz,
            "nominal_clock_ghz": timing::nominal_ghz(),
            "conversion": conv(best),
            "noise": noise_json,
            "method": "hybrid",
            "data_flow_ms": flows.iter().zip(&flow_ms)
                .map(|(f, ms)| (format!("{f:?}"), json!(ms)))
                .collect::<serde_json::Map<String, Value>>(),
            "ntts": hybrid_cost.ntts,
            "mac_limbs": hybrid_cost.mac_limbs,
            "key_bytes_read": hybrid_cost.key_bytes_read,
            "bytes_streamed": hybrid_cost.bytes_streamed,
            "key_bytes": key.size_bytes(),
            "klss": klss.as_ref().map(|k| k.json(in_words, ghz)),
            "runs": results.iter().map(|m| json!({
                "isa": m.isa.to_string(),
                "keyswitch_ms": m.ms,
                "keyswitch_cycles_per_word": cycles_per_word(m),
                "breakdown": breakdown(&m.profile),
                "conversion": conv(m),
            })).collect::<Vec<Value>>(),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "key switch at set {} (n = {}, {} Q + {} P primes, dnum {}), top level, 1 thread, medians",
        args.params,
        shape.n,
        shape.q.len(),
        shape.p.len(),
        shape.dnum
    );
    println!(
        "cycles at the measured clock {ghz:.2} GHz{}; cyc/word: per word of the switched \
         polynomial (ℓ·n); conv cyc/w: conversion, per output word",
        timing::nominal_ghz().map_or(String::new(), |g| format!(" (nominal {g:.2} GHz)"))
    );
    println!(
        "{:<12} {:>10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>11}",
        "isa", "ms", "×scalar", "cyc/word", "ntt", "conv", "mac", "other", "conv cyc/w"
    );
    for m in &results {
        let b = breakdown(&m.profile);
        let pct = |k: &str| format!("{:.0}%", 100.0 * b[k].as_f64().unwrap_or(0.0));
        let speed = scalar_ms.map_or("n/a".into(), |s| format!("{:.2}", s / m.ms));
        println!(
            "{:<12} {:>10.2} {:>9} {:>9.1} {:>9} {:>9} {:>9} {:>9} {:>11.2}",
            m.isa.to_string(),
            m.ms,
            speed,
            cycles_per_word(m),
            pct("ntt_intt"),
            pct("basis_conversion"),
            pct("mac"),
            pct("other"),
            m.conv_ns_per_word * ghz
        );
    }
    let p = &best.profile;
    println!(
        "per switch: {} NTT + {} INTT limb transforms, {} converted limbs, {} limb MACs, {} ModUp, {} ModDown",
        p.ntt, p.intt, p.conv_limbs, p.mac_limbs, p.mod_ups, p.mod_downs
    );
    println!(
        "added noise (c0 + c1·s − d·s², coefficients): std 2^{:.2} (expected 2^{:.2}), max 2^{:.2}, mean {:+.3}",
        e.log2_std(),
        want.log2(),
        e.log2_max(),
        e.mean
    );
    println!(
        "hybrid ({}): data flows (medians of 3 alternated rounds) {}; {} NTTs, {} MAC limbs, \
         {:.1} MiB of key read per switch ({:.1} MiB streamed at most)",
        best.isa,
        flows
            .iter()
            .zip(&flow_ms)
            .map(|(f, ms)| format!("{f:?} {ms:.2} ms"))
            .collect::<Vec<_>>()
            .join(", "),
        hybrid_cost.ntts,
        hybrid_cost.mac_limbs,
        mib(hybrid_cost.key_bytes_read),
        mib(hybrid_cost.bytes_streamed)
    );
    if let Some(k) = &klss {
        println!(
            "KLSS   ({}): {:.2} ms ({:.2}× hybrid), groups of {} primes, {} aux primes; {} NTTs, {} MAC \
             limbs, {:.1} MiB of key read (key {:.1} MiB vs {:.1}); output identical to hybrid: {}",
            best.isa,
            k.ms,
            k.ms / best.ms,
            k.groups,
            k.aux,
            k.cost.ntts,
            k.cost.mac_limbs,
            mib(k.cost.key_bytes_read),
            mib(k.key_bytes),
            mib(key.size_bytes()),
            k.identical
        );
        for (g, predicted) in &k.predictions {
            println!("  KLSS groups of {g}: predicted {:.2} ms", predicted / 1e6);
        }
    }
    Ok(())
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1u64 << 20) as f64
}

/// The KLSS measurement on the best ISA.
struct KlssMeasured {
    ms: f64,
    groups: usize,
    aux: usize,
    cost: SwitchCost,
    key_bytes: usize,
    identical: bool,
    profile: Profile,
    /// (group size, predicted ns) for every valid group size.
    predictions: Vec<(usize, f64)>,
}

impl KlssMeasured {
    fn json(&self, in_words: f64, ghz: f64) -> Value {
        json!({
            "method": "klss",
            "keyswitch_ms": self.ms,
            "keyswitch_cycles_per_word": self.ms * 1e6 * ghz / in_words,
            "group_primes": self.groups,
            "aux_primes": self.aux,
            "ntts": self.cost.ntts,
            "mac_limbs": self.cost.mac_limbs,
            "key_bytes_read": self.cost.key_bytes_read,
            "bytes_streamed": self.cost.bytes_streamed,
            "key_bytes": self.key_bytes,
            "identical_to_hybrid": self.identical,
            "breakdown": breakdown(&self.profile),
            "ops": ops(&self.profile),
            "predicted_ms": self.predictions.iter()
                .map(|(g, ns)| (g.to_string(), json!(ns / 1e6)))
                .collect::<serde_json::Map<String, Value>>(),
        })
    }
}

/// Chooses the KLSS grouping by the cost model (per-operation costs measured on the hybrid
/// switch), times it, and checks its output against the hybrid's.
fn measure_klss(
    args: &KeySwitchArgs,
    ks: &KeySwitcher,
    key: &SwitchingKey,
    d: &RnsPoly,
    (h0, h1): (&RnsPoly, &RnsPoly),
    hybrid: &Profile,
) -> CliResult<KlssMeasured> {
    let l = d.num_limbs();
    let costs = OpCosts::from_profile(hybrid, &ks.cost(l)?);
    let mut predictions = Vec::new();
    for g in 1..=7 {
        if let Ok(k) = KlssSwitcher::new(ks, g) {
            predictions.push((g, costs.predict_ns(&k.cost(l)?)));
        }
    }
    let groups = match args.klss_groups {
        Some(g) => g.get(),
        None => predictions
            .iter()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|p| p.0)
            .ok_or("no KLSS grouping is exact with at most 7 auxiliary primes")?,
    };
    let klss = KlssSwitcher::new(ks, groups)?;
    let kkey = klss.derive_key(key)?;
    let mut scratch = klss.scratch();
    scratch.profile = Profile::new(ProfileLevel::Off);
    let (mut c0, mut c1) = (h0.clone(), h1.clone());
    let t = timing::median_time(args.reps, || {
        klss.switch(d, &kkey, &mut c0, &mut c1, &mut scratch)
            .expect("valid inputs")
    });
    scratch.profile = Profile::new(ProfileLevel::Timed);
    klss.switch(d, &kkey, &mut c0, &mut c1, &mut scratch)?;
    Ok(KlssMeasured {
        ms: t.as_secs_f64() * 1e3,
        groups,
        aux: klss.aux_basis().len(),
        cost: klss.cost(l)?,
        key_bytes: kkey.size_bytes(),
        identical: (&c0, &c1) == (h0, h1),
        profile: scratch.profile,
        predictions,
    })
}

/// Shares of the timed sections (fractions summing to 1).
fn breakdown(p: &Profile) -> Value {
    let total = p.timed_ns().max(1) as f64;
    json!({
        "ntt_intt": (p.ntt_ns + p.intt_ns) as f64 / total,
        "basis_conversion": p.conv_ns as f64 / total,
        "mac": p.mac_ns as f64 / total,
        "other": p.other_ns as f64 / total,
    })
}

fn ops(p: &Profile) -> Value {
    json!({
        "ntt": p.ntt, "intt": p.intt, "conv_limbs": p.conv_limbs, "mac_limbs": p.mac_limbs,
        "mod_up": p.mod_ups, "mod_down": p.mod_downs,
    })
}
