//! KLSS key switching (Kim, Lee, Seo, Song, CRYPTO 2023, "Accelerating HE operations from key
//! decomposition technique"): the hybrid switch's multiply-accumulate computed over a small
//! auxiliary modulus T, with the switching key itself decomposed.
//!
//! ## Math
//! The hybrid switch ([`super`]) needs, over Q_ℓ ∪ P, `acc = Σ_j d̃_j · k_j` for the β digits
//! d̃_j of the input and the key polynomials k_j (each of b_j, a_j). KLSS splits the primes of
//! Q ∪ P into β̃ **output groups** G_i (consecutive, at most [`MAX_EXACT_SOURCE_LIMBS`] primes,
//! product B_i) and stores, per group and digit, the centered residue `k_{i,j} = [k_j]_{B_i}`
//! (|k_{i,j}| ≤ B_i/2) as a polynomial mod T = t_0⋯t_{α′−1} (NTT form). Then
//!
//! `acc ≡ Σ_j d̃_j · k_{i,j}  (mod B_i)` for every group i,
//!
//! and the right side is a polynomial over Z whose coefficients are bounded by
//! `A_i = Σ_j n · max|d̃_j| · B_i/2`. If `2·A_i < T` it is **recovered exactly** from its
//! residues mod T: MAC over T (β · β̃ · α′ limb products per output polynomial), INTT over T
//! (β̃ · α′), exact conversion T → G_i (centered, [`BasisConverter::exact`]). The digits are
//! the hybrid switch's own (the same fast or exact ModUp, now D_j → T: α′ new limbs instead of
//! ℓ + 1 + |P| − α_j), so the accumulator over Q_ℓ ∪ P — in coefficient form — is **the
//! integer the hybrid switch computes**; the ModDown ([`ModDown::apply_coeff`]) needs no INTT of
//! P. KLSS output is therefore **bit for bit the hybrid output**, and so is its noise: the
//! formula and bound of [`super`] (`σ_ks² = (1 + h)/12 + n·σ_e²·Σ_j E[d̃_j²]/P²`) hold as they
//! are. The tests check the equality word for word at every level, for relinearization and
//! Galois keys, on every ISA.
//!
//! Bounds: fast digits `0 ≤ d̃_j < α_j·D_j`, exact digits `|d̃_j| ≤ D_j/2`; the constructor
//! checks `log2(2·A_i) + 2^−40 margin < log2 T` for every group at the top level (lower levels
//! have fewer or shorter digits) and picks α′ primes below 2^50 (IFMA-friendly), at most
//! [`MAX_EXACT_SOURCE_LIMBS`] of them (the exact conversion's limit).
//!
//! ## Cost (NTTs of one switch, two outputs, ℓ + 1 = l Q limbs, k = |P|)
//! - hybrid: `l` (INTT of d) + `Σ_j (l + k − α_j)` (ModUp) + `2k` (INTT of P) + `2l` (NTT out);
//!   MAC `2·β·(l + k)` limb products, as many key limbs read.
//! - KLSS: `l` + `β·α′` + `2·β̃·α′` (INTT of the T accumulators) + `2l`; MAC `2·β·β̃·α′`.
//!
//! KLSS wins on NTTs when α′ ≪ l + k, i.e. long chains with many digits; it always reads
//! more key (β̃·α′ ≥ (l + k)·log2 T / log2 B_i limbs per digit, ≥ 2× the hybrid's at any
//! bound). [`SwitchCost`] computes both; `ckks-accel bench keyswitch` measures both.
//!
//! ## Code layout
//! This file: [`KlssSwitcher`] (construction, groups, auxiliary primes, costs). `key`:
//! [`KlssKey`] (derived from a hybrid [`SwitchingKey`]). `switch`: [`KlssScratch`] and the
//! switch itself (decompose once, apply per key: hoisting works as for the hybrid switch).

mod key;
mod switch;

pub use key::KlssKey;
pub use switch::KlssScratch;

