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
//! # Seeded (compressed) fresh ciphertexts
//!
//! With [`Encryptor::seeded`] a secret-key encryptor draws a fresh 32-byte seed from its CSPRNG
//! for every ciphertext and expands the uniform part `a` = c1 from it
//! ([`expand_ciphertext_uniform`]); the ciphertext keeps the seed and serializes as c0 plus the
//! seed (kind 11 of the format), half the bytes. The seed is public, like `a` itself (as in
//! SEAL's and OpenFHE's seeded symmetric ciphertexts); only the secret key and the errors are
//! secret. Public-key ciphertexts have no uniform part and cannot be seeded.
//!
//! Expansion (normative, the format depends on it): `ChaCha20Rng::from_seed(seed)` with its
//! 64-bit stream id set to [`CIPHERTEXT_SEED_STREAM`] (distinct from the streams of seeded
//! switching keys, which use Galois elements < 2n and 0), then limb after limb of q_0..q_ℓ,
//! coefficient after coefficient, one value uniform in [0, q_i) by masked rejection sampling
//! of `next_u64` (the same sampler as `keyswitch::seeded`), in evaluation form. Limb i does not
//! depend on ℓ, so a seeded ciphertext dropped to a lower level still matches its seed.
//!
//! Secret-dependent temporaries (copies and powers of s, c_i·s^i, the ephemeral u, the errors)
//! live in [`SecretPoly`]s and are wiped on drop; the generators' ChaCha20 state is wiped on
//! drop too ([`SecretRng`]).

use super::ciphertext::{Ciphertext, Plaintext};
use super::context::CkksContext;
use super::keys::{PublicKey, SecretKey, os_rng};
use crate::error::{Error, Result};
use crate::keyswitch::SEED_LEN;
use crate::rns::sampling::SecretRng;
use crate::rns::{Representation, RnsBasis, RnsPoly, SecretPoly, sampling};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use std::sync::Arc;

/// ChaCha20 stream id of a seeded ciphertext's uniform part (see the module docs).
pub const CIPHERTEXT_SEED_STREAM: u64 = u64::MAX;

fn ciphertext_rng(seed: &[u8; SEED_LEN]) -> ChaCha20Rng {
    let mut rng = ChaCha20Rng::from_seed(*seed);
    rng.set_stream(CIPHERTEXT_SEED_STREAM);
    rng
}

/// The uniform part c1 (evaluation form over `basis`, a prefix q_0..q_ℓ of Q) of the seeded
/// ciphertext with `seed` (exact expansion in the module docs).
pub fn expand_ciphertext_uniform(basis: &RnsBasis, seed: &[u8; SEED_LEN]) -> RnsPoly {
    sampling::uniform(basis, Representation::Evaluation, &mut ciphertext_rng(seed))
}

/// Whether `poly` (evaluation form) equals the expansion of `seed` over its own primes; streams
/// the expansion, allocating nothing.
pub(crate) fn expansion_matches(poly: &RnsPoly, seed: &[u8; SEED_LEN]) -> bool {
    if poly.representation() != Representation::Evaluation {
        return false;
    }
    let mut rng = ciphertext_rng(seed);
    let mut block = [0u64; 256];
    poly.limbs().zip(poly.primes()).all(|(limb, &q)| {
        limb.chunks(block.len()).all(|part| {
            let want = &mut block[..part.len()];
            sampling::fill_uniform_below(&mut rng, q, want);
            want == part
        })
    })
}

enum EncKey {
    Public(PublicKey),
    Secret(SecretKey),
}

/// Encrypts plaintexts with a public or a secret key.
pub struct Encryptor {
    ctx: Arc<CkksContext>,
    key: EncKey,
    rng: SecretRng,
    seeded: bool,
}

impl std::fmt::Debug for Encryptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.key {
            EncKey::Public(_) => "public",
            EncKey::Secret(_) => "secret",
        };
        write!(
            f,
            "Encryptor {{ key: {kind}, seeded: {}, .. }}",
            self.seeded
        )
    }
}

impl Encryptor {
    /// Public-key encryption, randomness from the OS.
    pub fn with_public_key(ctx: Arc<CkksContext>, pk: &PublicKey) -> Result<Encryptor> {
        ctx.check_id(pk.params_id)?;
        Ok(Encryptor {
            key: EncKey::Public(pk.clone()),
            rng: os_rng()?,
            seeded: false,
            ctx,
        })
    }

    /// Secret-key encryption (smaller noise), randomness from the OS.
    pub fn with_secret_key(ctx: Arc<CkksContext>, sk: &SecretKey) -> Result<Encryptor> {
        ctx.check_id(sk.params_id)?;
        Ok(Encryptor {
            key: EncKey::Secret(sk.clone()),
            rng: os_rng()?,
            seeded: false,
            ctx,
        })
    }

    /// Replaces the randomness with a seeded stream — **for tests and benchmarks only**.
    pub fn with_seed(mut self, seed: u64) -> Encryptor {
        self.rng = SecretRng::seed_from_u64(seed);
        self
    }

    /// Seeded (compressed) output on or off: with a secret key, every ciphertext's uniform part
    /// is expanded from a fresh 32-byte seed it keeps, and it serializes in half the bytes
    /// (see the module docs). Errors ([`Error::InvalidParameters`]) for a public-key encryptor
    /// asked to seed: its ciphertexts have no uniform part.
    ///
    /// ```
    /// # use ckks_accel::ckks::*;
    /// # let params = CkksParams::builder().ring_degree(1 << 10).q_bits(&[50, 40]).p_bits(&[50])
    /// #     .dnum(2).log_scale(40).allow_insecure(true).build()?;
    /// # let ctx = CkksContext::new(params)?;
    /// let mut kg = KeyGenerator::from_seed(ctx.clone(), 1);
    /// let sk = kg.secret_key()?;
    /// let mut enc = Encryptor::with_secret_key(ctx.clone(), &sk)?.seeded(true)?;
    /// let ct = enc.encrypt(&Encoder::new(ctx.clone()).encode_default(&[1.0, 2.0])?)?;
    /// let bytes = ct.to_bytes();
    /// assert!(ct.seed().is_some() && bytes.len() < ct.to_bytes_full().len() / 2 + 64);
    /// assert_eq!(Ciphertext::from_bytes(&ctx, &bytes)?, ct);
    /// # Ok::<(), ckks_accel::Error>(())
    /// ```
    pub fn seeded(mut self, on: bool) -> Result<Encryptor> {
        if on && matches!(self.key, EncKey::Public(_)) {
            return Err(Error::InvalidParameters {
                reason: "seeded (compressed) ciphertexts need secret-key encryption: a public-key ciphertext has no uniform part".into(),
            });
        }
        self.seeded = on;
        Ok(self)
    }

    /// Whether ciphertexts come out seeded ([`Encryptor::seeded`]).
    pub fn is_seeded(&self) -> bool {
        self.seeded
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
        let mut seed = None;
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
                let a = if self.seeded {
                    let mut fresh = [0u8; SEED_LEN];
                    self.rng.fill_bytes(&mut fresh);
                    seed = Some(fresh);
                    expand_ciphertext_uniform(basis, &fresh)
                } else {
                    sampling::uniform(basis, Representation::Evaluation, &mut *self.rng)
                };
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
            seed,
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
