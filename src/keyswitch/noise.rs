//! The noise one key switch adds: the expected standard deviation (formula of the module
//! docs), a worst-case bound, and its measurement.

use super::KeySwitcher;
use crate::error::Result;
use crate::rns::noise::{ErrorStats, centered_small};
use crate::rns::{RnsPoly, sampling};

impl KeySwitcher {
    /// Expected standard deviation of the key-switching noise `c0 + c1·s − d·s′` per
    /// coefficient, for inputs with `q_len` Q limbs, uniform d and a ternary secret s with `h`
    /// nonzero coefficients (see the module docs):
    ///
    /// `σ_ks² = (1 + h)/12 + n·σ_e²·Σ_j E[d̃_j²] / P²`, E[d̃_j²] = D_j²/12 for centered digits
    ///
    /// (ModDown's rounding of c0 and c1·s, plus the digits times the keys' errors divided by P;
    /// α_j and D_j the limbs and product of digit j within Q_ℓ).
    pub fn expected_noise_std(&self, q_len: usize, h: usize) -> Result<f64> {
        let level = self.level_for(q_len)?;
        let log2 = |ps: &[u64]| ps.iter().map(|&p| (p as f64).log2()).sum::<f64>();
        let log_p = log2(self.p.primes());
        let key: f64 = self
            .digit_ranges(q_len)
            .into_iter()
            .zip(&level.mod_ups)
            .map(|(r, up)| {
                let a = r.len() as f64;
                // Centered digits (exact ModUp) or the fast conversion's [d] + u·D.
                let e_d2 = if up.converter().is_exact() {
                    1.0 / 12.0
                } else {
                    a / 12.0 + a * a / 4.0
                };
                let d_over_p = 2f64.powf(log2(&self.q.primes()[r]) - log_p);
                e_d2 * d_over_p * d_over_p
            })
            .sum();
        let var = (1 + h) as f64 / 12.0 + self.n as f64 * sampling::SIGMA * sampling::SIGMA * key;
        Ok(var.sqrt())
    }

    /// Statistics of the key-switching noise `c0 + c1·s − d·s_from` (centered coefficients,
    /// integer units) of a switch of `d` (evaluation form over the first `q_len` Q primes) to
    /// `(c0, c1)`; `s` and `s_from` over Q ∪ P or Q_ℓ, evaluation form. Returns `max_abs = ∞`
    /// if the noise is not small modulo Q_ℓ (a failed switch). Allocates; for tests and
    /// benchmarks.
    pub fn measure_noise(
        &self,
        c0: &RnsPoly,
        c1: &RnsPoly,
        s: &RnsPoly,
        d: &RnsPoly,
        s_from: &RnsPoly,
    ) -> Result<ErrorStats> {
        let basis = self.q.prefix(d.num_limbs());
        let restrict = |x: &RnsPoly| -> Result<RnsPoly> {
            let mut t = x.clone();
            t.truncate(&basis)?;
            Ok(t)
        };
        let mut v = restrict(c1)?;
        v.mul_assign(&restrict(s)?, &basis)?;
        v.add_assign(&restrict(c0)?, &basis)?;
        let mut ds = restrict(d)?;
        ds.mul_assign(&restrict(s_from)?, &basis)?;
        v.sub_assign(&ds, &basis)?;
        v.intt(&basis)?;
        Ok(match centered_small(&v, &basis) {
            Some(e) => ErrorStats::of(e),
            None => ErrorStats {
                max_abs: f64::INFINITY,
                mean: f64::NAN,
                std: f64::INFINITY,
                count: basis.n(),
            },
        })
    }

    /// Worst-case bound on the key-switching noise `|c0 + c1·s − d·s′|` (per coefficient,
    /// centered) for a secret with `s_l1` = ‖s‖_1 (n for a dense ternary secret).
    pub fn noise_bound(&self, s_l1: usize) -> f64 {
        let log2 = |ps: &[u64]| ps.iter().map(|&p| (p as f64).log2()).sum::<f64>();
        let d_max = (0..self.dnum)
            .map(|j| {
                log2(&self.q.primes()[j * self.alpha..((j + 1) * self.alpha).min(self.q.len())])
            })
            .fold(0.0, f64::max);
        let ratio = 2f64.powf(d_max - log2(self.p.primes())).max(1.0);
        let key_term =
            (self.dnum * self.alpha * self.n) as f64 * sampling::GAUSSIAN_BOUND as f64 * ratio;
        let round_term = (self.p.len() + 1) as f64 * (1 + s_l1) as f64;
        key_term + round_term
    }
}
