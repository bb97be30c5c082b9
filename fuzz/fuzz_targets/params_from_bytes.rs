//! `CkksParams::from_bytes` (and the insecure opt-in) on arbitrary bytes: never panics, never
//! accepts insecure parameters without the opt-in, and whatever loads re-serializes to exactly
//! the input.
#![no_main]

use ckks_accel::ckks::CkksParams;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = CkksParams::from_bytes(data) {
        assert!(
            !p.is_insecure(),
            "insecure parameters loaded without the opt-in"
        );
        ckks_accel_fuzz::assert_canonical(data, &[&p.to_bytes()]);
    }
    if let Ok(p) = CkksParams::from_bytes_allow_insecure(data) {
        ckks_accel_fuzz::assert_canonical(data, &[&p.to_bytes()]);
    }
});
