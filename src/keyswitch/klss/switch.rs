//! The KLSS switch: decompose once (INTT, ModUp of each digit to T, NTT over T), then per key
//! the MAC over T, the INTT of the T accumulators, the exact conversion of each output group
//! and a ModDown from coefficient form.
//!
//! Ranges: every buffer holds canonical words ([0, p) for its prime p): the decomposition (NTT
//! outputs), the MAC outputs ([`crate::keyswitch::LimbDot`] reduces once), the INTT outputs,
//! the exact conversions (centered values, stored mod each target prime), the ModDown output.

use super::{KlssKey, KlssSwitcher};
use crate::aligned::AlignedVec;
use crate::error::{Error, Result};
use crate::keyswitch::{check_galois, permute_outputs};
use crate::profile::{Profile, ProfileLevel, Section};
use crate::rns::basis_conversion::MAX_SOURCE_LIMBS;
use crate::rns::{Automorphism, Representation, RnsPoly};

/// Work buffers of one worker for [`KlssSwitcher`] calls (64-byte aligned, sized once for the
/// top level; no call allocates). Holds the last decomposition, so several keys can be applied
/// to one input (hoisting).
pub struct KlssScratch {
    id: u64,
    /// Q limbs of the decomposed input (0: none yet).
    q_len: usize,
    /// The input in coefficient form, |Q| limbs.
    coeff: AlignedVec,
    /// The digits mod T, evaluation form: digit j at limbs [j·α′, (j + 1)·α′).
    digits: AlignedVec,
    /// The MAC outputs over T.
    acc: [AlignedVec; 2],
    /// The accumulators over Q_ℓ ∪ P, coefficient form.
    ext: [AlignedVec; 2],
    /// ModDown outputs before the automorphism (rotations).
    md: [AlignedVec; 2],
    /// Conversion and ModDown scratch.
    conv: AlignedVec,
    /// Operation counts (and times, if enabled) of every call made with this scratch.
    pub profile: Profile,
}

impl std::fmt::Debug for KlssScratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KlssScratch")
            .field("q_len", &self.q_len)
            .finish()
    }
}

impl KlssSwitcher {
    /// Fresh scratch sized for the top level.
    pub fn scratch(&self) -> KlssScratch {
        let base = &self.base;
        let (n, l, k, at) = (base.n, base.q.len(), base.p.len(), self.t.len());
        let conv = self
            .levels
            .iter()
            .enumerate()
            .flat_map(|(i, lv)| {
                let ups = lv.digits.iter().map(|(_, c)| c.scratch_len());
                let outs = lv.outs.iter().map(|(_, c)| c.scratch_len());
                ups.chain(outs)
                    .chain([base.levels[i].mod_down.scratch_len(n)])
            })
            .max()
            .unwrap_or(0);
        let z = AlignedVec::zeroed;
        KlssScratch {
            id: self.id,
            q_len: 0,
            coeff: z(l * n),
            digits: z(base.dnum * at * n),
            acc: [z(at * n), z(at * n)],
            ext: [z((l + k) * n), z((l + k) * n)],
            md: [z(l * n), z(l * n)],
            conv: z(conv),
            profile: Profile::new(ProfileLevel::Counts),
        }
    }

    fn check_scratch(&self, scratch: &KlssScratch) -> Result<()> {
        if scratch.id != self.id {
            return Err(Error::ScratchMismatch {
                reason: "KLSS scratch was made for other parameters".into(),
            });
        }
        Ok(())
    }

    /// Decomposes `d` (evaluation form over Q_ℓ) into `scratch`: INTT, each digit converted to
    /// T (the hybrid switch's own digit integers) and transformed. Reused by every following
    /// [`KlssSwitcher::apply`] until the next decomposition.
    pub fn decompose(&self, d: &RnsPoly, scratch: &mut KlssScratch) -> Result<()> {
        self.check_scratch(scratch)?;
        let l = d.num_limbs();
        let level = self.level_for(l)?;
        self.base.levels[l - 1].q.check(d.primes())?;
        if d.representation() != Representation::Evaluation {
            return Err(Error::WrongRepresentation {
                expected: "evaluation",
                found: "coefficient",
            });
        }
        let (n, at) = (self.base.n, self.t.len());
        let q = &self.base.levels[l - 1].q;
        let prof = &mut scratch.profile;
        prof.mod_ups += 1;
        let coeff = &mut scratch.coeff[..l * n];
        coeff.copy_from_slice(d.as_words());
        prof.record(Section::Intt, l as u64, || {
            for (i, limb) in coeff.chunks_mut(n).enumerate() {
                q.plan(i).inverse(limb);
            }
        });
        for (j, (r, conv)) in level.digits.iter().enumerate() {
            let dig = &mut scratch.digits[j * at * n..(j + 1) * at * n];
            prof.record(Section::BasisConversion, at as u64, || {
                conv.convert(&coeff[r.start * n..r.end * n], dig, &mut scratch.conv)
            });
            prof.record(Section::Ntt, at as u64, || {
                for (t, limb) in dig.chunks_mut(n).enumerate() {
                    self.t.plan(t).forward(limb);
                }
            });
        }
        scratch.q_len = l;
        Ok(())
    }

