//! Generates include/ckks_accel.h with cbindgen on every build (the file is only rewritten when
//! its contents change). CI regenerates it and diffs against the checked-in copy.

use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_crate(&dir)
        .with_config(config)
        .generate()
        .expect("cbindgen could not generate the header");
    // `CKKS_ACCEL_HEADER_OUT` redirects the output (CI writes a fresh copy elsewhere to diff).
    let out = std::env::var_os("CKKS_ACCEL_HEADER_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.join("include").join("ckks_accel.h"));
    println!("cargo:rerun-if-env-changed=CKKS_ACCEL_HEADER_OUT");
    bindings.write_to_file(out);
}
