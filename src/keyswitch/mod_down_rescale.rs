//! ModDown fused with the rescale that follows a relinearization: one division by D = P·q_{ℓ−1}
//! instead of a division by P and then one by q_{ℓ−1}.
//!
//! ## Math
//! A relinearization returns `c_i + ModDown(acc_i)` over Q_ℓ (ℓ limbs q_0..q_{ℓ−1}), and the
//! rescale that follows divides that by q_{ℓ−1} with rounding. With x_i = P·c_i + acc_i over
//! Q_ℓ ∪ P (P·c_i is 0 in the P limbs and `[P]_{q}·c_i` in the Q limbs), both steps together are
//!
//! `⌊x / D⌉ = (x − x_c) · D^{−1}` over Q_{ℓ−1}, D = P·q_{ℓ−1},
//!
//! where x_c is the centered residue of x mod D, read from its limbs over B = {q_{ℓ−1}} ∪ P and
//! converted **exactly** to Q_{ℓ−1} ([`BasisConverter::exact`], |B| = |P| + 1 ≤
//! [`MAX_EXACT_SOURCE_LIMBS`]). One rounding, to nearest, |error| ≤ 1/2 + 2^−40 per coefficient
//! and zero mean — the two-step path rounds twice (ModDown's r/q_{ℓ−1} plus the rescale's
//! rounding), so the fused result is as precise or slightly more.
//!
//! ## Cost per output polynomial (ℓ Q limbs, k = |P|)
//! | | INTT | NTT | converted limbs |
//! |---|---|---|---|
//! | ModDown, then rescale | k + 1 | ℓ + (ℓ − 1) | ℓ (from k) |
//! | fused | k + 1 | ℓ − 1 | ℓ − 1 (from k + 1) |
//!
//! ℓ fewer NTTs per polynomial, 2ℓ per relinearize + rescale.

use super::{Fusion, KeySwitchScratch, KeySwitcher, Level, SwitchingKey};
use crate::error::{Error, Result};
use crate::isa::Isa;
use crate::profile::{Profile, Section};
use crate::rns::basis_conversion::{BasisConverter, MAX_EXACT_SOURCE_LIMBS};
use crate::rns::{Representation, RnsBasis, RnsPoly};

/// The fused step of one level: from Q_ℓ ∪ P (and the additive parts over Q_ℓ) to Q_{ℓ−1}.
#[derive(Debug, Clone)]
pub struct ModDownRescale {
    /// ℓ: Q limbs of the input.
    q_len: usize,
    /// B = {q_{ℓ−1}} ∪ P → Q_{ℓ−1}, exact.
    converter: BasisConverter,
    /// [P]_{q_i} for i < ℓ.
    p_mod_q: Vec<u64>,
    /// D^{−1} mod q_i for i < ℓ − 1.
    d_inv: Vec<u64>,
}

impl ModDownRescale {
    /// Whether the fused step exists for `p_len` special primes (the exact conversion takes at
    /// most [`MAX_EXACT_SOURCE_LIMBS`] source limbs) at a level of `q_len` ≥ 2 Q limbs.
    pub fn supported(q_len: usize, p_len: usize) -> bool {
        q_len >= 2 && p_len < MAX_EXACT_SOURCE_LIMBS
    }

    /// The fused step for Q_ℓ = `q` (ℓ ≥ 2 limbs) and special primes `p`, kernels capped at
    /// `isa`. Errors unless [`ModDownRescale::supported`].
    pub fn with_isa(q: &RnsBasis, p: &RnsBasis, isa: Isa) -> Result<ModDownRescale> {
        let l = q.len();
        if !Self::supported(l, p.len()) {
            return Err(Error::InvalidKeySwitchParams {
                reason: format!(
                    "fused ModDown + rescale needs ≥ 2 Q limbs and at most {} special primes \
                     (got {l} and {})",
                    MAX_EXACT_SOURCE_LIMBS - 1,
                    p.len()
                ),
            });
        }
        let src = q.select(&[l - 1]).concat(p)?;
        let dst = q.prefix(l - 1);
        let converter =
            BasisConverter::exact_with_isa(&src, &dst, &(0..l - 1).collect::<Vec<_>>(), isa)?;
        let p_mod_q: Vec<u64> = (0..l)
            .map(|i| q.modulus(i).product_mod(p.primes().iter().copied()))
            .collect();
        let q_last = q.primes()[l - 1];
        let d_inv = (0..l - 1)
            .map(|i| {
                let m = q.modulus(i);
                let d = m.mul_mod(p_mod_q[i], q_last % m.value());
                m.inv_mod(d).expect("distinct primes are coprime")
            })
            .collect();
        Ok(ModDownRescale {
            q_len: l,
            converter,
            p_mod_q,
            d_inv,
        })
    }

