//! `ckks-accel bench ntt`: median forward and inverse NTT times per ring degree, prime size and
//! instruction set, in µs, ns and cycles per butterfly, beside the peer crate `tfhe-ntt` run on
//! the same (n, q) in the same process; a table or one JSON object.
//!
//! The peer does the same work as ours: `fwd` (its output is bit-reversed, as ours) and
//! `inv` + `normalize` (its `inv` does not scale by 1/n; ours folds 1/n into the last stage), as
//! in `benches/ntt.rs`. It picks its own kernel (IFMA for q < 2^51, else AVX-512, AVX2, scalar)
//! and ignores `--isa` and `CKKS_ACCEL_ISA`.

#[path = "../../../benches/support/mod.rs"]
mod support;
use support::{NTT_SEED, butterflies, random_residues};

use super::{CliResult, isa_select, timing};
use ckks_accel::{Isa, arith::ntt_primes, ntt::NttPlan};
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

    /// Skip the tfhe-ntt peer (by default measured once per ring degree and prime).
    #[arg(long)]
    pub no_peer: bool,

    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// The peer crate and version (pinned in cli/Cargo.toml).
const PEER: &str = "tfhe-ntt 0.7.1";

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

/// The peer on one (n, prime): `times.inverse` is `inv` + `normalize` (the same result as ours),
/// `inverse_unscaled` is `inv` alone.
#[derive(Debug, Clone)]
struct PeerCase {
    n: usize,
    bits: u32,
    q: u64,
    /// The kernel tfhe-ntt dispatches to for this prime on this CPU.
    kernel: &'static str,
    times: Times,
    inverse_unscaled: Duration,
}

/// Everything one run measured.
struct Measured {
    cases: Vec<Case>,
    peers: Vec<PeerCase>,
    /// [`timing::measured_ghz`].
    ghz: f64,
}

/// Runs every case and prints the table or the JSON object.
pub fn run(args: &NttArgs) -> CliResult {
    let isas = isa_select::resolve(&args.isa)?;
    let m = measure_all(args, &isas)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&to_json(&m))?);
    } else {
        print_table(&m, args.reps);
    }
    Ok(())
}

/// Measures every ring degree × prime size × (instruction set, then the peer), in that nesting
/// order.
fn measure_all(args: &NttArgs, isas: &[Isa]) -> CliResult<Measured> {
    let ghz = timing::measured_ghz();
    let mut cases = Vec::new();
    let mut peers = Vec::new();
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
            if !args.no_peer {
                peers.push(measure_peer(n, bits, q, args.reps)?);
            }
        }
    }
    Ok(Measured { cases, peers, ghz })
}

/// Median times of tfhe-ntt on (n, q).
fn measure_peer(n: usize, bits: u32, q: u64, reps: Option<NonZeroUsize>) -> CliResult<PeerCase> {
    let plan = tfhe_ntt::prime64::Plan::try_new(n, q)
        .ok_or_else(|| format!("{PEER} has no plan for n = {n}, q = {q} (it needs n >= 16)"))?;
    // fwd, inv and normalize all map [0, q) into [0, q).
    let mut buf = random_residues(n, q, NTT_SEED);
    let forward = timing::median_time(reps, || plan.fwd(black_box(&mut buf)));
    let mut buf = random_residues(n, q, NTT_SEED);
    let inverse = timing::median_time(reps, || {
        plan.inv(black_box(&mut buf));
        plan.normalize(black_box(&mut buf));
    });
    let mut buf = random_residues(n, q, NTT_SEED);
    let inverse_unscaled = timing::median_time(reps, || plan.inv(black_box(&mut buf)));
    Ok(PeerCase {
        n,
        bits,
        q,
        kernel: peer_kernel(q),
        times: Times { forward, inverse },
        inverse_unscaled,
    })
}

/// The kernel tfhe-ntt 0.7.1 (feature `avx512`) runs for `q`: its own CPU detection, mirrored.
fn peer_kernel(q: u64) -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        let v4 = has!("avx512f")
            && has!("avx512dq")
            && has!("avx512cd")
            && has!("avx512bw")
            && has!("avx512vl");
        if q < 1 << 51 && v4 && has!("avx512ifma") {
            return "avx512ifma";
        }
        if v4 {
            return "avx512";
        }
        if has!("avx2") && has!("fma") {
            return "avx2";
        }
    }
    let _ = q;
    "scalar"
}

