//! Keys: secret (zeroized on drop, never printed), public, relinearization and Galois keys, and
//! the [`KeyGenerator`] that makes them from a ChaCha20 CSPRNG seeded by the OS.
//!
//! All keys carry the parameter id and live in evaluation form; switching keys over Q ∪ P
//! (see [`crate::keyswitch`]). A generator [`KeyGenerator::with_seeded_keys`] makes switching
//! keys whose uniform parts come from a stored 32-byte seed, so they serialize compressed.

use super::context::CkksContext;
use crate::error::{Error, Result};
use crate::keyswitch::{SEED_LEN, SwitchingKey};
use crate::rns::sampling::SecretRng;
use crate::rns::{
    Automorphism, Representation, RnsBasis, RnsPoly, SecretPoly, automorphism, sampling,
};
use rand_core::Rng;
use std::collections::BTreeMap;
use std::sync::Arc;
use zeroize::Zeroizing;

use super::params::SecretDistribution;

/// The secret key s (ternary), in evaluation form over Q ∪ P. Zeroized on drop; `Debug`
/// prints no key material.
#[derive(Clone)]
pub struct SecretKey {
    pub(crate) params_id: u64,
    pub(crate) s: SecretPoly,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SecretKey {{ params_id: {:#018x}, .. (redacted) }}",
            self.params_id
        )
    }
}

impl SecretKey {
    /// Id of the parameters.
    pub fn params_id(&self) -> u64 {
        self.params_id
    }
}

/// Public key (b, a) = (−a·s + e, a) over Q ∪ P, evaluation form.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicKey {
    pub(crate) params_id: u64,
    pub(crate) b: RnsPoly,
    pub(crate) a: RnsPoly,
}

impl PublicKey {
    /// The basis the public key lives over: Q ∪ P (encryption divides by P, see
    /// [`super::Encryptor`]).
    pub(crate) fn basis(ctx: &CkksContext) -> Result<&RnsBasis> {
        Ok(ctx.qp_basis())
    }
    /// `b = −a·s + e` (evaluation form).
    pub fn b(&self) -> &RnsPoly {
        &self.b
    }
    /// The uniform `a` (evaluation form).
    pub fn a(&self) -> &RnsPoly {
        &self.a
    }
    /// Id of the parameters.
    pub fn params_id(&self) -> u64 {
        self.params_id
    }
}

/// Relinearization key: switches s² to s.
#[derive(Debug, Clone)]
pub struct RelinKey {
    pub(crate) params_id: u64,
    pub(crate) key: SwitchingKey,
}

impl RelinKey {
    /// The switching key (s² → s).
    pub fn key(&self) -> &SwitchingKey {
        &self.key
    }
    /// Bytes of key material.
    pub fn key_size_bytes(&self) -> usize {
        self.key.size_bytes()
    }
}

/// Galois keys by Galois element: each switches σ_g(s) to s.
#[derive(Debug, Clone, Default)]
pub struct GaloisKeys {
    pub(crate) params_id: u64,
    pub(crate) keys: BTreeMap<usize, (Automorphism, SwitchingKey)>,
}

impl GaloisKeys {
    /// The Galois elements present.
    pub fn elements(&self) -> Vec<usize> {
        self.keys.keys().copied().collect()
    }
    /// The key and automorphism for Galois element `g`.
    pub fn get(&self, g: usize) -> Option<(&Automorphism, &SwitchingKey)> {
        self.keys.get(&g).map(|(a, k)| (a, k))
    }
    /// Whether the key for rotation by `steps` slots is present.
    pub fn has_rotation(&self, n: usize, steps: i64) -> bool {
        self.keys
            .contains_key(&automorphism::galois_element_for_rotation(n, steps))
    }
    /// Bytes of key material.
    pub fn size_bytes(&self) -> usize {
        self.keys.values().map(|(_, k)| k.size_bytes()).sum()
    }
    /// Adds `other`'s keys. Errors with [`Error::ParamsMismatch`] (and changes nothing) if
    /// they belong to other parameters than the keys already present.
    pub fn merge(&mut self, other: GaloisKeys) -> Result<()> {
        if self.keys.is_empty() && self.params_id == 0 {
            self.params_id = other.params_id;
        } else if other.params_id != self.params_id && !other.keys.is_empty() {
            return Err(Error::ParamsMismatch {
                expected: self.params_id,
                found: other.params_id,
            });
        }
        self.keys.extend(other.keys);
        Ok(())
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }
    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// Everything an evaluator needs besides the context: shared immutably by all workers.
#[derive(Debug, Clone, Default)]
pub struct EvaluationKeys {
    /// Relinearization key (needed by `relinearize`).
    pub relin: Option<RelinKey>,
    /// Galois keys (needed by rotations and conjugation).
    pub galois: GaloisKeys,
}

/// Largest key error (bits) [`KeyGenerator::verify_relin_key`] accepts: genuine keys have
/// Gaussian errors (σ = 3.2) of a few bits; wrong uniform parts give about log2(q).
pub const KEY_ERROR_BITS_MAX: f64 = 10.0;

fn key_error_ok(what: &str, bits: f64) -> Result<f64> {
    if bits <= KEY_ERROR_BITS_MAX {
        Ok(bits)
    } else {
        Err(Error::KeyMismatch {
            reason: format!(
                "{what} does not belong to this secret key (error 2^{bits:.1}, genuine keys stay below 2^{KEY_ERROR_BITS_MAX}): wrong seed or tampered parts"
            ),
        })
    }
}

/// Generates keys from a ChaCha20 CSPRNG.
pub struct KeyGenerator {
    ctx: Arc<CkksContext>,
    rng: SecretRng,
    seeded: bool,
}

impl std::fmt::Debug for KeyGenerator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyGenerator { .. }")
    }
}

