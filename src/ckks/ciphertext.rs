//! [`Plaintext`] and [`Ciphertext`]: RNS polynomials in evaluation form over Q_ℓ with their scale
//! and the id of the parameters they belong to.

use crate::ckks::CkksContext;
use crate::ckks::encryptor::expansion_matches;
use crate::error::{Error, Result};
use crate::keyswitch::SEED_LEN;
use crate::rns::{Representation, RnsPoly};

/// Checks that `poly` is an evaluation-form polynomial over exactly the basis of `level`.
fn check_poly(ctx: &CkksContext, poly: &RnsPoly, level: usize) -> Result<()> {
    ctx.basis(level)?.check(poly.primes())?;
    if poly.representation() != Representation::Evaluation {
        return Err(Error::WrongRepresentation {
            expected: "evaluation",
            found: "coefficient",
        });
    }
    Ok(())
}

/// A scale must be finite and at least 1 (Δ multiplies the message before rounding).
fn check_scale(scale: f64) -> Result<()> {
    if scale.is_finite() && scale >= 1.0 {
        Ok(())
    } else {
        Err(Error::InvalidParameters {
            reason: format!("scale {scale} is not a finite number >= 1"),
        })
    }
}

/// Level of a polynomial with `limbs` Q limbs (0 limbs is rejected by the basis check).
fn level_of(poly: &RnsPoly) -> usize {
    poly.num_limbs().saturating_sub(1)
}

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

    /// A plaintext from a polynomial one already has (e.g. produced by another library's
    /// encoder): `poly` must be in evaluation form over q_0..q_ℓ of `ctx` for some level ℓ
    /// (the level is taken from its limb count), `scale` finite and ≥ 1.
    ///
    /// Errors: [`Error::BasisMismatch`], [`Error::InvalidLevel`],
    /// [`Error::WrongRepresentation`], [`Error::InvalidParameters`] (scale).
    pub fn from_poly(ctx: &CkksContext, poly: RnsPoly, scale: f64) -> Result<Plaintext> {
        check_poly(ctx, &poly, level_of(&poly))?;
        check_scale(scale)?;
        Ok(Plaintext {
            params_id: ctx.params().id(),
            poly,
            scale,
        })
    }

    /// The polynomial, by value.
    pub fn into_poly(self) -> RnsPoly {
        self.poly
    }
}

/// A CKKS ciphertext: (c0, c1) — or (c0, c1, c2) after a multiplication, before relinearization —
/// in evaluation form over q_0..q_ℓ, decrypting to c0 + c1·s (+ c2·s²) ≈ Δ·m.
///
/// A fresh *seeded* ciphertext (secret-key encryption with [`crate::ckks::Encryptor::seeded`])
/// also remembers the 32-byte seed its uniform part c1 was expanded from
/// ([`Ciphertext::seed`]); while c1 still equals that expansion, `to_bytes` writes the
/// compressed form (c0 and the seed: half the bytes). Equality compares the mathematical
/// content (parameters, parts, scale), not the seed.
#[derive(Debug, Clone)]
pub struct Ciphertext {
    pub(crate) params_id: u64,
    pub(crate) parts: Vec<RnsPoly>,
    pub(crate) scale: f64,
    /// Seed of c1 (see [`crate::ckks::expand_ciphertext_uniform`]); only a hint:
    /// serialization re-checks it against c1, since in-place operations keep the field.
    pub(crate) seed: Option<[u8; SEED_LEN]>,
}

impl PartialEq for Ciphertext {
    fn eq(&self, other: &Ciphertext) -> bool {
        self.params_id == other.params_id
            && self.scale.to_bits() == other.scale.to_bits()
            && self.parts == other.parts
    }
}

impl Ciphertext {
    /// An empty stand-in, for moving a buffer out of a scratch arena for the length of a call.
    pub(crate) fn placeholder() -> Ciphertext {
        Ciphertext {
            params_id: 0,
            parts: Vec::new(),
            scale: 1.0,
            seed: None,
        }
    }

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

    /// The seed c1 was expanded from, if this is a seeded fresh ciphertext whose c1 is still
    /// that expansion (checked here: an operation that changed c1 in place makes it `None`).
    pub fn seed(&self) -> Option<&[u8; SEED_LEN]> {
        match (&self.seed, self.parts.len()) {
            (Some(seed), 2) if expansion_matches(&self.parts[1], seed) => Some(seed),
            _ => None,
        }
    }

    /// Whether `to_bytes` writes the compressed (seeded) form: [`Ciphertext::seed`] is `Some`.
    pub fn is_compressible(&self) -> bool {
        self.seed().is_some()
    }

    /// A ciphertext from polynomials one already has: 2 or 3 parts (c0, c1[, c2]) decrypting
    /// to c0 + c1·s (+ c2·s²), all in evaluation form over the same q_0..q_ℓ of `ctx`, with the
    /// scale Δ of the message (finite, ≥ 1).
    ///
    /// Errors: [`Error::WrongDegree`], [`Error::BasisMismatch`], [`Error::InvalidLevel`],
    /// [`Error::WrongRepresentation`], [`Error::InvalidParameters`] (scale).
    ///
    /// ```
    /// # use ckks_accel::ckks::*;
    /// # let params = CkksParams::builder().ring_degree(1 << 10).q_bits(&[50, 40]).p_bits(&[50])
    /// #     .dnum(2).log_scale(40).allow_insecure(true).build()?;
    /// # let ctx = CkksContext::new(params)?;
    /// # let mut kg = KeyGenerator::from_seed(ctx.clone(), 1);
    /// # let sk = kg.secret_key()?;
    /// let mut enc = Encryptor::with_secret_key(ctx.clone(), &sk)?;
    /// let ct = enc.encrypt(&Encoder::new(ctx.clone()).encode_default(&[1.0, 2.0])?)?;
    /// let scale = ct.scale();
    /// let parts = ct.clone().into_parts();
    /// let back = Ciphertext::from_parts(&ctx, parts, scale)?;
    /// assert_eq!(back, ct);
    /// assert!(Ciphertext::from_parts(&ctx, vec![], scale).is_err());
    /// # Ok::<(), ckks_accel::Error>(())
    /// ```
    pub fn from_parts(ctx: &CkksContext, parts: Vec<RnsPoly>, scale: f64) -> Result<Ciphertext> {
        if !(2..=3).contains(&parts.len()) {
            return Err(Error::WrongDegree {
                expected: 2,
                found: parts.len(),
            });
        }
        let level = level_of(&parts[0]);
        for p in &parts {
            check_poly(ctx, p, level)?;
        }
        check_scale(scale)?;
        Ok(Ciphertext {
            params_id: ctx.params().id(),
            parts,
            scale,
            seed: None,
        })
    }

    /// The parts, by value.
    pub fn into_parts(self) -> Vec<RnsPoly> {
        self.parts
    }
}