/// Median times of one case, or `None` if `isa` cannot run modulus `q`.
fn measure(n: usize, q: u64, isa: Isa, reps: Option<NonZeroUsize>) -> CliResult<Option<Times>> {
    if isa.best_for_modulus(q) != isa {
        return Ok(None);
    }
    let plan =
        NttPlan::with_isa(n, q, isa).map_err(|err| format!("n = {n}, q = {q}, {isa}: {err}"))?;
    // Both transforms map [0, q) into [0, q), so the buffers stay valid inputs across calls.
    let mut buf = random_residues(n, q, NTT_SEED);
    let forward = timing::median_time(reps, || plan.forward(black_box(&mut buf)));
    let mut buf = random_residues(n, q, NTT_SEED);
    let inverse = timing::median_time(reps, || plan.inverse(black_box(&mut buf)));
    Ok(Some(Times { forward, inverse }))
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn ns_per_butterfly(d: Duration, n: usize) -> f64 {
    d.as_secs_f64() * 1e9 / butterflies(n) as f64
}

/// Ratios `base / t` per direction.
fn ratios(base: Times, t: Times) -> (f64, f64) {
    let ratio = |b: Duration, t: Duration| b.as_secs_f64() / t.as_secs_f64();
    (
        ratio(base.forward, t.forward),
        ratio(base.inverse, t.inverse),
    )
}

/// Scalar time over this case's time, per direction, if scalar was measured for the same
/// n and prime.
fn speedups(case: &Case, cases: &[Case]) -> Option<(f64, f64)> {
    let own = case.times?;
    let scalar = cases
        .iter()
        .find(|c| c.n == case.n && c.q == case.q && c.isa == Isa::Scalar)?
        .times?;
    Some(ratios(scalar, own))
}

/// The peer measured on this case's n and prime, if any.
fn peer_of<'a>(case: &Case, peers: &'a [PeerCase]) -> Option<&'a PeerCase> {
    peers.iter().find(|p| p.n == case.n && p.q == case.q)
}

/// Our time over the peer's, per direction (below 1: ours is faster).
fn vs_peer(case: &Case, peers: &[PeerCase]) -> Option<(f64, f64)> {
    Some(ratios(case.times?, peer_of(case, peers)?.times))
}

/// The `--json` object: `{"bench": "ntt", "isa_detected", "clock_ghz", "nominal_clock_ghz",
/// "peer", "results": […], "peer_results": […]}`. Cases an instruction set cannot run, speedups
/// without a scalar baseline and ratios without a peer are `null`.
fn to_json(m: &Measured) -> Value {
    let per_bfly = |t: Option<Times>, n: usize| {
        let ns = |d: Duration| ns_per_butterfly(d, n);
        json!({
            "ns_per_butterfly_fwd": t.map(|t| ns(t.forward)),
            "ns_per_butterfly_inv": t.map(|t| ns(t.inverse)),
            "cycles_per_butterfly_fwd": t.map(|t| ns(t.forward) * m.ghz),
            "cycles_per_butterfly_inv": t.map(|t| ns(t.inverse) * m.ghz),
        })
    };
    let merge = |mut a: Value, b: Value| {
        if let (Some(a), Value::Object(b)) = (a.as_object_mut(), b) {
            a.extend(b);
        }
        a
    };
    let results: Vec<Value> = m
        .cases
        .iter()
        .map(|case| {
            let t = case.times;
            let speedup = speedups(case, &m.cases);
            let peer = vs_peer(case, &m.peers);
            let row = json!({
                "n": case.n,
                "q_bits": case.bits,
                "q": case.q,
                "isa": case.isa.to_string(),
                "forward_us": t.map(|t| micros(t.forward)),
                "inverse_us": t.map(|t| micros(t.inverse)),
                "speedup_vs_scalar_fwd": speedup.map(|s| s.0),
                "speedup_vs_scalar_inv": speedup.map(|s| s.1),
                "time_vs_peer_fwd": peer.map(|p| p.0),
                "time_vs_peer_inv": peer.map(|p| p.1),
            });
            merge(row, per_bfly(t, case.n))
        })
        .collect();
    let peer_results: Vec<Value> = m
        .peers
        .iter()
        .map(|p| {
            let row = json!({
                "n": p.n,
                "q_bits": p.bits,
                "q": p.q,
                "kernel": p.kernel,
                "forward_us": micros(p.times.forward),
                "inverse_us": micros(p.times.inverse),
                "inverse_unscaled_us": micros(p.inverse_unscaled),
            });
            merge(row, per_bfly(Some(p.times), p.n))
        })
        .collect();
    json!({
        "bench": "ntt",
        "isa_detected": Isa::detect().to_string(),
        "clock_ghz": m.ghz,
        "nominal_clock_ghz": timing::nominal_ghz(),
        "peer": (!m.peers.is_empty()).then_some(PEER),
        "results": results,
        "peer_results": peer_results,
    })
}

