//! `to_bytes` / `from_bytes` for every CKKS object (layouts in the parent module's docs).

use super::{Kind, Reader, Writer, bad, read};
use crate::ckks::context::CkksContext;
use crate::ckks::keys::{GaloisKeys, PublicKey, RelinKey, SecretKey};
use crate::ckks::params::{CkksParams, SecretDistribution};
use crate::error::{Error, Result};
use crate::keyswitch::{SEED_LEN, SwitchingKey};
use crate::rns::{Automorphism, Representation, RnsBasis, RnsPoly, SecretPoly, automorphism};
use std::collections::BTreeMap;
use zeroize::{Zeroize, Zeroizing};

/// Galois keys by element, as stored in [`GaloisKeys`].
pub(super) type GaloisEntries = BTreeMap<usize, (Automorphism, SwitchingKey)>;

/// Representation tag of a poly (only evaluation form is stored).
const EVAL: u8 = 1;
/// Switching-key encodings (the byte before the digits).
const KEY_FULL: u8 = 0;
/// Seeded (compressed): a 32-byte seed replaces the uniform `a_j` (see `keyswitch::seeded`).
const KEY_SEEDED: u8 = 1;
/// Galois key labels.
const LABEL_ROTATION: u8 = 0;
const LABEL_CONJUGATION: u8 = 1;
const LABEL_OTHER: u8 = 2;
/// Secret-key encoding: one i8 per coefficient.
const SECRET_TERNARY: u8 = 0;

pub(super) fn poly_len(p: &RnsPoly) -> usize {
    4 + 2 + 1 + 8 * p.num_limbs() + 8 * p.as_words().len()
}

pub(super) fn put_poly(w: &mut Writer, p: &RnsPoly) {
    debug_assert_eq!(p.representation(), Representation::Evaluation);
    w.u32(p.n() as u32);
    w.u16(p.num_limbs() as u16);
    w.u8(EVAL);
    w.words(p.primes());
    w.words(p.as_words());
}

/// The header of a poly: (n, limbs) after checking n and the tag; the primes follow.
fn poly_header(r: &mut Reader<'_>, n: usize) -> Result<usize> {
    let pn = r.u32()? as usize;
    if pn != n {
        return Err(bad(format!(
            "polynomial of degree {pn}, parameters have {n}"
        )));
    }
    let limbs = r.u16()? as usize;
    if r.u8()? != EVAL {
        return Err(bad("polynomial must be in evaluation form"));
    }
    Ok(limbs)
}

/// A poly that must live over exactly `basis`.
pub(super) fn get_poly(r: &mut Reader<'_>, basis: &RnsBasis) -> Result<RnsPoly> {
    let limbs = poly_header(r, basis.n())?;
    if limbs != basis.len() {
        return Err(bad(format!(
            "polynomial with {limbs} limbs where {} are expected",
            basis.len()
        )));
    }
    finish_poly(r, basis)
}

/// A poly over a prefix q_0..q_ℓ of Q (a plaintext or ciphertext part): returns ℓ too.
pub(super) fn get_level_poly<'c>(
    r: &mut Reader<'_>,
    ctx: &'c CkksContext,
) -> Result<(RnsPoly, &'c RnsBasis)> {
    let limbs = poly_header(r, ctx.params().n())?;
    if limbs == 0 || limbs > ctx.params().q().len() {
        return Err(bad(format!(
            "polynomial with {limbs} limbs: Q has {}",
            ctx.params().q().len()
        )));
    }
    let basis = ctx.basis(limbs - 1)?;
    Ok((finish_poly(r, basis)?, basis))
}

fn finish_poly(r: &mut Reader<'_>, basis: &RnsBasis) -> Result<RnsPoly> {
    let primes = r.words(basis.len())?;
    if primes != basis.primes() {
        return Err(bad("polynomial is over another RNS basis"));
    }
    let len = (basis.len() * basis.n())
        .checked_mul(8)
        .ok_or_else(|| bad("word count overflows"))?;
    RnsPoly::from_le_bytes(basis, Representation::Evaluation, r.take(len)?)
        .map_err(|e| bad(format!("polynomial: {e}")))
}

