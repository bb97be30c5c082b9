//! Seeded (compressed) switching keys.
//!
//! The parts `a_j` of a switching key are uniform and public, so — as in SEAL, OpenFHE and
//! Lattigo — they need not be stored: a key generated from a 32-byte seed keeps the seed, and
//! its serialized *compressed* form holds only the `b_j` and the seed, half the bytes. Loading
//! re-expands the `a_j` with the same CSPRNG.
//!
//! # Expansion (normative: the format depends on it)
//!
//! `ChaCha20Rng::from_seed(seed)` (rand_chacha), with its 64-bit stream id set to the key's
//! Galois element g (0 for a key without one, e.g. the relinearization key), so the same seed
//! under another label expands to unrelated polynomials. Digit after digit (j = 0..dnum), limb
//! after limb of Q ∪ P, coefficient after coefficient: one value uniform in [0, q_i) by masked
//! rejection sampling of `next_u64` ([`sampling::uniform`]), interpreted in evaluation form.
//! The expansion yields the parts **as stored**: a Galois key is stored permuted by σ_g⁻¹, so its
//! generator uses σ_g of the expanded polynomials and the stored parts come out exactly equal to
//! the expansion (no permutation on load).
//!
//! # What it cannot check
//!
//! A seed is public data like the `a_j` themselves: a wrong seed (corrupted in a way the frame
//! checksum misses, or replaced on purpose) still loads into a well-formed key that switches to
//! nothing useful. Only the secret key can tell: [`KeySwitcher::key_error_bits`] measures the
//! key's error ‖b_j + a_j·s_to − P·g_j·s_from‖∞, a few bits for a genuine key and ~log2(q) for a
//! wrong one; `KeyGenerator::verify_*` turn it into an error. Against deliberate changes use the
//! format's `seal` envelope.

use super::{KeySwitcher, SwitchingKey};
use crate::error::{Error, Result};
use crate::rns::{Automorphism, Representation, RnsPoly, SecretPoly, sampling};
use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, SeedableRng};

/// Bytes of a switching-key seed.
pub const SEED_LEN: usize = 32;

impl SwitchingKey {
    /// The seed its uniform parts were expanded from, if it was generated seeded (or loaded
    /// compressed): such a key can be serialized compressed.
    pub fn seed(&self) -> Option<&[u8; SEED_LEN]> {
        self.seed.as_ref()
    }

    /// Bytes of key material stored compressed (the `b` parts and the seed); `None` without a seed.
    pub fn compressed_size_bytes(&self) -> Option<usize> {
        self.seed
            .map(|_| self.b.iter().map(|p| p.as_words().len() * 8).sum::<usize>() + SEED_LEN)
    }
}

impl KeySwitcher {
    /// The uniform parts (one per digit, evaluation form over Q ∪ P, as stored) of the key with
    /// `seed` and Galois element `galois` (see the module docs for the exact expansion).
    pub fn expand_uniform(&self, seed: &[u8; SEED_LEN], galois: Option<usize>) -> Vec<RnsPoly> {
        let mut rng = ChaCha20Rng::from_seed(*seed);
        rng.set_stream(galois.unwrap_or(0) as u64);
        (0..self.dnum)
            .map(|_| sampling::uniform(&self.qp, Representation::Evaluation, &mut rng))
            .collect()
    }

    /// As [`KeySwitcher::generate_key`], with the uniform parts expanded from `seed` (errors from
    /// `rng`); the key keeps the seed.
    pub fn generate_key_seeded<R: CryptoRng + ?Sized>(
        &self,
        s_from: &RnsPoly,
        s_to: &RnsPoly,
        seed: [u8; SEED_LEN],
        rng: &mut R,
    ) -> Result<SwitchingKey> {
        let a = self.expand_uniform(&seed, None);
        let mut key = self.generate_key_with_a(s_from, s_to, Some(a), rng)?;
        key.seed = Some(seed);
        Ok(key)
    }