use super::{KeySwitcher, ModDown, SwitchingKey, fingerprint};
use crate::arith::{IFMA_MODULUS_LIMIT, ntt_primes};
use crate::error::{Error, Result};
use crate::isa::Isa;
use crate::rns::RnsBasis;
use crate::rns::basis_conversion::{BasisConverter, MAX_EXACT_SOURCE_LIMBS};
use std::ops::Range;

/// Tables of one level of the KLSS switch.
#[derive(Debug, Clone)]
struct KlssLevel {
    /// Per active digit: its limbs of Q_ℓ and the conversion D_j → T (fast or exact, as the
    /// hybrid switch's ModUp of that digit).
    digits: Vec<(Range<usize>, BasisConverter)>,
    /// Per output group with a limb in Q_ℓ ∪ P: the group index and the exact conversion
    /// T → the group's active limbs, written at their positions in the Q_ℓ ∪ P layout.
    outs: Vec<(usize, BasisConverter)>,
}

/// KLSS key-switching context over a hybrid [`KeySwitcher`]: same chain, special primes and
/// digits, plus auxiliary primes T and output groups of Q ∪ P.
#[derive(Debug, Clone)]
pub struct KlssSwitcher {
    base: KeySwitcher,
    t: RnsBasis,
    /// Output groups: consecutive limb ranges of Q ∪ P (Q first, then P).
    groups: Vec<Range<usize>>,
    /// `levels[l − 1]` serves inputs with l Q limbs.
    levels: Vec<KlssLevel>,
    /// MAC kernels, one per prime of T.
    dots: Vec<super::LimbDot>,
    /// A fingerprint of (T, groups, the base switcher's Q, P, dnum) carried by every KLSS key.
    id: u64,
}

/// Operation counts of one key switch (two output polynomials), for comparing methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwitchCost {
    /// Forward plus inverse NTTs of one limb.
    pub ntts: usize,
    /// Limb products of the multiply-accumulate (each reads one key limb).
    pub mac_limbs: usize,
    /// Source × target limb pairs of the basis conversions.
    pub conversion_limbs: usize,
    /// Bytes of key read by one switch.
    pub key_bytes_read: usize,
    /// Bytes one switch streams if nothing stays in cache: the key, the input (read, and its
    /// coefficient-form copy written and read), every intermediate polynomial (decomposition,
    /// accumulators) written once and read once, and the outputs written — an upper bound on
    /// its memory traffic.
    pub bytes_streamed: usize,
}

impl SwitchCost {
    /// A time estimate from per-operation costs (ns per NTT of one limb, per MAC limb product,
    /// per conversion limb pair) — e.g. measured by `ckks-accel bench keyswitch`.
    pub fn predict_ns(&self, ntt_ns: f64, mac_limb_ns: f64, conversion_limb_ns: f64) -> f64 {
        self.ntts as f64 * ntt_ns
            + self.mac_limbs as f64 * mac_limb_ns
            + self.conversion_limbs as f64 * conversion_limb_ns
    }
}

/// Measured time of one operation of each kind, for [`SwitchCost::predict_ns`]-style choices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OpCosts {
    /// ns per NTT or INTT of one limb.
    pub ntt_ns: f64,
    /// ns per MAC limb product.
    pub mac_limb_ns: f64,
    /// ns per conversion source × target limb pair.
    pub conversion_limb_ns: f64,
}

impl OpCosts {
    /// The per-operation costs of a timed profile ([`crate::profile::ProfileLevel::Timed`]) of
    /// switches whose counts are `cost` per switch.
    pub fn from_profile(p: &crate::profile::Profile, cost: &SwitchCost) -> OpCosts {
        let per = |ns: u64, count: u64| ns as f64 / count.max(1) as f64;
        let switches = p.key_switches.max(1);
        OpCosts {
            ntt_ns: per(p.ntt_ns + p.intt_ns, p.ntt + p.intt),
            mac_limb_ns: per(p.mac_ns, p.mac_limbs),
            conversion_limb_ns: per(p.conv_ns, cost.conversion_limbs as u64 * switches),
        }
    }

    /// Predicted ns of a switch with these counts.
    pub fn predict_ns(&self, cost: &SwitchCost) -> f64 {
        cost.predict_ns(self.ntt_ns, self.mac_limb_ns, self.conversion_limb_ns)
    }
}

