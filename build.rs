//! Defines the `simd` cfg: SIMD kernels are compiled on x86-64 unless `force-scalar` is on.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(simd)");
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let force_scalar = std::env::var_os("CARGO_FEATURE_FORCE_SCALAR").is_some();
    if arch == "x86_64" && !force_scalar {
        println!("cargo::rustc-cfg=simd");
    }
}
