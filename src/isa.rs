//! Instruction-set selection: detect once, dispatch per plan or call, never per element.
//!
//! [`Isa::detect`] returns the best instruction set this CPU offers, found once with
//! `cpufeatures` and cached. It can be capped at run time with the environment variable
//! `CKKS_ACCEL_ISA=scalar|avx2|avx512|avx512ifma` (read once, at the first detection): the
//! library then uses the lower of the cap and what the CPU has, and if the cap names an
//! instruction set the CPU lacks it **falls back to the best available one with a warning on
//! stderr** (it never executes an unsupported instruction). The CLI is stricter and refuses.
//!
//! Under valgrind, which emulates no AVX-512, CPUID reports no AVX-512 and detection lands on
//! AVX2 by itself.
//!
//! With the cargo feature `force-scalar` every SIMD path is compiled out and
//! [`Isa::detect`] is always [`Isa::Scalar`].

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

/// The instruction sets the kernels are written for, in increasing order of capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Isa {
    /// Portable Rust with `u128` arithmetic: the reference every other path is checked against.
    Scalar,
    /// AVX2, 4 × u64 lanes; 64×64→128 products built from `vpmuludq`.
    Avx2,
    /// AVX-512 F+DQ+VL, 8 × u64 lanes; `vpmullq` for low products, high products from `vpmuludq`.
    Avx512,
    /// AVX-512 IFMA, 8 × 52-bit lanes (`vpmadd52luq` / `vpmadd52huq`); only for q < 2^50.
    Avx512Ifma,
}

/// Name of the environment variable that caps the detected instruction set.
pub const ISA_ENV_VAR: &str = "CKKS_ACCEL_ISA";

impl Isa {
    /// All instruction sets, lowest first.
    pub const ALL: [Isa; 4] = [Isa::Scalar, Isa::Avx2, Isa::Avx512, Isa::Avx512Ifma];

    /// The best instruction set of this CPU and build, capped by `CKKS_ACCEL_ISA` if set.
    /// Detected once; later calls are a load.
    pub fn detect() -> Isa {
        static DETECTED: OnceLock<Isa> = OnceLock::new();
        *DETECTED.get_or_init(|| {
            let best = Self::best_available();
            match Self::from_env() {
                Ok(None) => best,
                Ok(Some(cap)) if cap <= best => cap,
                Ok(Some(cap)) => {
                    eprintln!(
                        "ckks-accel: warning: {ISA_ENV_VAR}={cap} is not available here; using {best}"
                    );
                    best
                }
                Err(e) => {
                    eprintln!("ckks-accel: warning: ignoring {ISA_ENV_VAR}: {e}; using {best}");
                    best
                }
            }
        })
    }

    /// Every instruction set usable on this CPU and build (ignoring the environment cap),
    /// best last. Always starts with [`Isa::Scalar`].
    pub fn available() -> Vec<Isa> {
        Isa::ALL
            .into_iter()
            .filter(|isa| isa.is_available())
            .collect()
    }

    /// Whether this CPU and build can run kernels of this instruction set.
    pub fn is_available(self) -> bool {
        match self {
            Isa::Scalar => true,
            #[cfg(simd)]
            Isa::Avx2 => cpuid_avx2::get(),
            #[cfg(simd)]
            Isa::Avx512 => cpuid_avx512::get(),
            #[cfg(simd)]
            Isa::Avx512Ifma => cpuid_avx512ifma::get(),
            #[cfg(not(simd))]
            _ => false,
        }
    }

    /// The cap named by `CKKS_ACCEL_ISA`, if the variable is set (and not empty).
    pub fn from_env() -> Result<Option<Isa>, ParseIsaError> {
        match std::env::var(ISA_ENV_VAR) {
            Ok(s) if !s.trim().is_empty() => s.parse().map(Some),
            _ => Ok(None),
        }
    }

    /// Number of u64 lanes of one vector register for this instruction set.
    pub fn lanes(self) -> usize {
        match self {
            Isa::Scalar => 1,
            Isa::Avx2 => 4,
            Isa::Avx512 | Isa::Avx512Ifma => 8,
        }
    }

    fn best_available() -> Isa {
        *Self::available()
            .last()
            .expect("scalar is always available")
    }
}

impl fmt::Display for Isa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Isa::Scalar => "scalar",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
            Isa::Avx512Ifma => "avx512ifma",
        })
    }
}

/// A string that names no instruction set (see [`Isa`]'s `FromStr`); converts into
/// [`crate::Error::UnknownIsa`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseIsaError {
    /// The string that was given.
    pub name: String,
}

impl fmt::Display for ParseIsaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown instruction set {:?} (expected scalar, avx2, avx512 or avx512ifma)",
            self.name
        )
    }
}

impl std::error::Error for ParseIsaError {}

impl FromStr for Isa {
    type Err = ParseIsaError;
    /// Parses `scalar`, `avx2`, `avx512`, `avx512ifma` (or `ifma`), ignoring case and
    /// surrounding whitespace.
    fn from_str(s: &str) -> Result<Isa, ParseIsaError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "scalar" => Ok(Isa::Scalar),
            "avx2" => Ok(Isa::Avx2),
            "avx512" => Ok(Isa::Avx512),
            "avx512ifma" | "ifma" => Ok(Isa::Avx512Ifma),
            _ => Err(ParseIsaError {
                name: s.to_string(),
            }),
        }
    }
}

#[cfg(simd)]
cpufeatures::new!(cpuid_avx2, "avx", "avx2");
#[cfg(simd)]
cpufeatures::new!(
    cpuid_avx512,
    "avx",
    "avx2",
    "avx512f",
    "avx512dq",
    "avx512vl"
);
#[cfg(simd)]
cpufeatures::new!(
    cpuid_avx512ifma,
    "avx",
    "avx2",
    "avx512f",
    "avx512dq",
    "avx512vl",
    "avx512ifma"
);

#[cfg(simd)]
pulp::simd_type! {
    /// Proof that AVX2 is available (a zero-sized token; the kernels take it by value).
    pub(crate) struct Avx2Token {
        pub sse: "sse",
        pub sse2: "sse2",
        pub avx: "avx",
        pub avx2: "avx2",
    }

    /// Proof that AVX-512 F, DQ and VL are available.
    pub(crate) struct Avx512Token {
        pub sse: "sse",
        pub sse2: "sse2",
        pub avx: "avx",
        pub avx2: "avx2",
        pub avx512f: "avx512f",
        pub avx512dq: "avx512dq",
        pub avx512vl: "avx512vl",
    }

    /// Proof that AVX-512 F, DQ, VL and IFMA are available.
    pub(crate) struct IfmaToken {
        pub sse: "sse",
        pub sse2: "sse2",
        pub avx: "avx",
        pub avx2: "avx2",
        pub avx512f: "avx512f",
        pub avx512dq: "avx512dq",
        pub avx512vl: "avx512vl",
        pub avx512ifma: "avx512ifma",
    }
}

#[cfg(simd)]
impl IfmaToken {
    /// The AVX-512 token implied by this one.
    #[inline(always)]
    pub(crate) fn avx512(self) -> Avx512Token {
        // SAFETY: an IfmaToken exists only when every Avx512Token feature was detected.
        unsafe { Avx512Token::new_unchecked() }
    }
}