    /// `(out0, out1) = σ(ModDown(Σ_j d̃_j ⊙ key_j))` for the decomposition in `scratch` — the
    /// same words as [`crate::keyswitch::KeySwitcher::apply`] with the hybrid key `key` was
    /// derived from. `auto` must match a Galois key's element (None for other keys). Outputs
    /// are over Q_ℓ, evaluation form.
    pub fn apply(
        &self,
        key: &KlssKey,
        auto: Option<&Automorphism>,
        out0: &mut RnsPoly,
        out1: &mut RnsPoly,
        scratch: &mut KlssScratch,
    ) -> Result<()> {
        self.check_key(key)?;
        self.check_scratch(scratch)?;
        check_galois(key.galois, auto, self.base.n)?;
        let l = scratch.q_len;
        if l == 0 {
            return Err(Error::ScratchMismatch {
                reason: "no decomposition in the KLSS scratch: call decompose first".into(),
            });
        }
        let level = self.level_for(l)?;
        let hybrid = &self.base.levels[l - 1];
        hybrid.q.check(out0.primes())?;
        hybrid.q.check(out1.primes())?;
        let (n, at, k) = (self.base.n, self.t.len(), self.base.p.len());
        let beta = level.digits.len();
        debug_assert!(beta <= MAX_SOURCE_LIMBS && beta <= key.digits);
        let KlssScratch {
            digits,
            acc: [acc0, acc1],
            ext: [x0, x1],
            md: [md0, md1],
            conv,
            profile: prof,
            ..
        } = scratch;
        prof.key_switches += 1;
        for (gi, out_conv) in &level.outs {
            prof.record(Section::Mac, (2 * beta * at) as u64, || {
                let empty: &[u64] = &[];
                for t in 0..at {
                    let mut xs = [empty; MAX_SOURCE_LIMBS];
                    let mut bs = [empty; MAX_SOURCE_LIMBS];
                    let mut as_ = [empty; MAX_SOURCE_LIMBS];
                    for j in 0..beta {
                        let (b, a) = key.pair(*gi, j);
                        xs[j] = &digits[(j * at + t) * n..(j * at + t + 1) * n];
                        bs[j] = b.limb(t);
                        as_[j] = a.limb(t);
                    }
                    self.dots[t].dot2(
                        &xs[..beta],
                        &bs[..beta],
                        &as_[..beta],
                        &mut acc0[t * n..(t + 1) * n],
                        &mut acc1[t * n..(t + 1) * n],
                    );
                }
            });
            prof.record(Section::Intt, (2 * at) as u64, || {
                for t in 0..at {
                    let plan = self.t.plan(t);
                    plan.inverse(&mut acc0[t * n..(t + 1) * n]);
                    plan.inverse(&mut acc1[t * n..(t + 1) * n]);
                }
            });
            prof.record(
                Section::BasisConversion,
                2 * out_conv.target_len() as u64,
                || {
                    out_conv.convert(&acc0[..at * n], &mut x0[..(l + k) * n], conv);
                    out_conv.convert(&acc1[..at * n], &mut x1[..(l + k) * n], conv);
                },
            );
        }
        let md = self.mod_down(l);
        let (t0, t1): (&mut [u64], &mut [u64]) = match auto {
            Some(_) => (&mut md0[..l * n], &mut md1[..l * n]),
            None => (out0.as_words_mut(), out1.as_words_mut()),
        };
        for (x, t) in [(&x0[..(l + k) * n], t0), (&x1[..(l + k) * n], t1)] {
            md.apply_coeff(&hybrid.q, &self.base.p, x, t, conv, prof);
        }
        permute_outputs(auto, [&md0[..l * n], &md1[..l * n]], out0, out1, prof);
        Ok(())
    }

    /// Switches `d` (evaluation form over Q_ℓ) with `key`: decompose + apply;
    /// `out0 + out1·s ≈ d·s′ (mod Q_ℓ)`, bit for bit the hybrid switch's result.
    pub fn switch(
        &self,
        d: &RnsPoly,
        key: &KlssKey,
        out0: &mut RnsPoly,
        out1: &mut RnsPoly,
        scratch: &mut KlssScratch,
    ) -> Result<()> {
        self.check_key(key)?;
        self.decompose(d, scratch)?;
        self.apply(key, None, out0, out1, scratch)
    }
}
