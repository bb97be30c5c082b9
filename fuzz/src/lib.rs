//! Shared by the fuzz targets: the small parameter set every context-bound deserializer is
//! fuzzed against (n = 16 keeps valid objects a few KiB, so libFuzzer's mutations reach deep
//! into them), and the key used by the `unseal` target.
//!
//! `tests/fuzz_seeds.rs` in the library builds the same parameters and checks that the seed
//! corpus in `fuzz/corpus/` still loads, so this file and that test must agree.

use ckks_accel::ckks::{CkksContext, CkksParams};
use std::sync::{Arc, OnceLock};

/// Key of the sealed seeds (a fixed, public test key).
pub const SEAL_KEY: [u8; 32] = [0x5a; 32];

/// n = 16, Q = 3 primes, P = 1 prime, 3 digits (insecure: fuzzing only).
pub fn params() -> CkksParams {
    CkksParams::builder()
        .ring_degree(16)
        .q_bits(&[50, 35, 35])
        .p_bits(&[50])
        .dnum(3)
        .log_scale(35)
        .allow_insecure(true)
        .build()
        .expect("fuzz parameters")
}

/// The context, built once per process.
pub fn ctx() -> &'static Arc<CkksContext> {
    static CTX: OnceLock<Arc<CkksContext>> = OnceLock::new();
    CTX.get_or_init(|| CkksContext::new(params()).expect("fuzz context"))
}
