//! CKKS parameters: ring degree, the Q chain, special primes P, key-switching digits, default
//! scale, secret distribution and error width, validated against the HomomorphicEncryption.org
//! security table.

use crate::arith::{Modulus, ntt_primes};
use crate::error::{Error, Result};
use crate::keyswitch::ReferenceSet;
use serde::{Deserialize, Serialize};

/// Most Q primes a parameter set may have (decoding's CRT reconstruction and the format are
/// sized for it). Checked before any prime is generated.
pub const MAX_Q_PRIMES: usize = 64;
/// Most special primes (P) a parameter set may have (exact fast basis conversion bound).
pub const MAX_P_PRIMES: usize = crate::rns::basis_conversion::MAX_SOURCE_LIMBS;
/// Largest ring degree of a CKKS parameter set (the security table ends at 2^17).
pub const MAX_CKKS_RING_DEGREE: usize = 1 << 17;
use std::collections::BTreeMap;

/// Standard deviation of the error distribution (the only value supported).
pub const ERROR_SIGMA: f64 = crate::rns::sampling::SIGMA;

/// Secret-key distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SecretDistribution {
    /// Uniform ternary coefficients in {−1, 0, 1}.
    Ternary,
    /// Ternary with exactly `h` non-zero coefficients (sparse; not covered by the standard
    /// security table, so it needs `allow_insecure` unless h ≥ n/2).
    TernaryHammingWeight(usize),
}

/// Largest log2(QP) for 128-bit classical security with a uniform ternary secret
/// (HomomorphicEncryption.org standard; 2^16 as used by the libraries, 2^17 extrapolated ×2).
pub fn max_log_qp(n: usize) -> Option<u32> {
    match n {
        1024 => Some(27),
        2048 => Some(54),
        4096 => Some(109),
        8192 => Some(218),
        16384 => Some(438),
        32768 => Some(881),
        65536 => Some(1772),
        131072 => Some(3544),
        _ => None,
    }
}

/// Validated CKKS parameters. Build with [`CkksParams::builder`] or [`CkksParams::preset`]
/// (or load with [`CkksParams::from_bytes`]); there is no other way to make one, so every value
/// is validated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CkksParams {
    n: usize,
    q: Vec<u64>,
    p: Vec<u64>,
    dnum: usize,
    log_scale: u32,
    secret: SecretDistribution,
    insecure: bool,
    id: u64,
}

/// Builder for [`CkksParams`].
#[derive(Debug, Clone, Default)]
pub struct CkksParamsBuilder {
    n: Option<usize>,
    q_bits: Vec<u32>,
    p_bits: Vec<u32>,
    q_primes: Option<Vec<u64>>,
    p_primes: Option<Vec<u64>>,
    dnum: Option<usize>,
    log_scale: Option<u32>,
    secret: Option<SecretDistribution>,
    allow_insecure: bool,
}

impl CkksParamsBuilder {
    /// Ring degree n (slots = n/2).
    pub fn ring_degree(mut self, n: usize) -> Self {
        self.n = Some(n);
        self
    }
    /// Bit sizes of the Q chain (q_0 first); primes are generated.
    pub fn q_bits(mut self, bits: &[u32]) -> Self {
        self.q_bits = bits.to_vec();
        self
    }
    /// Bit sizes of the special primes.
    pub fn p_bits(mut self, bits: &[u32]) -> Self {
        self.p_bits = bits.to_vec();
        self
    }
    /// Explicit Q primes (instead of `q_bits`).
    pub fn q_primes(mut self, primes: &[u64]) -> Self {
        self.q_primes = Some(primes.to_vec());
        self
    }
    /// Explicit special primes (instead of `p_bits`).
    pub fn p_primes(mut self, primes: &[u64]) -> Self {
        self.p_primes = Some(primes.to_vec());
        self
    }
    /// Number of key-switching digits.
    pub fn dnum(mut self, dnum: usize) -> Self {
        self.dnum = Some(dnum);
        self
    }
    /// Default scale 2^log_scale.
    pub fn log_scale(mut self, log_scale: u32) -> Self {
        self.log_scale = Some(log_scale);
        self
    }
    /// Secret distribution (default: uniform ternary).
    pub fn secret(mut self, secret: SecretDistribution) -> Self {
        self.secret = Some(secret);
        self
    }
    /// Accept parameters below 128-bit security (tests, experiments).
    pub fn allow_insecure(mut self, allow: bool) -> Self {
        self.allow_insecure = allow;
        self
    }

