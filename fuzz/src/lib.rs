//! Shared by the fuzz targets: the small parameter set every context-bound deserializer is
//! fuzzed against (n = 16 keeps valid objects a few KiB, so libFuzzer's mutations reach deep
//! into them), and the key used by the `unseal` target.
//!
//! The parameters live in `fixture.rs`, which the library's tests include too
//! (`tests/common`), so `tests/fuzz_seeds.rs` checks the seed corpus against the same set.

mod fixture;
pub use fixture::{SEAL_KEY, params};

use ckks_accel::ckks::CkksContext;
use std::sync::{Arc, OnceLock};

/// The context, built once per process.
pub fn ctx() -> &'static Arc<CkksContext> {
    static CTX: OnceLock<Arc<CkksContext>> = OnceLock::new();
    CTX.get_or_init(|| CkksContext::new(params()).expect("fuzz context"))
}