    /// As [`KeySwitcher::generate_galois_key`], with the (stored) uniform parts expanded from
    /// `seed` under the stream of σ's Galois element; the key keeps the seed.
    pub fn generate_galois_key_seeded<R: CryptoRng + ?Sized>(
        &self,
        s: &RnsPoly,
        auto: &Automorphism,
        seed: [u8; SEED_LEN],
        rng: &mut R,
    ) -> Result<SwitchingKey> {
        let qp = &self.qp;
        let g = auto.galois_element();
        let stored = self.expand_uniform(&seed, Some(g));
        // The key is generated with a = σ(stored) and stored permuted by σ⁻¹: a comes back as
        // `stored`, bit for bit.
        let a = stored
            .iter()
            .map(|p| {
                let mut t = RnsPoly::zero(qp, Representation::Evaluation);
                auto.apply(p, &mut t, qp).map(|_| t)
            })
            .collect::<Result<Vec<_>>>()?;
        let mut s_g = SecretPoly::zero(qp, Representation::Evaluation);
        auto.apply(s, &mut s_g, qp)?;
        let mut key = self.generate_key_with_a(&s_g, s, Some(a), rng)?;
        let inv = auto.inverse()?;
        let mut tmp = RnsPoly::zero(qp, Representation::Evaluation);
        for poly in key.b.iter_mut() {
            inv.apply(poly, &mut tmp, qp)?;
            std::mem::swap(poly, &mut tmp);
        }
        debug_assert!(key.a.iter().zip(&stored).all(|(x, y)| {
            let mut t = RnsPoly::zero(qp, Representation::Evaluation);
            inv.apply(x, &mut t, qp).is_ok() && t.as_words() == y.as_words()
        }));
        key.a = stored;
        key.galois = Some(g);
        key.seed = Some(seed);
        Ok(key)
    }

    /// A key from its `b` parts and seed (e.g. after loading a compressed key): the uniform
    /// parts are re-expanded. Errors if the shape does not match these parameters.
    pub fn key_from_seed(
        &self,
        b: Vec<RnsPoly>,
        seed: [u8; SEED_LEN],
        galois: Option<usize>,
    ) -> Result<SwitchingKey> {
        let a = self.expand_uniform(&seed, galois);
        let mut key = self.key_from_parts(b, a, galois)?;
        key.seed = Some(seed);
        Ok(key)
    }

    /// log2 of the key's error ‖b_j + a_j·s_to − P·g_j·s_from‖∞ over every digit and limb
    /// (centered residues), for a key meant to switch `s_from` → `s_to` (for a Galois key pass
    /// `s_from` = σ(s); the stored permutation is undone here). A genuine key gives a few bits
    /// (Gaussian error, σ = 3.2); a key with wrong uniform parts gives about log2(q).
    pub fn key_error_bits(
        &self,
        key: &SwitchingKey,
        s_from: &RnsPoly,
        s_to: &RnsPoly,
    ) -> Result<f64> {
        let qp = &self.qp;
        if key.id != self.id || key.b.len() != self.dnum {
            return Err(Error::KeyMismatch {
                reason: "key made for other parameters".into(),
            });
        }
        let auto = key
            .galois
            .map(|g| Automorphism::new(self.n, g))
            .transpose()?;
        let l = self.q.len();
        let mut worst = 0u64;
        for j in 0..self.dnum {
            let (mut b, mut a) = (key.b[j].clone(), key.a[j].clone());
            if let Some(auto) = &auto {
                let mut t = RnsPoly::zero(qp, Representation::Evaluation);
                auto.apply(&b, &mut t, qp)?;
                std::mem::swap(&mut b, &mut t);
                auto.apply(&a, &mut t, qp)?;
                std::mem::swap(&mut a, &mut t);
            }
            let mut e = SecretPoly::new(a);
            e.mul_assign(s_to, qp)?;
            e.add_assign(&b, qp)?;
            for i in j * self.alpha..((j + 1) * self.alpha).min(l) {
                let m = qp.modulus(i);
                let p_mod = m.product_mod(self.p.primes().iter().copied());
                let ops = qp.ops(i);
                let mut tmp = zeroize::Zeroizing::new(s_from.limb(i).to_vec());
                ops.mul_scalar_assign(&mut tmp, p_mod);
                ops.sub_assign(e.limb_mut(i), &tmp);
            }
            e.intt(qp)?;
            for (i, limb) in e.limbs().enumerate() {
                let q = qp.primes()[i];
                for &x in limb {
                    worst = worst.max(x.min(q - x));
                }
            }
        }
        Ok(if worst == 0 {
            0.0
        } else {
            (worst as f64).log2()
        })
    }
}
