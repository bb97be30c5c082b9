//! RNS polynomials: Z_Q\[X\]/(X^n + 1) with Q = q_0·…·q_{L−1} held as one residue polynomial per
//! prime ("limb"), every limb n words in one 64-byte-aligned allocation.
//!
//! - [`RnsBasis`]: the ordered primes with their NTT plans and element-wise kernels
//!   (each limb on the best ISA for its prime: IFMA for q < 2^50, AVX-512 otherwise).
//! - [`RnsPoly`]: `limbs × n` words plus the basis it lives in and a [`Representation`] tag.
//!   Limb-wise arithmetic, (inverse) NTT over all limbs, automorphisms, rescaling.
//! - [`basis_conversion`]: fast and exact base extension (the kernel of ModUp and ModDown,
//!   which live in [`crate::keyswitch`]).
//!
//! ## Ranges
//! Every limb of an `RnsPoly` holds canonical residues in [0, q_i) between operations.
//!
//! ## Errors
//! Operations check that operands live in the same basis and representation and return a typed
//! [`Error`] otherwise; nothing is computed on mismatched inputs.

pub mod automorphism;
pub mod basis_conversion;
pub mod noise;
mod rescale;
pub mod sampling;
mod secret;

pub use automorphism::Automorphism;
pub use secret::SecretPoly;

use crate::aligned::AlignedVec;
use crate::arith::Modulus;
use crate::eltwise::Eltwise;
use crate::error::{Error, Result};
use crate::isa::Isa;
use crate::ntt::NttPlan;
use std::ops::Range;
use std::sync::Arc;
use zeroize::Zeroize;

/// Coefficient or evaluation (NTT, bit-reversed) form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Representation {
    /// Coefficients a_0..a_{n−1}.
    Coefficient,
    /// Evaluations at the odd powers of ψ, in the bit-reversed order of [`NttPlan::forward`].
    Evaluation,
}

impl Representation {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Representation::Coefficient => "coefficient",
            Representation::Evaluation => "evaluation",
        }
    }
}

/// One prime of a basis with its kernels.
#[derive(Debug, Clone)]
struct Limb {
    modulus: Modulus,
    plan: Arc<NttPlan>,
    ops: Eltwise,
}

/// An ordered set of distinct NTT-friendly primes with their NTT plans and element-wise kernels.
/// Cloning and taking sub-bases share the plans.
#[derive(Debug, Clone)]
pub struct RnsBasis {
    n: usize,
    primes: Arc<[u64]>,
    limbs: Arc<[Limb]>,
}

impl RnsBasis {
    /// A basis of ring degree `n` over `primes`, each limb on the best ISA for its prime.
    pub fn new(n: usize, primes: &[u64]) -> Result<RnsBasis> {
        Self::with_isa(n, primes, Isa::detect())
    }

    /// A basis whose kernels use at most `isa` (per limb: IFMA only where q < 2^50).
    /// Errors if `isa` is unavailable, a prime is invalid for `n`, or a prime repeats.
    pub fn with_isa(n: usize, primes: &[u64], isa: Isa) -> Result<RnsBasis> {
        if !isa.is_available() {
            return Err(Error::IsaUnavailable { isa });
        }
        let mut limbs = Vec::with_capacity(primes.len());
        for (i, &q) in primes.iter().enumerate() {
            if primes[..i].contains(&q) {
                return Err(Error::DuplicatePrime { q });
            }
            let limb_isa = isa.best_for_modulus(q);
            let plan = Arc::new(NttPlan::with_isa(n, q, limb_isa)?);
            let modulus = *plan.modulus_ref();
            let ops = Eltwise::from_modulus(modulus, limb_isa)?;
            limbs.push(Limb { modulus, plan, ops });
        }
        Ok(RnsBasis {
            n,
            primes: primes.into(),
            limbs: limbs.into(),
        })
    }

