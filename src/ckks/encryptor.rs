//! Public- and secret-key encryption, and decryption.
//!
//! Public key (b, a) = (−a·s + e, a): `Enc(m) = (b·u + e0 + m, a·u + e1)` with u ternary and
//! e0, e1 Gaussian. Secret key: `(−a·s + e + m, a)` with a uniform. Decryption:
//! `m ≈ c0 + c1·s (+ c2·s²)` over the ciphertext's level.
//!
//! Secret-dependent temporaries (copies and powers of s, c_i·s^i, the ephemeral u, the errors)
//! live in [`SecretPoly`]s and are wiped on drop; the generators' ChaCha20 state is wiped on
//! drop too ([`SecretRng`]).

use super::ciphertext::{Ciphertext, Plaintext};
use super::context::CkksContext;
use super::keys::{PublicKey, SecretKey, os_rng};
use crate::error::{Error, Result};
use crate::rns::sampling::SecretRng;
use crate::rns::{Representation, SecretPoly, sampling};
use std::sync::Arc;

enum EncKey {
    Public(PublicKey),
    Secret(SecretKey),
}

/// Encrypts plaintexts with a public or a secret key.
pub struct Encryptor {
    ctx: Arc<CkksContext>,
    key: EncKey,
    rng: SecretRng,
}

impl std::fmt::Debug for Encryptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.key {
            EncKey::Public(_) => "public",
            EncKey::Secret(_) => "secret",
        };
        write!(f, "Encryptor {{ key: {kind}, .. }}")
    }
}

impl Encryptor {
    /// Public-key encryption, randomness from the OS.
    pub fn with_public_key(ctx: Arc<CkksContext>, pk: &PublicKey) -> Result<Encryptor> {
        ctx.check_id(pk.params_id)?;
        Ok(Encryptor {
            key: EncKey::Public(pk.clone()),
            rng: os_rng()?,
            ctx,
        })
    }

    /// Secret-key encryption (smaller noise), randomness from the OS.
    pub fn with_secret_key(ctx: Arc<CkksContext>, sk: &SecretKey) -> Result<Encryptor> {
        ctx.check_id(sk.params_id)?;
        Ok(Encryptor {
            key: EncKey::Secret(sk.clone()),
            rng: os_rng()?,
            ctx,
        })
    }

    /// Replaces the randomness with a seeded stream — **for tests and benchmarks only**.
    pub fn with_seed(mut self, seed: u64) -> Encryptor {
        self.rng = SecretRng::seed_from_u64(seed);
        self
    }

    /// Encrypts `pt` at its level and scale.
    pub fn encrypt(&mut self, pt: &Plaintext) -> Result<Ciphertext> {
        self.ctx.check_id(pt.params_id)?;
        let basis = self.ctx.basis(pt.level())?;
        let n = basis.n();
        let gaussian = |rng: &mut SecretRng| -> Result<SecretPoly> {
            let mut e = SecretPoly::new(sampling::from_signed(
                basis,
                &sampling::gaussian_coeffs(n, &mut **rng),
            ));
            e.ntt(basis)?;
            Ok(e)
        };
        let (mut c0, c1) = match &self.key {
            EncKey::Public(pk) => {
                let coeffs = sampling::ternary_coeffs(n, None, &mut *self.rng);
                let mut u = SecretPoly::new(sampling::from_signed(basis, &coeffs));
                u.ntt(basis)?;
                let (mut b, mut a) = (pk.b.clone(), pk.a.clone());
                b.truncate(basis)?;
                a.truncate(basis)?;
                b.mul_assign(&u, basis)?;
                a.mul_assign(&u, basis)?;
                b.add_assign(&*gaussian(&mut self.rng)?, basis)?;
                a.add_assign(&*gaussian(&mut self.rng)?, basis)?;
                (b, a)
            }
            EncKey::Secret(sk) => {
                let a = sampling::uniform(basis, Representation::Evaluation, &mut *self.rng);
                let mut s = sk.s.clone();
                s.truncate(basis)?;
                let mut c0 = a.clone();
                c0.mul_assign(&s, basis)?;
                c0.neg_assign(basis)?;
                c0.add_assign(&*gaussian(&mut self.rng)?, basis)?;
                (c0, a)
            }
        };
        c0.add_assign(&pt.poly, basis)?;
        Ok(Ciphertext {
            params_id: pt.params_id,
            parts: vec![c0, c1],
            scale: pt.scale,
        })
    }
}

/// Decrypts with the secret key.
pub struct Decryptor {
    ctx: Arc<CkksContext>,
    sk: SecretKey,
}

impl std::fmt::Debug for Decryptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Decryptor { .. }")
    }
}

impl Decryptor {
    /// A decryptor holding (a copy of) `sk`, zeroized on drop.
    pub fn new(ctx: Arc<CkksContext>, sk: &SecretKey) -> Result<Decryptor> {
        ctx.check_id(sk.params_id)?;
        Ok(Decryptor {
            ctx,
            sk: sk.clone(),
        })
    }

    /// `c0 + c1·s (+ c2·s²)` as a plaintext at the ciphertext's level and scale.
    pub fn decrypt(&self, ct: &Ciphertext) -> Result<Plaintext> {
        self.ctx.check_id(ct.params_id)?;
        if !(2..=3).contains(&ct.parts.len()) {
            return Err(Error::WrongDegree {
                expected: 2,
                found: ct.parts.len(),
            });
        }
        let basis = self.ctx.basis(ct.level())?;
        let mut s = self.sk.s.clone();
        s.truncate(basis)?;
        let mut m = ct.parts[0].clone();
        let mut s_pow = s.clone();
        // c_i·s^i are secret-dependent temporaries: wiped on drop, also on an error return.
        let mut t = SecretPoly::zero(basis, Representation::Evaluation);
        for part in &ct.parts[1..] {
            t.as_words_mut().copy_from_slice(part.as_words());
            t.mul_assign(&s_pow, basis)?;
            m.add_assign(&t, basis)?;
            s_pow.mul_assign(&s, basis)?;
        }
        Ok(Plaintext {
            params_id: ct.params_id,
            poly: m,
            scale: ct.scale,
        })
    }
}
