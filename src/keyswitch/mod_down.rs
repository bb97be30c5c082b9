//! The ModDown half of a key switch: divide by P and round, back from Q_ℓ ∪ P to Q_ℓ.
//!
//! For x over Q_ℓ ∪ P (evaluation form, words in [0, q_i)), ModDown returns
//! `⌊x / P⌉ mod Q_ℓ` (evaluation form, words in [0, q_i)): with x_c the centered residue of x
//! mod P, converted from x's P limbs to Q_ℓ **exactly** (see [`crate::rns::basis_conversion`]),
//! the result is `(x − x_c)·P^{−1}`, limb by limb — round to nearest. Its rounding error
//! r ∈ [−1/2, 1/2] is zero-mean with variance 1/12: the `(1 + h)/12` term of the noise formula
//! in the module docs.
//!
//! [`ModDown`] (at the end of this file) is the step itself: INTTs of the P limbs, the exact
//! conversion to Q_ℓ, then per Q limb the NTT and `(x_q − y)·P^{−1}`. `mod_down_pair` serves the switch paths (two outputs, side by side on the rayon pool with a
//! parallel scratch, work buffers from the caller); [`KeySwitcher::mod_down`] is the public
//! one-polynomial form (allocates; e.g. for public-key encryption over Q ∪ P).

use super::{KeySwitcher, Level};
use crate::aligned::AlignedVec;
use crate::error::{Error, Result};
use crate::isa::Isa;
use crate::profile::{Profile, ProfileLevel, Section};
use crate::rns::basis_conversion::BasisConverter;
use crate::rns::{Representation, RnsBasis, RnsPoly};

impl KeySwitcher {
    /// ModDown of two accumulators over Q_ℓ ∪ P (in parallel with a parallel scratch).
    pub(super) fn mod_down_pair(
        &self,
        level: &Level,
        (acc0, acc1): (&[u64], &[u64]),
        (t0, t1): (&mut [u64], &mut [u64]),
        conv: &mut [AlignedVec],
        prof: &mut Profile,
        par: bool,
    ) {
        let (conv0, conv1) = conv.split_at_mut(1);
        let (q, p) = (&level.q, &self.p);
        if par {
            let (mut p0, mut p1) = (Profile::new(prof.level), Profile::new(prof.level));
            rayon::join(
                || level.mod_down.apply(q, p, acc0, t0, &mut conv0[0], &mut p0),
                || level.mod_down.apply(q, p, acc1, t1, &mut conv1[0], &mut p1),
            );
            prof.merge(&p0);
            prof.merge(&p1);
        } else {
            // One thread: both halves ordered by prime (each prime's twiddles loaded once).
            level.mod_down.apply_pair(
                q,
                p,
                (acc0, acc1),
                (t0, t1),
                (&mut conv0[0], &mut conv1[0]),
                prof,
            );
        }
    }

    /// Q_ℓ ∪ P for inputs with `q_len` Q limbs: the limb layout [`KeySwitcher::mod_down`] reads.
    pub fn ext_basis(&self, q_len: usize) -> Result<&RnsBasis> {
        Ok(&self.level_for(q_len)?.ext)
    }

    /// ModDown of one polynomial: `x` (evaluation form over [`KeySwitcher::ext_basis`]) divided
    /// by P and rounded to nearest, into `out` (evaluation form over the first `q_len` primes of
    /// Q). Allocates its scratch: for one-off use such as public-key encryption over Q ∪ P, not
    /// for hot loops.
    pub fn mod_down(&self, x: &RnsPoly, out: &mut RnsPoly) -> Result<()> {
        let level = self.level_for(out.num_limbs())?;
        level.ext.check(x.primes())?;
        level.q.check(out.primes())?;
        if x.representation() != Representation::Evaluation {
            return Err(Error::WrongRepresentation {
                expected: Representation::Evaluation.name(),
                found: x.representation().name(),
            });
        }
        let mut scratch = AlignedVec::zeroed(level.mod_down.scratch_len(self.n));
        let mut prof = Profile::new(ProfileLevel::Off);
        level.mod_down.apply(
            &level.q,
            &self.p,
            x.as_words(),
            out.as_words_mut(),
            &mut scratch,
            &mut prof,
        );
        // The scratch held x's P limbs (for encryption: derived from the ephemeral u).
        zeroize::Zeroize::zeroize(&mut scratch[..]);
        out.set_representation(Representation::Evaluation);
        Ok(())
    }
}

