//! `KeyBundle::from_bytes` on arbitrary bytes (full and seeded encodings, every sum
//! description): never panics, whatever loads passes the writer's own checks and
//! re-serializes to exactly the input in the encoding it came in (the format is canonical).
#![no_main]

use ckks_accel::ckks::KeyBundle;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ctx = ckks_accel_fuzz::ctx();
    if let Ok(x) = KeyBundle::from_bytes(ctx, data) {
        let full = x
            .to_bytes(ctx)
            .expect("a loaded bundle passes the writer's checks");
        let compressed = x.to_bytes_compressed(ctx).ok();
        let mut written = vec![&full[..]];
        written.extend(compressed.as_deref());
        ckks_accel_fuzz::assert_canonical(data, &written);
    }
});