/// Prints a header line and one row per case (the peer's after each n and prime); unavailable
/// values read `n/a`.
fn print_table(m: &Measured, reps: Option<NonZeroUsize>) {
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
    println!(
        "NTT medians; detected isa {}; reps {reps}; cycles at the measured clock {:.2} GHz{}",
        Isa::detect(),
        m.ghz,
        timing::nominal_ghz().map_or(String::new(), |g| format!(" (nominal {g:.2} GHz)"))
    );
    println!(
        "per butterfly: forward; × = scalar time / this time; ÷peer = this time / {PEER} time \
         (inverse: inv + normalize)"
    );
    println!(
        "{:>7} {:>4} {:>19}  {:<19} {:>10} {:>10} {:>8} {:>8} {:>7} {:>7} {:>7} {:>7}",
        "n",
        "bits",
        "q",
        "isa",
        "fwd µs",
        "inv µs",
        "ns/bfly",
        "cyc/bfly",
        "fwd ×",
        "inv ×",
        "fwd ÷p",
        "inv ÷p"
    );
    for (i, case) in m.cases.iter().enumerate() {
        println!("{}", table_row(case, m));
        let last_of_group = m
            .cases
            .get(i + 1)
            .is_none_or(|next| (next.n, next.q) != (case.n, case.q));
        if let Some(peer) = peer_of(case, &m.peers).filter(|_| last_of_group) {
            println!("{}", peer_row(peer, m.ghz));
        }
    }
}

fn na() -> String {
    "n/a".to_string()
}

fn fixed(x: f64, prec: usize) -> String {
    format!("{x:.prec$}")
}

/// One formatted table row of ours.
fn table_row(case: &Case, m: &Measured) -> String {
    let pair =
        |r: Option<(f64, f64)>| r.map_or_else(|| (na(), na()), |(f, i)| (fixed(f, 2), fixed(i, 2)));
    let (fwd, inv, nsb, cyc) = case.times.map_or_else(
        || (na(), na(), na(), na()),
        |t| {
            let ns = ns_per_butterfly(t.forward, case.n);
            (
                fixed(micros(t.forward), 2),
                fixed(micros(t.inverse), 2),
                fixed(ns, 3),
                fixed(ns * m.ghz, 2),
            )
        },
    );
    let (sf, si) = pair(speedups(case, &m.cases));
    let (pf, pi) = pair(vs_peer(case, &m.peers));
    format!(
        "{:>7} {:>4} {:>19}  {:<19} {fwd:>10} {inv:>10} {nsb:>8} {cyc:>8} {sf:>7} {si:>7} {pf:>7} {pi:>7}",
        case.n,
        case.bits,
        case.q,
        case.isa.to_string()
    )
}

/// The peer's row: its kernel in the ISA column, no ratios.
fn peer_row(p: &PeerCase, ghz: f64) -> String {
    let ns = ns_per_butterfly(p.times.forward, p.n);
    format!(
        "{:>7} {:>4} {:>19}  {:<19} {:>10.2} {:>10.2} {:>8.3} {:>8.2} {:>7} {:>7} {:>7} {:>7}",
        p.n,
        p.bits,
        p.q,
        format!("tfhe-ntt/{}", p.kernel),
        micros(p.times.forward),
        micros(p.times.inverse),
        ns,
        ns * ghz,
        "",
        "",
        "",
        ""
    )
}
