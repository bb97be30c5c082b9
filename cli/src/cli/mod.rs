//! Command-line definitions (clap derive) and dispatch to one module per command.
//!
//! To add a command: a variant in [`Command`] or [`BenchWhat`] holding its `Args` struct, a
//! module with a `run(&Args) -> CliResult` function, and an arm in [`run`].

mod args;
mod bench_ckks;
mod bench_keyswitch;
mod bench_ntt;
mod bench_scaling;
mod info;
mod inner_product;
mod isa_select;
mod planned;
mod timing;

use clap::{Parser, Subcommand};

/// The error type of every command: printed by `main` as `ckks-accel: error: …`, exit status 1.
pub type CliError = Box<dyn std::error::Error>;

/// Result of a command.
pub type CliResult<T = ()> = Result<T, CliError>;

/// Hand-vectorized CKKS kernels: inspect the CPU and benchmark the kernels on each instruction set.
#[derive(Debug, Parser)]
#[command(name = "ckks-accel", version)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The main job: k encrypted inner products in parallel on the embedded default parameters,
    /// verified against the plaintext results, with a scaling table.
    InnerProduct(inner_product::InnerProductArgs),
    /// Show the crate version, the detected and available instruction sets and the CPU features.
    Info,
    /// Measure kernels on each instruction set.
    Bench {
        /// Which kernel to measure.
        #[command(subcommand)]
        what: BenchWhat,
    },
}

/// Kernels `bench` can measure.
#[derive(Debug, Subcommand)]
pub enum BenchWhat {
    /// Forward and inverse negacyclic NTT per ring degree, prime size and instruction set.
    Ntt(bench_ntt::NttArgs),
    /// CKKS operations and the seed inner product at a reference set.
    Ckks(bench_ckks::CkksArgs),
    /// One hybrid key switch (relinearization) at a reference set, with a time breakdown.
    Keyswitch(bench_keyswitch::KeySwitchArgs),
    /// Relinearization time vs Q limbs and vs ring degree, ours and OpenFHE's: a table, an SVG
    /// plot and a JSON file beside it.
    Scaling(bench_scaling::ScalingArgs),
}

/// Parses the command line, validates `CKKS_ACCEL_ISA` and runs the command.
pub fn run() -> CliResult {
    let cli = Cli::parse();
    isa_select::check_env_cap()?;
    match &cli.command {
        Command::Info => info::run(),
        Command::InnerProduct(args) => inner_product::run(args),
        Command::Bench { what } => match what {
            BenchWhat::Ntt(args) => bench_ntt::run(args),
            BenchWhat::Keyswitch(args) => bench_keyswitch::run(args),
            BenchWhat::Ckks(args) => bench_ckks::run(args),
            BenchWhat::Scaling(args) => bench_scaling::run(args),
        },
    }
}
