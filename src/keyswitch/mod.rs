//! Hybrid key switching (GHS / Han–Ki, as in Lattigo and OpenFHE): the relinearization and
//! rotation bottleneck of CKKS.
//!
//! ## Math
//! The chain Q = q_0…q_L is split into `dnum` digits D_j of α = ⌈(L+1)/dnum⌉ consecutive primes;
//! P = p_0…p_{k−1} are the special primes. A switching key from s′ to s holds, per digit,
//! `(b_j, a_j) = (−a_j·s + e_j + P·[Q/D_j]·[(Q/D_j)^{−1}]_{D_j}·s′, a_j)` over Q ∪ P in evaluation
//! form. The gadget factor is P mod q_i for q_i ∈ D_j and 0 elsewhere, so the same key serves
//! every level ℓ (restricted to Q_ℓ ∪ P).
//!
//! To switch d (evaluation form over Q_ℓ): INTT d; per active digit, ModUp its limbs to
//! Q_ℓ ∪ P (the digit's own limbs are copied from d, already in evaluation form) and NTT the new
//! limbs — this is the **decomposition**, computed once and reusable (hoisting); then
//! `c0 = ModDown(Σ_j d̃_j ⊙ b_j)`, `c1 = ModDown(Σ_j d̃_j ⊙ a_j)`, so that
//! `c0 + c1·s ≈ d·s′ (mod Q_ℓ)`. For a rotation, each decomposed digit is permuted by the
//! automorphism before the multiply-accumulate ([`KeySwitcher::apply`]).
//!
//! ## Noise
//! `c0 + c1·s − d·s′ = Σ_j d̃_j·e_j / P + r0 + r1·s` per coefficient: the digits d̃_j times the
//! keys' Gaussian errors (σ_e = 3.2) divided by P, and ModDown's rounding r0, r1 ∈ [−1/2, 1/2]
//! — **exact and round-to-nearest** (see [`crate::rns::basis_conversion`]), so zero-mean with
//! variance 1/12. The digits: with the fast ModUp, `d̃_j = [d]_{D_j} + u·D_j` ≥ 0 has mean
//! ≈ (α_j + 1)·D_j/2, so Σ_j d̃_j·e_j/P carries a fixed offset ≈ mean·(Σ e_j)/P that every switch
//! with the same key repeats (E[d̃_j²] ≤ (α_j/12 + α_j²/4)·D_j²). When that offset,
//! ((α + 1)/2)·(D_max/P)·σ_e·√n, could reach 1/16 (P not much larger than the digits), the
//! switcher uses the exact ModUp instead: centered digits in [−D_j/2, D_j/2], zero mean,
//! E[d̃_j²] = D_j²/12. At sets S and L the offset is ~2^−13 / 2^−36 and the fast ModUp stays.
//! With h the nonzero coefficients of the ternary s:
//!
//! `σ_ks² = (1 + h)/12 + n·σ_e²·Σ_j E[d̃_j²]/P²` ([`KeySwitcher::expected_noise_std`]).
//!
//! The rounding term dominates at the reference sets (P ≥ the largest digit): at set S
//! (n = 2^14, h ≈ 2n/3) σ_ks ≈ √((1 + 10923)/12) ≈ 30.2 = 2^4.9; at set L ≈ 60 = 2^5.9 — one
//! key switch adds about as much noise as one rescale's rounding, never a systematic part.
//! The worst case is [`KeySwitcher::noise_bound`]. Tests measure the std (within 2^0.25 of σ_ks),
//! the max (≤ 6.5·σ_ks) and the mean (zero within 5 standard errors) with
//! [`KeySwitcher::measure_noise`]; `ckks-accel bench keyswitch` prints them. (Before the exact
//! ModDown the fast conversion's floor and one-sided u·P made r0, r1 ≈ −(|P| + 1)/2 on average:
//! a constant-sign polynomial in every switch.)
//!
//! ## Memory
//! All work buffers live in a caller-owned [`KeySwitchScratch`] (64-byte aligned, sized once
//! for the top level); [`KeySwitcher::switch`] allocates nothing.
//!
//! ## Example
//! A relinearization-style key s² → s at a toy size, one switch, its measured noise:
//! ```
//! use ckks_accel::arith::ntt_primes;
//! use ckks_accel::keyswitch::KeySwitcher;
//! use ckks_accel::rns::{Representation, RnsPoly, sampling};
//! use rand_chacha::ChaCha20Rng;
//! use rand_core::SeedableRng;
//!
//! let n = 1 << 10;
//! let (q, p) = (ntt_primes(40, n, 3)?, ntt_primes(50, n, 1)?);
//! let ks = KeySwitcher::new(n, &q, &p, 3)?;
//! let mut rng = ChaCha20Rng::seed_from_u64(1);
//! let coeffs = sampling::ternary_coeffs(n, None, &mut rng);
//! let h = coeffs.iter().filter(|&&c| c != 0).count();
//! let mut s = sampling::from_signed(ks.qp_basis(), &coeffs);
//! s.ntt(ks.qp_basis())?;
//! let mut s2 = s.clone();
//! s2.mul_assign(&s, ks.qp_basis())?;
//! let key = ks.generate_key(&s2, &s, &mut rng)?;
//!
//! let d = sampling::uniform(ks.q_basis(), Representation::Evaluation, &mut rng);
//! let mut c0 = RnsPoly::zero(ks.q_basis(), Representation::Evaluation);
//! let mut c1 = c0.clone();
//! let mut scratch = ks.scratch();
//! ks.switch(&d, &key, &mut c0, &mut c1, &mut scratch)?; // c0 + c1·s ≈ d·s²
//! let noise = ks.measure_noise(&c0, &c1, &s, &d, &s2)?;
//! assert!(noise.max_abs <= ks.noise_bound(h));
//! assert!(noise.std < 2.0 * ks.expected_noise_std(q.len(), h)?);
//! # Ok::<(), ckks_accel::Error>(())
//! ```
//!
//! ## Code layout
//! This file: [`KeySwitcher`] (construction, accessors, levels) and the orchestration
//! ([`KeySwitcher::switch`] = decompose + [`KeySwitcher::apply`]). `scratch`:
//! [`KeySwitchScratch`]; one file per step of the switch — `mod_up`: [`ModUp`] (digit
//! conversion) and [`Decomposition`] (with the NTTs of the new limbs); `accumulate`: the MAC
//! over digits ([`LimbDot`]) and double hoisting; `mod_down`: [`ModDown`] (INTTs, exact
//! conversion, NTTs); `mod_down_rescale`: [`ModDownRescale`], ModDown and the following rescale
//! as one division ([`KeySwitcher::switch_rescale`]); `fused`: the one-thread data flows that
//! interleave decomposition and MAC per limb ([`Fusion`]); `keygen`: [`SwitchingKey`] and its
//! generation; `seeded`: compressed keys; `noise`: expected, worst-case and measured noise;
//! `reference`: the reference sets; `klss`: the KLSS method ([`KlssSwitcher`]: the same
//! switch with the MAC over auxiliary primes, keys derived from the hybrid ones, and the cost
//! model [`SwitchCost`] / [`OpCosts`] that compares the two methods per level).
//!
//! ## Which method
//! Measured (docs/benchmarks.md, "Key-switching methods"): at sets S and L the hybrid switch
//! is faster — KLSS needs more NTTs there (73 vs 40 at S, 438 vs 150 at L: with |P| ≈ one
//! digit the hybrid ModUp is already short) and reads 2.5–7× more key. KLSS only cuts NTTs
//! for long chains with many digits, where its MAC's key stream grows instead; use
//! [`KlssSwitcher::best_grouping`] with measured [`OpCosts`] to decide for other parameters.

