//! Shared helpers for the integration tests.
#![allow(dead_code)]

use ckks_accel::arith::{is_prime, ntt_primes};
use ckks_accel::ckks::CkksParams;
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

/// The fuzz targets' parameters (n = 16) and seal key, from the file the fuzz crate uses.
#[path = "../../fuzz/src/fixture.rs"]
mod fixture;
#[allow(unused_imports)]
pub use fixture::{SEAL_KEY, params as fuzz_params};

/// An insecure CKKS set for tests: degree 2^`log_n`, the Q and P prime sizes, `dnum` digits,
/// scale 2^`log_scale`.
pub fn insecure_params(
    log_n: u32,
    q_bits: &[u32],
    p_bits: &[u32],
    dnum: usize,
    log_scale: u32,
) -> CkksParams {
    CkksParams::builder()
        .ring_degree(1 << log_n)
        .q_bits(q_bits)
        .p_bits(p_bits)
        .dnum(dnum)
        .log_scale(log_scale)
        .allow_insecure(true)
        .build()
        .unwrap()
}

/// A small insecure CKKS set for fast tests: n = 2^10, Q = 50 + 35 + 35 bits, one 50-bit special
/// prime, dnum 3, scale 2^35.
pub fn toy_params() -> CkksParams {
    insecure_params(10, &[50, 35, 35], &[50], 3, 35)
}

/// The engine and precision tests' set: n = 2^12, Q = 55 + 40 + 40 bits, one 56-bit special
/// prime, dnum 3, scale 2^40.
pub fn small_params() -> CkksParams {
    insecure_params(12, &[55, 40, 40], &[56], 3, 40)
}

/// FNV-1a 64, the checksum of format version 2 (still read).
pub fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The (unkeyed) frame checksum of format version 3, the version written: XXH3-64.
pub fn checksum(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(bytes)
}

/// Recomputes the (unkeyed) checksum after an edit, as an attacker can.
pub fn refix(bytes: &mut [u8]) {
    let n = bytes.len() - 8;
    let sum = checksum(&bytes[..n]);
    bytes[n..].copy_from_slice(&sum.to_le_bytes());
}

/// The same object in format version 2 (the version field and an FNV-1a trailer), as an older
/// build wrote it. Nested frames (a batch's tiles) are rewritten too when their offsets are
/// given.
pub fn as_version_2(bytes: &[u8], nested: &[std::ops::Range<usize>]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    for r in nested {
        b[r.start + 4..r.start + 6].copy_from_slice(&2u16.to_le_bytes());
        let sum = fnv(&b[r.start..r.end - 8]);
        b[r.end - 8..r.end].copy_from_slice(&sum.to_le_bytes());
    }
    b[4..6].copy_from_slice(&2u16.to_le_bytes());
    let n = b.len() - 8;
    let sum = fnv(&b[..n]);
    b[n..].copy_from_slice(&sum.to_le_bytes());
    b
}

/// Asserts `r` is a `Deserialize` error whose reason mentions `needle`.
#[track_caller]
pub fn deserialize_err<T: std::fmt::Debug>(r: Result<T, ckks_accel::Error>, needle: &str) {
    match r {
        Err(ckks_accel::Error::Deserialize { reason }) => {
            assert!(reason.contains(needle), "{reason:?} lacks {needle:?}")
        }
        other => panic!("expected Deserialize({needle}), got {other:?}"),
    }
}

/// Keys of a test context from a fixed seed: the secret and public keys, and evaluation keys
/// with the relinearization key and the Galois keys of `steps` (and conjugation).
pub fn test_keys(
    ctx: &std::sync::Arc<ckks_accel::ckks::CkksContext>,
    seed: u64,
    steps: &[i64],
) -> (
    ckks_accel::ckks::SecretKey,
    ckks_accel::ckks::PublicKey,
    ckks_accel::ckks::EvaluationKeys,
) {
    let mut kg = ckks_accel::ckks::KeyGenerator::from_seed(ctx.clone(), seed);
    let sk = kg.secret_key().unwrap();
    let pk = kg.public_key(&sk).unwrap();
    let keys = ckks_accel::ckks::EvaluationKeys {
        relin: Some(kg.relin_key(&sk).unwrap()),
        galois: kg.galois_keys(&sk, steps, true).unwrap(),
    };
    (sk, pk, keys)
}

/// An engine over `keys` with `threads` workers, `mode` and `schedule` (other options default).
pub fn engine(
    ctx: &std::sync::Arc<ckks_accel::ckks::CkksContext>,
    keys: std::sync::Arc<ckks_accel::ckks::EvaluationKeys>,
    threads: usize,
    mode: ckks_accel::parallel::Mode,
    schedule: ckks_accel::parallel::Schedule,
) -> ckks_accel::parallel::InnerProductEngine {
    let eval = ckks_accel::ckks::Evaluator::new(ctx.clone(), keys).unwrap();
    ckks_accel::parallel::InnerProductEngine::new(
        eval,
        ckks_accel::parallel::EngineConfig {
            threads: Some(threads),
            mode,
            schedule,
            ..Default::default()
        },
    )
    .unwrap()
}