/// ModDown from Q_ℓ ∪ P to Q_ℓ: `(x_Q − Conv^exact_{P→Q}(x_P)) · P^{−1} mod q_i` = ⌊x / P⌉,
/// x divided by P and **rounded to nearest** (|error| ≤ 1/2 + 2^−40 per coefficient, zero
/// mean; see the module docs).
#[derive(Debug, Clone)]
pub struct ModDown {
    q_len: usize,
    converter: BasisConverter,
    /// P^{−1} mod q_i.
    p_inv: Vec<u64>,
}

impl ModDown {
    /// For the layout `q` limbs followed by `p` limbs.
    pub fn new(q: &RnsBasis, p: &RnsBasis) -> Result<ModDown> {
        Self::with_isa(q, p, Isa::detect())
    }

    /// As [`ModDown::new`] with the conversion's ISA capped at `isa`.
    pub fn with_isa(q: &RnsBasis, p: &RnsBasis, isa: Isa) -> Result<ModDown> {
        let converter =
            BasisConverter::exact_with_isa(p, q, &(0..q.len()).collect::<Vec<_>>(), isa)?;
        let p_inv = (0..q.len())
            .map(|i| {
                let m = q.modulus(i);
                let prod = m.product_mod(p.primes().iter().copied());
                m.inv_mod(prod).expect("coprime")
            })
            .collect();
        Ok(ModDown {
            q_len: q.len(),
            converter,
            p_inv,
        })
    }

    /// The P → Q converter.
    pub fn converter(&self) -> &BasisConverter {
        &self.converter
    }

    /// Words of scratch [`ModDown::apply`] needs.
    pub fn scratch_len(&self, n: usize) -> usize {
        self.converter.scratch_len()
            + self.converter.target_len() * n
            + self.converter.source_len() * n
    }

    /// `x` holds `q.len() + p.len()` limbs in evaluation form over Q_ℓ ∪ P; `out` receives the
    /// `q.len()` limbs of the result in evaluation form. `q_basis` / `p_basis` give the NTT plans
    /// and kernels. Allocates nothing.
    pub fn apply(
        &self,
        q_basis: &RnsBasis,
        p_basis: &RnsBasis,
        x: &[u64],
        out: &mut [u64],
        scratch: &mut [u64],
        prof: &mut Profile,
    ) {
        self.apply_many(q_basis, p_basis, [x], [out], [scratch], prof);
    }

    /// [`ModDown::apply`] on two inputs at once (the two halves of a key switch), each with its
    /// own scratch of at least [`ModDown::scratch_len`] words. The same words as two `apply`
    /// calls, but transforms of the same prime run back to back, so the second finds that
    /// prime's twiddles in cache. Allocates nothing.
    ///
    /// # Panics
    /// If a slice is shorter than its layout (as [`ModDown::apply`]).
    pub fn apply_pair(
        &self,
        q_basis: &RnsBasis,
        p_basis: &RnsBasis,
        (x0, x1): (&[u64], &[u64]),
        (out0, out1): (&mut [u64], &mut [u64]),
        (scratch0, scratch1): (&mut [u64], &mut [u64]),
        prof: &mut Profile,
    ) {
        self.apply_many(
            q_basis,
            p_basis,
            [x0, x1],
            [out0, out1],
            [scratch0, scratch1],
            prof,
        );
    }