pub(super) fn switching_key_len(k: &SwitchingKey, compressed: bool) -> usize {
    let b: usize = (0..k.digits()).map(|j| poly_len(k.digit(j).0)).sum();
    let a: usize = if compressed {
        SEED_LEN
    } else {
        (0..k.digits()).map(|j| poly_len(k.digit(j).1)).sum()
    };
    1 + 2 + b + a
}

/// Writes a key, compressed (b parts + seed) if asked: the caller checked the key has a seed.
pub(super) fn put_switching_key(w: &mut Writer, k: &SwitchingKey, compressed: bool) {
    w.u8(if compressed { KEY_SEEDED } else { KEY_FULL });
    w.u16(k.digits() as u16);
    for j in 0..k.digits() {
        put_poly(w, k.digit(j).0);
    }
    match (compressed, k.seed()) {
        (true, Some(seed)) => w.bytes(seed),
        _ => {
            for j in 0..k.digits() {
                put_poly(w, k.digit(j).1);
            }
        }
    }
}

pub(super) fn require_seed(k: &SwitchingKey, what: &str) -> Result<()> {
    if k.seed().is_some() {
        Ok(())
    } else {
        Err(Error::InvalidParameters {
            reason: format!(
                "{what} was not generated from a seed and cannot be stored compressed (use KeyGenerator::with_seeded_keys)"
            ),
        })
    }
}

/// Reads a switching key; `want_seeded`: the encoding the enclosing object requires (a key
/// bundle uses one encoding for all its keys, so that it stays canonical).
pub(super) fn get_switching_key(
    r: &mut Reader<'_>,
    ctx: &CkksContext,
    galois: Option<usize>,
    want_seeded: Option<bool>,
) -> Result<SwitchingKey> {
    let seeded = match r.u8()? {
        KEY_FULL => false,
        KEY_SEEDED => true,
        e => return Err(bad(format!("unknown switching-key encoding {e}"))),
    };
    if want_seeded.is_some_and(|w| w != seeded) {
        return Err(bad(
            "switching-key encoding differs from the bundle's (one encoding for every key)",
        ));
    }
    let digits = r.u16()? as usize;
    let dnum = ctx.params().dnum();
    if digits != dnum {
        return Err(bad(format!(
            "switching key with {digits} digits, parameters have {dnum}"
        )));
    }
    let qp = ctx.qp_basis();
    let b = (0..digits)
        .map(|_| get_poly(r, qp))
        .collect::<Result<Vec<_>>>()?;
    if seeded {
        let seed: [u8; SEED_LEN] = r.take(SEED_LEN)?.try_into().expect("SEED_LEN bytes");
        return ctx
            .key_switcher()
            .key_from_seed(b, seed, galois)
            .map_err(|e| bad(format!("seeded switching key: {e}")));
    }
    let a = (0..digits)
        .map(|_| get_poly(r, qp))
        .collect::<Result<Vec<_>>>()?;
    ctx.key_switcher()
        .key_from_parts(b, a, galois)
        .map_err(|e| bad(format!("switching key: {e}")))
}

/// The canonical label of Galois element `g` of ring degree `n`: (label, rotation step).
fn galois_label(n: usize, g: usize) -> (u8, i64) {
    if g == 2 * n - 1 {
        return (LABEL_CONJUGATION, 0);
    }
    let two_n = 2 * n as u64;
    let mut x = 5u64 % two_n;
    for r in 1..(n / 2) as i64 {
        if x == g as u64 {
            return (LABEL_ROTATION, r);
        }
        x = x * 5 % two_n;
    }
    (LABEL_OTHER, 0)
}

/// Scale of an object at the level of `basis`: finite, ≥ 1 and at most Q_ℓ (the object's
/// modulus), else the decoded values are meaningless (∞, NaN or pure noise).
pub(super) fn check_scale(scale: f64, basis: &RnsBasis) -> Result<f64> {
    crate::ckks::context::check_scale(scale, basis).map_err(|e| bad(e.to_string()))?;
    Ok(scale)
}