/// A ChaCha20 generator seeded from the operating system (state wiped on drop).
pub(crate) fn os_rng() -> Result<SecretRng> {
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::fill(&mut *seed).map_err(|e| Error::InvalidParameters {
        reason: format!("OS randomness unavailable: {e}"),
    })?;
    Ok(SecretRng::from_seed(*seed))
}

impl KeyGenerator {
    /// A generator seeded from the OS.
    pub fn new(ctx: Arc<CkksContext>) -> Result<KeyGenerator> {
        Ok(KeyGenerator {
            ctx,
            rng: os_rng()?,
            seeded: false,
        })
    }

    /// A deterministic generator — **for tests and benchmarks only**.
    pub fn from_seed(ctx: Arc<CkksContext>, seed: u64) -> KeyGenerator {
        KeyGenerator {
            ctx,
            rng: SecretRng::seed_from_u64(seed),
            seeded: false,
        }
    }

    /// The context the keys are generated for.
    pub fn context(&self) -> &Arc<CkksContext> {
        &self.ctx
    }

    /// With `true`, switching keys made from now on (relinearization, Galois) expand their
    /// uniform parts from a fresh 32-byte seed drawn from this generator, and keep it: they can
    /// then be serialized compressed (`to_bytes_compressed`, half the size). Same security (the
    /// parts are public and uniform either way); see `keyswitch::seeded` for the expansion.
    pub fn with_seeded_keys(mut self, seeded: bool) -> KeyGenerator {
        self.seeded = seeded;
        self
    }

    fn key_seed(&mut self) -> [u8; SEED_LEN] {
        let mut seed = [0u8; SEED_LEN];
        self.rng.fill_bytes(&mut seed);
        seed
    }

    /// A fresh secret key.
    pub fn secret_key(&mut self) -> Result<SecretKey> {
        let params = self.ctx.params();
        let h = match params.secret_distribution() {
            SecretDistribution::Ternary => None,
            SecretDistribution::TernaryHammingWeight(h) => Some(h),
        };
        let coeffs = sampling::ternary_coeffs(params.n(), h, &mut *self.rng);
        let qp = self.ctx.qp_basis();
        let mut s = SecretPoly::new(sampling::from_signed(qp, &coeffs));
        s.ntt(qp)?;
        Ok(SecretKey {
            params_id: params.id(),
            s,
        })
    }

    fn check(&self, sk: &SecretKey) -> Result<()> {
        self.ctx.check_id(sk.params_id)
    }

    /// The public key for `sk`.
    pub fn public_key(&mut self, sk: &SecretKey) -> Result<PublicKey> {
        self.check(sk)?;
        // Over Q ∪ P (as Lattigo): encryption works over Q_ℓ ∪ P and divides by P, so the
        // fresh noise is (u·e + e0 + e1·s)/P plus rounding instead of u·e + e0 + e1·s.
        let qp = self.ctx.qp_basis();
        let a = sampling::uniform(qp, Representation::Evaluation, &mut *self.rng);
        // b holds the error e until a·s is subtracted: wiped if an error return drops it.
        let mut b = SecretPoly::new(sampling::from_signed(
            qp,
            &sampling::gaussian_coeffs(qp.n(), &mut *self.rng),
        ));
        b.ntt(qp)?;
        let mut a_s = SecretPoly::copy_of(&a);
        a_s.mul_assign(&sk.s, qp)?;
        b.sub_assign(&a_s, qp)?;
        let b = b.declassify();
        Ok(PublicKey {
            params_id: sk.params_id,
            b,
            a,
        })
    }

