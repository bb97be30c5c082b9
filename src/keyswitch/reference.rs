//! The reference workload shapes (`shared/workloads.md`), realized with this crate's primes
//! (the largest NTT-friendly primes of each size).
//!
//! | set | n | Q chain | P | dnum |
//! |---|---|---|---|---|
//! | S | 2^14 | 60 + 5 × 40 bits | 2 × 61 bits | 3 |
//! | L | 2^16 | 60 + 19 × 50 bits | 5 × 61 bits | 4 |
//!
//! The IFMA-friendly variants keep the same shape with every prime below 2^50
//! (49 bits for the 60-bit first prime, 48/49 bits for P) — reported separately, never in place
//! of the sets above.

use crate::arith::ntt_primes;
use crate::error::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// A reference parameter shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferenceSet {
    /// Set S: n = 2^14, 6 Q primes, 2 special primes, dnum 3.
    S,
    /// Set L: n = 2^16, 20 Q primes, 5 special primes, dnum 4.
    L,
    /// Set S with every prime below 2^50.
    SIfma,
    /// Set L with every prime below 2^50.
    LIfma,
}

/// Concrete primes of a reference shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferencePrimes {
    /// Ring degree.
    pub n: usize,
    /// The Q chain, q_0 first.
    pub q: Vec<u64>,
    /// The special primes.
    pub p: Vec<u64>,
    /// Key-switching digits.
    pub dnum: usize,
    /// log2 of the default scale.
    pub log_scale: u32,
}

impl ReferenceSet {
    /// Generates the primes of this shape (deterministic).
    pub fn primes(self) -> Result<ReferencePrimes> {
        let (log_n, first, rest, count, p_bits, k, dnum, log_scale) = match self {
            ReferenceSet::S => (14, 60, 40, 5, 61, 2, 3, 40),
            ReferenceSet::L => (16, 60, 50, 19, 61, 5, 4, 50),
            ReferenceSet::SIfma => (14, 49, 40, 5, 48, 2, 3, 40),
            ReferenceSet::LIfma => (16, 49, 45, 19, 48, 5, 4, 45),
        };
        let n = 1usize << log_n;
        let mut q = ntt_primes(first, n, 1)?;
        let rest_primes = ntt_primes(rest, n, count + 1)?;
        let head = q[0];
        q.extend(rest_primes.into_iter().filter(|&x| x != head).take(count));
        let p: Vec<u64> = ntt_primes(p_bits, n, k + q.len())?
            .into_iter()
            .filter(|x| !q.contains(x))
            .take(k)
            .collect();
        Ok(ReferencePrimes {
            n,
            q,
            p,
            dnum,
            log_scale,
        })
    }
}

impl fmt::Display for ReferenceSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReferenceSet::S => "S",
            ReferenceSet::L => "L",
            ReferenceSet::SIfma => "S-ifma",
            ReferenceSet::LIfma => "L-ifma",
        })
    }
}

impl FromStr for ReferenceSet {
    type Err = Error;
    fn from_str(s: &str) -> Result<ReferenceSet> {
        match s.trim().to_ascii_uppercase().as_str() {
            "S" => Ok(ReferenceSet::S),
            "L" => Ok(ReferenceSet::L),
            "S-IFMA" | "S_IFMA" | "SIFMA" => Ok(ReferenceSet::SIfma),
            "L-IFMA" | "L_IFMA" | "LIFMA" => Ok(ReferenceSet::LIfma),
            _ => Err(Error::InvalidKeySwitchParams {
                reason: format!("unknown parameter set {s:?} (S, L, S-ifma, L-ifma)"),
            }),
        }
    }
}
