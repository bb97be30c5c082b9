//! Switching keys and their generation.
//!
//! A [`SwitchingKey`] from s′ (`s_from`) to s (`s_to`) holds one pair per digit j, over Q ∪ P in
//! evaluation form (every word reduced, in [0, q_i)):
//!
//! `b_j = −a_j·s + e_j + g_j·s′`, `a_j` uniform, with the gadget factor g_j = P mod q_i on the
//! limbs q_i of digit D_j and 0 elsewhere (so the key serves every level, restricted to
//! Q_ℓ ∪ P), and e_j Gaussian (σ_e = [`sampling::SIGMA`], |e_j| ≤ [`sampling::GAUSSIAN_BOUND`]).
//!
//! A Galois key for σ switches σ(s) to s and is stored permuted by σ^{−1}, so that
//! [`KeySwitcher::apply`] applies σ once, to its two outputs. Every secret-dependent
//! intermediate (a_j·s, P·s′, σ(s), the partial b_j) lives in a [`SecretPoly`] and is wiped on
//! drop. Seeded (compressed) keys are in `seeded`.

use super::KeySwitcher;
use super::seeded::SEED_LEN;
use crate::error::{Error, Result};
use crate::rns::{Automorphism, Representation, RnsPoly, SecretPoly, sampling};
use rand_core::CryptoRng;

/// A switching key (one `(b_j, a_j)` pair per digit over Q ∪ P, evaluation form).
#[derive(Clone)]
pub struct SwitchingKey {
    /// The [`KeySwitcher`] fingerprint of (Q, P, dnum) the key was made for.
    pub(super) id: u64,
    /// For Galois keys: the Galois element (the key is stored permuted by σ^{−1}).
    pub(super) galois: Option<usize>,
    pub(super) b: Vec<RnsPoly>,
    pub(super) a: Vec<RnsPoly>,
    /// The seed the `a` parts were expanded from ([`KeySwitcher::expand_uniform`]), if any:
    /// such a key can be stored compressed (the `b` parts and the seed).
    pub(super) seed: Option<[u8; SEED_LEN]>,
}

impl std::fmt::Debug for SwitchingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SwitchingKey")
            .field("digits", &self.b.len())
            .finish()
    }
}

impl SwitchingKey {
    /// The Galois element of a Galois key (None for other switching keys).
    pub fn galois_element(&self) -> Option<usize> {
        self.galois
    }

    /// Number of digits.
    pub fn digits(&self) -> usize {
        self.b.len()
    }

    /// The `(b_j, a_j)` pair of digit j.
    pub fn digit(&self, j: usize) -> (&RnsPoly, &RnsPoly) {
        (&self.b[j], &self.a[j])
    }

    /// Bytes of key material.
    pub fn size_bytes(&self) -> usize {
        self.b
            .iter()
            .chain(&self.a)
            .map(|p| p.as_words().len() * 8)
            .sum()
    }
}

impl KeySwitcher {
    /// A key switching from `s_from` to `s_to` (both over Q ∪ P, evaluation form).
    pub fn generate_key<R: CryptoRng + ?Sized>(
        &self,
        s_from: &RnsPoly,
        s_to: &RnsPoly,
        rng: &mut R,
    ) -> Result<SwitchingKey> {
        self.generate_key_with_a(s_from, s_to, None, rng)
    }

