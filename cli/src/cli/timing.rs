//! Wall-clock medians of repeated calls, measured with [`std::time::Instant`].

use std::num::NonZeroUsize;
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
pub fn median_time(reps: Option<NonZeroUsize>, mut f: impl FnMut()) -> Duration {
    let per_call = warm_up(&mut f);
    let reps = reps.map_or_else(|| auto_reps(per_call), NonZeroUsize::get);
    let mut samples: Vec<Duration> = (0..reps).map(|_| time_once(&mut f)).collect();
    median(&mut samples)
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

/// The clock the "cycles per word" figures are given in: `cpu MHz` of the first CPU in
/// /proc/cpuinfo, in GHz (on these VMs the nominal/TSC clock; the core may turbo above it).
/// `None` where the file or the field is missing.
pub fn nominal_ghz() -> Option<f64> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("cpu MHz"))?;
    let mhz: f64 = line.split(':').nth(1)?.trim().parse().ok()?;
    Some(mhz / 1e3)
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
}
