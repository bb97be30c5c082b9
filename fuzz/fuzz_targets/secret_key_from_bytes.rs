//! `SecretKey::from_bytes` on arbitrary bytes: never panics, and whatever loads re-serializes to
//! exactly the input (ternary coefficients, one canonical byte each).
#![no_main]

use ckks_accel::ckks::SecretKey;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ctx = ckks_accel_fuzz::ctx();
    if let Ok(sk) = SecretKey::from_bytes(ctx, data) {
        let again = sk.to_bytes(ctx).expect("same parameters");
        ckks_accel_fuzz::assert_canonical(data, &[&again[..]]);
    }
});
