//! Helpers shared by the criterion benches and the CLI's `bench` commands (which include this
//! file with `#[path]`), so both measure the same inputs and count work the same way.
#![allow(dead_code)]

use ckks_accel::AlignedVec;

/// The seed both NTT benchmarks use for their inputs.
pub const NTT_SEED: u64 = 0x9E37_79B9_7F4A_7C15;

/// `n` pseudo-random residues in [0, q) from a xorshift64* stream (deterministic per seed).
pub fn random_residues(n: usize, q: u64, seed: u64) -> AlignedVec {
    let mut state = seed | 1;
    (0..n)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            state.wrapping_mul(0x2545_F491_4F6C_DD1D) % q
        })
        .collect()
}

/// Butterflies of one transform of degree `n`: n/2 per stage, log2 n stages.
pub fn butterflies(n: usize) -> u64 {
    (n as u64 / 2) * u64::from(n.trailing_zeros())
}
