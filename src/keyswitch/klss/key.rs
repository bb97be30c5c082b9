//! KLSS switching keys: a hybrid [`SwitchingKey`] decomposed by output group.
//!
//! For digit j and output group G_i (product B_i), the key holds `[b_j]_{B_i}` and
//! `[a_j]_{B_i}` — the centered residues (|·| ≤ B_i/2) of the hybrid key's polynomials — as
//! polynomials mod T in evaluation form. They are derived from the hybrid key (INTT over Q ∪ P,
//! exact conversion G_i → T, NTT over T), so a KLSS key is generated, seeded, stored and
//! validated as its hybrid key is and expanded once per process: nothing new to serialize,
//! and one hybrid key file serves both methods. Size: `2·β·β̃·α′` limbs of n words against the
//! hybrid key's `2·β·(|Q| + |P|)`.

use super::KlssSwitcher;
use crate::aligned::AlignedVec;
use crate::error::Result;
use crate::keyswitch::SwitchingKey;
use crate::rns::basis_conversion::BasisConverter;
use crate::rns::{Representation, RnsPoly};

/// A KLSS switching key: per (output group i, digit j) the pair `([b_j]_{B_i}, [a_j]_{B_i})`
/// mod T, evaluation form, canonical words.
#[derive(Clone)]
pub struct KlssKey {
    /// The [`KlssSwitcher`] fingerprint.
    pub(super) id: u64,
    /// The Galois element of a Galois key (stored permuted by σ^{−1}, as its hybrid key).
    pub(super) galois: Option<usize>,
    /// Digits β (the index is `i·digits + j`).
    pub(super) digits: usize,
    /// `b[i·digits + j]` and `a[i·digits + j]`: α′ limbs each.
    pub(super) b: Vec<RnsPoly>,
    pub(super) a: Vec<RnsPoly>,
}

impl std::fmt::Debug for KlssKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KlssKey")
            .field("digits", &self.digits)
            .field("groups", &(self.b.len() / self.digits.max(1)))
            .field("galois", &self.galois)
            .finish()
    }
}

impl KlssKey {
    /// The Galois element of a Galois key (None for other switching keys).
    pub fn galois_element(&self) -> Option<usize> {
        self.galois
    }

    /// Bytes of key material (in memory; the stored form is the hybrid key's).
    pub fn size_bytes(&self) -> usize {
        self.b
            .iter()
            .chain(&self.a)
            .map(|p| p.as_words().len() * 8)
            .sum()
    }

    /// The pair of output group i and digit j.
    pub(super) fn pair(&self, i: usize, j: usize) -> (&RnsPoly, &RnsPoly) {
        let x = i * self.digits + j;
        (&self.b[x], &self.a[x])
    }
}

impl KlssSwitcher {
    /// The KLSS form of a hybrid key of [`KlssSwitcher::base`] (relinearization, any switching
    /// key, or a Galois key — which keeps its element). Errors ([`crate::Error::KeyMismatch`]) if
    /// `key` was made for other parameters. Allocates the key; not for hot loops.
    pub fn derive_key(&self, key: &SwitchingKey) -> Result<KlssKey> {
        self.check_base_key(key)?;
        let (n, qp, t) = (self.base.n, &self.base.qp, &self.t);
        let t_pos: Vec<usize> = (0..t.len()).collect();
        let convs = self
            .groups
            .iter()
            .map(|g| {
                BasisConverter::exact_with_isa(&qp.sub_basis(g.clone()), t, &t_pos, self.isa())
            })
            .collect::<Result<Vec<_>>>()?;
        let scratch_len = convs.iter().map(|c| c.scratch_len()).max().unwrap_or(0);
        let mut scratch = AlignedVec::zeroed(scratch_len);
        let digits = key.b.len();
        let pairs = self.groups.len() * digits;
        let (mut b, mut a) = (vec![None; pairs], vec![None; pairs]);
        let mut coeff = RnsPoly::zero(qp, Representation::Evaluation);
        for j in 0..digits {
            for (src, dst) in [(&key.b[j], &mut b), (&key.a[j], &mut a)] {
                coeff.as_words_mut().copy_from_slice(src.as_words());
                coeff.set_representation(Representation::Evaluation);
                coeff.intt(qp)?;
                for (i, (g, conv)) in self.groups.iter().zip(&convs).enumerate() {
                    let mut out = RnsPoly::zero(t, Representation::Coefficient);
                    conv.convert(
                        &coeff.as_words()[g.start * n..g.end * n],
                        out.as_words_mut(),
                        &mut scratch,
                    );
                    out.ntt(t)?;
                    dst[i * digits + j] = Some(out);
                }
            }
        }
        let unwrap = |v: Vec<Option<RnsPoly>>| v.into_iter().map(|p| p.expect("filled")).collect();
        Ok(KlssKey {
            id: self.id,
            galois: key.galois,
            digits,
            b: unwrap(b),
            a: unwrap(a),
        })
    }
}
