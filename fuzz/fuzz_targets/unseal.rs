//! `serialize::unseal` then every loader on the result: never panics; what unseals was sealed
//! under the key (so it must be a valid frame).
#![no_main]

use ckks_accel::ckks::serialize::{self, Kind};
use ckks_accel::ckks::{Ciphertext, GaloisKeys};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = serialize::peek(data);
    if let Ok(inner) = serialize::unseal(&ckks_accel_fuzz::SEAL_KEY, data) {
        let (kind, _) = serialize::peek(inner).expect("sealed objects are valid frames");
        let ctx = ckks_accel_fuzz::ctx();
        match kind {
            Kind::Ciphertext => {
                let _ = Ciphertext::from_bytes(ctx, inner);
            }
            Kind::GaloisKeys => {
                let _ = GaloisKeys::from_bytes(ctx, inner);
            }
            _ => {}
        }
    }
});
