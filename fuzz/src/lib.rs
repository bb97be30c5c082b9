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

/// Whether `data` claims the format version this build writes. Only such inputs must
/// re-serialize to exactly themselves: an object of an older version that still loads (version
/// 2) is written anew as the current version — another version field and other checksums, the
/// same length. (A batch's tiles must carry the batch's version, so this holds for them too.)
pub fn is_current_version(data: &[u8]) -> bool {
    data.get(4..6) == Some(&ckks_accel::ckks::FORMAT_VERSION.to_le_bytes()[..])
}

/// The canonical-encoding check of the deserializer targets: `written` holds every encoding the
/// loaded object can be written in (e.g. full and compressed keys). An input of the current
/// version must equal one of them; an older-version input one of the same length.
pub fn assert_canonical(data: &[u8], written: &[&[u8]]) {
    if is_current_version(data) {
        assert!(written.contains(&data), "non-canonical encoding accepted");
    } else {
        assert!(
            written
                .iter()
                .any(|w| w.len() == data.len() && is_current_version(w)),
            "an older-version object re-serialized to another length"
        );
    }
}
