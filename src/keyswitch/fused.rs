//! The per-limb fused decomposition + multiply-accumulate of one key switch (one thread).
//!
//! The staged path ([`KeySwitcher::decompose`] then the MAC) writes the whole decomposition —
//! β digits × (ℓ + 1 + |P|) limbs, 40 MiB at set L — transforms it in a second pass and reads
//! it back in a third, each pass streaming from DRAM. The fused path produces one target limb
//! e of Q_ℓ ∪ P at a time for every digit: the conversion's step 1 is done once per digit
//! ([`crate::rns::basis_conversion::BasisConverter::prepare`], the t_i of the whole input,
//! ℓ + 1 limbs, which stay in the last-level cache), then per limb e and digit j the output row
//! ([`crate::rns::basis_conversion::BasisConverter::convert_rows`]), its NTT and at once the
//! MAC of limb e over all digits with the key — the digit limbs never leave the cache. The
//! words are the same as the staged path's (same conversions, same NTTs, same lazy dot
//! products), which the tests check bit for bit; only the order changes. The key is still
//! read once per switch, from DRAM.
//!
//! Buffers: the prepared t_i in the per-digit conversion scratch, one limb of n words per
//! digit in the (otherwise unused) decomposition buffer. Ranges as in the staged path: every
//! word canonical.

use super::{Decomposition, Fusion, KeySwitchScratch, KeySwitcher, Level, SwitchingKey};
use crate::error::Result;
use crate::profile::{Profile, Section};
use crate::rns::RnsPoly;
use crate::rns::basis_conversion::MAX_SOURCE_LIMBS;

impl KeySwitcher {
    /// The fused data flow the scratch asks for (not [`Fusion::Staged`]): `acc0 = Σ_j d̃_j ⊙ b_j`,
    /// `acc1 = Σ_j d̃_j ⊙ a_j` over Q_ℓ ∪ P (evaluation form, in `scratch.acc0/acc1`) straight
    /// from `d`. Checks `d` (level, primes, representation); the caller has checked key and
    /// scratch. Returns the level of `d`.
    pub(super) fn fused(
        &self,
        d: &RnsPoly,
        key: &SwitchingKey,
        scratch: &mut KeySwitchScratch,
    ) -> Result<&Level> {
        let fusion = scratch.fusion();
        let (level, mut dec) = self.fused_begin(d, scratch)?;
        match fusion {
            Fusion::PerLimb => self.per_limb(level, d, key, &mut dec, scratch),
            _ => self.ntt_mac(level, d, key, &mut dec, scratch),
        }
        scratch.decomposition = Some(dec);
        Ok(level)
    }

    /// The start of both fused flows: checks `d`, takes the decomposition buffer, counts the
    /// switch and puts `d` in coefficient form into `scratch.coeff`.
    fn fused_begin(
        &self,
        d: &RnsPoly,
        scratch: &mut KeySwitchScratch,
    ) -> Result<(&Level, Decomposition)> {
        let level = self.level_of(d)?;
        let dec = scratch.take_decomposition()?;
        let (n, l) = (self.n, d.num_limbs());
        let prof = &mut scratch.profile;
        prof.mod_ups += 1;
        prof.key_switches += 1;
        let coeff = &mut scratch.coeff[..l * n];
        coeff.copy_from_slice(d.as_words());
        prof.record(Section::Intt, l as u64, || {
            for (i, limb) in coeff.chunks_mut(n).enumerate() {
                level.q.plan(i).inverse(limb);
            }
        });
        Ok((level, dec))
    }

    /// [`Fusion::PerLimb`]: step 1 of every digit's conversion once, then per limb e of
    /// Q_ℓ ∪ P the conversion row of every digit into a one-limb buffer, its NTT, the MAC.
    fn per_limb(
        &self,
        level: &Level,
        d: &RnsPoly,
        key: &SwitchingKey,
        dec: &mut Decomposition,
        scratch: &mut KeySwitchScratch,
    ) {
        let (n, l) = (self.n, d.num_limbs());
        let beta = level.mod_ups.len();
        let prof = &mut scratch.profile;
        let coeff = &scratch.coeff[..l * n];
        // Step 1 of every digit's conversion (t_i = x_i·(D_j/q_i)^{−1}), once.
        for (up, conv) in level.mod_ups.iter().zip(scratch.conv.iter_mut()) {
            let r = up.digit.clone();
            prof.record(Section::BasisConversion, 0, || {
                up.converter().prepare(&coeff[r.start * n..r.end * n], conv)
            });
        }
        let bufs = &mut dec.data[..beta * n];
        for e in 0..level.ext.len() {
            let plan = level.ext.plan(e);
            for ((up, conv), buf) in level
                .mod_ups
                .iter()
                .zip(scratch.conv.iter_mut())
                .zip(bufs.chunks_mut(n))
            {
                let r = &up.digit;
                if r.contains(&e) {
                    continue;
                }
                // Row of limb e among the converter's targets (every limb outside the digit).
                let row = if e < r.start { e } else { e - r.len() };
                prof.record(Section::BasisConversion, 1, || {
                    up.converter().convert_rows(row..row + 1, buf, conv)
                });
                prof.record(Section::Ntt, 1, || plan.forward(buf));
            }
            let bufs = &*bufs;
            let limb = |j: usize| &bufs[j * n..(j + 1) * n];
            let acc = (&mut scratch.acc0[..], &mut scratch.acc1[..]);
            self.mac_limb(level, d, e, &limb, key, acc, prof);
        }
    }