/// log2 of a product of primes.
fn log2_product(primes: &[u64]) -> f64 {
    primes.iter().map(|&p| (p as f64).log2()).sum()
}

impl KeySwitcher {
    /// Operation counts of one hybrid switch at `q_len` Q limbs (see [`KlssSwitcher`]'s cost
    /// section).
    pub fn cost(&self, q_len: usize) -> Result<SwitchCost> {
        let level = self.level_for(q_len)?;
        let (l, k) = (q_len, self.p.len());
        let beta = level.mod_ups.len();
        let new: usize = level.mod_ups.iter().map(|u| l + k - u.digit.len()).sum();
        let conv: usize = level
            .mod_ups
            .iter()
            .map(|u| u.digit.len() * (l + k - u.digit.len()))
            .sum();
        Ok(SwitchCost {
            ntts: l + new + 2 * k + 2 * l,
            mac_limbs: 2 * beta * (l + k),
            conversion_limbs: conv + 2 * k * l,
            key_bytes_read: 2 * beta * (l + k) * self.n * 8,
            // input + coefficient copy (w + r) + decomposition (w + r) + key + accumulators
            // (w + r) + outputs.
            bytes_streamed: (3 * l + 2 * beta * (l + k) + 2 * beta * (l + k) + 4 * (l + k) + 2 * l)
                * self.n
                * 8,
        })
    }
}

impl KlssSwitcher {
    /// A KLSS context over `base` with output groups of `group_limbs` consecutive primes of
    /// Q ∪ P and the fewest auxiliary primes below 2^50 (distinct from Q ∪ P) that keep the
    /// accumulators exact. Errors ([`Error::InvalidKeySwitchParams`]) if that takes more than
    /// [`MAX_EXACT_SOURCE_LIMBS`] primes — use smaller groups.
    pub fn new(base: &KeySwitcher, group_limbs: usize) -> Result<KlssSwitcher> {
        let groups = Self::check_groups(base, group_limbs)?;
        let need = Self::required_log2_t(base, &groups);
        let n = base.n;
        let pool_len = base.qp.len() + MAX_EXACT_SOURCE_LIMBS;
        let pool = ntt_primes(50, n, pool_len)?;
        let mut t = Vec::new();
        for p in pool.into_iter().filter(|p| !base.qp.primes().contains(p)) {
            if log2_product(&t) >= need {
                break;
            }
            t.push(p);
        }
        if log2_product(&t) < need || t.len() > MAX_EXACT_SOURCE_LIMBS {
            return Err(Error::InvalidKeySwitchParams {
                reason: format!(
                    "KLSS with groups of {group_limbs} primes needs T ≥ 2^{need:.1}: more than \
                     {MAX_EXACT_SOURCE_LIMBS} auxiliary primes below 2^50; use smaller groups"
                ),
            });
        }
        Self::build(base, groups, &t)
    }

    /// As [`KlssSwitcher::new`] with the auxiliary primes given (NTT-friendly for n, distinct
    /// from Q ∪ P, at most [`MAX_EXACT_SOURCE_LIMBS`]). Errors if their product is too small
    /// for exact accumulation ("too few auxiliary primes").
    pub fn with_aux_primes(
        base: &KeySwitcher,
        group_limbs: usize,
        aux: &[u64],
    ) -> Result<KlssSwitcher> {
        let groups = Self::check_groups(base, group_limbs)?;
        let need = Self::required_log2_t(base, &groups);
        if aux.is_empty() || aux.len() > MAX_EXACT_SOURCE_LIMBS {
            return Err(Error::InvalidKeySwitchParams {
                reason: format!(
                    "{} auxiliary primes: KLSS takes 1..={MAX_EXACT_SOURCE_LIMBS}",
                    aux.len()
                ),
            });
        }
        let have = log2_product(aux);
        if have < need {
            return Err(Error::InvalidKeySwitchParams {
                reason: format!(
                    "too few auxiliary primes: T = 2^{have:.1}, exact accumulation over groups \
                     of {group_limbs} primes needs T ≥ 2^{need:.1}"
                ),
            });
        }
        Self::build(base, groups, aux)
    }