    /// The union of two bases (self's primes first). Errors on a shared prime or other n.
    pub fn concat(&self, other: &RnsBasis) -> Result<RnsBasis> {
        if self.n != other.n {
            return Err(Error::InvalidRingDegree {
                n: other.n,
                min: self.n,
                max: self.n,
            });
        }
        if let Some(&q) = other.primes.iter().find(|q| self.primes.contains(q)) {
            return Err(Error::DuplicatePrime { q });
        }
        let primes: Vec<u64> = self
            .primes
            .iter()
            .chain(other.primes.iter())
            .copied()
            .collect();
        let limbs: Vec<Limb> = self
            .limbs
            .iter()
            .chain(other.limbs.iter())
            .cloned()
            .collect();
        Ok(RnsBasis {
            n: self.n,
            primes: primes.into(),
            limbs: limbs.into(),
        })
    }

    /// The sub-basis of the limbs in `range` (sharing plans).
    ///
    /// # Panics
    /// If `range` is out of bounds.
    pub fn sub_basis(&self, range: Range<usize>) -> RnsBasis {
        RnsBasis {
            n: self.n,
            primes: self.primes[range.clone()].into(),
            limbs: self.limbs[range].into(),
        }
    }

    /// The sub-basis of the limbs at `indices`, in that order (sharing plans).
    ///
    /// # Panics
    /// If an index is out of bounds.
    pub fn select(&self, indices: &[usize]) -> RnsBasis {
        RnsBasis {
            n: self.n,
            primes: indices
                .iter()
                .map(|&i| self.primes[i])
                .collect::<Vec<_>>()
                .into(),
            limbs: indices
                .iter()
                .map(|&i| self.limbs[i].clone())
                .collect::<Vec<_>>()
                .into(),
        }
    }

    /// The first `count` limbs (a lower level of a modulus chain).
    pub fn prefix(&self, count: usize) -> RnsBasis {
        self.sub_basis(0..count)
    }

    /// Ring degree n.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Number of primes.
    pub fn len(&self) -> usize {
        self.primes.len()
    }

    /// Whether the basis has no primes.
    pub fn is_empty(&self) -> bool {
        self.primes.is_empty()
    }

    /// The primes, in order.
    pub fn primes(&self) -> &[u64] {
        &self.primes
    }

    /// The i-th modulus.
    pub fn modulus(&self, i: usize) -> &Modulus {
        &self.limbs[i].modulus
    }

    /// The i-th NTT plan.
    pub fn plan(&self, i: usize) -> &NttPlan {
        &self.limbs[i].plan
    }

    /// The i-th element-wise kernels.
    pub fn ops(&self, i: usize) -> &Eltwise {
        &self.limbs[i].ops
    }

    /// Whether `primes` is exactly this basis.
    pub fn matches(&self, primes: &[u64]) -> bool {
        std::ptr::eq(primes.as_ptr(), self.primes.as_ptr()) && primes.len() == self.len()
            || primes == &self.primes[..]
    }

    /// `Ok` if `primes` is exactly this basis, else [`Error::BasisMismatch`].
    pub fn check(&self, primes: &[u64]) -> Result<()> {
        if self.matches(primes) {
            Ok(())
        } else {
            Err(Error::BasisMismatch {
                expected: self.len(),
                expected_first: self.primes.first().copied().unwrap_or(0),
                found: primes.len(),
                found_first: primes.first().copied().unwrap_or(0),
            })
        }
    }
}

/// A polynomial in RNS form: `limbs × n` canonical residues in one aligned allocation.
///
/// The allocation may be larger than `limbs × n` (after [`RnsPoly::truncate`] or
/// [`RnsPoly::reshape`]), so one buffer can be reused at every level without reallocating.
#[derive(Clone)]
pub struct RnsPoly {
    n: usize,
    primes: Arc<[u64]>,
    repr: Representation,
    data: AlignedVec,
}

impl PartialEq for RnsPoly {
    fn eq(&self, other: &RnsPoly) -> bool {
        self.n == other.n
            && self.repr == other.repr
            && self.primes == other.primes
            && self.as_words() == other.as_words()
    }
}

impl Eq for RnsPoly {}