    /// [`Fusion::NttMac`]: the conversions as in the staged path (every output limb of a
    /// coefficient tile from the same source tile, into the full decomposition buffer), then
    /// per limb e of Q_ℓ ∪ P the NTT of each digit's limb e and at once the MAC of limb e —
    /// no separate NTT pass over the decomposition (one write and one read of it saved).
    fn ntt_mac(
        &self,
        level: &Level,
        d: &RnsPoly,
        key: &SwitchingKey,
        dec: &mut Decomposition,
        scratch: &mut KeySwitchScratch,
    ) {
        let (n, l) = (self.n, d.num_limbs());
        let (ext_len, beta) = (level.ext.len(), level.mod_ups.len());
        let stride = dec.ext_len * n;
        let prof = &mut scratch.profile;
        let coeff = &scratch.coeff[..l * n];
        let data = &mut dec.data[..beta * stride];
        for ((up, conv), dig) in level
            .mod_ups
            .iter()
            .zip(scratch.conv.iter_mut())
            .zip(data.chunks_mut(stride))
        {
            let r = up.digit.clone();
            let count = (ext_len - r.len()) as u64;
            prof.record(Section::BasisConversion, count, || {
                up.apply(
                    &coeff[r.start * n..r.end * n],
                    &mut dig[..ext_len * n],
                    conv,
                )
            });
        }
        for e in 0..ext_len {
            let plan = level.ext.plan(e);
            for (up, dig) in level.mod_ups.iter().zip(data.chunks_mut(stride)) {
                if !up.digit.contains(&e) {
                    prof.record(Section::Ntt, 1, || {
                        plan.forward(&mut dig[e * n..(e + 1) * n])
                    });
                }
            }
            let data = &*data;
            let limb = |j: usize| &data[j * stride + e * n..j * stride + (e + 1) * n];
            let acc = (&mut scratch.acc0[..], &mut scratch.acc1[..]);
            self.mac_limb(level, d, e, &limb, key, acc, prof);
        }
    }

    /// The MAC of limb e of Q_ℓ ∪ P over every digit: a digit's own limbs come from `d`, the
    /// others from `limb(j)` (evaluation form, canonical), into limb e of `acc`.
    #[allow(clippy::too_many_arguments)]
    fn mac_limb<'a>(
        &self,
        level: &Level,
        d: &'a RnsPoly,
        e: usize,
        limb: &dyn Fn(usize) -> &'a [u64],
        key: &'a SwitchingKey,
        (acc0, acc1): (&mut [u64], &mut [u64]),
        prof: &mut Profile,
    ) {
        let (n, l, full_l) = (self.n, d.num_limbs(), self.q.len());
        let beta = level.mod_ups.len();
        // Key limb of extended limb e: Q limbs keep their index, P limbs follow all of Q.
        let kl = if e < l { e } else { full_l + e - l };
        let empty: &[u64] = &[];
        let mut xs = [empty; MAX_SOURCE_LIMBS];
        let mut bs = [empty; MAX_SOURCE_LIMBS];
        let mut as_ = [empty; MAX_SOURCE_LIMBS];
        for (j, up) in level.mod_ups.iter().enumerate() {
            xs[j] = if up.digit.contains(&e) {
                d.limb(e)
            } else {
                limb(j)
            };
            bs[j] = key.b[j].limb(kl);
            as_[j] = key.a[j].limb(kl);
        }
        let (o0, o1) = (&mut acc0[e * n..(e + 1) * n], &mut acc1[e * n..(e + 1) * n]);
        prof.record(Section::Mac, 2 * beta as u64, || {
            self.dots[kl].dot2(&xs[..beta], &bs[..beta], &as_[..beta], o0, o1)
        });
    }
}