    fn check_groups(base: &KeySwitcher, group_limbs: usize) -> Result<Vec<Range<usize>>> {
        if group_limbs == 0 || group_limbs > MAX_EXACT_SOURCE_LIMBS {
            return Err(Error::InvalidKeySwitchParams {
                reason: format!(
                    "KLSS output groups of {group_limbs} primes: 1..={MAX_EXACT_SOURCE_LIMBS}"
                ),
            });
        }
        let total = base.qp.len();
        Ok((0..total.div_ceil(group_limbs))
            .map(|i| i * group_limbs..((i + 1) * group_limbs).min(total))
            .collect())
    }

    /// log2 of the smallest T that recovers every group's accumulator exactly (top level, the
    /// largest bound), plus a margin for the exact conversion's rounding window.
    fn required_log2_t(base: &KeySwitcher, groups: &[Range<usize>]) -> f64 {
        let top = &base.levels[base.q.len() - 1];
        let q = base.q.primes();
        // Σ_j n·max|d̃_j| (fast digits: < α_j·D_j; exact: ≤ D_j/2).
        let digit_sum: f64 = top
            .mod_ups
            .iter()
            .map(|u| {
                let d = log2_product(&q[u.digit.clone()]);
                let m = if u.converter().is_exact() {
                    d - 1.0
                } else {
                    d + (u.digit.len() as f64).log2()
                };
                2f64.powf(m - 1000.0)
            })
            .sum::<f64>();
        let log_digits = digit_sum.log2() + 1000.0 + (base.n as f64).log2();
        let widest = groups
            .iter()
            .map(|g| log2_product(&base.qp.primes()[g.clone()]))
            .fold(0.0, f64::max);
        // 2·A_i = 2 · Σ_j n·max|d̃_j| · B_i/2; one more bit keeps it clear of ±T/2.
        log_digits + widest + 1.0
    }

    fn build(base: &KeySwitcher, groups: Vec<Range<usize>>, aux: &[u64]) -> Result<KlssSwitcher> {
        let (n, isa) = (base.n, base.isa());
        if let Some(&p) = aux.iter().find(|p| base.qp.primes().contains(p)) {
            return Err(Error::DuplicatePrime { q: p });
        }
        let t = RnsBasis::with_isa(n, aux, isa)?;
        let (full_q, k) = (base.q.len(), base.p.len());
        let t_pos: Vec<usize> = (0..t.len()).collect();
        let mut levels = Vec::with_capacity(full_q);
        for l in 1..=full_q {
            let hybrid = &base.levels[l - 1];
            let digits = hybrid
                .mod_ups
                .iter()
                .map(|u| {
                    let src = hybrid.q.sub_basis(u.digit.clone());
                    let conv = if u.converter().is_exact() {
                        BasisConverter::exact_with_isa(&src, &t, &t_pos, isa)?
                    } else {
                        BasisConverter::with_isa(&src, &t, &t_pos, isa)?
                    };
                    Ok((u.digit.clone(), conv))
                })
                .collect::<Result<Vec<_>>>()?;
            let mut outs = Vec::new();
            for (gi, g) in groups.iter().enumerate() {
                // Full Q ∪ P index e → position in Q_ℓ ∪ P (None: a dropped Q prime).
                let (idx, pos): (Vec<usize>, Vec<usize>) = g
                    .clone()
                    .filter_map(|e| match e {
                        e if e < l => Some((e, e)),
                        e if e >= full_q => Some((e, l + e - full_q)),
                        _ => None,
                    })
                    .unzip();
                if idx.is_empty() {
                    continue;
                }
                let dst = base.qp.select(&idx);
                outs.push((gi, BasisConverter::exact_with_isa(&t, &dst, &pos, isa)?));
            }
            debug_assert!(outs.iter().map(|(_, c)| c.target_len()).sum::<usize>() == l + k);
            levels.push(KlssLevel { digits, outs });
        }
        let dots = (0..t.len())
            .map(|i| super::LimbDot::new(t.modulus(i), isa))
            .collect::<Result<Vec<_>>>()?;
        let bounds: Vec<u64> = groups.iter().map(|g| g.end as u64).collect();
        let id = fingerprint(aux, &bounds, base.id as usize);
        Ok(KlssSwitcher {
            base: base.clone(),
            t,
            groups,
            levels,
            dots,
            id,
        })
    }

