//! `ckks-accel bench scaling`: relinearization time (one hybrid key switch at the top level of
//! its chain, single thread, medians) against the number of Q limbs and against the ring degree,
//! ours and OpenFHE's, written as an SVG plot and a JSON file beside it.
//!
//! Two sweeps:
//! - **limbs** — n = 2^16 (`--limbs-log-n`), chains of ℓ primes (`--limbs`, default 4, 8, 12,
//!   16, 20) shaped like set L: a 60-bit q_0 and 50-bit primes, 5 × 61-bit P (`--limbs-p`),
//!   dnum 4 (lowered to ℓ where ℓ < 4; said in the case's `adjusted`). At ℓ = 20 the chain is
//!   set L exactly.
//! - **degree** — n = 2^12 … 2^16 (`--log-n`) at set S's chain: 60 + 5 × 40 bits, 2 × 61-bit P,
//!   dnum 3. At n = 2^14 it is set S exactly.
//!
//! Ours runs through [`ckks_accel::keyswitch::KeySwitcher::switch`] (as `bench keyswitch`);
//! OpenFHE through `scripts/openfhe_relin_scaling.py` under the PyPI wheel's venv. OpenFHE picks
//! its own special primes (60-bit; the script reads how many) and falls back to HEStd_NotSet
//! where a small ring degree is below 128-bit security for the chain; both are reported per case
//! and in the plot. All of ours runs first, then OpenFHE in one child process, so the two never
//! overlap.

mod machine;
mod openfhe;
mod ours;
mod plot;
mod report;

use super::{CliResult, isa_select, timing};
use ckks_accel::Isa;
use ckks_accel::arith::ntt_primes;
use clap::Args;
use serde_json::Value;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

/// Options of `bench scaling`.
#[derive(Debug, Args)]
pub struct ScalingArgs {
    /// Q limb counts of the limb sweep (chains of a 60-bit q_0 and 50-bit primes).
    #[arg(
        long,
        value_name = "L,...",
        value_delimiter = ',',
        default_value = "4,8,12,16,20"
    )]
    pub limbs: Vec<usize>,

    /// log2 of the ring degree of the limb sweep.
    #[arg(long, value_name = "LOG_N", default_value_t = 16)]
    pub limbs_log_n: u32,

    /// Special (P) primes of the limb sweep, 61 bits each (OpenFHE chooses its own).
    #[arg(long, value_name = "K", default_value_t = 5)]
    pub limbs_p: usize,

    /// log2 of the ring degrees of the degree sweep (set S's chain: 60 + 5 × 40 bits, 2 × 61 P).
    #[arg(
        long,
        value_name = "LOG_N,...",
        value_delimiter = ',',
        default_value = "12,13,14,15,16"
    )]
    pub log_n: Vec<u32>,

    /// Instruction set of ours (must be available) [default: the detected one].
    #[arg(long, value_name = "ISA", value_parser = isa_select::parse_isa)]
    pub isa: Option<Isa>,

    /// Timed relinearizations per case, both libraries [default: ours enough for about 0.1 s,
    /// at least 11; OpenFHE 11].
    #[arg(long, value_name = "N")]
    pub reps: Option<NonZeroUsize>,

    /// Python interpreter with the `openfhe` wheel [default: $OPENFHE_VENV/bin/python, else
    /// ~/.cache/ckks-accel-peers/openfhe-venv/bin/python]. If it is missing, only ours is
    /// measured and plotted, and the outputs say so.
    #[arg(long, value_name = "PATH")]
    pub openfhe_python: Option<PathBuf>,

    /// The OpenFHE measuring script [default: scripts/openfhe_relin_scaling.py of this source
    /// tree].
    #[arg(long, value_name = "PATH")]
    pub openfhe_script: Option<PathBuf>,

    /// Measure ours only.
    #[arg(long)]
    pub no_openfhe: bool,

    /// Where to write the plot; the JSON goes beside it with the extension `.json`.
    #[arg(long, value_name = "PATH", default_value = "docs/relin-scaling.svg")]
    pub svg: PathBuf,

    /// Print the JSON object on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// Which sweep a case belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sweep {
    /// Q limbs vary at a fixed ring degree.
    Limbs,
    /// The ring degree varies at a fixed chain.
    Degree,
}

impl Sweep {
    fn name(self) -> &'static str {
        match self {
            Sweep::Limbs => "limbs",
            Sweep::Degree => "degree",
        }
    }
}

/// One parameter shape: ring degree, chain, special primes, digits.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    /// The sweep it belongs to.
    pub sweep: Sweep,
    /// log2 of the ring degree.
    pub log_n: u32,
    /// Q primes.
    pub q_limbs: usize,
    /// Bits of q_0.
    pub first_bits: u32,
    /// Bits of q_1 … q_{ℓ−1}.
    pub scale_bits: u32,
    /// Special primes (ours).
    pub p_limbs: usize,
    /// Bits of each special prime (ours).
    pub p_bits: u32,
    /// Key-switching digits.
    pub dnum: usize,
    /// What was changed from the sweep's shape to make the case valid.
    pub adjusted: Option<String>,
}

