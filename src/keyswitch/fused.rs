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

use super::{Fusion, KeySwitchScratch, KeySwitcher, Level, SwitchingKey};
use crate::error::{Error, Result};
use crate::profile::Section;
use crate::rns::RnsPoly;
use crate::rns::basis_conversion::MAX_SOURCE_LIMBS;

impl KeySwitcher {
    /// The fused data flow the scratch asks for (not [`Fusion::Staged`]).
    pub(super) fn fused(
        &self,
        d: &RnsPoly,
        key: &SwitchingKey,
        scratch: &mut KeySwitchScratch,
    ) -> Result<&Level> {
        match scratch.fusion() {
            Fusion::PerLimb => self.fused_decompose_mac(d, key, scratch),
            _ => self.ntt_mac_decompose(d, key, scratch),
        }
    }

    /// `acc0 = Σ_j d̃_j ⊙ b_j`, `acc1 = Σ_j d̃_j ⊙ a_j` over Q_ℓ ∪ P (evaluation form, in
    /// `scratch.acc0/acc1`) straight from `d`, limb by limb (see the module docs). Checks `d`
    /// (level, primes, representation); the caller has checked key and scratch. Returns the
    /// level of `d`.
    pub(super) fn fused_decompose_mac(
        &self,
        d: &RnsPoly,
        key: &SwitchingKey,
        scratch: &mut KeySwitchScratch,
    ) -> Result<&Level> {
        let level = self.level_of(d)?;
        let mut dec = scratch
            .decomposition
            .take()
            .ok_or_else(|| Error::ScratchMismatch {
                reason: "scratch has no decomposition buffer".into(),
            })?;
        let (n, l, k, full_l) = (self.n, d.num_limbs(), self.p.len(), self.q.len());
        let ext_len = l + k;
        let beta = level.mod_ups.len();
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
        // Step 1 of every digit's conversion (t_i = x_i·(D_j/q_i)^{−1}), once.
        for (up, conv) in level.mod_ups.iter().zip(scratch.conv.iter_mut()) {
            let r = up.digit.clone();
            prof.record(Section::BasisConversion, 0, || {
                up.converter().prepare(&coeff[r.start * n..r.end * n], conv)
            });
        }
        let bufs = &mut dec.data[..beta * n];
        let (acc0, acc1) = (&mut scratch.acc0, &mut scratch.acc1);
        for e in 0..ext_len {
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
                    &bufs[j * n..(j + 1) * n]
                };
                bs[j] = key.b[j].limb(kl);
                as_[j] = key.a[j].limb(kl);
            }
            let (o0, o1) = (&mut acc0[e * n..(e + 1) * n], &mut acc1[e * n..(e + 1) * n]);
            prof.record(Section::Mac, 2 * beta as u64, || {
                self.dots[kl].dot2(&xs[..beta], &bs[..beta], &as_[..beta], o0, o1)
            });
        }
        scratch.decomposition = Some(dec);
        Ok(level)
    }

    /// As [`KeySwitcher::fused_decompose_mac`], fusing only the NTTs with the MAC: the
    /// conversions run as in the staged path (every output limb of a coefficient tile from the
    /// same source tile, into the full decomposition buffer), then per limb e of Q_ℓ ∪ P the
    /// NTT of each digit's limb e and at once the MAC of limb e. Saves the staged path's
    /// separate NTT pass over the decomposition (one write and one read of it).
    pub(super) fn ntt_mac_decompose(
        &self,
        d: &RnsPoly,
        key: &SwitchingKey,
        scratch: &mut KeySwitchScratch,
    ) -> Result<&Level> {
        let level = self.level_of(d)?;
        let mut dec = scratch
            .decomposition
            .take()
            .ok_or_else(|| Error::ScratchMismatch {
                reason: "scratch has no decomposition buffer".into(),
            })?;
        let (n, l, k, full_l) = (self.n, d.num_limbs(), self.p.len(), self.q.len());
        let ext_len = l + k;
        let beta = level.mod_ups.len();
        let stride = dec.ext_len * n;
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
        let (acc0, acc1) = (&mut scratch.acc0, &mut scratch.acc1);
        for e in 0..ext_len {
            let plan = level.ext.plan(e);
            for (up, dig) in level.mod_ups.iter().zip(data.chunks_mut(stride)) {
                if !up.digit.contains(&e) {
                    prof.record(Section::Ntt, 1, || {
                        plan.forward(&mut dig[e * n..(e + 1) * n])
                    });
                }
            }
            let kl = if e < l { e } else { full_l + e - l };
            let empty: &[u64] = &[];
            let mut xs = [empty; MAX_SOURCE_LIMBS];
            let mut bs = [empty; MAX_SOURCE_LIMBS];
            let mut as_ = [empty; MAX_SOURCE_LIMBS];
            for (j, up) in level.mod_ups.iter().enumerate() {
                xs[j] = if up.digit.contains(&e) {
                    d.limb(e)
                } else {
                    &data[j * stride + e * n..j * stride + (e + 1) * n]
                };
                bs[j] = key.b[j].limb(kl);
                as_[j] = key.a[j].limb(kl);
            }
            let (o0, o1) = (&mut acc0[e * n..(e + 1) * n], &mut acc1[e * n..(e + 1) * n]);
            prof.record(Section::Mac, 2 * beta as u64, || {
                self.dots[kl].dot2(&xs[..beta], &bs[..beta], &as_[..beta], o0, o1)
            });
        }
        scratch.decomposition = Some(dec);
        Ok(level)
    }
}
