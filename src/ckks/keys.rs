//! Keys: secret (zeroized on drop, never printed), public, relinearization and Galois keys, and
//! the [`KeyGenerator`] that makes them from a ChaCha20 CSPRNG seeded by the OS.
//!
//! All keys carry the parameter id and live in evaluation form; switching keys over Q ∪ P
//! (see [`crate::keyswitch`]). Uniform parts are stored in full (no seed compression).

use super::context::CkksContext;
use crate::error::{Error, Result};
use crate::keyswitch::SwitchingKey;
use crate::rns::{Automorphism, Representation, RnsPoly, automorphism, sampling};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::collections::BTreeMap;
use std::sync::Arc;
use zeroize::Zeroize;

use super::params::SecretDistribution;

/// The secret key s (ternary), in evaluation form over Q ∪ P. Zeroized on drop; `Debug`
/// prints no key material.
#[derive(Clone)]
pub struct SecretKey {
    pub(crate) params_id: u64,
    pub(crate) s: RnsPoly,
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.s.as_words_mut().zeroize();
    }
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

/// Public key (b, a) = (−a·s + e, a) over Q, evaluation form.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicKey {
    pub(crate) params_id: u64,
    pub(crate) b: RnsPoly,
    pub(crate) a: RnsPoly,
}

/// Relinearization key: switches s² to s.
#[derive(Debug, Clone)]
pub struct RelinKey {
    pub(crate) params_id: u64,
    pub(crate) key: SwitchingKey,
}

impl RelinKey {
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
    /// Adds `other`'s keys (same parameters).
    pub fn merge(&mut self, other: GaloisKeys) {
        if self.keys.is_empty() {
            self.params_id = other.params_id;
        }
        self.keys.extend(other.keys);
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

/// Generates keys from a ChaCha20 CSPRNG.
pub struct KeyGenerator {
    ctx: Arc<CkksContext>,
    rng: ChaCha20Rng,
}

impl std::fmt::Debug for KeyGenerator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyGenerator { .. }")
    }
}

/// A ChaCha20 generator seeded from the operating system.
pub(crate) fn os_rng() -> Result<ChaCha20Rng> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| Error::InvalidParameters {
        reason: format!("OS randomness unavailable: {e}"),
    })?;
    let rng = ChaCha20Rng::from_seed(seed);
    seed.zeroize();
    Ok(rng)
}

impl KeyGenerator {
    /// A generator seeded from the OS.
    pub fn new(ctx: Arc<CkksContext>) -> Result<KeyGenerator> {
        Ok(KeyGenerator {
            ctx,
            rng: os_rng()?,
        })
    }

    /// A deterministic generator — **for tests and benchmarks only**.
    pub fn from_seed(ctx: Arc<CkksContext>, seed: u64) -> KeyGenerator {
        KeyGenerator {
            ctx,
            rng: ChaCha20Rng::seed_from_u64(seed),
        }
    }

    /// The context the keys are generated for.
    pub fn context(&self) -> &Arc<CkksContext> {
        &self.ctx
    }

    /// A fresh secret key.
    pub fn secret_key(&mut self) -> Result<SecretKey> {
        let params = self.ctx.params();
        let h = match params.secret_distribution() {
            SecretDistribution::Ternary => None,
            SecretDistribution::TernaryHammingWeight(h) => Some(h),
        };
        let mut coeffs = sampling::ternary_coeffs(params.n(), h, &mut self.rng);
        let qp = self.ctx.qp_basis();
        let mut s = sampling::from_signed(qp, &coeffs);
        coeffs.zeroize();
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
        let q = self.ctx.basis(self.ctx.params().max_level())?;
        let a = sampling::uniform(q, Representation::Evaluation, &mut self.rng);
        let mut b = sampling::from_signed(q, &sampling::gaussian_coeffs(q.n(), &mut self.rng));
        b.ntt(q)?;
        let mut s_q = sk.s.clone();
        s_q.truncate(q)?;
        let mut a_s = a.clone();
        a_s.mul_assign(&s_q, q)?;
        s_q.as_words_mut().zeroize();
        b.sub_assign(&a_s, q)?;
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
        let key = self
            .ctx
            .key_switcher()
            .generate_key(&s2, &sk.s, &mut self.rng);
        s2.as_words_mut().zeroize();
        Ok(RelinKey {
            params_id: sk.params_id,
            key: key?,
        })
    }

    /// The key for Galois element `g` (σ_g(s) → s).
    pub fn galois_key(&mut self, sk: &SecretKey, g: usize) -> Result<(Automorphism, SwitchingKey)> {
        self.check(sk)?;
        let auto = Automorphism::new(self.ctx.params().n(), g)?;
        let key = self
            .ctx
            .key_switcher()
            .generate_galois_key(&sk.s, &auto, &mut self.rng)?;
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

    /// Rotation steps of the plain doubling tree sum over `span` slots: 1, 2, 4, …, span/2.
    pub fn tree_sum_steps(span: usize) -> Vec<i64> {
        (0..span.trailing_zeros()).map(|k| 1i64 << k).collect()
    }
}