impl CkksParams {
    /// Serializes the parameters.
    pub fn to_bytes(&self) -> Vec<u8> {
        let len = 4 + 2 + 8 * self.q().len() + 2 + 8 * self.p().len() + 2 + 4 + 1 + 4 + 1;
        let mut w = Writer::new(Kind::Params, self.id(), len);
        w.u32(self.n() as u32);
        w.u16(self.q().len() as u16);
        w.words(self.q());
        w.u16(self.p().len() as u16);
        w.words(self.p());
        w.u16(self.dnum() as u16);
        w.u32(self.log_scale());
        match self.secret_distribution() {
            SecretDistribution::Ternary => {
                w.u8(0);
                w.u32(0);
            }
            SecretDistribution::TernaryHammingWeight(h) => {
                w.u8(1);
                w.u32(h as u32);
            }
        }
        w.u8(self.is_insecure() as u8);
        w.finish()
    }

    /// Loads and re-validates parameters. Parameters below 128-bit security are refused with
    /// [`crate::Error::InsecureParameters`] even if the blob declares them insecure: use
    /// [`CkksParams::from_bytes_allow_insecure`] to opt in.
    pub fn from_bytes(bytes: &[u8]) -> Result<CkksParams> {
        Self::load(bytes, false)
    }

    /// As [`CkksParams::from_bytes`], accepting parameters below 128-bit security (tests and
    /// experiments only: never on data from an untrusted source).
    pub fn from_bytes_allow_insecure(bytes: &[u8]) -> Result<CkksParams> {
        Self::load(bytes, true)
    }

    fn load(bytes: &[u8], allow_insecure: bool) -> Result<CkksParams> {
        use crate::ckks::params::{MAX_P_PRIMES, MAX_Q_PRIMES};
        let (id, mut r) = read(Kind::Params, bytes)?;
        let n = r.u32()? as usize;
        let q_len = r.u16()? as usize;
        if q_len > MAX_Q_PRIMES {
            return Err(bad(format!("{q_len} Q primes (at most {MAX_Q_PRIMES})")));
        }
        let q = r.words(q_len)?;
        let p_len = r.u16()? as usize;
        if p_len > MAX_P_PRIMES {
            return Err(bad(format!("{p_len} P primes (at most {MAX_P_PRIMES})")));
        }
        let p = r.words(p_len)?;
        let dnum = r.u16()? as usize;
        let log_scale = r.u32()?;
        let secret = match (r.u8()?, r.u32()?) {
            (0, 0) => SecretDistribution::Ternary,
            (1, h) => SecretDistribution::TernaryHammingWeight(h as usize),
            (t, h) => return Err(bad(format!("unknown secret distribution {t} ({h})"))),
        };
        let insecure = match r.u8()? {
            0 => false,
            1 => true,
            x => return Err(bad(format!("insecure flag {x} is not 0/1"))),
        };
        r.finish()?;
        let params = CkksParams::builder()
            .ring_degree(n)
            .q_primes(&q)
            .p_primes(&p)
            .dnum(dnum)
            .log_scale(log_scale)
            .secret(secret)
            .allow_insecure(allow_insecure)
            .build()?;
        if params.is_insecure() != insecure {
            return Err(bad("the insecure flag disagrees with the parameters"));
        }
        if params.id() != id {
            return Err(bad("header id does not match the parameters"));
        }
        Ok(params)
    }
}

impl SecretKey {
    /// Serializes the secret key (its ternary coefficients, one byte each). The returned buffer
    /// is zeroized when dropped; the bytes are **not encrypted** — protect them at rest.
    pub fn to_bytes(&self, ctx: &CkksContext) -> Result<Zeroizing<Vec<u8>>> {
        ctx.check_id(self.params_id)?;
        let n = ctx.params().n();
        let q0 = ctx.qp_basis().prefix(1);
        let mut s = SecretPoly::copy_of(&self.s);
        s.truncate(&q0)?;
        s.intt(&q0)?;
        let q = q0.primes()[0];
        let mut w = Writer::new(Kind::SecretKey, self.params_id, 1 + 4 + n);
        w.u8(SECRET_TERNARY);
        w.u32(n as u32);
        for &x in s.limb(0) {
            // Branch-free: 0 → 0x00, 1 → 0x01, q − 1 → 0xFF.
            let one = (x == 1) as u8;
            let minus = (x == q - 1) as u8;
            w.u8(one | minus.wrapping_neg());
        }
        Ok(Zeroizing::new(w.finish()))
    }

