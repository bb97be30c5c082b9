//! OpenFHE's side of `bench scaling`: runs `scripts/openfhe_relin_scaling.py` once for every
//! shape (one child process, `OMP_NUM_THREADS=1`) and matches its cases to the shapes.

use super::Shape;
use serde_json::Value;
use std::num::NonZeroUsize;
use std::path::Path;
use std::process::Command;

/// Timed relinearizations per case when `--reps` is not given.
const DEFAULT_RUNS: usize = 11;

/// The script's header (`openfhe_version`, `python`, …, without `cases`) and one case object per
/// shape, in order; `Err` says why OpenFHE could not be measured.
pub fn measure(
    python: &Path,
    script: &Path,
    shapes: &[Shape],
    reps: Option<NonZeroUsize>,
) -> Result<(Value, Vec<Value>), String> {
    if !python.is_file() {
        return Err(format!(
            "no Python interpreter at {} (create the venv with shared/peers/openfhe/run.sh or \
             pass --openfhe-python)",
            python.display()
        ));
    }
    if !script.is_file() {
        return Err(format!("no script at {}", script.display()));
    }
    let mut cmd = Command::new(python);
    cmd.arg(script).env("OMP_NUM_THREADS", "1");
    for s in shapes {
        cmd.arg("--case").arg(format!(
            "{}:{}:{}:{}:{}",
            s.log_n, s.q_limbs, s.first_bits, s.scale_bits, s.dnum
        ));
    }
    let runs = reps.map_or(DEFAULT_RUNS, NonZeroUsize::get);
    // One untimed call per case is enough when the caller asked for a single timed one.
    let warmup = if runs == 1 { 1 } else { 2 };
    cmd.args(["--runs", &runs.to_string(), "--warmup", &warmup.to_string()]);
    let out = cmd
        .output()
        .map_err(|e| format!("running {}: {e}", python.display()))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = err.lines().rev().take(5).collect();
        return Err(format!(
            "{} exited with {}: {}",
            script.display(),
            out.status,
            tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
        ));
    }
    let mut v: Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("{} printed no JSON object: {e}", script.display()))?;
    let cases = match v.as_object_mut().and_then(|o| o.remove("cases")) {
        Some(Value::Array(cases)) => cases,
        _ => return Err(format!("{} printed no \"cases\" array", script.display())),
    };
    if cases.len() != shapes.len() {
        return Err(format!(
            "{} returned {} cases for {} shapes",
            script.display(),
            cases.len(),
            shapes.len()
        ));
    }
    for (c, s) in cases.iter().zip(shapes) {
        let same = c["log_n"].as_u64() == Some(u64::from(s.log_n))
            && c["q_limbs"].as_u64() == Some(s.q_limbs as u64)
            && c["dnum"].as_u64() == Some(s.dnum as u64)
            && c["relin_ms"].as_f64().is_some_and(|t| t > 0.0);
        if !same {
            return Err(format!("case {c} does not answer shape {s:?}"));
        }
    }
    Ok((v, cases))
}
