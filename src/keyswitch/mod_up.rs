//! The decomposition (ModUp) step of a key switch — the digit conversion ([`ModUp`]) and the
//! NTTs of the new limbs — computed once per input and reusable across keys and automorphisms
//! (hoisting).
//!
//! For d over Q_ℓ (evaluation form): INTT d once; per active digit D_j (α consecutive primes,
//! the last digit possibly shorter), ModUp `[d]_{D_j}` to Q_ℓ ∪ P and NTT the new limbs, so
//! that digit j holds d̃_j over Q_ℓ ∪ P in evaluation form — `[d]_{D_j} + u·D_j` with
//! 0 ≤ u < α_j for the fast conversion, the centered `[d]_{D_j}` ∈ [−D_j/2, D_j/2] for the
//! exact one (see the module docs for which is chosen). The digit's own limbs are copied from
//! d, which is already in evaluation form.
//!
//! Layout of a [`Decomposition`]: `digits` blocks with a stride of |Q| + |P| limbs (sized for
//! the top level, so one buffer serves every level); in block j, limb e of Q_ℓ ∪ P (Q_ℓ first,
//! then P) occupies words `[e·n, (e + 1)·n)`. Every word is reduced, in [0, q_e) — the range
//! the lazy multiply-accumulate of `accumulate` expects.

use super::{KeySwitchScratch, KeySwitcher, Level};
use crate::aligned::AlignedVec;
use crate::error::{Error, Result};
use crate::isa::Isa;
use crate::profile::Section;
use crate::rns::RnsBasis;
use crate::rns::basis_conversion::{BasisConverter, MAX_EXACT_SOURCE_LIMBS};
use crate::rns::{Representation, RnsPoly};
use rayon::prelude::*;

/// The decomposition of one input (ModUp'ed digits in evaluation form), reusable for several
/// keys and automorphisms (hoisting).
#[derive(Clone)]
pub struct Decomposition {
    /// Q limbs of the decomposed input (0 for a fresh buffer).
    pub(super) q_len: usize,
    /// Active digits: ⌈q_len / α⌉.
    pub(super) digits: usize,
    /// Stride of a digit, in limbs: |Q| + |P| of the top level.
    pub(super) ext_len: usize,
    pub(super) n: usize,
    pub(super) data: AlignedVec,
}

impl Decomposition {
    /// Number of active digits.
    pub fn digits(&self) -> usize {
        self.digits
    }

    /// Number of Q limbs of the decomposed input.
    pub fn q_len(&self) -> usize {
        self.q_len
    }

    /// Digit j (all of its stride; the first |Q_ℓ| + |P| limbs are live).
    pub(super) fn digit(&self, j: usize) -> &[u64] {
        let sz = self.ext_len * self.n;
        &self.data[j * sz..(j + 1) * sz]
    }
}

impl KeySwitcher {
    /// An empty decomposition buffer sized for the top level.
    pub fn decomposition_buffer(&self) -> Decomposition {
        let ext = self.q.len() + self.p.len();
        Decomposition {
            q_len: 0,
            digits: 0,
            ext_len: ext,
            n: self.n,
            data: AlignedVec::zeroed(self.dnum * ext * self.n),
        }
    }

    /// The level of input d (Q_ℓ = its limbs), checking its primes and representation.
    pub(super) fn level_of(&self, d: &RnsPoly) -> Result<&Level> {
        let l = d.num_limbs();
        if l == 0 || l > self.q.len() {
            return Err(Error::InvalidLevel {
                level: l,
                min: 1,
                max: self.q.len(),
            });
        }
        let level = &self.levels[l - 1];
        level.q.check(d.primes())?;
        if d.representation() != Representation::Evaluation {
            return Err(Error::WrongRepresentation {
                expected: "evaluation",
                found: "coefficient",
            });
        }
        Ok(level)
    }

