//! Which instruction sets a command may use: the `CKKS_ACCEL_ISA` cap and `--isa` lists.

use super::CliResult;
use ckks_accel::{Isa, isa::ISA_ENV_VAR};

/// Fails with a clear message if `CKKS_ACCEL_ISA` is malformed or names an instruction set this
/// CPU (or build) lacks. The library would warn and fall back; the CLI refuses, so it never
/// reports numbers for an instruction set other than the one asked for.
///
/// Must run before the first [`Isa::detect`], which would print the library's warning.
pub fn check_env_cap() -> CliResult {
    match Isa::from_env() {
        Ok(None) => Ok(()),
        Ok(Some(isa)) if isa.is_available() => Ok(()),
        Ok(Some(isa)) => Err(format!("{ISA_ENV_VAR}={isa}: {}", unavailable(isa)).into()),
        Err(err) => Err(format!("{ISA_ENV_VAR}: {err}").into()),
    }
}

/// Parses one instruction-set name for clap (`scalar`, `avx2`, `avx512`, `avx512ifma`/`ifma`).
pub fn parse_isa(name: &str) -> Result<Isa, String> {
    name.parse()
        .map_err(|err: ckks_accel::isa::ParseIsaError| err.to_string())
}

/// The instruction sets to measure, lowest first: `requested` (each must be available here),
/// or if it is empty every available one up to [`Isa::detect`] (which honours the env cap).
pub fn resolve(requested: &[Isa]) -> CliResult<Vec<Isa>> {
    if requested.is_empty() {
        let cap = Isa::detect();
        return Ok(Isa::available()
            .into_iter()
            .filter(|&isa| isa <= cap)
            .collect());
    }
    if let Some(&isa) = requested.iter().find(|isa| !isa.is_available()) {
        return Err(unavailable(isa).into());
    }
    let mut isas = requested.to_vec();
    isas.sort_unstable();
    isas.dedup();
    Ok(isas)
}

/// Comma-separated names, e.g. `scalar, avx2`.
pub fn join(isas: &[Isa]) -> String {
    isas.iter()
        .map(Isa::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// "instruction set X is not available …; available here: …".
fn unavailable(isa: Isa) -> String {
    format!(
        "instruction set {isa} is not available on this CPU or in this build (available here: {})",
        join(&Isa::available())
    )
}
