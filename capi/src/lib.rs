//! C ABI.
pub use accel as _accel;
#[unsafe(no_mangle)]
pub extern "C" fn ckks_version() -> u32 { 1 }
