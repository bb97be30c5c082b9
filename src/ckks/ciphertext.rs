//! [`Plaintext`] and [`Ciphertext`]: RNS polynomials in evaluation form over Q_ℓ with their scale
//! and the id of the parameters they belong to.

use crate::rns::RnsPoly;

/// An encoded message: one polynomial over q_0..q_ℓ (evaluation form) at a scale.
#[derive(Debug, Clone, PartialEq)]
pub struct Plaintext {
    pub(crate) params_id: u64,
    pub(crate) poly: RnsPoly,
    pub(crate) scale: f64,
}

impl Plaintext {
    /// Level ℓ (number of Q primes − 1).
    pub fn level(&self) -> usize {
        self.poly.num_limbs() - 1
    }
    /// The scale Δ the message is multiplied by.
    pub fn scale(&self) -> f64 {
        self.scale
    }
    /// The polynomial (evaluation form).
    pub fn poly(&self) -> &RnsPoly {
        &self.poly
    }
    /// Id of the parameters.
    pub fn params_id(&self) -> u64 {
        self.params_id
    }
}

/// A CKKS ciphertext: (c0, c1) — or (c0, c1, c2) after a multiplication, before relinearization —
/// in evaluation form over q_0..q_ℓ, decrypting to c0 + c1·s (+ c2·s²) ≈ Δ·m.
#[derive(Debug, Clone, PartialEq)]
pub struct Ciphertext {
    pub(crate) params_id: u64,
    pub(crate) parts: Vec<RnsPoly>,
    pub(crate) scale: f64,
}

impl Ciphertext {
    /// Level ℓ (number of Q primes − 1).
    pub fn level(&self) -> usize {
        self.parts[0].num_limbs() - 1
    }
    /// The scale.
    pub fn scale(&self) -> f64 {
        self.scale
    }
    /// Number of parts (2, or 3 after an unrelinearized multiplication).
    pub fn degree(&self) -> usize {
        self.parts.len()
    }
    /// The parts.
    pub fn parts(&self) -> &[RnsPoly] {
        &self.parts
    }
    /// Id of the parameters.
    pub fn params_id(&self) -> u64 {
        self.params_id
    }
    /// Bytes of polynomial data.
    pub fn size_bytes(&self) -> usize {
        self.parts.iter().map(|p| p.as_words().len() * 8).sum()
    }
}