impl std::fmt::Debug for RnsPoly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RnsPoly")
            .field("n", &self.n)
            .field("limbs", &self.primes.len())
            .field("repr", &self.repr)
            .finish()
    }
}

impl zeroize::Zeroize for RnsPoly {
    /// Wipes the whole allocation (also the words past the current level), volatile writes.
    fn zeroize(&mut self) {
        self.data.zeroize();
    }
}

impl RnsPoly {
    /// The zero polynomial over `basis`.
    pub fn zero(basis: &RnsBasis, repr: Representation) -> RnsPoly {
        RnsPoly {
            n: basis.n,
            primes: basis.primes.clone(),
            repr,
            data: AlignedVec::zeroed(basis.len() * basis.n),
        }
    }

    /// A polynomial from its limbs laid out one after another (`basis.len() × n` words, each
    /// limb reduced). Errors on a wrong length or an out-of-range residue.
    pub fn from_words(basis: &RnsBasis, repr: Representation, words: &[u64]) -> Result<RnsPoly> {
        if words.len() != basis.len() * basis.n {
            return Err(Error::BasisMismatch {
                expected: basis.len(),
                expected_first: basis.primes.first().copied().unwrap_or(0),
                found: words.len() / basis.n.max(1),
                found_first: 0,
            });
        }
        let mut p = RnsPoly::zero(basis, repr);
        for (i, (dst, src)) in p
            .data
            .chunks_exact_mut(basis.n)
            .zip(words.chunks_exact(basis.n))
            .enumerate()
        {
            let q = basis.primes[i];
            if let Some(&bad) = src.iter().find(|&&x| x >= q) {
                return Err(Error::ModulusOutOfRange { q: bad });
            }
            dst.copy_from_slice(src);
        }
        Ok(p)
    }

    /// A polynomial from its limbs serialized one after another as little-endian u64 words
    /// (`8 × basis.len() × n` bytes, each residue below its prime): decoded, range-checked and
    /// stored in one pass, with no intermediate word vector. Errors as [`RnsPoly::from_words`].
    pub fn from_le_bytes(basis: &RnsBasis, repr: Representation, bytes: &[u8]) -> Result<RnsPoly> {
        if bytes.len() != 8 * basis.len() * basis.n {
            return Err(Error::BasisMismatch {
                expected: basis.len(),
                expected_first: basis.primes.first().copied().unwrap_or(0),
                found: bytes.len() / (8 * basis.n).max(1),
                found_first: 0,
            });
        }
        // Decoded a block at a time through the stack into a buffer that is never zeroed.
        const BLOCK: usize = 256;
        let mut data = AlignedVec::with_capacity(basis.len() * basis.n);
        let mut block = [0u64; BLOCK];
        for (&q, limb) in basis.primes.iter().zip(bytes.chunks_exact(8 * basis.n)) {
            for src in limb.chunks(8 * BLOCK) {
                let words = &mut block[..src.len() / 8];
                // Branch-free over the block (vectorizes); the offender is looked up on error.
                let mut largest = 0u64;
                for (d, s) in words.iter_mut().zip(src.chunks_exact(8)) {
                    *d = u64::from_le_bytes(s.try_into().expect("8-byte chunk"));
                    largest = largest.max(*d);
                }
                if largest >= q {
                    let bad = words.iter().copied().find(|&x| x >= q).unwrap_or(largest);
                    return Err(Error::ModulusOutOfRange { q: bad });
                }
                data.extend_from_slice(words);
            }
        }
        Ok(RnsPoly {
            n: basis.n,
            primes: basis.primes.clone(),
            repr,
            data,
        })
    }