    /// Words of scratch one input of `apply_many` needs.
    pub(crate) fn scratch_len(&self, n: usize) -> usize {
        self.converter.scratch_len()
            + self.converter.source_len() * n
            + self.converter.target_len() * n
    }

    /// `outs[m] = ⌊(P·cs[m] + xs[m]) / D⌉` over Q_{ℓ−1} (evaluation form), for `xs[m]` over
    /// Q_ℓ ∪ P and `cs[m]` over Q_ℓ (evaluation form, canonical). Ordered by prime: the B limbs
    /// of every input go to coefficient form, then the conversions, then per Q limb the NTT of
    /// every input's converted limb followed at once by its `(P·c + x − y)·D^{−1}`. Each
    /// scratch holds at least [`ModDownRescale::scratch_len`] words. Allocates nothing.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn apply_many<const M: usize>(
        &self,
        q_basis: &RnsBasis,
        p_basis: &RnsBasis,
        xs: [&[u64]; M],
        cs: [&[u64]; M],
        mut outs: [&mut [u64]; M],
        scratches: [&mut [u64]; M],
        prof: &mut Profile,
    ) {
        let n = q_basis.n();
        let (k, l) = (p_basis.len(), self.q_len);
        let mut parts = scratches.map(|s| {
            let (src, rest) = s.split_at_mut((k + 1) * n);
            let (yq, conv) = rest.split_at_mut((l - 1) * n);
            (src, yq, conv)
        });
        prof.mod_downs += M as u64;
        let last = l - 1;
        let lim = |i: usize| i * n..(i + 1) * n;
        // B limbs to coefficient form: [P]·c + x on q_{ℓ−1}, x itself on P.
        prof.record(Section::Intt, (M * (k + 1)) as u64, || {
            let (plan, ops) = (q_basis.plan(last), q_basis.ops(last));
            for ((x, c), (src, _, _)) in xs.iter().zip(&cs).zip(parts.iter_mut()) {
                let s0 = &mut src[lim(0)];
                ops.mul_scalar(&c[lim(last)], self.p_mod_q[last], s0);
                ops.add_assign(s0, &x[lim(last)]);
                plan.inverse(s0);
            }
            for j in 0..k {
                let plan = p_basis.plan(j);
                for (x, (src, _, _)) in xs.iter().zip(parts.iter_mut()) {
                    plan.inverse_into(&x[lim(l + j)], &mut src[lim(j + 1)]);
                }
            }
        });
        prof.record(Section::BasisConversion, (M * (l - 1)) as u64, || {
            for (src, yq, conv) in parts.iter_mut() {
                self.converter.convert(src, yq, conv);
            }
        });
        for i in 0..l - 1 {
            let (plan, ops) = (q_basis.plan(i), q_basis.ops(i));
            let rows = xs
                .iter()
                .zip(&cs)
                .zip(outs.iter_mut())
                .zip(parts.iter_mut());
            for (((x, c), out), (_, yq, _)) in rows {
                let y = &mut yq[lim(i)];
                prof.record(Section::Ntt, 1, || plan.forward(y));
                prof.record(Section::Other, 1, || {
                    let o = &mut out[lim(i)];
                    ops.mul_scalar(&c[lim(i)], self.p_mod_q[i], o);
                    ops.add_assign(o, &x[lim(i)]);
                    ops.sub_assign(o, y);
                    ops.mul_scalar_assign(o, self.d_inv[i]);
                });
            }
        }
    }
}

impl KeySwitcher {
    /// Whether [`KeySwitcher::switch_rescale`] is available for inputs with `q_len` Q limbs
    /// (at least 2, and at most [`MAX_EXACT_SOURCE_LIMBS`] − 1 special primes).
    pub fn fuses_rescale(&self, q_len: usize) -> bool {
        self.level_for(q_len)
            .is_ok_and(|lv| lv.mod_down_rescale.is_some())
    }