    /// Validates and generates the primes.
    pub fn build(self) -> Result<CkksParams> {
        let invalid = |reason: String| Err(Error::InvalidParameters { reason });
        let Some(n) = self.n else {
            return invalid("ring degree not set".into());
        };
        crate::ntt::check_ring_degree(n)?;
        if n > MAX_CKKS_RING_DEGREE {
            return Err(Error::InvalidRingDegree {
                n,
                min: crate::ntt::MIN_RING_DEGREE,
                max: MAX_CKKS_RING_DEGREE,
            });
        }
        // Resource caps first: nothing is generated or allocated for an oversized request.
        let q_count = self.q_primes.as_ref().map_or(self.q_bits.len(), Vec::len);
        let p_count = self.p_primes.as_ref().map_or(self.p_bits.len(), Vec::len);
        if q_count > MAX_Q_PRIMES || p_count > MAX_P_PRIMES {
            return invalid(format!(
                "{q_count} Q primes and {p_count} special primes: at most {MAX_Q_PRIMES} and {MAX_P_PRIMES}"
            ));
        }
        let (q, p) = match (self.q_primes, self.p_primes) {
            (Some(q), Some(p)) => (q, p),
            (None, None) => generate_primes(n, &self.q_bits, &self.p_bits)?,
            _ => {
                return invalid("give either bit sizes or explicit primes for both Q and P".into());
            }
        };
        if q.is_empty() || p.is_empty() {
            return invalid("Q and P need at least one prime each".into());
        }
        let all: Vec<u64> = q.iter().chain(&p).copied().collect();
        for (i, &x) in all.iter().enumerate() {
            if all[..i].contains(&x) {
                return Err(Error::DuplicatePrime { q: x });
            }
            let m = Modulus::new(x)?;
            crate::arith::primitive_root_2n(&m, n)?;
        }
        let dnum = self.dnum.unwrap_or(1);
        if dnum == 0 || dnum > q.len() {
            return invalid(format!(
                "dnum = {dnum} must be in 1..={} (the number of Q primes)",
                q.len()
            ));
        }
        let alpha = q.len().div_ceil(dnum);
        if (dnum - 1) * alpha >= q.len() {
            // e.g. 13 primes in 10 digits: ⌈13/10⌉ = 2 primes per digit fill only 7 digits.
            return invalid(format!(
                "dnum = {dnum} leaves empty digits: {} Q primes at {alpha} per digit fill only {}",
                q.len(),
                q.len().div_ceil(alpha)
            ));
        }
        let max_src = crate::rns::basis_conversion::MAX_SOURCE_LIMBS;
        if alpha > max_src || p.len() > max_src {
            return invalid(format!(
                "too few digits: {alpha} primes per digit and {} special primes (at most {max_src} each)",
                p.len()
            ));
        }
        if dnum > max_src {
            return invalid(format!(
                "dnum = {dnum}: at most {max_src} key-switching digits"
            ));
        }
        let log2 = |ps: &[u64]| ps.iter().map(|&x| (x as f64).log2()).sum::<f64>();
        let log_p = log2(&p);
        let max_digit = (0..dnum)
            .map(|j| log2(&q[j * alpha..((j + 1) * alpha).min(q.len())]))
            .fold(0.0, f64::max);
        if log_p + 1.0 < max_digit {
            return invalid(format!(
                "special primes too small: log2(P) = {log_p:.1} < log2 of the largest digit = {max_digit:.1}"
            ));
        }
        let log_scale = self.log_scale.unwrap_or(40);
        let q0_bits = 64 - q[0].leading_zeros();
        if log_scale == 0 || log_scale >= q0_bits {
            return invalid(format!(
                "scale 2^{log_scale} must be below q_0 ({q0_bits} bits)"
            ));
        }
        if let Some(&big) = q[1..]
            .iter()
            .find(|&&x| (x as f64).log2() + 1.0 < log_scale as f64)
        {
            return invalid(format!(
                "scale 2^{log_scale} is too large for the rescaling prime {big} ({:.1} bits)",
                (big as f64).log2()
            ));
        }
        let secret = self.secret.unwrap_or(SecretDistribution::Ternary);
        if let SecretDistribution::TernaryHammingWeight(h) = secret
            && (h == 0 || h > n)
        {
            return invalid(format!("Hamming weight {h} must be in 1..={n}"));
        }
        let log_qp = log2(&q) + log_p;
        let bound = max_log_qp(n);
        let sparse = matches!(secret, SecretDistribution::TernaryHammingWeight(h) if h < n / 2);
        let secure = !sparse && bound.is_some_and(|b| log_qp <= b as f64);
        if !secure && !self.allow_insecure {
            return Err(Error::InsecureParameters {
                log_qp,
                max_log_qp: bound.unwrap_or(0),
                n,
            });
        }
        let mut params = CkksParams {
            n,
            q,
            p,
            dnum,
            log_scale,
            secret,
            insecure: !secure,
            id: 0,
        };
        params.id = params.fingerprint();
        Ok(params)
    }
}

