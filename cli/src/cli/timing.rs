//! Wall-clock medians of repeated calls, measured with [`std::time::Instant`], and the core
//! clock every "cycles" figure of the CLI is given in.
//!
//! **Clock.** `cpu MHz` in /proc/cpuinfo is the nominal (TSC) clock on these VMs; the core runs
//! at its turbo clock (on the Sapphire Rapids session machine 2300 MHz nominal, ≈ 2.86 GHz
//! measured). [`measured_ghz`] times a dependent chain of 64-bit integer multiplies, whose
//! latency is [`IMUL_LATENCY_CYCLES`] cycles on every x86-64 core this crate targets (Intel
//! Golden Cove / Raptor Cove, AMD Zen 3/4/5), so cycles = 3 · multiplies and the clock is
//! cycles / wall time. It measures the clock while the core runs scalar integer code; heavy
//! AVX-512 code may run at a lower license clock on some Intel parts, so cycle figures of
//! vector kernels are an upper bound on the core cycles they took.

use std::hint::black_box;
use std::num::NonZeroUsize;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Fewest timed calls when the count is chosen automatically.
pub const MIN_REPS: usize = 11;
/// Automatic repetition counts aim at about this much timed work per measured function.
pub const TARGET_TIME: Duration = Duration::from_millis(100);
/// Most timed calls when the count is chosen automatically.
const MAX_REPS: usize = 1_000_000;
/// Warm-up runs at least this long …
const WARM_UP_TIME: Duration = Duration::from_millis(20);
/// … and at least this many calls.
const WARM_UP_CALLS: u32 = 3;

/// Median wall time of one call of `f` after a warm-up, over `reps` timed calls or, if `None`,
/// over enough calls for about [`TARGET_TIME`] (at least [`MIN_REPS`]).
pub fn median_time(reps: Option<NonZeroUsize>, f: impl FnMut()) -> Duration {
    median_time_reps(reps, f).0
}

/// As [`median_time`], also returning the number of timed calls.
pub fn median_time_reps(reps: Option<NonZeroUsize>, mut f: impl FnMut()) -> (Duration, usize) {
    let per_call = warm_up(&mut f);
    let reps = reps.map_or_else(|| auto_reps(per_call), NonZeroUsize::get);
    let mut samples: Vec<Duration> = (0..reps).map(|_| time_once(&mut f)).collect();
    (median(&mut samples), reps)
}

/// Runs `f` for [`WARM_UP_TIME`] and [`WARM_UP_CALLS`] calls; returns the mean time per call.
fn warm_up(f: &mut impl FnMut()) -> Duration {
    let start = Instant::now();
    let mut calls = 0;
    while calls < WARM_UP_CALLS || start.elapsed() < WARM_UP_TIME {
        f();
        calls += 1;
    }
    start.elapsed() / calls
}

fn time_once(f: &mut impl FnMut()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

/// Calls needed for [`TARGET_TIME`] at `per_call` each, clamped to [`MIN_REPS`, `MAX_REPS`].
fn auto_reps(per_call: Duration) -> usize {
    let fit = TARGET_TIME.as_nanos() / per_call.as_nanos().max(1);
    usize::try_from(fit)
        .unwrap_or(MAX_REPS)
        .clamp(MIN_REPS, MAX_REPS)
}

/// Median of a non-empty sample (mean of the middle two for an even count).
fn median(samples: &mut [Duration]) -> Duration {
    samples.sort_unstable();
    let mid = samples.len() / 2;
    if samples.len() % 2 == 1 {
        samples[mid]
    } else {
        (samples[mid - 1] + samples[mid]) / 2
    }
}

/// The nominal clock: `cpu MHz` of the first CPU in /proc/cpuinfo, in GHz (on these VMs the
/// TSC clock; the core may turbo above it). Reported beside [`measured_ghz`], never used for
/// cycle figures. `None` where the file or the field is missing.
pub fn nominal_ghz() -> Option<f64> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("cpu MHz"))?;
    let mhz: f64 = line.split(':').nth(1)?.trim().parse().ok()?;
    Some(mhz / 1e3)
}

/// Latency in cycles of a dependent 64-bit `imul r64, r64` (Intel Golden Cove / Raptor Cove,
/// AMD Zen 3/4/5, and older cores back to Sandy Bridge / Zen 1).
pub const IMUL_LATENCY_CYCLES: u64 = 3;
/// Multiplies per timed calibration chain (≈ 0.5 ms at 3 GHz: shorter than a scheduler time
/// slice, so on a loaded machine some chains still run uninterrupted).
const CHAIN_MULS: u64 = 480_000;
/// Timed chains per calibration (≈ 20 ms); the fastest counts (interruptions and another
/// hyperthread only slow a chain down).
const CHAIN_RUNS: usize = 40;

/// The core clock in GHz, measured once per process (≈ 20 ms, see the module docs) and cached:
/// the clock of every "cycles" figure (`clock_ghz` in the JSON outputs).
pub fn measured_ghz() -> f64 {
    static CLOCK: OnceLock<f64> = OnceLock::new();
    *CLOCK.get_or_init(calibrate_clock)
}

/// [`CHAIN_RUNS`] timed chains of [`CHAIN_MULS`] dependent multiplies after one untimed chain
/// (which also lets the core leave a low-power state); GHz of the fastest.
fn calibrate_clock() -> f64 {
    mul_chain(CHAIN_MULS * 2);
    let best = (0..CHAIN_RUNS)
        .map(|_| {
            let start = Instant::now();
            mul_chain(CHAIN_MULS);
            start.elapsed()
        })
        .min()
        .expect("CHAIN_RUNS > 0");
    (CHAIN_MULS * IMUL_LATENCY_CYCLES) as f64 / best.as_nanos().max(1) as f64
}

/// `muls` (a multiple of 8) dependent squarings: each multiply needs the previous product,
/// and x ↦ x² cannot be strength-reduced or reassociated (unlike x ↦ x·c, which a compiler may
/// turn into one multiply by c⁸ per eight steps). The loop counter runs beside the chain.
#[inline(never)]
fn mul_chain(muls: u64) -> u64 {
    let mut x = black_box(0x9E37_79B9_7F4A_7C15_u64);
    for _ in 0..muls / 8 {
        for _ in 0..8 {
            x = x.wrapping_mul(x);
        }
    }
    black_box(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_samples() {
        let ms = Duration::from_millis;
        assert_eq!(median(&mut [ms(3), ms(1), ms(2)]), ms(2));
        assert_eq!(
            median(&mut [ms(4), ms(1), ms(3), ms(2)]),
            Duration::from_micros(2500)
        );
    }

    #[test]
    fn auto_reps_is_clamped() {
        assert_eq!(auto_reps(Duration::from_secs(1)), MIN_REPS);
        assert_eq!(auto_reps(Duration::ZERO), MAX_REPS);
        assert_eq!(auto_reps(Duration::from_micros(100)), 1000);
    }

    #[test]
    fn measured_clock_is_plausible_and_cached() {
        // Any machine this runs on clocks between 0.5 and 7 GHz; a chain the compiler had
        // shortened would read far above that.
        let ghz = measured_ghz();
        assert!((0.5..7.0).contains(&ghz), "{ghz} GHz");
        assert_eq!(measured_ghz().to_bits(), ghz.to_bits());
    }
}