    /// As [`KeySwitcher::generate_key`]; with `a_parts` (one uniform polynomial per digit) the
    /// key uses them instead of drawing its own, and only the errors come from `rng`.
    pub(crate) fn generate_key_with_a<R: CryptoRng + ?Sized>(
        &self,
        s_from: &RnsPoly,
        s_to: &RnsPoly,
        a_parts: Option<Vec<RnsPoly>>,
        rng: &mut R,
    ) -> Result<SwitchingKey> {
        let qp = &self.qp;
        for s in [s_from, s_to] {
            qp.check(s.primes())?;
            if s.representation() != Representation::Evaluation {
                return Err(Error::WrongRepresentation {
                    expected: "evaluation",
                    found: "coefficient",
                });
            }
        }
        if a_parts.as_ref().is_some_and(|a| a.len() != self.dnum) {
            return Err(Error::KeyMismatch {
                reason: format!(
                    "{} uniform parts for {} digits",
                    a_parts.map_or(0, |a| a.len()),
                    self.dnum
                ),
            });
        }
        let mut given = a_parts.map(Vec::into_iter);
        let (l, n) = (self.q.len(), self.n);
        let mut bs = Vec::with_capacity(self.dnum);
        let mut as_ = Vec::with_capacity(self.dnum);
        // a_j·s_to and P·s_from: secret-dependent, wiped on drop.
        let mut as_to = SecretPoly::zero(qp, Representation::Evaluation);
        let mut p_s = SecretPoly::zero(qp, Representation::Evaluation);
        for j in 0..self.dnum {
            // Drawn in this order (a, then e, per digit) so unseeded keys are as before.
            let a = match given.as_mut().and_then(Iterator::next) {
                Some(a) => a,
                None => sampling::uniform(qp, Representation::Evaluation, rng),
            };
            // b holds e (then e − a·s) until complete: wiped if an error return drops it.
            let mut b = SecretPoly::new(sampling::from_signed(
                qp,
                &sampling::gaussian_coeffs(n, rng),
            ));
            b.ntt(qp)?;
            // b = e − a·s_to + g_j·s_from, with g_j = P mod q_i on the digit's limbs, 0 elsewhere.
            as_to.as_words_mut().copy_from_slice(a.as_words());
            as_to.mul_assign(s_to, qp)?;
            b.sub_assign(&as_to, qp)?;
            for i in j * self.alpha..((j + 1) * self.alpha).min(l) {
                let m = qp.modulus(i);
                let p_mod = m.product_mod(self.p.primes().iter().copied());
                let ops = qp.ops(i);
                ops.mul_scalar(s_from.limb(i), p_mod, p_s.limb_mut(i));
                ops.add_assign(b.limb_mut(i), p_s.limb(i));
            }
            bs.push(b.declassify());
            as_.push(a);
        }
        Ok(SwitchingKey {
            id: self.id,
            galois: None,
            b: bs,
            a: as_,
            seed: None,
        })
    }

    /// The Galois key for `auto`: switches σ(s) to s, stored permuted by σ^{−1} so that
    /// [`KeySwitcher::apply`] applies σ once to its outputs. `s` is over Q ∪ P, evaluation form.
    pub fn generate_galois_key<R: CryptoRng + ?Sized>(
        &self,
        s: &RnsPoly,
        auto: &Automorphism,
        rng: &mut R,
    ) -> Result<SwitchingKey> {
        let qp = &self.qp;
        let mut s_g = SecretPoly::zero(qp, Representation::Evaluation);
        auto.apply(s, &mut s_g, qp)?;
        let mut key = self.generate_key(&s_g, s, rng)?;
        drop(s_g); // wiped (volatile writes), not `fill(0)`
        let inv = auto.inverse()?;
        let mut tmp = RnsPoly::zero(qp, Representation::Evaluation);
        for poly in key.b.iter_mut().chain(key.a.iter_mut()) {
            inv.apply(poly, &mut tmp, qp)?;
            std::mem::swap(poly, &mut tmp);
        }
        key.galois = Some(auto.galois_element());
        Ok(key)
    }

    /// A switching key from its digit polynomials (over Q ∪ P, evaluation form), e.g. after
    /// deserialization. Errors if the shape does not match these parameters.
    pub fn key_from_parts(
        &self,
        b: Vec<RnsPoly>,
        a: Vec<RnsPoly>,
        galois: Option<usize>,
    ) -> Result<SwitchingKey> {
        if let Some(g) = galois {
            Automorphism::new(self.n, g)?;
        }
        if b.len() != self.dnum || a.len() != self.dnum {
            return Err(Error::KeyMismatch {
                reason: format!("{} / {} digits, {} expected", b.len(), a.len(), self.dnum),
            });
        }
        for p in b.iter().chain(&a) {
            self.qp.check(p.primes())?;
            if p.representation() != Representation::Evaluation {
                return Err(Error::WrongRepresentation {
                    expected: "evaluation",
                    found: "coefficient",
                });
            }
        }
        Ok(SwitchingKey {
            id: self.id,
            galois,
            b,
            a,
            seed: None,
        })
    }
}