    /// ModDown of an input already in **coefficient form** over Q_ℓ ∪ P (canonical words), into
    /// `out` in evaluation form: the exact conversion of the P limbs, then per Q limb
    /// `(x_q − y)·P^{−1}` and its NTT. The same words as [`ModDown::apply`] on the NTT of `x`
    /// (both sides are exact mod q_i and the NTT is linear), with |P| fewer INTTs — the form the
    /// KLSS switch produces ([`super::KlssSwitcher`]). `scratch` holds at least
    /// [`ModDown::scratch_len`] words. Allocates nothing.
    ///
    /// # Panics
    /// If a slice is shorter than its layout.
    pub fn apply_coeff(
        &self,
        q_basis: &RnsBasis,
        p_basis: &RnsBasis,
        x: &[u64],
        out: &mut [u64],
        scratch: &mut [u64],
        prof: &mut Profile,
    ) {
        let n = q_basis.n();
        let (k, l) = (p_basis.len(), self.q_len);
        let (yq, conv) = scratch.split_at_mut(l * n);
        prof.mod_downs += 1;
        prof.record(Section::BasisConversion, l as u64, || {
            self.converter.convert(&x[l * n..(l + k) * n], yq, conv)
        });
        for i in 0..l {
            let o = &mut out[i * n..(i + 1) * n];
            prof.record(Section::Other, 1, || {
                let ops = q_basis.ops(i);
                ops.sub(&x[i * n..(i + 1) * n], &yq[i * n..(i + 1) * n], o);
                ops.mul_scalar_assign(o, self.p_inv[i]);
            });
            prof.record(Section::Ntt, 1, || q_basis.plan(i).forward(o));
        }
    }

    /// ModDown of `M` inputs, ordered by prime: each P limb of every input goes to coefficient
    /// form (copy + INTT, one limb at a time), then the conversions, then per Q limb the NTT of
    /// every input's converted limb followed at once by its `(x_q − y)·P^{−1}` while the limb
    /// is still in cache.
    fn apply_many<const M: usize>(
        &self,
        q_basis: &RnsBasis,
        p_basis: &RnsBasis,
        xs: [&[u64]; M],
        mut outs: [&mut [u64]; M],
        scratches: [&mut [u64]; M],
        prof: &mut Profile,
    ) {
        let n = q_basis.n();
        let (k, l) = (p_basis.len(), self.q_len);
        let mut parts = scratches.map(|s| {
            let (xp, rest) = s.split_at_mut(k * n);
            let (yq, conv) = rest.split_at_mut(l * n);
            (xp, yq, conv)
        });
        prof.mod_downs += M as u64;
        // x_P to coefficient form.
        prof.record(Section::Intt, (M * k) as u64, || {
            for i in 0..k {
                let plan = p_basis.plan(i);
                for (x, (xp, _, _)) in xs.iter().zip(parts.iter_mut()) {
                    let limb = (l + i) * n;
                    plan.inverse_into(&x[limb..limb + n], &mut xp[i * n..(i + 1) * n]);
                }
            }
        });
        prof.record(Section::BasisConversion, (M * l) as u64, || {
            for (xp, yq, conv) in parts.iter_mut() {
                self.converter.convert(xp, yq, conv);
            }
        });
        for i in 0..l {
            let (plan, ops) = (q_basis.plan(i), q_basis.ops(i));
            for ((x, out), (_, yq, _)) in xs.iter().zip(outs.iter_mut()).zip(parts.iter_mut()) {
                let y = &mut yq[i * n..(i + 1) * n];
                prof.record(Section::Ntt, 1, || plan.forward(y));
                prof.record(Section::Other, 1, || {
                    let o = &mut out[i * n..(i + 1) * n];
                    ops.sub(&x[i * n..(i + 1) * n], y, o);
                    ops.mul_scalar_assign(o, self.p_inv[i]);
                });
            }
        }
    }
}
