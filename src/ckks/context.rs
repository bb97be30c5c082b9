//! [`CkksContext`]: everything derived from [`CkksParams`] once — NTT plans and kernels for every
//! prime, the key-switching tables, the encoder's FFT tables and the CRT tables for decoding —
//! shared immutably (behind an `Arc`) by encoders, encryptors, evaluators and every worker.

use super::encoding::SpecialFft;
use super::params::CkksParams;
use crate::error::{Error, Result};
use crate::keyswitch::KeySwitcher;
use crate::rns::RnsBasis;
use std::sync::Arc;

/// Precomputed state for one parameter set.
#[derive(Debug)]
pub struct CkksContext {
    params: CkksParams,
    ks: KeySwitcher,
    fft: SpecialFft,
    /// `levels[l]` = the first l + 1 primes of Q.
    levels: Vec<RnsBasis>,
    /// Garner tables: `garner_inv[i][j] = q_j^{−1} mod q_i` for j < i.
    garner_inv: Vec<Vec<u64>>,
}

impl CkksContext {
    /// Builds the context (NTT tables for every prime, key-switching tables for every level).
    pub fn new(params: CkksParams) -> Result<Arc<CkksContext>> {
        Self::with_isa(params, crate::Isa::detect())
    }

    /// As [`CkksContext::new`] with every kernel capped at `isa` (error if unavailable).
    pub fn with_isa(params: CkksParams, isa: crate::Isa) -> Result<Arc<CkksContext>> {
        let ks = KeySwitcher::with_isa(params.n(), params.q(), params.p(), params.dnum(), isa)?;
        let fft = SpecialFft::new(params.n())?;
        let levels = (1..=params.q().len())
            .map(|l| ks.q_basis().prefix(l))
            .collect();
        let q = ks.q_basis();
        let garner_inv = (0..q.len())
            .map(|i| {
                let m = q.modulus(i);
                (0..i)
                    .map(|j| m.inv_mod(q.primes()[j] % m.value()).expect("coprime"))
                    .collect()
            })
            .collect();
        Ok(Arc::new(CkksContext {
            params,
            ks,
            fft,
            levels,
            garner_inv,
        }))
    }

    /// The parameters.
    pub fn params(&self) -> &CkksParams {
        &self.params
    }

    /// The key-switching context.
    pub fn key_switcher(&self) -> &KeySwitcher {
        &self.ks
    }

    /// The encoder's FFT tables.
    pub fn fft(&self) -> &SpecialFft {
        &self.fft
    }

    /// The basis of level `level` (primes q_0..=q_level).
    pub fn basis(&self, level: usize) -> Result<&RnsBasis> {
        self.levels.get(level).ok_or(Error::InvalidLevel {
            level,
            min: 0,
            max: self.params.max_level(),
        })
    }

    /// Q ∪ P.
    pub fn qp_basis(&self) -> &RnsBasis {
        self.ks.qp_basis()
    }

    /// Checks an object's parameter id.
    pub fn check_id(&self, id: u64) -> Result<()> {
        if id == self.params.id() {
            Ok(())
        } else {
            Err(Error::ParamsMismatch {
                expected: self.params.id(),
                found: id,
            })
        }
    }

    /// The centered integer (as f64) whose residues mod q_0..q_{l−1} are `residues`, by Garner's
    /// mixed-radix conversion (exact digits, f64 only for the final value). Errors unless
    /// 1 ≤ l ≤ |Q| (at most [`super::MAX_Q_PRIMES`]) and every residue is below its prime.
    pub fn centered_value(&self, residues: &[u64]) -> Result<f64> {
        let q = self.ks.q_basis();
        let l = residues.len();
        if l == 0 || l > q.len() || l > super::params::MAX_Q_PRIMES {
            return Err(Error::InvalidLevel {
                level: l,
                min: 1,
                max: q.len(),
            });
        }
        if let Some((i, &r)) = residues
            .iter()
            .enumerate()
            .find(|&(i, &r)| r >= q.primes()[i])
        {
            return Err(Error::ModulusOutOfRange {
                q: r.max(q.primes()[i]),
            });
        }
        let mut digits = [0u64; 64];
        let mut neg_digits = [0u64; 64];
        for i in 0..l {
            let m = q.modulus(i);
            let mut t = residues[i];
            for (&a, &inv) in digits[..i].iter().zip(&self.garner_inv[i]) {
                t = m.mul_mod(m.sub_mod(t, a % m.value()), inv);
            }
            digits[i] = t;
            neg_digits[i] = m.value() - 1 - t;
        }
        // x ≤ (Q−1)/2 ⟺ its digits are lexicographically (from the top) ≤ those of (Q−1)/2, whose
        // residues are (q_i − 1)/2; compare via Q − 1 − x (digits q_i − 1 − a_i) instead: x is the
        // smaller one iff x ≤ Q − 1 − x.
        let mut x_small = true;
        for i in (0..l).rev() {
            if digits[i] != neg_digits[i] {
                x_small = digits[i] < neg_digits[i];
                break;
            }
        }
        let eval = |d: &[u64]| {
            let mut acc = 0f64;
            for i in (0..l).rev() {
                acc = acc * q.primes()[i] as f64 + d[i] as f64;
            }
            acc
        };
        Ok(if x_small {
            eval(&digits[..l])
        } else {
            -(eval(&neg_digits[..l]) + 1.0)
        })
    }
}

/// Checks a scale for an object over `basis` (level ℓ = `basis.len()` − 1): finite, at least 1
/// and at most Q_ℓ. Outside that range decoding returns ∞, NaN or noise.
pub(crate) fn check_scale(scale: f64, basis: &RnsBasis) -> Result<()> {
    let max_log2: f64 = basis.primes().iter().map(|&q| (q as f64).log2()).sum();
    if scale.is_finite() && scale >= 1.0 && scale.log2() <= max_log2 {
        Ok(())
    } else {
        Err(Error::ScaleOutOfRange { scale, max_log2 })
    }
}