    /// The relinearization key (s² → s).
    pub fn relin_key(&mut self, sk: &SecretKey) -> Result<RelinKey> {
        self.check(sk)?;
        let qp = self.ctx.qp_basis();
        let mut s2 = sk.s.clone();
        s2.mul_assign(&sk.s, qp)?;
        let key = if self.seeded {
            let seed = self.key_seed();
            self.ctx
                .key_switcher()
                .generate_key_seeded(&s2, &sk.s, seed, &mut *self.rng)?
        } else {
            self.ctx
                .key_switcher()
                .generate_key(&s2, &sk.s, &mut *self.rng)?
        };
        Ok(RelinKey {
            params_id: sk.params_id,
            key,
        })
    }

    /// The key for Galois element `g` (σ_g(s) → s).
    pub fn galois_key(&mut self, sk: &SecretKey, g: usize) -> Result<(Automorphism, SwitchingKey)> {
        self.check(sk)?;
        let auto = Automorphism::new(self.ctx.params().n(), g)?;
        let key = if self.seeded {
            let seed = self.key_seed();
            self.ctx.key_switcher().generate_galois_key_seeded(
                &sk.s,
                &auto,
                seed,
                &mut *self.rng,
            )?
        } else {
            self.ctx
                .key_switcher()
                .generate_galois_key(&sk.s, &auto, &mut *self.rng)?
        };
        Ok((auto, key))
    }

    /// Galois keys for rotations by each of `steps` (and complex conjugation if asked).
    pub fn galois_keys(
        &mut self,
        sk: &SecretKey,
        steps: &[i64],
        conjugation: bool,
    ) -> Result<GaloisKeys> {
        let n = self.ctx.params().n();
        let mut elements: Vec<usize> = steps
            .iter()
            .map(|&s| automorphism::galois_element_for_rotation(n, s))
            .collect();
        if conjugation {
            elements.push(2 * n - 1);
        }
        elements.sort_unstable();
        elements.dedup();
        let mut keys = BTreeMap::new();
        for g in elements.into_iter().filter(|&g| g != 1) {
            keys.insert(g, self.galois_key(sk, g)?);
        }
        Ok(GaloisKeys {
            params_id: sk.params_id,
            keys,
        })
    }

    /// Checks with the secret key that `key` is a genuine relinearization key of `sk`: its error
    /// must stay below 2^[`KEY_ERROR_BITS_MAX`] (a wrong seed or tampered parts give ~2^60).
    /// Returns the measured error in bits.
    pub fn verify_relin_key(&self, sk: &SecretKey, key: &RelinKey) -> Result<f64> {
        self.check(sk)?;
        self.ctx.check_id(key.params_id)?;
        let qp = self.ctx.qp_basis();
        let mut s2 = SecretPoly::copy_of(&sk.s);
        s2.mul_assign(&sk.s, qp)?;
        let bits = self
            .ctx
            .key_switcher()
            .key_error_bits(&key.key, &s2, &sk.s)?;
        key_error_ok("relinearization key", bits)
    }

    /// As [`KeyGenerator::verify_relin_key`] for every Galois key; returns the largest error.
    pub fn verify_galois_keys(&self, sk: &SecretKey, keys: &GaloisKeys) -> Result<f64> {
        self.check(sk)?;
        if !keys.is_empty() {
            self.ctx.check_id(keys.params_id)?;
        }
        let qp = self.ctx.qp_basis();
        let mut worst = 0.0f64;
        for (&g, (auto, key)) in &keys.keys {
            let mut s_g = SecretPoly::zero(qp, Representation::Evaluation);
            auto.apply(&sk.s, &mut s_g, qp)?;
            let bits = self.ctx.key_switcher().key_error_bits(key, &s_g, &sk.s)?;
            worst = worst.max(key_error_ok(&format!("Galois key {g}"), bits)?);
        }
        Ok(worst)
    }

    /// Rotation steps of the plain doubling tree sum over `span` slots: 1, 2, 4, …, span/2.
    pub fn tree_sum_steps(span: usize) -> Vec<i64> {
        (0..span.trailing_zeros()).map(|k| 1i64 << k).collect()
    }
}
