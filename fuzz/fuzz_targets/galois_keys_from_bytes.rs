//! `GaloisKeys::from_bytes` on arbitrary bytes (full and seeded encodings): never panics, and
//! whatever loads re-serializes to exactly the input in the encoding it came in (the format is
//! canonical).
#![no_main]

use ckks_accel::ckks::GaloisKeys;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ctx = ckks_accel_fuzz::ctx();
    if let Ok(x) = GaloisKeys::from_bytes(ctx, data) {
        let full = x.to_bytes();
        let compressed = x.to_bytes_compressed().ok();
        let mut written = vec![&full[..]];
        written.extend(compressed.as_deref());
        ckks_accel_fuzz::assert_canonical(data, &written);
    }
});