impl Shape {
    /// Ring degree.
    pub fn n(&self) -> usize {
        1 << self.log_n
    }

    /// Our primes: q_0, then the largest `scale_bits` NTT primes, then the largest `p_bits`
    /// ones not in Q (the construction of `ReferenceSet::primes`, so ℓ = 20 / n = 2^14 give
    /// sets L / S exactly).
    pub fn primes(&self) -> CliResult<(Vec<u64>, Vec<u64>)> {
        let n = self.n();
        let mut q = ntt_primes(self.first_bits, n, 1)?;
        let head = q[0];
        let rest = ntt_primes(self.scale_bits, n, self.q_limbs)?;
        q.extend(
            rest.into_iter()
                .filter(|&x| x != head)
                .take(self.q_limbs - 1),
        );
        let p: Vec<u64> = ntt_primes(self.p_bits, n, self.p_limbs + q.len())?
            .into_iter()
            .filter(|x| !q.contains(x))
            .take(self.p_limbs)
            .collect();
        Ok((q, p))
    }
}

/// The limb sweep and the degree sweep, validated.
pub fn grid(args: &ScalingArgs) -> CliResult<Vec<Shape>> {
    const L_DNUM: usize = 4;
    let mut shapes = Vec::new();
    for &q_limbs in &args.limbs {
        if !(1..=60).contains(&q_limbs) {
            return Err(format!("--limbs {q_limbs}: want 1 to 60 Q limbs").into());
        }
        let dnum = L_DNUM.min(q_limbs);
        shapes.push(Shape {
            sweep: Sweep::Limbs,
            log_n: args.limbs_log_n,
            q_limbs,
            first_bits: 60,
            scale_bits: 50,
            p_limbs: args.limbs_p,
            p_bits: 61,
            dnum,
            adjusted: (dnum != L_DNUM)
                .then(|| format!("dnum {L_DNUM} -> {dnum} (< {L_DNUM} limbs)")),
        });
    }
    for &log_n in &args.log_n {
        shapes.push(Shape {
            sweep: Sweep::Degree,
            log_n,
            q_limbs: 6,
            first_bits: 60,
            scale_bits: 40,
            p_limbs: 2,
            p_bits: 61,
            dnum: 3,
            adjusted: None,
        });
    }
    for s in &shapes {
        if !(10..=17).contains(&s.log_n) {
            return Err(format!("log2 n = {}: want 10 to 17", s.log_n).into());
        }
    }
    if args.limbs_p == 0 {
        return Err("--limbs-p must be at least 1".into());
    }
    Ok(shapes)
}

/// One case's results.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// The shape.
    pub shape: Shape,
    /// Ours.
    pub ours: ours::OursResult,
    /// OpenFHE's entry of the script's output for this shape, if measured.
    pub openfhe: Option<Value>,
}

impl CaseResult {
    /// OpenFHE's median in ms, if measured.
    pub fn openfhe_ms(&self) -> Option<f64> {
        self.openfhe.as_ref()?["relin_ms"].as_f64()
    }
}

/// Everything the plot and the JSON need about the run.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// CPU model and family/model numbers.
    pub cpu: String,
    /// [`timing::measured_ghz`].
    pub clock_ghz: f64,
    /// Our instruction set.
    pub isa: Isa,
    /// UTC date and time of the run, `YYYY-MM-DD HH:MM`.
    pub date: String,
    /// 1-minute load averages at the start and the end (other work on the machine).
    pub load: (Option<f64>, Option<f64>),
    /// `openfhe_version` etc. from the script, or why OpenFHE was not measured.
    pub openfhe: Result<Value, String>,
    /// The `--reps` given.
    pub reps: Option<NonZeroUsize>,
}

