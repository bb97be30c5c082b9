//! `ckks-accel info`: version, instruction sets, environment cap and CPU features.

use super::{CliResult, isa_select};
use ckks_accel::{Isa, isa::ISA_ENV_VAR};

/// CPU features the kernels (or their selection) depend on, in the order printed.
#[cfg(target_arch = "x86_64")]
const X86_FEATURES: &[&str] = &[
    "sse4.2",
    "avx",
    "avx2",
    "fma",
    "bmi2",
    "avx512f",
    "avx512dq",
    "avx512vl",
    "avx512bw",
    "avx512ifma",
    "avx512vbmi",
];

/// Prints the report to stdout.
pub fn run() -> CliResult {
    let row = |label: &str, value: &str| println!("{label:<16}{value}");
    row("ckks-accel", env!("CARGO_PKG_VERSION"));
    row("build", &build_summary());
    if let Some(model) = cpu_model() {
        row("cpu", &model);
    }
    row("cpu features", &cpu_features());
    row("available isas", &isa_select::join(&Isa::available()));
    row(ISA_ENV_VAR, &env_cap());
    row("detected isa", &Isa::detect().to_string());
    Ok(())
}

/// Target architecture and whether SIMD kernels are compiled in.
fn build_summary() -> String {
    let arch = std::env::consts::ARCH;
    if cfg!(feature = "force-scalar") {
        format!("{arch}, feature force-scalar: SIMD kernels compiled out")
    } else if cfg!(target_arch = "x86_64") {
        format!("{arch}, SIMD kernels compiled in (selected at run time)")
    } else {
        format!("{arch}, scalar kernels only (SIMD kernels are x86-64 only)")
    }
}

/// The value of the cap variable, or `(not set)`. It was validated before any command runs.
fn env_cap() -> String {
    match std::env::var(ISA_ENV_VAR) {
        Ok(value) if !value.trim().is_empty() => format!("{value} (caps detection)"),
        _ => "(not set)".to_string(),
    }
}

/// `+avx2 -avx512ifma …`: each feature of [`X86_FEATURES`], present (+) or absent (−).
#[cfg(target_arch = "x86_64")]
fn cpu_features() -> String {
    X86_FEATURES
        .iter()
        .map(|&name| format!("{}{name}", if x86_feature(name) { '+' } else { '-' }))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(not(target_arch = "x86_64"))]
fn cpu_features() -> String {
    "(only reported on x86-64)".to_string()
}

/// Run-time detection of one feature of [`X86_FEATURES`] (the macro needs literal names).
#[cfg(target_arch = "x86_64")]
fn x86_feature(name: &str) -> bool {
    use std::arch::is_x86_feature_detected as has;
    match name {
        "sse4.2" => has!("sse4.2"),
        "avx" => has!("avx"),
        "avx2" => has!("avx2"),
        "fma" => has!("fma"),
        "bmi2" => has!("bmi2"),
        "avx512f" => has!("avx512f"),
        "avx512dq" => has!("avx512dq"),
        "avx512vl" => has!("avx512vl"),
        "avx512bw" => has!("avx512bw"),
        "avx512ifma" => has!("avx512ifma"),
        "avx512vbmi" => has!("avx512vbmi"),
        _ => false,
    }
}

/// The CPU model name from `/proc/cpuinfo` (Linux), if readable.
fn cpu_model() -> Option<String> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name")?.split_once(':'))
        .map(|(_, model)| model.trim().to_string())
}
