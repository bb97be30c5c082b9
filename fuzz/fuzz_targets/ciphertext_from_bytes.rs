//! `Ciphertext::from_bytes` on arbitrary bytes: never panics, and whatever loads re-serializes to
//! exactly the input (the format is canonical).
#![no_main]

use ckks_accel::ckks::Ciphertext;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ctx = ckks_accel_fuzz::ctx();
    if let Ok(x) = Ciphertext::from_bytes(ctx, data) {
        ckks_accel_fuzz::assert_canonical(data, &[&x.to_bytes()]);
    }
});
