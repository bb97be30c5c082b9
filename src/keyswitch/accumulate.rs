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
//! **Kernel.** [`LimbDot`] (below) runs the per-prime dot products on the conversion kernels'
//! exact accumulators (`rns::basis_conversion::ConvKernel`), through the one dispatch point.

use super::{Decomposition, KeySwitchScratch, KeySwitcher, SwitchingKey};
use crate::arith::Modulus;
use crate::arith::dispatch::{Backend, Job};
use crate::error::{Error, Result};
use crate::isa::Isa;
use crate::profile::Section;
use crate::rns::basis_conversion::{ConvKernel, DstConsts, MAX_SOURCE_LIMBS, dst_consts};
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

/// Exact lazy inner products over limbs of one prime: `out = Σ_j x_j ⊙ y_j mod p`, each output
/// coefficient accumulated without reduction (128-bit, or IFMA lo/hi halves) and reduced once.
/// Used for the key-switching multiply-accumulate across digits.
#[derive(Debug, Clone, Copy)]
pub struct LimbDot {
    consts: DstConsts,
    backend: Backend,
}

/// The operands of one [`LimbDot::dot2`] call, bundled for the target-feature job.
struct DotArgs<'a> {
    xs: &'a [&'a [u64]],
    ys0: &'a [&'a [u64]],
    ys1: &'a [&'a [u64]],
    out0: &'a mut [u64],
    out1: &'a mut [u64],
}

impl LimbDot {
    /// For prime `m`, on the best ISA up to `isa` (IFMA only if m < 2^50).
    pub fn new(m: &Modulus, isa: Isa) -> Result<LimbDot> {
        let isa = isa.best_for_modulus(m.value());
        let backend = Backend::new(isa)?;
        Ok(LimbDot {
            consts: dst_consts(m, isa == Isa::Avx512Ifma),
            backend,
        })
    }

    /// The ISA the kernel runs on.
    pub fn isa(&self) -> Isa {
        self.backend.isa()
    }

    /// `out0 = Σ_j xs[j] ⊙ ys0[j]`, `out1 = Σ_j xs[j] ⊙ ys1[j]` (mod p, canonical), for up to
    /// [`MAX_SOURCE_LIMBS`] terms of canonical inputs. Allocates nothing.
    ///
    /// # Panics
    /// If the term counts differ, exceed the maximum, or a slice is shorter than `out0`.
    pub fn dot2(
        &self,
        xs: &[&[u64]],
        ys0: &[&[u64]],
        ys1: &[&[u64]],
        out0: &mut [u64],
        out1: &mut [u64],
    ) {
        assert!(xs.len() == ys0.len() && xs.len() == ys1.len() && xs.len() <= MAX_SOURCE_LIMBS);
        let len = out0.len();
        assert!(out1.len() == len && xs.iter().chain(ys0).chain(ys1).all(|s| s.len() >= len));
        let args = DotArgs {
            xs,
            ys0,
            ys1,
            out0,
            out1,
        };
        self.backend.dispatch(DotJob {
            c: &self.consts,
            args,
        })
    }
}

/// One [`LimbDot::dot2`]: the job [`Backend::dispatch`] runs.
struct DotJob<'a> {
    c: &'a DstConsts,
    args: DotArgs<'a>,
}

impl<K: ConvKernel> Job<K> for DotJob<'_> {
    type Output = ();
    #[inline(always)]
    fn run(self, k: K) {
        dot_driver(k, self.c, self.args)
    }
}

/// Prefetch distance of the digit MAC, in words per stream.
const DOT_PREFETCH: usize = 256;

#[inline(always)]
fn dot_driver<K: ConvKernel>(k: K, c: &DstConsts, a: DotArgs<'_>) {
    let len = a.out0.len();
    let chunks = a
        .out0
        .chunks_exact_mut(K::LANES)
        .zip(a.out1.chunks_exact_mut(K::LANES));
    for (off, (o0, o1)) in (0..len).step_by(K::LANES).zip(chunks) {
        let (mut acc0, mut acc1) = (k.acc_zero(), k.acc_zero());
        for ((x, y0), y1) in a.xs.iter().zip(a.ys0).zip(a.ys1) {
            // 3·digits streams, the key limbs from DRAM. The L2 streamer stops at every 4 KiB
            // page and ramps up again; a software prefetch DOT_PREFETCH words (2 KiB) ahead keeps
            // each stream in flight across pages (MAC at L: 17.6 → 16.0 ms, median of 3).
            k.prefetch(x, off + DOT_PREFETCH);
            k.prefetch(y0, off + DOT_PREFETCH);
            k.prefetch(y1, off + DOT_PREFETCH);
            let xv = k.load(&x[off..off + K::LANES]);
            acc0 = k.acc_mac(acc0, xv, k.load(&y0[off..off + K::LANES]));
            acc1 = k.acc_mac(acc1, xv, k.load(&y1[off..off + K::LANES]));
        }
        k.store(o0, k.acc_reduce(acc0, c));
        k.store(o1, k.acc_reduce(acc1, c));
    }
}
