//! Shared helpers for the integration tests.
#![allow(dead_code)]

use ckks_accel::arith::{is_prime, ntt_primes};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

pub fn random_below(rng: &mut ChaCha8Rng, len: usize, bound: u64) -> Vec<u64> {
    (0..len).map(|_| rng.random_range(0..bound)).collect()
}

/// Smallest prime above 2^50 with q ≡ 1 (mod 2n): just too large for IFMA.
pub fn prime_just_above_2_50(n: usize) -> u64 {
    let two_n = 2 * n as u64;
    let mut q = (1u64 << 50) / two_n * two_n + 1;
    while q < 1 << 50 || !is_prime(q) {
        q += two_n;
    }
    q
}

/// The prime shapes every kernel is tested on: 30-bit, largest below 2^50, just above 2^50,
/// 60-bit, largest below 2^62.
pub fn test_primes(n: usize) -> Vec<u64> {
    vec![
        ntt_primes(30, n, 1).unwrap()[0],
        ntt_primes(50, n, 1).unwrap()[0],
        prime_just_above_2_50(n),
        ntt_primes(60, n, 1).unwrap()[0],
        ntt_primes(62, n, 1).unwrap()[0],
    ]
}

/// A small insecure CKKS set for fast tests: n = 2^10, Q = 50 + 35 + 35 bits, one 50-bit special
/// prime, dnum 3, scale 2^35.
pub fn toy_params() -> ckks_accel::ckks::CkksParams {
    ckks_accel::ckks::CkksParams::builder()
        .ring_degree(1 << 10)
        .q_bits(&[50, 35, 35])
        .p_bits(&[50])
        .dnum(3)
        .log_scale(35)
        .allow_insecure(true)
        .build()
        .unwrap()
}