/// Distinct NTT-friendly primes for the requested sizes (Q first, then P, largest first).
fn generate_primes(n: usize, q_bits: &[u32], p_bits: &[u32]) -> Result<(Vec<u64>, Vec<u64>)> {
    let mut need: BTreeMap<u32, usize> = BTreeMap::new();
    for &b in q_bits.iter().chain(p_bits) {
        *need.entry(b).or_default() += 1;
    }
    let mut pools: BTreeMap<u32, std::vec::IntoIter<u64>> = BTreeMap::new();
    for (&b, &count) in &need {
        pools.insert(b, ntt_primes(b, n, count)?.into_iter());
    }
    let mut take = |b: u32| {
        pools
            .get_mut(&b)
            .and_then(Iterator::next)
            .expect("pool sized for every request")
    };
    let q = q_bits.iter().map(|&b| take(b)).collect();
    let p = p_bits.iter().map(|&b| take(b)).collect();
    Ok((q, p))
}

/// Named parameter presets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Preset {
    /// Set S of the reference workloads.
    S,
    /// Set L of the reference workloads.
    L,
    /// Set S with every prime below 2^50 (IFMA-friendly).
    SIfma,
    /// Set L with every prime below 2^50 (IFMA-friendly).
    LIfma,
}

impl std::str::FromStr for Preset {
    type Err = Error;
    fn from_str(s: &str) -> Result<Preset> {
        Ok(match s.parse::<ReferenceSet>()? {
            ReferenceSet::S => Preset::S,
            ReferenceSet::L => Preset::L,
            ReferenceSet::SIfma => Preset::SIfma,
            ReferenceSet::LIfma => Preset::LIfma,
        })
    }
}

impl std::fmt::Display for Preset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r: ReferenceSet = (*self).into();
        r.fmt(f)
    }
}

impl From<Preset> for ReferenceSet {
    fn from(p: Preset) -> ReferenceSet {
        match p {
            Preset::S => ReferenceSet::S,
            Preset::L => ReferenceSet::L,
            Preset::SIfma => ReferenceSet::SIfma,
            Preset::LIfma => ReferenceSet::LIfma,
        }
    }
}

impl CkksParams {
    /// A builder.
    pub fn builder() -> CkksParamsBuilder {
        CkksParamsBuilder::default()
    }

    /// The reference sets of `shared/workloads.md` (and their IFMA-friendly variants).
    pub fn preset(preset: Preset) -> Result<CkksParams> {
        let r = ReferenceSet::from(preset).primes()?;
        CkksParams::builder()
            .ring_degree(r.n)
            .q_primes(&r.q)
            .p_primes(&r.p)
            .dnum(r.dnum)
            .log_scale(r.log_scale)
            .build()
    }

    fn fingerprint(&self) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |x: u64| {
            for b in x.to_le_bytes() {
                h ^= b as u64;
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
        };
        eat(self.n as u64);
        self.q.iter().for_each(|&x| eat(x));
        eat(u64::MAX);
        self.p.iter().for_each(|&x| eat(x));
        eat(self.dnum as u64);
        eat(self.log_scale as u64);
        eat(match self.secret {
            SecretDistribution::Ternary => 0,
            SecretDistribution::TernaryHammingWeight(h) => 1 + h as u64,
        });
        eat(ERROR_SIGMA.to_bits());
        h
    }

    /// Stable identifier (FNV-1a of every field) carried by keys and ciphertexts.
    pub fn id(&self) -> u64 {
        self.id
    }
    /// Ring degree.
    pub fn n(&self) -> usize {
        self.n
    }
    /// Number of complex slots (n/2).
    pub fn slots(&self) -> usize {
        self.n / 2
    }
    /// The Q chain.
    pub fn q(&self) -> &[u64] {
        &self.q
    }
    /// The special primes.
    pub fn p(&self) -> &[u64] {
        &self.p
    }
    /// Key-switching digits.
    pub fn dnum(&self) -> usize {
        self.dnum
    }
    /// Highest level (number of Q primes − 1).
    pub fn max_level(&self) -> usize {
        self.q.len() - 1
    }
    /// Default scale 2^log_scale.
    pub fn default_scale(&self) -> f64 {
        2f64.powi(self.log_scale as i32)
    }
    /// log2 of the default scale.
    pub fn log_scale(&self) -> u32 {
        self.log_scale
    }
    /// The secret distribution.
    pub fn secret_distribution(&self) -> SecretDistribution {
        self.secret
    }
    /// Whether the set was accepted below 128-bit security.
    pub fn is_insecure(&self) -> bool {
        self.insecure
    }
    /// log2 of QP.
    pub fn log_qp(&self) -> f64 {
        self.q
            .iter()
            .chain(&self.p)
            .map(|&x| (x as f64).log2())
            .sum()
    }
}
