//! `ckks-accel`: command-line front end of the crate.
//!
//! ```text
//! ckks-accel info
//! ckks-accel bench ntt [--n 4096,16384,65536] [--bits 50,62] [--isa LIST] [--reps N] [--json]
//! ```
//!
//! If `CKKS_ACCEL_ISA` names an instruction set this CPU lacks, every command refuses to run
//! (exit status 1) instead of silently falling back as the library does.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ckks-accel: error: {err}");
            ExitCode::FAILURE
        }
    }
}