    /// A polynomial over `basis` whose limbs are written one after another by `fill_limb(i,
    /// out)`, which must append exactly `n` words (reduced mod prime `i`) to `out` (nothing is
    /// zeroed first). Panics if a limb's word count is wrong (a bug of the caller).
    pub(crate) fn from_limb_writer(
        basis: &RnsBasis,
        repr: Representation,
        mut fill_limb: impl FnMut(usize, &mut AlignedVec),
    ) -> RnsPoly {
        let mut data = AlignedVec::with_capacity(basis.len() * basis.n);
        for i in 0..basis.len() {
            fill_limb(i, &mut data);
            assert_eq!(data.len(), (i + 1) * basis.n, "limb {i} written wrongly");
        }
        RnsPoly {
            n: basis.n,
            primes: basis.primes.clone(),
            repr,
            data,
        }
    }

    /// Ring degree.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Limb `i`, or [`Error::InvalidLevel`] if there is no such limb. ([`RnsPoly::limb`] panics
    /// instead, like slice indexing, for the kernels' internal use.)
    pub fn try_limb(&self, i: usize) -> Result<&[u64]> {
        if i < self.num_limbs() {
            Ok(self.limb(i))
        } else {
            Err(self.no_limb(i))
        }
    }

    /// Limb `i` mutably, or [`Error::InvalidLevel`] if there is no such limb.
    pub fn try_limb_mut(&mut self, i: usize) -> Result<&mut [u64]> {
        if i < self.num_limbs() {
            Ok(self.limb_mut(i))
        } else {
            Err(self.no_limb(i))
        }
    }

    fn no_limb(&self, i: usize) -> Error {
        Error::InvalidLevel {
            level: i,
            min: 0,
            max: self.num_limbs().saturating_sub(1),
        }
    }

    /// Number of limbs.
    pub fn num_limbs(&self) -> usize {
        self.primes.len()
    }

    /// The primes this polynomial is defined over.
    pub fn primes(&self) -> &[u64] {
        &self.primes
    }

    /// Coefficient or evaluation form.
    pub fn representation(&self) -> Representation {
        self.repr
    }

    /// Relabels the representation without transforming (for callers that filled the words).
    pub fn set_representation(&mut self, repr: Representation) {
        self.repr = repr;
    }

    /// Limb i.
    pub fn limb(&self, i: usize) -> &[u64] {
        &self.data[i * self.n..(i + 1) * self.n]
    }

    /// Limb i, mutable.
    pub fn limb_mut(&mut self, i: usize) -> &mut [u64] {
        &mut self.data[i * self.n..(i + 1) * self.n]
    }

    fn len_words(&self) -> usize {
        self.primes.len() * self.n
    }

    /// All words, limb after limb.
    pub fn as_words(&self) -> &[u64] {
        &self.data[..self.len_words()]
    }

    /// All words, mutable.
    pub fn as_words_mut(&mut self) -> &mut [u64] {
        let len = self.len_words();
        &mut self.data[..len]
    }

