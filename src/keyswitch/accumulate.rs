//! The multiply-accumulate over digits, and the double-hoisted sum of rotations built on it.
//!
//! **MAC.** Per limb e of Q_ℓ ∪ P: `acc0_e = Σ_j d̃_{j,e} ⊙ b_{j,e}`, `acc1_e = Σ_j d̃_{j,e} ⊙ a_{j,e}`
//! over the active digits j (at most [`MAX_SOURCE_LIMBS`]). Key limbs are indexed over all of
//! Q ∪ P: a Q limb keeps its index e < ℓ, a P limb e ≥ ℓ reads key limb |Q| + e − ℓ, so one
//! key serves every level. Inputs are canonical (words in [0, q_e)); each output coefficient is
//! accumulated exactly without reduction (128-bit, or IFMA 52-bit halves: the per-prime
//! [`LimbDot`] kernels) and reduced once, so the outputs are canonical too.
//!
//! **Double hoisting** ([`KeySwitcher::hoisted_begin`], [`KeySwitcher::hoisted_accumulate`],
//! [`KeySwitcher::hoisted_finish`]): for a sum of rotations of one decomposed input,
//! `Σ_r σ_r(ModDown(Σ_j d̃_j ⊙ key_{r,j}))` ≈ `ModDown(Σ_r σ_r(Σ_j d̃_j ⊙ key_{r,j}))`, equal up
//! to rounding (σ permutes each limb in evaluation form; ModDown is linear but for its
//! rounding). So the totals stay over Q_ℓ ∪ P (canonical, added mod q_e) and a single ModDown
//! ends the sum: one rounding error instead of one per rotation.
//!
//! [`LimbDot`]: crate::rns::basis_conversion::LimbDot

use super::{Decomposition, KeySwitchScratch, KeySwitcher, SwitchingKey};
use crate::error::{Error, Result};
use crate::profile::Section;
use crate::rns::basis_conversion::MAX_SOURCE_LIMBS;
use crate::rns::{Automorphism, Representation, RnsPoly};
use rayon::prelude::*;

impl KeySwitcher {
    /// Per extended limb: acc0 = Σ_j d̃_j ⊙ b_j, acc1 = Σ_j d̃_j ⊙ a_j, accumulated exactly and
    /// reduced once (lazy across digits).
    pub(super) fn mac_into(
        &self,
        dec: &Decomposition,
        key: &SwitchingKey,
        acc0: &mut [u64],
        acc1: &mut [u64],
        par: bool,
    ) {
        let (n, l, full_l) = (self.n, dec.q_len, self.q.len());
        let mac = |e: usize, o0: &mut [u64], o1: &mut [u64]| {
            // Key limb of extended limb e: Q limbs keep their index, P limbs follow all of Q.
            let kl = if e < l { e } else { full_l + e - l };
            let empty: &[u64] = &[];
            let mut xs = [empty; MAX_SOURCE_LIMBS];
            let mut bs = [empty; MAX_SOURCE_LIMBS];
            let mut as_ = [empty; MAX_SOURCE_LIMBS];
            for j in 0..dec.digits {
                xs[j] = &dec.digit(j)[e * n..(e + 1) * n];
                bs[j] = key.b[j].limb(kl);
                as_[j] = key.a[j].limb(kl);
            }
            let d = dec.digits;
            self.dots[kl].dot2(&xs[..d], &bs[..d], &as_[..d], o0, o1);
        };
        if par {
            acc0.par_chunks_mut(n)
                .zip(acc1.par_chunks_mut(n))
                .enumerate()
                .for_each(|(e, (o0, o1))| mac(e, o0, o1));
        } else {
            acc0.chunks_mut(n)
                .zip(acc1.chunks_mut(n))
                .enumerate()
                .for_each(|(e, (o0, o1))| mac(e, o0, o1));
        }
    }

    /// Double hoisting, step 1: clears the Q_ℓ ∪ P totals of a hoisted sum over inputs with
    /// `q_len` Q limbs.
    pub fn hoisted_begin(&self, q_len: usize, scratch: &mut KeySwitchScratch) -> Result<()> {
        self.check_scratch(scratch)?;
        self.level_for(q_len)?;
        let len = (q_len + self.p.len()) * self.n;
        scratch.tot[0][..len].fill(0);
        scratch.tot[1][..len].fill(0);
        Ok(())
    }

    /// Double hoisting, step 2: `tot += σ(Σ_j d̃_j ⊙ key_j)` over Q_ℓ ∪ P — a rotation of the
    /// decomposed input, without its ModDown. `key` is the Galois key of `auto`.
    pub fn hoisted_accumulate(
        &self,
        dec: &Decomposition,
        key: &SwitchingKey,
        auto: &Automorphism,
        scratch: &mut KeySwitchScratch,
    ) -> Result<()> {
        self.check_key(key)?;
        self.check_scratch(scratch)?;
        if key.galois != Some(auto.galois_element()) {
            return Err(Error::KeyMismatch {
                reason: format!(
                    "key is for Galois element {:?}, not {}",
                    key.galois,
                    auto.galois_element()
                ),
            });
        }
        let level = self.level_for(dec.q_len)?;
        let n = self.n;
        let ext_len = dec.q_len + self.p.len();
        let par = scratch.parallel;
        let (acc0, acc1) = (
            &mut scratch.acc0[..ext_len * n],
            &mut scratch.acc1[..ext_len * n],
        );
        let prof = &mut scratch.profile;
        prof.key_switches += 1;
        prof.record(Section::Mac, (2 * dec.digits * ext_len) as u64, || {
            self.mac_into(dec, key, acc0, acc1, par)
        });
        let [tot0, tot1] = &mut scratch.tot;
        prof.record(Section::Other, 2 * ext_len as u64, || {
            for (acc, tot) in [
                (&*acc0, &mut tot0[..ext_len * n]),
                (&*acc1, &mut tot1[..ext_len * n]),
            ] {
                for (e, (a, t)) in acc.chunks_exact(n).zip(tot.chunks_exact_mut(n)).enumerate() {
                    auto.add_eval_limb(level.ext.modulus(e), a, t);
                }
            }
        });
        Ok(())
    }

    /// Double hoisting, step 3: `(out0, out1) = ModDown(tot)` — one ModDown for all the
    /// accumulated rotations.
    pub fn hoisted_finish(
        &self,
        q_len: usize,
        out0: &mut RnsPoly,
        out1: &mut RnsPoly,
        scratch: &mut KeySwitchScratch,
    ) -> Result<()> {
        self.check_scratch(scratch)?;
        let level = self.level_for(q_len)?;
        level.q.check(out0.primes())?;
        level.q.check(out1.primes())?;
        let len = (q_len + self.p.len()) * self.n;
        let par = scratch.parallel;
        let [tot0, tot1] = &scratch.tot;
        self.mod_down_pair(
            level,
            (&tot0[..len], &tot1[..len]),
            (out0.as_words_mut(), out1.as_words_mut()),
            &mut scratch.conv,
            &mut scratch.profile,
            par,
        );
        out0.set_representation(Representation::Evaluation);
        out1.set_representation(Representation::Evaluation);
        Ok(())
    }
}