    /// The KLSS grouping (primes per output group, 1..=7) predicted fastest at `q_len` Q limbs
    /// under `costs`, with its predicted ns, or None if no grouping is exact with at most
    /// [`MAX_EXACT_SOURCE_LIMBS`] auxiliary primes. Compare with the hybrid's
    /// `costs.predict_ns(&base.cost(q_len)?)` to choose the method for that level.
    pub fn best_grouping(
        base: &KeySwitcher,
        q_len: usize,
        costs: &OpCosts,
    ) -> Result<Option<(usize, f64)>> {
        base.level_for(q_len)?;
        let mut best: Option<(usize, f64)> = None;
        for g in 1..=MAX_EXACT_SOURCE_LIMBS {
            let Ok(k) = KlssSwitcher::new(base, g) else {
                continue;
            };
            let ns = costs.predict_ns(&k.cost(q_len)?);
            if best.is_none_or(|(_, b)| ns < b) {
                best = Some((g, ns));
            }
        }
        Ok(best)
    }

    /// The hybrid switcher this one extends (its keys are the input of [`KlssSwitcher::derive_key`]).
    pub fn base(&self) -> &KeySwitcher {
        &self.base
    }

    /// The auxiliary primes T.
    pub fn aux_basis(&self) -> &RnsBasis {
        &self.t
    }

    /// The output groups (limb ranges of Q ∪ P).
    pub fn groups(&self) -> &[Range<usize>] {
        &self.groups
    }

    fn level_for(&self, q_len: usize) -> Result<&KlssLevel> {
        self.base.level_for(q_len)?;
        Ok(&self.levels[q_len - 1])
    }

    /// Operation counts of one KLSS switch at `q_len` Q limbs (compare [`KeySwitcher::cost`]).
    pub fn cost(&self, q_len: usize) -> Result<SwitchCost> {
        let level = self.level_for(q_len)?;
        let (l, k, at) = (q_len, self.base.p.len(), self.t.len());
        let (beta, groups) = (level.digits.len(), level.outs.len());
        let up: usize = level.digits.iter().map(|(r, _)| r.len() * at).sum();
        Ok(SwitchCost {
            ntts: l + beta * at + 2 * groups * at + 2 * l,
            mac_limbs: 2 * beta * groups * at,
            conversion_limbs: up + 2 * at * (l + k) + 2 * k * l,
            key_bytes_read: 2 * beta * groups * at * self.base.n * 8,
            // input + coefficient copy (w + r) + digits over T (w + r) + key + T accumulators
            // per group (w + r) + Q_ℓ ∪ P accumulators (w + r) + outputs.
            bytes_streamed: (3 * l
                + 2 * beta * at
                + 2 * beta * groups * at
                + 4 * groups * at
                + 4 * (l + k)
                + 2 * l)
                * self.base.n
                * 8,
        })
    }

    /// The ModDown of level `q_len` (the hybrid's tables).
    fn mod_down(&self, q_len: usize) -> &ModDown {
        &self.base.levels[q_len - 1].mod_down
    }

    /// Errors unless `key` was derived by this switcher.
    fn check_key(&self, key: &KlssKey) -> Result<()> {
        if key.id != self.id {
            return Err(Error::KeyMismatch {
                reason: "KLSS key of other parameters (auxiliary primes, groups, Q, P or dnum)"
                    .into(),
            });
        }
        Ok(())
    }

    /// Errors unless `key` is a hybrid key of the base switcher.
    fn check_base_key(&self, key: &SwitchingKey) -> Result<()> {
        self.base.check_key(key)
    }

    /// The ISA cap the kernels were built with.
    pub fn isa(&self) -> Isa {
        self.base.isa()
    }
}

/// IFMA-friendly auxiliary primes: every prime [`KlssSwitcher::new`] picks is below this.
pub const AUX_PRIME_LIMIT: u64 = IFMA_MODULUS_LIMIT;
