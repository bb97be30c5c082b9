//! Samplers for RNS polynomials: uniform, ternary (optionally fixed Hamming weight) and a
//! discrete Gaussian (σ = 3.2, tail cut at 19 ≈ 6σ) by a constant-time cumulative table scan.
//!
//! Small polynomials are sampled once as signed integers and written into every limb, so
//! their CRT value is the same integer mod Q. Randomness comes from the caller's
//! [`rand_core::CryptoRng`] (ChaCha20 in the CKKS layer, held in a [`SecretRng`] that wipes
//! its state on drop).
//!
//! ## Constant time
//! The secret-value samplers neither branch on nor index memory by the values they produce:
//! - uniform ternary: one 64-bit draw per coefficient mapped to {0, 1, 2} by a multiply-high
//!   (bias ≤ 3·2^−64), no rejection;
//! - fixed Hamming weight h: h signed ±1 and n − h zeros, then a random permutation by sorting
//!   on random 64-bit keys with a bitonic network (n/4·log n·(log n + 1) compare-exchanges, each
//!   a masked select) — the access pattern depends only on n;
//! - Gaussian: a full scan of the cumulative table per sample;
//! - [`from_signed`]: a masked add of q for negative values (no division) when |c| < q.
//!
//! Uniform residues ([`uniform_below`]) use rejection sampling: the timing reveals how many
//! draws were rejected, which is independent of the accepted (public) value.
//! These claims are about the Rust source; the compiler is not proven to preserve them (no
//! `black_box` barriers, no verification of the generated code).

use super::{Representation, RnsBasis, RnsPoly};
use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, SeedableRng};
use std::ops::{Deref, DerefMut};
use std::sync::OnceLock;
use zeroize::Zeroizing;

/// A ChaCha20 generator whose state (key, counter, buffered output) is overwritten when it is
/// dropped. Derefs to [`ChaCha20Rng`].
pub struct SecretRng(ChaCha20Rng);

impl SecretRng {
    /// From a 32-byte seed (the caller wipes its copy).
    pub fn from_seed(seed: [u8; 32]) -> SecretRng {
        SecretRng(ChaCha20Rng::from_seed(seed))
    }
    /// A deterministic stream from a u64 — tests and benchmarks only.
    pub fn seed_from_u64(seed: u64) -> SecretRng {
        SecretRng(ChaCha20Rng::seed_from_u64(seed))
    }
}

impl Deref for SecretRng {
    type Target = ChaCha20Rng;
    fn deref(&self) -> &ChaCha20Rng {
        &self.0
    }
}

impl DerefMut for SecretRng {
    fn deref_mut(&mut self) -> &mut ChaCha20Rng {
        &mut self.0
    }
}

impl Drop for SecretRng {
    fn drop(&mut self) {
        // Overwrite every field (the state is inline, no heap) with an all-zero generator;
        // `black_box` keeps the store from being removed as dead.
        self.0 = ChaCha20Rng::from_seed([0u8; 32]);
        std::hint::black_box(&mut self.0);
    }
}

impl std::fmt::Debug for SecretRng {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretRng { .. }")
    }
}

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
///
/// Exactly the values of calling [`uniform_below`] limb after limb, coefficient after
/// coefficient (the seeded formats depend on it), drawn in bulk: the generator's output is
/// taken as consecutive little-endian u64 words (what its `next_u64` returns), a block at a
/// time, and filtered in place.
pub fn uniform<R: CryptoRng + ?Sized>(
    basis: &RnsBasis,
    repr: Representation,
    rng: &mut R,
) -> RnsPoly {
    let n = basis.n();
    RnsPoly::from_limb_writer(basis, repr, |i, out| {
        let q = basis.primes()[i];
        let mut block = [0u64; UNIFORM_BLOCK];
        let mut left = n;
        while left > 0 {
            let words = &mut block[..left.min(UNIFORM_BLOCK)];
            fill_uniform_below(rng, q, words);
            out.extend_from_slice(words);
            left -= words.len();
        }
    })
}

/// Words drawn per block by [`fill_uniform_below`] (2 KiB of key stream on the stack).
const UNIFORM_BLOCK: usize = 256;

/// Fills `out` with uniform residues in [0, q): the same sequence as `out.len()` calls of
/// [`uniform_below`], consuming the same words of `rng`. Never draws a word it does not test.
pub fn fill_uniform_below<R: CryptoRng + ?Sized>(rng: &mut R, q: u64, out: &mut [u64]) {
    let mask = u64::MAX >> q.leading_zeros();
    let mut bytes = [0u8; 8 * UNIFORM_BLOCK];
    let mut filled = 0;
    while filled < out.len() {
        // Draw as many words as are still missing (at most a block): each one is tested, so
        // the generator ends exactly where the one-word-at-a-time loop would.
        let want = (out.len() - filled).min(UNIFORM_BLOCK);
        let stream = &mut bytes[..8 * want];
        rng.fill_bytes(stream);
        for chunk in stream.chunks_exact(8) {
            let x = u64::from_le_bytes(chunk.try_into().expect("8-byte chunk")) & mask;
            out[filled] = x;
            filled += usize::from(x < q);
        }
    }
}