    /// Decomposes `d` (evaluation form over Q_ℓ): INTT, ModUp per digit, NTT of the new limbs.
    /// With a parallel scratch, limbs and digits are spread over the current rayon pool.
    pub fn decompose(
        &self,
        d: &RnsPoly,
        out: &mut Decomposition,
        scratch: &mut KeySwitchScratch,
    ) -> Result<()> {
        let level = self.level_of(d)?;
        self.check_scratch(scratch)?;
        if out.n != self.n || out.ext_len != self.q.len() + self.p.len() {
            return Err(Error::ScratchMismatch {
                reason: "decomposition buffer of other parameters".into(),
            });
        }
        let (n, l, k) = (self.n, d.num_limbs(), self.p.len());
        let ext_len = l + k;
        let par = scratch.parallel;
        let prof = &mut scratch.profile;
        prof.mod_ups += 1;
        let coeff = &mut scratch.coeff[..l * n];
        coeff.copy_from_slice(d.as_words());
        prof.record(Section::Intt, l as u64, || {
            if par {
                coeff
                    .par_chunks_mut(n)
                    .enumerate()
                    .for_each(|(i, limb)| level.q.plan(i).inverse(limb));
            } else {
                coeff
                    .chunks_mut(n)
                    .enumerate()
                    .for_each(|(i, limb)| level.q.plan(i).inverse(limb));
            }
        });
        let coeff = &*coeff;
        let stride = out.ext_len * n;
        let data = &mut out.data[..level.mod_ups.len() * stride];
        let one_digit = |(up, (dig, conv)): (&ModUp, (&mut [u64], &mut AlignedVec))| {
            let dig = &mut dig[..ext_len * n];
            let r = up.digit.clone();
            up.apply(&coeff[r.start * n..r.end * n], dig, conv);
            for i in (0..ext_len).filter(|i| !r.contains(i)) {
                level.ext.plan(i).forward(&mut dig[i * n..(i + 1) * n]);
            }
            dig[r.start * n..r.end * n].copy_from_slice(&d.as_words()[r.start * n..r.end * n]);
        };
        let new_limbs: u64 = level
            .mod_ups
            .iter()
            .map(|u| (ext_len - u.digit.len()) as u64)
            .sum();
        // Conversion and NTT of each digit run together (timed as "conversion + NTT" when
        // profiling the parallel path; the sequential path splits them).
        if par {
            prof.record(Section::BasisConversion, new_limbs, || {
                let conv = &mut scratch.conv[..level.mod_ups.len()];
                level
                    .mod_ups
                    .par_iter()
                    .zip(data.par_chunks_mut(stride).zip(conv.par_iter_mut()))
                    .for_each(one_digit)
            });
            prof.ntt += new_limbs;
        } else {
            for ((up, dig), conv) in level
                .mod_ups
                .iter()
                .zip(data.chunks_mut(stride))
                .zip(scratch.conv.iter_mut())
            {
                let dig = &mut dig[..ext_len * n];
                let r = up.digit.clone();
                let count = (ext_len - r.len()) as u64;
                prof.record(Section::BasisConversion, count, || {
                    up.apply(&coeff[r.start * n..r.end * n], dig, conv)
                });
                dig[r.start * n..r.end * n].copy_from_slice(&d.as_words()[r.start * n..r.end * n]);
            }
            // The NTTs ordered by prime: limb i of every digit back to back, so each prime's
            // twiddles are loaded once per decomposition instead of once per digit.
            prof.record(Section::Ntt, new_limbs, || {
                for i in 0..ext_len {
                    let plan = level.ext.plan(i);
                    for (up, dig) in level.mod_ups.iter().zip(data.chunks_mut(stride)) {
                        if !up.digit.contains(&i) {
                            plan.forward(&mut dig[i * n..(i + 1) * n]);
                        }
                    }
                }
            });
        }
        out.q_len = l;
        out.digits = level.mod_ups.len();
        Ok(())
    }
}

/// ModUp of one digit: the digit's limbs (a contiguous run of a polynomial's limbs, coefficient
/// form) are extended to every other limb of the target layout.
#[derive(Debug, Clone)]
pub struct ModUp {
    /// Limb positions of the digit within the extended polynomial.
    pub digit: std::ops::Range<usize>,
    converter: BasisConverter,
}

impl ModUp {
    /// Extends digit `digit` (limb range of `extended`) to the other limbs of `extended`, with
    /// centered digits (the exact conversion) when the digit has at most
    /// [`MAX_EXACT_SOURCE_LIMBS`] limbs.
    pub fn new(extended: &RnsBasis, digit: std::ops::Range<usize>) -> Result<ModUp> {
        Self::with_options(extended, digit, true, Isa::detect())
    }

    /// As [`ModUp::new`] with the conversion's ISA capped at `isa`.
    pub fn with_isa(extended: &RnsBasis, digit: std::ops::Range<usize>, isa: Isa) -> Result<ModUp> {
        Self::with_options(extended, digit, true, isa)
    }

    /// As [`ModUp::new`], choosing the conversion and the ISA cap: `exact` (centered digits, if
    /// the digit has at most [`MAX_EXACT_SOURCE_LIMBS`] limbs) or the fast one
    /// (`[d]_D + u·D`, u ∈ [0, α)).
    pub fn with_options(
        extended: &RnsBasis,
        digit: std::ops::Range<usize>,
        exact: bool,
        isa: Isa,
    ) -> Result<ModUp> {
        let src = extended.sub_basis(digit.clone());
        let others: Vec<usize> = (0..extended.len()).filter(|i| !digit.contains(i)).collect();
        let dst = extended.select(&others);
        let converter = if exact && src.len() <= MAX_EXACT_SOURCE_LIMBS {
            BasisConverter::exact_with_isa(&src, &dst, &others, isa)?
        } else {
            BasisConverter::with_isa(&src, &dst, &others, isa)?
        };
        Ok(ModUp { digit, converter })
    }

    /// The converter doing the work.
    pub fn converter(&self) -> &BasisConverter {
        &self.converter
    }

    /// `out` (all limbs of the extended layout, coefficient form) gets the digit's residues
    /// converted into every limb outside the digit; the digit's own limbs are left untouched.
    pub fn apply(&self, digit_limbs: &[u64], out: &mut [u64], scratch: &mut [u64]) {
        self.converter.convert(digit_limbs, out, scratch);
    }
}
