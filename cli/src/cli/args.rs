//! The CLI's enumerated options as clap `ValueEnum`s (possible values in `--help`, shell
//! completion, one error message format), mapped onto the library's types.

use ckks_accel::ckks::Preset;
use ckks_accel::keyswitch::ReferenceSet;
use ckks_accel::parallel::{Mode, Schedule};
use ckks_accel::profile::ProfileLevel;
use clap::ValueEnum;
use clap::builder::{EnumValueParser, MapValueParser, TypedValueParser};

/// A parameter set of the reference workloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PresetArg {
    /// n = 2^14, 128-bit secure.
    #[value(name = "S")]
    S,
    /// n = 2^16, 128-bit secure.
    #[value(name = "L")]
    L,
    /// S with every prime below 2^50 (IFMA-friendly).
    #[value(name = "S-ifma")]
    SIfma,
    /// L with every prime below 2^50 (IFMA-friendly).
    #[value(name = "L-ifma")]
    LIfma,
}

impl From<PresetArg> for Preset {
    fn from(p: PresetArg) -> Preset {
        match p {
            PresetArg::S => Preset::S,
            PresetArg::L => Preset::L,
            PresetArg::SIfma => Preset::SIfma,
            PresetArg::LIfma => Preset::LIfma,
        }
    }
}

impl From<PresetArg> for ReferenceSet {
    fn from(p: PresetArg) -> ReferenceSet {
        Preset::from(p).into()
    }
}

/// How the engine spreads the batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// One product per worker.
    Task,
    /// One product at a time, limbs and digits spread over the workers.
    Limb,
    /// Several vectors per ciphertext.
    Packed,
    /// The planned tiled layout (one relinearization per group of products).
    Tiled,
    /// Per-pair products through a 4-stage pipeline on dedicated threads (an option: loses to
    /// task mode, see docs/benchmarks.md).
    Pipeline,
    /// The batch planner's choice (tiled layouts, packing or per-pair).
    Auto,
}

impl From<ModeArg> for Mode {
    fn from(m: ModeArg) -> Mode {
        match m {
            ModeArg::Task => Mode::Task,
            ModeArg::Limb => Mode::Limb,
            ModeArg::Packed => Mode::Packed,
            ModeArg::Tiled => Mode::Tiled,
            ModeArg::Pipeline => Mode::Pipeline,
            ModeArg::Auto => Mode::Auto,
        }
    }
}

/// Task-mode schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScheduleArg {
    /// rayon's work stealing.
    Stealing,
    /// Contiguous chunks, one per worker.
    Static,
}

impl From<ScheduleArg> for Schedule {
    fn from(s: ScheduleArg) -> Schedule {
        match s {
            ScheduleArg::Stealing => Schedule::WorkStealing,
            ScheduleArg::Static => Schedule::Static,
        }
    }
}

/// What the per-worker profiles record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProfileArg {
    /// Nothing.
    Off,
    /// Operation counts.
    Counts,
    /// Counts and section times.
    Timed,
}

impl From<ProfileArg> for ProfileLevel {
    fn from(p: ProfileArg) -> ProfileLevel {
        match p {
            ProfileArg::Off => ProfileLevel::Off,
            ProfileArg::Counts => ProfileLevel::Counts,
            ProfileArg::Timed => ProfileLevel::Timed,
        }
    }
}

/// Inner-sum method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SumArg {
    /// The plain doubling tree.
    Tree,
    /// Hoisted radix folding with double hoisting.
    Hoisted,
    /// The calibrated cost model decides.
    Auto,
}

/// A clap value parser of `E`'s names producing the library type `T`.
pub fn parser<E, T>() -> MapValueParser<EnumValueParser<E>, fn(E) -> T>
where
    E: ValueEnum + Clone + Send + Sync + 'static,
    T: From<E> + Clone + Send + Sync + 'static,
{
    EnumValueParser::<E>::new().map(T::from as fn(E) -> T)
}
