//! The outputs of `bench scaling` besides the plot: the JSON object and the table.

use super::super::timing;
use super::{CaseResult, RunInfo};
use serde_json::{Value, json};
use std::num::NonZeroUsize;

/// The JSON object (also the file beside the SVG).
pub fn to_json(results: &[CaseResult], info: &RunInfo) -> Value {
    let cases: Vec<Value> = results
        .iter()
        .map(|r| {
            let s = &r.shape;
            let ratio = r.openfhe_ms().map(|o| o / r.ours.ms);
            json!({
                "sweep": s.sweep.name(),
                "n": s.n(),
                "log_n": s.log_n,
                "q_limbs": s.q_limbs,
                "q_bits": [s.first_bits, s.scale_bits],
                "dnum": s.dnum,
                "adjusted": s.adjusted,
                "ours": {
                    "relin_ms": r.ours.ms,
                    "reps": r.ours.reps,
                    "p_limbs": s.p_limbs,
                    "p_bits": s.p_bits,
                    "cycles_per_word": r.ours.ms * 1e6 * info.clock_ghz
                        / (s.q_limbs * s.n()) as f64,
                    "keygen_s": r.ours.keygen_s,
                },
                "klss": r.ours.klss.as_ref().map(|k| json!({
                    "relin_ms": k.ms,
                    "over_hybrid": k.ms / r.ours.ms,
                    "group_primes": k.group_primes,
                    "aux_primes": k.aux_primes,
                    "ntts": k.ntts.0,
                    "hybrid_ntts": k.ntts.1,
                    "key_bytes_read": k.key_bytes_read.0,
                    "hybrid_key_bytes_read": k.key_bytes_read.1,
                    "identical_to_hybrid": true,
                })),
                "openfhe": r.openfhe,
                "openfhe_over_ours": ratio,
            })
        })
        .collect();
    let (openfhe, openfhe_skipped) = match &info.openfhe {
        Ok(v) => (Some(v.clone()), None),
        Err(why) => (None, Some(why.clone())),
    };
    json!({
        "bench": "scaling",
        "what": "relinearization: one key switch at the top level (hybrid; KLSS beside it), 1 thread, median ms",
        "cpu": info.cpu,
        "clock_ghz": info.clock_ghz,
        "nominal_clock_ghz": timing::nominal_ghz(),
        "date_utc": info.date,
        "load_average_1m": { "start": info.load.0, "end": info.load.1 },
        "ckks_accel_version": env!("CARGO_PKG_VERSION"),
        "isa": info.isa.to_string(),
        "reps": info.reps.map(NonZeroUsize::get),
        "openfhe": openfhe,
        "openfhe_skipped": openfhe_skipped,
        "regenerate": "cargo run --release -p ckks-accel-cli -- bench scaling",
        "cases": cases,
    })
}

/// One row per case.
pub fn print_table(results: &[CaseResult], info: &RunInfo) {
    println!(
        "relinearization (one key switch, top level, 1 thread, medians); {}; ours {} at {:.2} GHz; {}",
        info.cpu,
        info.isa,
        info.clock_ghz,
        match &info.openfhe {
            Ok(v) => format!("OpenFHE {}", v["openfhe_version"].as_str().unwrap_or("?")),
            Err(why) => format!("OpenFHE not measured: {why}"),
        }
    );
    println!(
        "{:<7} {:>7} {:>4} {:>5} {:>7} {:>10} {:>10} {:>11} {:>10}  notes",
        "sweep", "n", "Q", "dnum", "P ours", "ours ms", "KLSS ms", "OpenFHE ms", "OpenFHE÷"
    );
    for r in results {
        let s = &r.shape;
        let na = || "n/a".to_string();
        let o = r.openfhe.as_ref();
        let p_openfhe = o.and_then(|v| v["p_limbs"].as_u64());
        let mut notes = Vec::new();
        if let Some(p) = p_openfhe {
            notes.push(format!("OpenFHE P {p}"));
        }
        if let Some(sec) = o.and_then(|v| v["security"].as_str()) {
            notes.push(sec.to_string());
        }
        if let Some(a) = &s.adjusted {
            notes.push(a.clone());
        }
        if let Some(k) = &r.ours.klss {
            notes.push(format!(
                "KLSS groups of {}, {} aux primes",
                k.group_primes, k.aux_primes
            ));
        }
        println!(
            "{:<7} {:>7} {:>4} {:>5} {:>7} {:>10.3} {:>10} {:>11} {:>10}  {}",
            s.sweep.name(),
            s.n(),
            s.q_limbs,
            s.dnum,
            format!("{}×{}", s.p_limbs, s.p_bits),
            r.ours.ms,
            r.ours
                .klss
                .as_ref()
                .map_or_else(na, |k| format!("{:.3}", k.ms)),
            r.openfhe_ms().map_or_else(na, |m| format!("{m:.3}")),
            r.openfhe_ms()
                .map_or_else(na, |m| format!("{:.2}", m / r.ours.ms)),
            notes.join("; ")
        );
    }
}
