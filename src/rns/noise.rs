//! Error statistics and the centered reading of small RNS polynomials — the building blocks
//! of the noise measurements in [`crate::keyswitch`] and [`crate::ckks::noise`].

use super::{RnsBasis, RnsPoly};

/// Max |·|, mean and standard deviation of a set of errors.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ErrorStats {
    /// Largest absolute error.
    pub max_abs: f64,
    /// Mean (signed): far from 0 relative to `std / √count` means a bias.
    pub mean: f64,
    /// Standard deviation around the mean.
    pub std: f64,
    /// Number of values.
    pub count: usize,
}

impl ErrorStats {
    /// Statistics of `values`.
    pub fn of(values: impl IntoIterator<Item = f64>) -> ErrorStats {
        let (mut count, mut sum, mut sum_sq, mut max_abs) = (0usize, 0.0, 0.0, 0.0f64);
        for v in values {
            count += 1;
            sum += v;
            sum_sq += v * v;
            max_abs = max_abs.max(v.abs());
        }
        let nf = count.max(1) as f64;
        let mean = sum / nf;
        ErrorStats {
            max_abs,
            mean,
            std: (sum_sq / nf - mean * mean).max(0.0).sqrt(),
            count,
        }
    }

    /// log2 of the max |error| (−∞ for an exact result).
    pub fn log2_max(&self) -> f64 {
        self.max_abs.log2()
    }

    /// log2 of the standard deviation.
    pub fn log2_std(&self) -> f64 {
        self.std.log2()
    }

    /// |mean| in units of its standard error `std / √count` (≫ 5: a systematic bias).
    pub fn mean_sigmas(&self) -> f64 {
        if self.std == 0.0 {
            return 0.0;
        }
        self.mean.abs() / (self.std / (self.count.max(1) as f64).sqrt())
    }
}

/// The centered coefficients of a coefficient-form `poly` known to be small (|x| < q_min/2):
/// read from limb 0 and checked against every other limb. `None` if some limb disagrees (the
/// value is not small mod Q: the noise overflowed).
pub fn centered_small(poly: &RnsPoly, basis: &RnsBasis) -> Option<Vec<f64>> {
    let centered = |x: u64, q: u64| {
        if x > q / 2 {
            -((q - x) as f64)
        } else {
            x as f64
        }
    };
    let primes = basis.primes();
    let mut out = Vec::with_capacity(basis.n());
    for c in 0..basis.n() {
        let v = centered(poly.limb(0)[c], primes[0]);
        for (i, &q) in primes.iter().enumerate().skip(1) {
            if centered(poly.limb(i)[c], q) != v {
                return None;
            }
        }
        out.push(v);
    }
    Some(out)
}
