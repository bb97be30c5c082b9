//! The CKKS scheme layer: encoding (more to come).

pub mod encoding;
