//! `ckks-accel bench ntt`: median forward and inverse NTT times per ring degree, prime size and
//! instruction set, as a table or one JSON object.

use super::{CliResult, isa_select, timing};
use ckks_accel::{AlignedVec, Isa, arith::ntt_primes, ntt::NttPlan};
use clap::Args;
use serde_json::{Value, json};
use std::hint::black_box;
use std::num::NonZeroUsize;
use std::time::Duration;

/// Options of `bench ntt`.
#[derive(Debug, Args)]
pub struct NttArgs {
    /// Ring degrees (powers of two), comma-separated.
    #[arg(
        long = "n",
        value_name = "N,...",
        value_delimiter = ',',
        default_value = "4096,16384,65536"
    )]
    pub degrees: Vec<usize>,

    /// Prime sizes: each case uses the largest prime q < 2^BITS with q = 1 mod 2n.
    #[arg(
        long,
        value_name = "BITS,...",
        value_delimiter = ',',
        default_value = "50,62"
    )]
    pub bits: Vec<u32>,

    /// Instruction sets to measure (scalar, avx2, avx512, avx512ifma); each must be available.
    /// Default: every available one up to the detected one (capped by CKKS_ACCEL_ISA).
    /// Speedups are relative to scalar, so they need scalar in the list.
    #[arg(long, value_name = "ISA,...", value_delimiter = ',', value_parser = isa_select::parse_isa)]
    pub isa: Vec<Isa>,

    /// Timed calls per transform [default: enough for about 0.1 s per transform, at least 11].
    #[arg(long, value_name = "N")]
    pub reps: Option<NonZeroUsize>,

    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// One (n, prime, ISA) case and its medians; `times` is `None` when the ISA cannot run this
/// prime (IFMA needs q < 2^50).
#[derive(Debug, Clone)]
struct Case {
    n: usize,
    bits: u32,
    q: u64,
    isa: Isa,
    times: Option<Times>,
}

/// Median forward and inverse times of one case.
#[derive(Debug, Clone, Copy)]
struct Times {
    forward: Duration,
    inverse: Duration,
}

/// Runs every case and prints the table or the JSON object.
pub fn run(args: &NttArgs) -> CliResult {
    let isas = isa_select::resolve(&args.isa)?;
    let cases = measure_all(args, &isas)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&to_json(&cases))?);
    } else {
        print_table(&cases, args.reps);
    }
    Ok(())
}

/// Measures every ring degree × prime size × instruction set, in that nesting order.
fn measure_all(args: &NttArgs, isas: &[Isa]) -> CliResult<Vec<Case>> {
    let mut cases = Vec::new();
    for &n in &args.degrees {
        for &bits in &args.bits {
            let q = ntt_primes(bits, n, 1)
                .map_err(|err| format!("n = {n}, {bits}-bit prime: {err}"))?[0];
            for &isa in isas {
                let times = measure(n, q, isa, args.reps)?;
                cases.push(Case {
                    n,
                    bits,
                    q,
                    isa,
                    times,
                });
            }
        }
    }
    Ok(cases)
}

/// Median times of one case, or `None` if `isa` cannot run modulus `q`.
fn measure(n: usize, q: u64, isa: Isa, reps: Option<NonZeroUsize>) -> CliResult<Option<Times>> {
    if isa.best_for_modulus(q) != isa {
        return Ok(None);
    }
    let plan =
        NttPlan::with_isa(n, q, isa).map_err(|err| format!("n = {n}, q = {q}, {isa}: {err}"))?;
    // Both transforms map [0, q) into [0, q), so the buffers stay valid inputs across calls.
    let mut buf = random_residues(n, q);
    let forward = timing::median_time(reps, || plan.forward(black_box(&mut buf)));
    let mut buf = random_residues(n, q);
    let inverse = timing::median_time(reps, || plan.inverse(black_box(&mut buf)));
    Ok(Some(Times { forward, inverse }))
}

