//! The parameters and seal key the fuzz targets use, shared word for word with the library's
//! tests (`tests/common` includes this file), so the seed corpus and its check cannot drift.

use ckks_accel::ckks::CkksParams;

/// Key of the sealed seeds (a fixed, public test key).
pub const SEAL_KEY: [u8; 32] = [0x5a; 32];

/// n = 16, Q = 50 + 35 + 35 bits, P = one 50-bit prime, 3 digits, scale 2^35 (insecure:
/// fuzzing and Miri only).
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