    /// Loads a secret key of `ctx`'s parameters, checking that it is ternary (and of the
    /// parameters' Hamming weight). Every intermediate buffer is zeroized.
    pub fn from_bytes(ctx: &CkksContext, bytes: &[u8]) -> Result<SecretKey> {
        let (id, mut r) = read(Kind::SecretKey, bytes)?;
        ctx.check_id(id)?;
        if r.u8()? != SECRET_TERNARY {
            return Err(bad("unknown secret-key encoding"));
        }
        let n = ctx.params().n();
        if r.u32()? as usize != n {
            return Err(bad("secret key of another ring degree"));
        }
        let raw = r.take(n)?;
        r.finish()?;
        let mut coeffs = Zeroizing::new(vec![0i64; n]);
        let (mut invalid, mut weight) = (0usize, 0usize);
        for (c, &b) in coeffs.iter_mut().zip(raw) {
            let valid = (b == 0) as usize | (b == 1) as usize | (b == 0xFF) as usize;
            invalid += 1 - valid;
            weight += (b != 0) as usize;
            *c = b as i8 as i64;
        }
        if invalid != 0 {
            return Err(bad("secret key coefficients must be in {-1, 0, 1}"));
        }
        if let SecretDistribution::TernaryHammingWeight(h) = ctx.params().secret_distribution()
            && weight != h
        {
            return Err(bad(format!(
                "secret key has Hamming weight {weight}, the parameters require {h}"
            )));
        }
        let qp = ctx.qp_basis();
        let mut s = SecretPoly::new(crate::rns::sampling::from_signed(qp, &coeffs));
        s.ntt(qp)?;
        weight.zeroize();
        Ok(SecretKey { params_id: id, s })
    }
}

impl PublicKey {
    /// Serializes the key.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new(
            Kind::PublicKey,
            self.params_id,
            poly_len(&self.b) + poly_len(&self.a),
        );
        put_poly(&mut w, &self.b);
        put_poly(&mut w, &self.a);
        w.finish()
    }

    /// Loads a public key of `ctx`'s parameters.
    pub fn from_bytes(ctx: &CkksContext, bytes: &[u8]) -> Result<PublicKey> {
        let (id, mut r) = read(Kind::PublicKey, bytes)?;
        ctx.check_id(id)?;
        let basis = PublicKey::basis(ctx)?;
        let b = get_poly(&mut r, basis)?;
        let a = get_poly(&mut r, basis)?;
        r.finish()?;
        Ok(PublicKey {
            params_id: id,
            b,
            a,
        })
    }
}

impl RelinKey {
    /// Serializes the key (full encoding).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.write(false)
    }

    /// Serializes the key compressed: the `b` parts and the 32-byte seed (about half the
    /// bytes). Errors unless the key was generated seeded ([`KeyGenerator::with_seeded_keys`]).
    ///
    /// [`KeyGenerator::with_seeded_keys`]: crate::ckks::KeyGenerator::with_seeded_keys
    pub fn to_bytes_compressed(&self) -> Result<Vec<u8>> {
        require_seed(&self.key, "the relinearization key")?;
        Ok(self.write(true))
    }

    /// Whether the key carries its seed (can be stored compressed).
    pub fn is_seeded(&self) -> bool {
        self.key.seed().is_some()
    }

    fn write(&self, compressed: bool) -> Vec<u8> {
        let len = switching_key_len(&self.key, compressed);
        let mut w = Writer::new(Kind::RelinKey, self.params_id, len);
        put_switching_key(&mut w, &self.key, compressed);
        w.finish()
    }

    /// Loads a relinearization key of `ctx`'s parameters.
    pub fn from_bytes(ctx: &CkksContext, bytes: &[u8]) -> Result<RelinKey> {
        let (id, mut r) = read(Kind::RelinKey, bytes)?;
        ctx.check_id(id)?;
        let key = get_switching_key(&mut r, ctx, None, None)?;
        r.finish()?;
        Ok(RelinKey { params_id: id, key })
    }
}

