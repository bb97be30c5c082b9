//! The ModDown half of a key switch: divide by P and round, back from Q_ℓ ∪ P to Q_ℓ.
//!
//! For x over Q_ℓ ∪ P (evaluation form, words in [0, q_i)), ModDown returns
//! `⌊x / P⌉ mod Q_ℓ` (evaluation form, words in [0, q_i)): with x_c the centered residue of x
//! mod P, converted from x's P limbs to Q_ℓ **exactly** (see [`crate::rns::basis_conversion`]),
//! the result is `(x − x_c)·P^{−1}`, limb by limb — round to nearest. Its rounding error
//! r ∈ [−1/2, 1/2] is zero-mean with variance 1/12: the `(1 + h)/12` term of the noise formula
//! in the module docs.
//!
//! `mod_down_pair` serves the switch paths (two outputs, side by side on the rayon pool with a
//! parallel scratch, work buffers from the caller); [`KeySwitcher::mod_down`] is the public
//! one-polynomial form (allocates; e.g. for public-key encryption over Q ∪ P).

use super::{KeySwitcher, Level};
use crate::aligned::AlignedVec;
use crate::error::{Error, Result};
use crate::profile::{Profile, ProfileLevel};
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