    /// Key switch and rescale in one step: `out_m ≈ ⌊(c_m + ModDown(Σ_j d̃_j ⊙ key_{m,j})) /
    /// q_{ℓ−1}⌉` over Q_{ℓ−1}, computed as one division by P·q_{ℓ−1} (module docs). For a
    /// relinearization `d` is the degree-2 part and `(c0, c1)` the other two. All inputs over
    /// Q_ℓ in evaluation form; outputs over Q_{ℓ−1}, evaluation form.
    ///
    /// Errors as [`KeySwitcher::switch`], with [`Error::BasisMismatch`] for parts or outputs over
    /// other primes, [`Error::WrongRepresentation`] for coefficient-form parts, and
    /// [`Error::InvalidKeySwitchParams`] where [`KeySwitcher::fuses_rescale`] is false.
    pub fn switch_rescale(
        &self,
        d: &RnsPoly,
        key: &SwitchingKey,
        (c0, c1): (&RnsPoly, &RnsPoly),
        out0: &mut RnsPoly,
        out1: &mut RnsPoly,
        scratch: &mut KeySwitchScratch,
    ) -> Result<()> {
        self.check_key(key)?;
        self.check_scratch(scratch)?;
        if key.galois.is_some() {
            return Err(Error::KeyMismatch {
                reason: "switch_rescale takes a relinearization-type key, not a Galois key".into(),
            });
        }
        let l = d.num_limbs();
        let level = self.level_for(l)?;
        let fused =
            level
                .mod_down_rescale
                .as_ref()
                .ok_or_else(|| Error::InvalidKeySwitchParams {
                    reason: format!(
                        "no fused ModDown + rescale at {l} Q limbs with {} special primes",
                        self.p.len()
                    ),
                })?;
        for c in [c0, c1] {
            level.q.check(c.primes())?;
            if c.representation() != Representation::Evaluation {
                return Err(Error::WrongRepresentation {
                    expected: Representation::Evaluation.name(),
                    found: c.representation().name(),
                });
            }
        }
        let lower = self.level_for(l - 1)?;
        lower.q.check(out0.primes())?;
        lower.q.check(out1.primes())?;
        let (n, k) = (self.n, self.p.len());
        if scratch.fusion() != Fusion::Staged {
            self.fused(d, key, scratch)?;
        } else {
            let mut dec = scratch.take_decomposition()?;
            let r = self.decompose(d, &mut dec, scratch);
            if r.is_ok() {
                let par = scratch.parallel;
                let acc0 = &mut scratch.acc0[..(l + k) * n];
                let acc1 = &mut scratch.acc1[..(l + k) * n];
                let prof = &mut scratch.profile;
                prof.key_switches += 1;
                prof.record(Section::Mac, (2 * dec.digits * (l + k)) as u64, || {
                    self.mac_into(&dec, key, acc0, acc1, par)
                });
            }
            scratch.decomposition = Some(dec);
            r?;
        }
        let par = scratch.parallel;
        let (acc0, acc1) = (&scratch.acc0[..(l + k) * n], &scratch.acc1[..(l + k) * n]);
        let (s0, s1) = scratch.conv.split_at_mut(1);
        let (x, c) = ([acc0, acc1], [c0.as_words(), c1.as_words()]);
        let outs = [out0.as_words_mut(), out1.as_words_mut()];
        run_pair(
            self,
            level,
            fused,
            (x, c, outs),
            (&mut s0[0], &mut s1[0]),
            &mut scratch.profile,
            par,
        );
        out0.set_representation(Representation::Evaluation);
        out1.set_representation(Representation::Evaluation);
        Ok(())
    }
}

/// The two outputs of [`KeySwitcher::switch_rescale`]: side by side on the rayon pool with
/// `par`, else ordered by prime on this thread.
#[allow(clippy::type_complexity)]
fn run_pair(
    ks: &KeySwitcher,
    level: &Level,
    fused: &ModDownRescale,
    (x, c, [o0, o1]): ([&[u64]; 2], [&[u64]; 2], [&mut [u64]; 2]),
    (s0, s1): (&mut [u64], &mut [u64]),
    prof: &mut Profile,
    par: bool,
) {
    let (q, p) = (&level.q, &ks.p);
    if par {
        let (mut p0, mut p1) = (Profile::new(prof.level), Profile::new(prof.level));
        rayon::join(
            || fused.apply_many(q, p, [x[0]], [c[0]], [o0], [s0], &mut p0),
            || fused.apply_many(q, p, [x[1]], [c[1]], [o1], [s1], &mut p1),
        );
        prof.merge(&p0);
        prof.merge(&p1);
    } else {
        fused.apply_many(q, p, x, c, [o0, o1], [s0, s1], prof);
    }
}