mod accumulate;
mod fused;
mod keygen;
mod klss;
mod mod_down;
mod mod_down_rescale;
mod mod_up;
mod noise;
mod reference;
mod scratch;
mod seeded;

pub use accumulate::LimbDot;
pub use keygen::SwitchingKey;
pub use klss::{AUX_PRIME_LIMIT, KlssKey, KlssScratch, KlssSwitcher, OpCosts, SwitchCost};
pub use mod_down::ModDown;
pub use mod_down_rescale::ModDownRescale;
pub use mod_up::{Decomposition, ModUp};
pub use reference::{ReferencePrimes, ReferenceSet};
pub use scratch::{Fusion, KeySwitchScratch};
pub use seeded::SEED_LEN;

use crate::error::{Error, Result};
use crate::isa::Isa;
use crate::profile::Section;
use crate::rns::{Automorphism, Representation, RnsBasis, RnsPoly, sampling};
use std::ops::Range;

/// Tables of one level (number of Q limbs).
#[derive(Debug, Clone)]
struct Level {
    /// Q_ℓ ∪ P.
    ext: RnsBasis,
    q: RnsBasis,
    mod_ups: Vec<ModUp>,
    mod_down: ModDown,
    /// ModDown fused with the rescale to the level below (None at one Q limb, or with more
    /// special primes than the exact conversion takes).
    mod_down_rescale: Option<ModDownRescale>,
}

