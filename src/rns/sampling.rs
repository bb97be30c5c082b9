//! Samplers for RNS polynomials: uniform, ternary (optionally fixed Hamming weight) and a
//! discrete Gaussian (σ = 3.2, tail cut at 19 ≈ 6σ) by a constant-time cumulative table scan.
//!
//! Small polynomials are sampled once as signed integers and written into every limb, so
//! their CRT value is the same integer mod Q. Randomness comes from the caller's
//! [`rand_core::CryptoRng`] (ChaCha20 in the CKKS layer).

use super::{Representation, RnsBasis, RnsPoly};
use rand_core::CryptoRng;
use std::sync::OnceLock;

/// Standard deviation of the error distribution.
pub const SIGMA: f64 = 3.2;
/// Largest |e| the Gaussian sampler returns.
pub const GAUSSIAN_BOUND: i64 = 19;

/// Uniform residue in [0, q) by rejection sampling on the bit length of q.
pub fn uniform_below<R: CryptoRng + ?Sized>(rng: &mut R, q: u64) -> u64 {
    let mask = u64::MAX >> q.leading_zeros();
    loop {
        let x = rng.next_u64() & mask;
        if x < q {
            return x;
        }
    }
}

/// Uniform polynomial over `basis` (each limb independent, i.e. uniform mod Q), tagged `repr`.
pub fn uniform<R: CryptoRng + ?Sized>(
    basis: &RnsBasis,
    repr: Representation,
    rng: &mut R,
) -> RnsPoly {
    let mut p = RnsPoly::zero(basis, repr);
    for (i, limb) in p.limbs_mut().enumerate() {
        let q = basis.primes()[i];
        limb.iter_mut().for_each(|x| *x = uniform_below(rng, q));
    }
    p
}

/// Writes signed small coefficients into every limb (coefficient form).
pub fn from_signed(basis: &RnsBasis, coeffs: &[i64]) -> RnsPoly {
    let mut p = RnsPoly::zero(basis, Representation::Coefficient);
    for (i, limb) in p.limbs_mut().enumerate() {
        let q = basis.primes()[i];
        for (x, &c) in limb.iter_mut().zip(coeffs) {
            *x = c.rem_euclid(q as i64) as u64;
        }
    }
    p
}

/// Ternary coefficients in {−1, 0, 1}: uniform, or with exactly `hamming_weight` non-zeros.
pub fn ternary_coeffs<R: CryptoRng + ?Sized>(
    n: usize,
    hamming_weight: Option<usize>,
    rng: &mut R,
) -> Vec<i64> {
    match hamming_weight {
        None => (0..n).map(|_| uniform_below(rng, 3) as i64 - 1).collect(),
        Some(h) => {
            let h = h.min(n);
            let mut c = vec![0i64; n];
            // Partial Fisher–Yates over positions; signs from one random bit each.
            let mut pos: Vec<usize> = (0..n).collect();
            for k in 0..h {
                let j = k + uniform_below(rng, (n - k) as u64) as usize;
                pos.swap(k, j);
                c[pos[k]] = if rng.next_u64() & 1 == 0 { 1 } else { -1 };
            }
            c
        }
    }
}

fn cdt() -> &'static [u64; GAUSSIAN_BOUND as usize + 1] {
    static TABLE: OnceLock<[u64; GAUSSIAN_BOUND as usize + 1]> = OnceLock::new();
    TABLE.get_or_init(|| {
        // P(|e| = k) ∝ ρ(k) for k = 0 and 2ρ(k) for k ≥ 1; table[k] = 2^63 · P(|e| ≤ k).
        let rho = |k: f64| (-k * k / (2.0 * SIGMA * SIGMA)).exp();
        let w: Vec<f64> = (0..=GAUSSIAN_BOUND)
            .map(|k| {
                if k == 0 {
                    rho(0.0)
                } else {
                    2.0 * rho(k as f64)
                }
            })
            .collect();
        let total: f64 = w.iter().sum();
        let mut acc = 0.0;
        let mut t = [0u64; GAUSSIAN_BOUND as usize + 1];
        for (k, wk) in w.iter().enumerate() {
            acc += wk / total;
            t[k] = ((acc * 2f64.powi(63)) as u64).min(1 << 63);
        }
        t[GAUSSIAN_BOUND as usize] = 1 << 63;
        t
    })
}

/// One discrete Gaussian sample: scans the whole table (no branch on the secret value).
pub fn gaussian_sample<R: CryptoRng + ?Sized>(rng: &mut R) -> i64 {
    let r = rng.next_u64();
    let u = r >> 1; // 63 uniform bits
    let sign = (r & 1) as i64; // independent sign bit
    let mut magnitude = 0i64;
    for &c in cdt() {
        magnitude += (u >= c) as i64;
    }
    // Branch-free conditional negation.
    (magnitude ^ -sign) + sign
}

/// n Gaussian coefficients.
pub fn gaussian_coeffs<R: CryptoRng + ?Sized>(n: usize, rng: &mut R) -> Vec<i64> {
    (0..n).map(|_| gaussian_sample(rng)).collect()
}