impl GaloisKeys {
    /// Serializes the keys (sorted by Galois element, each with its canonical label; full
    /// encoding).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.write(false)
    }

    /// Serializes the keys compressed (each key's `b` parts and seed, about half the bytes).
    /// Errors unless every key was generated seeded.
    pub fn to_bytes_compressed(&self) -> Result<Vec<u8>> {
        for (&g, (_, k)) in &self.keys {
            require_seed(k, &format!("the Galois key {g}"))?;
        }
        Ok(self.write(true))
    }

    /// Whether every key carries its seed (the set can be stored compressed).
    pub fn is_seeded(&self) -> bool {
        self.keys.values().all(|(_, k)| k.seed().is_some())
    }

    fn write(&self, compressed: bool) -> Vec<u8> {
        let mut w = Writer::new(
            Kind::GaloisKeys,
            self.params_id,
            self.entries_len(compressed),
        );
        self.put_entries(&mut w, compressed);
        w.finish()
    }

    /// Bytes of the count and the entries (the payload of kind 4).
    pub(super) fn entries_len(&self, compressed: bool) -> usize {
        4 + self
            .keys
            .values()
            .map(|(_, k)| 8 + 1 + 8 + switching_key_len(k, compressed))
            .sum::<usize>()
    }

    /// Writes the count and the entries (sorted by element, canonical labels).
    pub(super) fn put_entries(&self, w: &mut Writer, compressed: bool) {
        w.u32(self.keys.len() as u32);
        for (&g, (auto, k)) in &self.keys {
            let (label, step) = galois_label(auto.n(), g);
            w.u64(g as u64);
            w.u8(label);
            w.i64(step);
            put_switching_key(w, k, compressed);
        }
    }

    /// Loads Galois keys of `ctx`'s parameters.
    pub fn from_bytes(ctx: &CkksContext, bytes: &[u8]) -> Result<GaloisKeys> {
        let (id, mut r) = read(Kind::GaloisKeys, bytes)?;
        ctx.check_id(id)?;
        let keys = Self::get_entries(&mut r, ctx, None)?;
        r.finish()?;
        Ok(GaloisKeys {
            params_id: id,
            keys,
        })
    }

    /// Reads the count and the entries written by [`GaloisKeys::put_entries`].
    pub(super) fn get_entries(
        r: &mut Reader<'_>,
        ctx: &CkksContext,
        want_seeded: Option<bool>,
    ) -> Result<GaloisEntries> {
        let n = ctx.params().n();
        let count = r.u32()? as usize;
        // Each key holds at least dnum polys of n words (compressed): bound the count by the input.
        let min_key = ctx.params().dnum() * 8 * n;
        if count > r.remaining() / min_key.max(1) {
            return Err(bad(format!("{count} Galois keys cannot fit in the input")));
        }
        let mut keys = BTreeMap::new();
        let mut last = None;
        for _ in 0..count {
            let g = usize::try_from(r.u64()?).map_err(|_| bad("Galois element out of range"))?;
            let auto =
                Automorphism::new(n, g).map_err(|e| bad(format!("Galois element {g}: {e}")))?;
            if g == 1 {
                return Err(bad("Galois element 1 (the identity) needs no key"));
            }
            if last.is_some_and(|prev| prev >= g) {
                return Err(bad(
                    "Galois keys must be sorted by element, without duplicates",
                ));
            }
            last = Some(g);
            let (label, step) = (r.u8()?, r.i64()?);
            let want = galois_label(n, g);
            if (label, step) != want {
                return Err(bad(format!(
                    "Galois element {g} is labelled ({label}, step {step}), its canonical label is ({}, step {})",
                    want.0, want.1
                )));
            }
            if label == LABEL_ROTATION && automorphism::galois_element_for_rotation(n, step) != g {
                return Err(bad("rotation step does not match the Galois element"));
            }
            let key = get_switching_key(r, ctx, Some(g), want_seeded)?;
            keys.insert(g, (auto, key));
        }
        Ok(keys)
    }
}