/// Key-switching context for a modulus chain Q, special primes P and a digit count.
#[derive(Debug, Clone)]
pub struct KeySwitcher {
    n: usize,
    q: RnsBasis,
    p: RnsBasis,
    qp: RnsBasis,
    dnum: usize,
    alpha: usize,
    /// `levels[l − 1]` serves inputs with l Q limbs.
    levels: Vec<Level>,
    /// Lazy multiply-accumulate kernels, one per prime of Q ∪ P.
    dots: Vec<LimbDot>,
    /// A fingerprint of (Q, P, dnum) carried by every key.
    id: u64,
    /// The ISA cap the kernels were built with.
    isa: Isa,
}

fn fingerprint(q: &[u64], p: &[u64], dnum: usize) -> u64 {
    // FNV-1a over the primes and dnum: stable across runs and platforms.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &x in q.iter().chain(p).chain(std::iter::once(&(dnum as u64))) {
        for b in x.to_le_bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

impl KeySwitcher {
    /// A context for chain `q` (all levels), special primes `p` and `dnum` digits, kernels on
    /// the best ISA of this CPU.
    pub fn new(n: usize, q: &[u64], p: &[u64], dnum: usize) -> Result<KeySwitcher> {
        Self::with_isa(n, q, p, dnum, Isa::detect())
    }

    /// As [`KeySwitcher::new`] with every kernel capped at `isa`.
    pub fn with_isa(n: usize, q: &[u64], p: &[u64], dnum: usize, isa: Isa) -> Result<KeySwitcher> {
        if q.is_empty() || p.is_empty() {
            return Err(Error::InvalidKeySwitchParams {
                reason: "Q and P must be non-empty".into(),
            });
        }
        if dnum == 0 || dnum > q.len() {
            return Err(Error::InvalidKeySwitchParams {
                reason: format!("dnum = {dnum} must be in 1..={}", q.len()),
            });
        }
        let alpha = q.len().div_ceil(dnum);
        // Per conversion at most MAX_SOURCE_LIMBS sources (digit limbs, or P for ModDown), and
        // the digit MAC sums at most that many digits.
        let digits = q.len().div_ceil(alpha);
        let max = crate::rns::basis_conversion::MAX_SOURCE_LIMBS;
        if alpha > max || p.len() > max {
            return Err(Error::TooManySourceLimbs {
                count: alpha.max(p.len()),
                max,
            });
        }
        if digits > max {
            return Err(Error::InvalidKeySwitchParams {
                reason: format!("{digits} key-switching digits: at most {max}"),
            });
        }
        let qb = RnsBasis::with_isa(n, q, isa)?;
        let pb = RnsBasis::with_isa(n, p, isa)?;
        let qp = qb.concat(&pb)?;
        // Centered (exact) ModUp only where the fast digits' fixed offset
        // ((α + 1)/2)·(D/P)·σ_e·√n could reach 1/16 of a rounding unit; at sets S and L it is
        // ~2^−13 and 2^−36, so they keep the cheaper fast ModUp.
        let log2 = |ps: &[u64]| ps.iter().map(|&x| (x as f64).log2()).sum::<f64>();
        let d_max = q.chunks(alpha).map(log2).fold(0.0, f64::max);
        let offset = (alpha as f64 + 1.0) / 2.0
            * 2f64.powf(d_max - log2(p))
            * sampling::SIGMA
            * (n as f64).sqrt();
        let exact_up = offset >= 1.0 / 16.0;
        let mut levels = Vec::with_capacity(q.len());
        for l in 1..=q.len() {
            let ql = qb.prefix(l);
            let ext = ql.concat(&pb)?;
            let mod_ups = (0..l.div_ceil(alpha))
                .map(|j| {
                    ModUp::with_options(&ext, j * alpha..((j + 1) * alpha).min(l), exact_up, isa)
                })
                .collect::<Result<Vec<_>>>()?;
            let mod_down = ModDown::with_isa(&ql, &pb, isa)?;
            let mod_down_rescale = ModDownRescale::supported(l, pb.len())
                .then(|| ModDownRescale::with_isa(&ql, &pb, isa))
                .transpose()?;
            levels.push(Level {
                ext,
                q: ql,
                mod_ups,
                mod_down,
                mod_down_rescale,
            });
        }
        let dots = (0..qp.len())
            .map(|i| LimbDot::new(qp.modulus(i), isa))
            .collect::<Result<Vec<_>>>()?;
        Ok(KeySwitcher {
            n,
            q: qb,
            p: pb,
            qp,
            dnum,
            alpha,
            levels,
            dots,
            id: fingerprint(q, p, dnum),
            isa,
        })
    }

    /// The ISA cap the kernels were built with (each kernel runs on the best ISA up to it that
    /// its modulus allows).
    pub fn isa(&self) -> Isa {
        self.isa
    }

    /// Ring degree.
    pub fn n(&self) -> usize {
        self.n
    }

    /// The full chain Q.
    pub fn q_basis(&self) -> &RnsBasis {
        &self.q
    }

    /// The special primes P.
    pub fn p_basis(&self) -> &RnsBasis {
        &self.p
    }

    /// Q ∪ P (keys and secrets for key generation live here).
    pub fn qp_basis(&self) -> &RnsBasis {
        &self.qp
    }

    /// Number of digits.
    pub fn dnum(&self) -> usize {
        self.dnum
    }

    /// Primes per digit.
    pub fn alpha(&self) -> usize {
        self.alpha
    }

    /// Limb ranges of the digits at a level with `q_len` Q limbs.
    pub fn digit_ranges(&self, q_len: usize) -> Vec<Range<usize>> {
        self.levels[q_len - 1]
            .mod_ups
            .iter()
            .map(|m| m.digit.clone())
            .collect()
    }

    fn check_key(&self, key: &SwitchingKey) -> Result<()> {
        if key.id != self.id || key.b.len() != self.dnum {
            return Err(Error::KeyMismatch {
                reason: format!(
                    "key has {} digits and another parameter fingerprint",
                    key.b.len()
                ),
            });
        }
        Ok(())
    }

    /// `(out0, out1) = σ(ModDown(Σ_j d̃_j ⊙ key_j))` for a decomposition. Without `auto` this is a
    /// plain key switch; with `auto`, `key` must be the Galois key of that automorphism made by
    /// [`KeySwitcher::generate_galois_key`] (stored permuted by σ^{−1}, so σ is applied once, to
    /// the two outputs, instead of to every decomposed limb). Outputs are over Q_ℓ, evaluation
    /// form.
    pub fn apply(
        &self,
        dec: &Decomposition,
        key: &SwitchingKey,
        auto: Option<&Automorphism>,
        out0: &mut RnsPoly,
        out1: &mut RnsPoly,
        scratch: &mut KeySwitchScratch,
    ) -> Result<()> {
        self.check_key(key)?;
        self.check_scratch(scratch)?;
        check_galois(key.galois, auto, self.n)?;
        let l = dec.q_len;
        if l == 0 {
            return Err(Error::InvalidLevel {
                level: 0,
                min: 1,
                max: self.q.len(),
            });
        }
        let level = &self.levels[l - 1];
        level.q.check(out0.primes())?;
        level.q.check(out1.primes())?;
        let (n, k) = (self.n, self.p.len());
        let ext_len = l + k;
        let par = scratch.parallel;
        let acc0 = &mut scratch.acc0[..ext_len * n];
        let acc1 = &mut scratch.acc1[..ext_len * n];
        let prof = &mut scratch.profile;
        prof.key_switches += 1;
        prof.record(Section::Mac, (2 * dec.digits * ext_len) as u64, || {
            self.mac_into(dec, key, acc0, acc1, par)
        });
        self.finish(level, auto, out0, out1, scratch);
        Ok(())
    }

    /// The end of a switch: `(out0, out1) = σ(ModDown(acc0, acc1))` from the scratch's Q_ℓ ∪ P
    /// accumulators (`level` = the input's level; outputs checked by the caller).
    fn finish(
        &self,
        level: &Level,
        auto: Option<&Automorphism>,
        out0: &mut RnsPoly,
        out1: &mut RnsPoly,
        scratch: &mut KeySwitchScratch,
    ) {
        let (n, l, k) = (self.n, level.q.len(), self.p.len());
        let ext_len = l + k;
        let par = scratch.parallel;
        let (acc0, acc1) = (&scratch.acc0[..ext_len * n], &scratch.acc1[..ext_len * n]);
        let prof = &mut scratch.profile;
        let [md0, md1] = &mut scratch.md;
        let (t0, t1): (&mut [u64], &mut [u64]) = match auto {
            Some(_) => (&mut md0[..l * n], &mut md1[..l * n]),
            None => (out0.as_words_mut(), out1.as_words_mut()),
        };
        self.mod_down_pair(level, (acc0, acc1), (t0, t1), &mut scratch.conv, prof, par);
        permute_outputs(auto, [&md0[..l * n], &md1[..l * n]], out0, out1, prof);
    }

    fn level_for(&self, q_len: usize) -> Result<&Level> {
        if q_len == 0 || q_len > self.q.len() {
            return Err(Error::InvalidLevel {
                level: q_len,
                min: 1,
                max: self.q.len(),
            });
        }
        Ok(&self.levels[q_len - 1])
    }

    /// Switches `d` (evaluation form over Q_ℓ) with `key`: `out0 + out1·s ≈ d·s′ (mod Q_ℓ)`.
    /// On one thread (a scratch that is not parallel) the scratch's [`Fusion`] (default
    /// [`Fusion::NttMac`], [`KeySwitchScratch::set_fusion`]) chooses how decomposition and MAC
    /// interleave (`fused`); the words are the same for every choice.
    pub fn switch(
        &self,
        d: &RnsPoly,
        key: &SwitchingKey,
        out0: &mut RnsPoly,
        out1: &mut RnsPoly,
        scratch: &mut KeySwitchScratch,
    ) -> Result<()> {
        self.check_key(key)?;
        self.check_scratch(scratch)?;
        if scratch.fusion() != Fusion::Staged {
            check_galois(key.galois, None, self.n)?;
            let level = self.level_of(d)?;
            level.q.check(out0.primes())?;
            level.q.check(out1.primes())?;
            let level = self.fused(d, key, scratch)?;
            self.finish(level, None, out0, out1, scratch);
            return Ok(());
        }
        let mut dec = scratch.take_decomposition()?;
        let r = self
            .decompose(d, &mut dec, scratch)
            .and_then(|_| self.apply(&dec, key, None, out0, out1, scratch));
        scratch.decomposition = Some(dec);
        r
    }
}

/// Errors unless a key made for Galois element `galois` (None: not a Galois key) fits a call
/// applying `auto` in ring degree `n`.
pub(super) fn check_galois(
    galois: Option<usize>,
    auto: Option<&Automorphism>,
    n: usize,
) -> Result<()> {
    let want = auto.map(Automorphism::galois_element);
    if galois != want {
        return Err(Error::KeyMismatch {
            reason: format!("key is for Galois element {galois:?}, the call applies {want:?}"),
        });
    }
    if let Some(a) = auto
        && a.n() != n
    {
        return Err(Error::InvalidRingDegree {
            n: a.n(),
            min: n,
            max: n,
        });
    }
    Ok(())
}

/// The outputs of a switch: with `auto`, σ of the ModDown results `md` (evaluation form, limb
/// by limb); without, they are already in place. Marks both as evaluation form.
pub(super) fn permute_outputs(
    auto: Option<&Automorphism>,
    md: [&[u64]; 2],
    out0: &mut RnsPoly,
    out1: &mut RnsPoly,
    prof: &mut crate::profile::Profile,
) {
    if let Some(au) = auto {
        let n = au.n();
        let l = out0.num_limbs();
        prof.record(Section::Other, 2 * l as u64, || {
            for (src, dst) in [(md[0], out0.as_words_mut()), (md[1], out1.as_words_mut())] {
                for (s, d) in src.chunks_exact(n).zip(dst.chunks_exact_mut(n)) {
                    au.apply_eval_limb(s, d);
                }
            }
        });
    }
    out0.set_representation(Representation::Evaluation);
    out1.set_representation(Representation::Evaluation);
}