/// Writes signed small coefficients into every limb (coefficient form). Constant time for
/// |c| < q (a masked add, no division); larger values are reduced with a division.
pub fn from_signed(basis: &RnsBasis, coeffs: &[i64]) -> RnsPoly {
    let mut p = RnsPoly::zero(basis, Representation::Coefficient);
    for (i, limb) in p.limbs_mut().enumerate() {
        let q = basis.primes()[i];
        for (x, &c) in limb.iter_mut().zip(coeffs) {
            *x = if c.unsigned_abs() < q {
                (c as u64).wrapping_add(q & ((c >> 63) as u64))
            } else {
                c.rem_euclid(q as i64) as u64
            };
        }
    }
    p
}

/// Ternary coefficients in {−1, 0, 1}: uniform, or with exactly `hamming_weight` non-zeros
/// (clamped to n), each non-zero ±1 with probability 1/2. Constant time (module docs); the
/// result is wiped when dropped.
pub fn ternary_coeffs<R: CryptoRng + ?Sized>(
    n: usize,
    hamming_weight: Option<usize>,
    rng: &mut R,
) -> Zeroizing<Vec<i64>> {
    match hamming_weight {
        None => Zeroizing::new(
            (0..n)
                .map(|_| ((rng.next_u64() as u128 * 3) >> 64) as i64 - 1)
                .collect(),
        ),
        Some(h) => {
            let h = h.min(n);
            // h signed ones first, zeros after, then a data-independent random permutation.
            let mut vals: Zeroizing<Vec<i64>> = Zeroizing::new(
                (0..n)
                    .map(|i| {
                        let sign = (rng.next_u64() & 1) as i64; // 0 → +1, 1 → −1
                        let nonzero = (i < h) as i64; // public: depends on the index only
                        nonzero * (1 - 2 * sign)
                    })
                    .collect(),
            );
            let mut keys: Zeroizing<Vec<u64>> =
                Zeroizing::new((0..n).map(|_| rng.next_u64()).collect());
            bitonic_sort_by_key(&mut keys, &mut vals);
            vals
        }
    }
}

/// Sorts `keys` ascending (any length; padded virtually to a power of two) carrying `vals`
/// along, with a bitonic network: the sequence of compared indices depends only on the length,
/// and each compare-exchange is a masked select.
fn bitonic_sort_by_key(keys: &mut [u64], vals: &mut [i64]) {
    let n = keys.len();
    if !n.is_power_of_two() {
        // Non-power-of-two lengths only occur for non-CKKS callers; fall back to a padded sort.
        let m = n.next_power_of_two();
        let mut k: Zeroizing<Vec<u64>> = Zeroizing::new(keys.to_vec());
        let mut v: Zeroizing<Vec<i64>> = Zeroizing::new(vals.to_vec());
        k.resize(m, u64::MAX);
        v.resize(m, 0);
        bitonic_sort_by_key(&mut k, &mut v);
        // Padding keys are maximal, so (barring ties at u64::MAX) they sort last.
        keys.copy_from_slice(&k[..n]);
        vals.copy_from_slice(&v[..n]);
        return;
    }
    let mut size = 2;
    while size <= n {
        let mut stride = size / 2;
        while stride > 0 {
            for i in 0..n {
                let j = i ^ stride;
                if j > i {
                    let ascending = (i & size) == 0;
                    let (a, b) = (keys[i], keys[j]);
                    // swap iff (a > b) == ascending, as a mask.
                    let gt = (a > b) as u64;
                    let swap = (gt ^ (!ascending) as u64).wrapping_neg();
                    let t = (a ^ b) & swap;
                    keys[i] = a ^ t;
                    keys[j] = b ^ t;
                    let (va, vb) = (vals[i], vals[j]);
                    let tv = (va ^ vb) & swap as i64;
                    vals[i] = va ^ tv;
                    vals[j] = vb ^ tv;
                }
            }
            stride /= 2;
        }
        size *= 2;
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

/// n Gaussian coefficients (wiped when dropped: an error term reveals the secret given the
/// public data it was added to).
pub fn gaussian_coeffs<R: CryptoRng + ?Sized>(n: usize, rng: &mut R) -> Zeroizing<Vec<i64>> {
    Zeroizing::new((0..n).map(|_| gaussian_sample(rng)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bulk sampler draws the one-word-at-a-time sequence and leaves the generator where
    /// that loop leaves it, for primes with little and with nearly half rejection, lengths that
    /// are and are not multiples of its block, and several limbs in a row.
    #[test]
    fn bulk_uniform_equals_word_at_a_time() {
        let primes = [
            (1u64 << 61) - 1,
            (1u64 << 40) + 1, // just above a power of two: ~1/2 of the words rejected
            0x0007_ffff_fffe_0001,
            17,
        ];
        for seed in 0..6u8 {
            for len in [1usize, 7, 255, 256, 257, 1000, 4096] {
                let mut a = ChaCha20Rng::from_seed([seed; 32]);
                let mut b = ChaCha20Rng::from_seed([seed; 32]);
                for &q in &primes {
                    let want: Vec<u64> = (0..len).map(|_| uniform_below(&mut a, q)).collect();
                    let mut got = vec![0u64; len];
                    fill_uniform_below(&mut b, q, &mut got);
                    assert_eq!(got, want, "q {q}, len {len}, seed {seed}");
                }
                use rand_core::Rng;
                assert_eq!(
                    a.next_u64(),
                    b.next_u64(),
                    "generators end at the same word"
                );
            }
        }
    }
}