/// Runs both sweeps, writes the SVG and the JSON, prints the table or the JSON.
pub fn run(args: &ScalingArgs) -> CliResult {
    let isa = match args.isa {
        Some(isa) => isa_select::resolve(&[isa])?[0],
        None => Isa::detect(),
    };
    let shapes = grid(args)?;
    let load_start = machine::load_average();
    let clock_ghz = timing::measured_ghz();
    let mut ours = Vec::with_capacity(shapes.len());
    for shape in &shapes {
        if !args.json {
            eprintln!(
                "ours: n = 2^{}, {} Q + {} P limbs, dnum {} …",
                shape.log_n, shape.q_limbs, shape.p_limbs, shape.dnum
            );
        }
        ours.push(ours::measure(shape, isa, args.reps)?);
    }
    let peer = if args.no_openfhe {
        Err("not requested (--no-openfhe)".to_string())
    } else {
        let python = args.openfhe_python.clone().unwrap_or_else(default_python);
        let script = args.openfhe_script.clone().unwrap_or_else(default_script);
        if !args.json {
            eprintln!(
                "OpenFHE: {} {} ({} cases) …",
                python.display(),
                script.display(),
                shapes.len()
            );
        }
        openfhe::measure(&python, &script, &shapes, args.reps)
    };
    if let Err(why) = &peer {
        eprintln!("ckks-accel: OpenFHE not measured: {why}");
    }
    let (openfhe_info, openfhe_cases) = match peer {
        Ok((info, cases)) => (Ok(info), cases.into_iter().map(Some).collect()),
        Err(why) => (Err(why), vec![None; shapes.len()]),
    };
    let results: Vec<CaseResult> = shapes
        .into_iter()
        .zip(ours)
        .zip(openfhe_cases)
        .map(|((shape, ours), openfhe)| CaseResult {
            shape,
            ours,
            openfhe,
        })
        .collect();
    let info = RunInfo {
        cpu: machine::cpu_label(),
        clock_ghz,
        isa,
        date: machine::utc_now(),
        load: (load_start, machine::load_average()),
        openfhe: openfhe_info,
        reps: args.reps,
    };
    let out = report::to_json(&results, &info);
    let json_path = args.svg.with_extension("json");
    if let Some(dir) = args.svg.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    plot::write_svg(&args.svg, &results, &info)?;
    std::fs::write(&json_path, serde_json::to_string_pretty(&out)? + "\n")
        .map_err(|e| format!("writing {}: {e}", json_path.display()))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        report::print_table(&results, &info);
        println!("wrote {} and {}", args.svg.display(), json_path.display());
    }
    Ok(())
}

/// `$OPENFHE_VENV/bin/python`, else `~/.cache/ckks-accel-peers/openfhe-venv/bin/python` (the
/// venv `shared/peers/openfhe/run.sh` creates).
fn default_python() -> PathBuf {
    let venv = std::env::var_os("OPENFHE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home =
                std::env::var_os("HOME").map_or_else(|| PathBuf::from("/root"), PathBuf::from);
            home.join(".cache/ckks-accel-peers/openfhe-venv")
        });
    venv.join("bin/python")
}

/// `scripts/openfhe_relin_scaling.py` of the source tree this binary was built from.
fn default_script() -> PathBuf {
    let cli_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    cli_dir
        .parent()
        .unwrap_or(cli_dir)
        .join("scripts/openfhe_relin_scaling.py")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ckks_accel::keyswitch::ReferenceSet;

    fn args(extra: &[&str]) -> ScalingArgs {
        use clap::Parser;
        #[derive(Parser)]
        struct Wrap {
            #[command(flatten)]
            a: ScalingArgs,
        }
        let mut argv = vec!["x"];
        argv.extend_from_slice(extra);
        Wrap::parse_from(argv).a
    }

    #[test]
    fn default_grid_contains_sets_s_and_l_exactly() {
        let shapes = grid(&args(&[])).unwrap();
        assert_eq!(shapes.len(), 10);
        let find = |sweep, log_n, q_limbs| {
            shapes
                .iter()
                .find(|s| s.sweep == sweep && s.log_n == log_n && s.q_limbs == q_limbs)
                .unwrap()
        };
        for (shape, set) in [
            (find(Sweep::Limbs, 16, 20), ReferenceSet::L),
            (find(Sweep::Degree, 14, 6), ReferenceSet::S),
        ] {
            let want = set.primes().unwrap();
            let (q, p) = shape.primes().unwrap();
            assert_eq!((q, p, shape.dnum), (want.q, want.p, want.dnum), "{set}");
        }
    }

    #[test]
    fn short_chains_lower_dnum_and_say_so() {
        let shapes = grid(&args(&["--limbs", "2", "--log-n", "12"])).unwrap();
        assert_eq!(shapes[0].dnum, 2);
        assert!(
            shapes[0]
                .adjusted
                .as_deref()
                .unwrap()
                .contains("dnum 4 -> 2")
        );
        assert!(grid(&args(&["--limbs", "0"])).is_err());
        assert!(grid(&args(&["--log-n", "20"])).is_err());
    }

    #[test]
    fn primes_are_distinct_and_sized() {
        let shape = &grid(&args(&["--limbs", "8", "--limbs-log-n", "12"])).unwrap()[0];
        let (q, p) = shape.primes().unwrap();
        assert_eq!((q.len(), p.len()), (8, 5));
        assert_eq!(64 - q[0].leading_zeros(), 60);
        assert!(q[1..].iter().all(|x| 64 - x.leading_zeros() == 50));
        assert!(
            p.iter()
                .all(|x| 64 - x.leading_zeros() == 61 && !q.contains(x))
        );
    }
}