/// `n` pseudo-random residues in [0, q) from a fixed-seed xorshift64* stream.
fn random_residues(n: usize, q: u64) -> AlignedVec {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            state.wrapping_mul(0x2545_F491_4F6C_DD1D) % q
        })
        .collect()
}

/// Butterflies of one transform: n/2 per stage, log2 n stages.
fn butterflies(n: usize) -> f64 {
    (n / 2) as f64 * f64::from(n.trailing_zeros())
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn ns_per_butterfly(d: Duration, n: usize) -> f64 {
    d.as_secs_f64() * 1e9 / butterflies(n)
}

/// Scalar time over this case's time, per direction, if scalar was measured for the same
/// n and prime.
fn speedups(case: &Case, cases: &[Case]) -> Option<(f64, f64)> {
    let own = case.times?;
    let scalar = cases
        .iter()
        .find(|c| c.n == case.n && c.q == case.q && c.isa == Isa::Scalar)?
        .times?;
    let ratio = |base: Duration, t: Duration| base.as_secs_f64() / t.as_secs_f64();
    Some((
        ratio(scalar.forward, own.forward),
        ratio(scalar.inverse, own.inverse),
    ))
}

/// The `--json` object: `{"bench": "ntt", "isa_detected": …, "results": […]}`. Cases an
/// instruction set cannot run, and speedups without a scalar baseline, are `null`.
fn to_json(cases: &[Case]) -> Value {
    let results: Vec<Value> = cases
        .iter()
        .map(|case| {
            let t = case.times;
            let speedup = speedups(case, cases);
            json!({
                "n": case.n,
                "q_bits": case.bits,
                "q": case.q,
                "isa": case.isa.to_string(),
                "forward_us": t.map(|t| micros(t.forward)),
                "inverse_us": t.map(|t| micros(t.inverse)),
                "ns_per_butterfly_fwd": t.map(|t| ns_per_butterfly(t.forward, case.n)),
                "ns_per_butterfly_inv": t.map(|t| ns_per_butterfly(t.inverse, case.n)),
                "speedup_vs_scalar_fwd": speedup.map(|s| s.0),
                "speedup_vs_scalar_inv": speedup.map(|s| s.1),
            })
        })
        .collect();
    json!({
        "bench": "ntt",
        "isa_detected": Isa::detect().to_string(),
        "results": results,
    })
}

/// Prints a header line and one row per case; unavailable values read `n/a`.
fn print_table(cases: &[Case], reps: Option<NonZeroUsize>) {
    let reps = reps.map_or_else(
        || {
            format!(
                "auto (about {} ms per transform, at least {})",
                timing::TARGET_TIME.as_millis(),
                timing::MIN_REPS
            )
        },
        |r| r.to_string(),
    );
    println!("NTT medians; detected isa {}; reps {reps}", Isa::detect());
    println!(
        "{:>7} {:>4} {:>19}  {:<10} {:>10} {:>10} {:>8} {:>8} {:>8}",
        "n", "bits", "q", "isa", "fwd µs", "inv µs", "ns/bfly", "fwd ×", "inv ×"
    );
    for case in cases {
        println!("{}", table_row(case, cases));
    }
}

/// One formatted table row.
fn table_row(case: &Case, cases: &[Case]) -> String {
    let na = || "n/a".to_string();
    let fixed = |x: f64, prec: usize| format!("{x:.prec$}");
    let (fwd, inv, nsb) = case.times.map_or_else(
        || (na(), na(), na()),
        |t| {
            (
                fixed(micros(t.forward), 2),
                fixed(micros(t.inverse), 2),
                fixed(ns_per_butterfly(t.forward, case.n), 3),
            )
        },
    );
    let (sf, si) =
        speedups(case, cases).map_or_else(|| (na(), na()), |(f, i)| (fixed(f, 2), fixed(i, 2)));
    format!(
        "{:>7} {:>4} {:>19}  {:<10} {fwd:>10} {inv:>10} {nsb:>8} {sf:>8} {si:>8}",
        case.n,
        case.bits,
        case.q,
        case.isa.to_string()
    )
}
