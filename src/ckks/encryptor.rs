//! Public- and secret-key encryption, and decryption.
//!
//! Public key (b, a) = (−a·s + e, a) over Q ∪ P: `Enc(m) = (⌊(b·u + e0)/P⌉ + m, ⌊(a·u + e1)/P⌉)`
//! with u ternary and e0, e1 Gaussian, computed over Q_ℓ ∪ P and divided by P with rounding
//! (ModDown, as Lattigo does). The fresh noise c0 + c1·s − m is
//! `(u·e + e0 + e1·s)/P + r0 + r1·s` with |r0|, |r1| ≤ 1/2: the division makes the first term
//! negligible (P ≫ √n·σ), so the noise is the rounding alone, standard deviation
//! √((1 + h)/12) per coefficient (h = nonzero coefficients of s, ≈ 2n/3) — at set S ≈ 30
//! (2^4.9) instead of ≈ 470 (2^8.9) for encryption over Q. Secret key: `(−a·s + e + m, a)` with a uniform. Decryption:
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
use crate::rns::{Representation, RnsPoly, SecretPoly, sampling};
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
                // Over Q_ℓ ∪ P, then divided by P with rounding: c = ⌊(u·pk + (e0, e1)) / P⌉,
                // fresh noise ≈ the rounding r0 + r1·s (see the module docs).
                let ks = self.ctx.key_switcher();
                let ext = ks.ext_basis(basis.len())?;
                let pick = |poly: &RnsPoly| -> Result<RnsPoly> {
                    let all = poly.num_limbs();
                    let q_all = all - ks.p_basis().len();
                    let words: Vec<u64> = (0..basis.len())
                        .chain(q_all..all)
                        .flat_map(|i| poly.limb(i).iter().copied())
                        .collect();
                    RnsPoly::from_words(ext, Representation::Evaluation, &words)
                };
                let coeffs = sampling::ternary_coeffs(n, None, &mut *self.rng);
                let mut u = SecretPoly::new(sampling::from_signed(ext, &coeffs));
                u.ntt(ext)?;
                // Before the division these hold u·pk + e: wiped on drop.
                let mut b = SecretPoly::new(pick(&pk.b)?);
                let mut a = SecretPoly::new(pick(&pk.a)?);
                b.mul_assign(&u, ext)?;
                a.mul_assign(&u, ext)?;
                let ext_gaussian = |rng: &mut SecretRng| -> Result<SecretPoly> {
                    let mut e = SecretPoly::new(sampling::from_signed(
                        ext,
                        &sampling::gaussian_coeffs(n, &mut **rng),
                    ));
                    e.ntt(ext)?;
                    Ok(e)
                };
                b.add_assign(&*ext_gaussian(&mut self.rng)?, ext)?;
                a.add_assign(&*ext_gaussian(&mut self.rng)?, ext)?;
                let mut c0 = RnsPoly::zero(basis, Representation::Evaluation);
                let mut c1 = RnsPoly::zero(basis, Representation::Evaluation);
                ks.mod_down(&b, &mut c0)?;
                ks.mod_down(&a, &mut c1)?;
                (c0, c1)
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