    /// Iterator over the limbs.
    pub fn limbs(&self) -> std::slice::ChunksExact<'_, u64> {
        self.as_words().chunks_exact(self.n)
    }

    /// Iterator over the limbs, mutable.
    pub fn limbs_mut(&mut self) -> std::slice::ChunksExactMut<'_, u64> {
        let n = self.n;
        self.as_words_mut().chunks_exact_mut(n)
    }

    /// Keeps the first `basis.len()` limbs (drops the top primes) in place; `basis` must be a
    /// prefix of the current one. No reallocation.
    pub fn truncate(&mut self, basis: &RnsBasis) -> Result<()> {
        let count = basis.len();
        if count == 0 || count > self.num_limbs() || basis.primes[..] != self.primes[..count] {
            return Err(Error::InvalidLevel {
                level: count,
                min: 1,
                max: self.num_limbs(),
            });
        }
        self.primes = basis.primes.clone();
        Ok(())
    }

    /// Re-labels this buffer as a polynomial over `basis` in `repr` (contents unspecified),
    /// reallocating only if the buffer is too small. Lets one scratch polynomial serve every
    /// level.
    pub fn reshape(&mut self, basis: &RnsBasis, repr: Representation) {
        if self.data.len() < basis.len() * basis.n || self.n != basis.n {
            // The old buffer may hold secret-derived data: wipe it before freeing (rare path).
            self.data.zeroize();
            self.data = AlignedVec::zeroed(basis.len() * basis.n);
        }
        self.n = basis.n;
        self.primes = basis.primes.clone();
        self.repr = repr;
    }

    fn check_repr(&self, want: Representation) -> Result<()> {
        if self.repr == want {
            Ok(())
        } else {
            Err(Error::WrongRepresentation {
                expected: want.name(),
                found: self.repr.name(),
            })
        }
    }

    fn check_pair(&self, other: &RnsPoly, basis: &RnsBasis) -> Result<()> {
        basis.check(&self.primes)?;
        basis.check(&other.primes)?;
        other.check_repr(self.repr)
    }

    /// Coefficient → evaluation form, every limb on its own plan.
    pub fn ntt(&mut self, basis: &RnsBasis) -> Result<()> {
        basis.check(&self.primes)?;
        self.check_repr(Representation::Coefficient)?;
        for (i, limb) in self.limbs_mut().enumerate() {
            basis.plan(i).forward(limb);
        }
        self.repr = Representation::Evaluation;
        Ok(())
    }

    /// Evaluation → coefficient form.
    pub fn intt(&mut self, basis: &RnsBasis) -> Result<()> {
        basis.check(&self.primes)?;
        self.check_repr(Representation::Evaluation)?;
        for (i, limb) in self.limbs_mut().enumerate() {
            basis.plan(i).inverse(limb);
        }
        self.repr = Representation::Coefficient;
        Ok(())
    }

    /// self += other (same basis and form).
    pub fn add_assign(&mut self, other: &RnsPoly, basis: &RnsBasis) -> Result<()> {
        self.check_pair(other, basis)?;
        for (i, (a, b)) in self
            .data
            .chunks_exact_mut(self.n)
            .zip(other.limbs())
            .enumerate()
        {
            basis.ops(i).add_assign(a, b);
        }
        Ok(())
    }

    /// self −= other (same basis and form).
    pub fn sub_assign(&mut self, other: &RnsPoly, basis: &RnsBasis) -> Result<()> {
        self.check_pair(other, basis)?;
        for (i, (a, b)) in self
            .data
            .chunks_exact_mut(self.n)
            .zip(other.limbs())
            .enumerate()
        {
            basis.ops(i).sub_assign(a, b);
        }
        Ok(())
    }

    /// self = −self.
    pub fn neg_assign(&mut self, basis: &RnsBasis) -> Result<()> {
        basis.check(&self.primes)?;
        for (i, a) in self.limbs_mut().enumerate() {
            basis.ops(i).neg_assign(a);
        }
        Ok(())
    }

    /// self ⊙= other, point-wise (both in evaluation form: a negacyclic product).
    pub fn mul_assign(&mut self, other: &RnsPoly, basis: &RnsBasis) -> Result<()> {
        self.check_pair(other, basis)?;
        self.check_repr(Representation::Evaluation)?;
        for (i, (a, b)) in self
            .data
            .chunks_exact_mut(self.n)
            .zip(other.limbs())
            .enumerate()
        {
            basis.ops(i).mul_assign(a, b);
        }
        Ok(())
    }

    /// self += a ⊙ b (all in evaluation form).
    pub fn mul_add_assign(&mut self, a: &RnsPoly, b: &RnsPoly, basis: &RnsBasis) -> Result<()> {
        self.check_pair(a, basis)?;
        self.check_pair(b, basis)?;
        self.check_repr(Representation::Evaluation)?;
        for (i, acc) in self.limbs_mut().enumerate() {
            basis.ops(i).mul_add_assign(acc, a.limb(i), b.limb(i));
        }
        Ok(())
    }

    /// self = self · c for a per-limb scalar `c[i] < q_i`.
    pub fn mul_scalar_assign(&mut self, c: &[u64], basis: &RnsBasis) -> Result<()> {
        basis.check(&self.primes)?;
        for (i, a) in self.limbs_mut().enumerate() {
            basis.ops(i).mul_scalar_assign(a, c[i]);
        }
        Ok(())
    }
}
