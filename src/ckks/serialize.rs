//! A compact, versioned binary format for parameters, public / relinearization / Galois keys,
//! plaintexts and ciphertexts.
//!
//! Layout: `b"CKAC"`, format version (u16 LE), object kind (u8), parameter id (u64 LE), the
//! payload (bincode, fixed-width little-endian integers), and an FNV-1a checksum (u64 LE) of
//! everything before it. Loading checks all of it — magic, version, kind, id, checksum, sizes
//! (bincode is limited to the input length, so a forged length cannot allocate), shapes,
//! representation tags and that every residue is below its prime — and returns
//! [`Error::Deserialize`] (or [`Error::ParamsMismatch`]) instead of panicking.

use super::ciphertext::{Ciphertext, Plaintext};
use super::context::CkksContext;
use super::keys::{GaloisKeys, PublicKey, RelinKey};
use super::params::CkksParams;
use crate::error::{Error, Result};
use crate::keyswitch::SwitchingKey;
use crate::rns::{Automorphism, Representation, RnsBasis, RnsPoly};
use bincode::Options;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const MAGIC: &[u8; 4] = b"CKAC";
/// Version of the binary format written by this crate.
pub const FORMAT_VERSION: u16 = 1;
const HEADER: usize = 4 + 2 + 1 + 8;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
enum Kind {
    Params = 1,
    PublicKey = 2,
    RelinKey = 3,
    GaloisKeys = 4,
    Plaintext = 5,
    Ciphertext = 6,
}

fn bad(reason: impl Into<String>) -> Error {
    Error::Deserialize {
        reason: reason.into(),
    }
}

fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn opts(limit: u64) -> impl Options {
    bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .with_little_endian()
        .with_limit(limit)
}

fn write<T: Serialize>(kind: Kind, params_id: u64, payload: &T) -> Vec<u8> {
    let body = opts(u64::MAX)
        .serialize(payload)
        .expect("in-memory serialization cannot fail");
    let mut out = Vec::with_capacity(HEADER + body.len() + 8);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.push(kind as u8);
    out.extend_from_slice(&params_id.to_le_bytes());
    out.extend_from_slice(&body);
    let sum = fnv(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

fn read<'a, T: Deserialize<'a>>(kind: Kind, bytes: &'a [u8]) -> Result<(u64, T)> {
    if bytes.len() < HEADER + 8 {
        return Err(bad(format!(
            "{} bytes is shorter than the header",
            bytes.len()
        )));
    }
    if &bytes[..4] != MAGIC {
        return Err(bad("not a ckks-accel object (bad magic)"));
    }
    let version = u16::from_le_bytes([bytes[4], bytes[5]]);
    if version != FORMAT_VERSION {
        return Err(bad(format!(
            "format version {version}, this build reads {FORMAT_VERSION}"
        )));
    }
    if bytes[6] != kind as u8 {
        return Err(bad(format!(
            "object kind {} where {:?} was expected",
            bytes[6], kind
        )));
    }
    let (data, sum) = bytes.split_at(bytes.len() - 8);
    if fnv(data) != u64::from_le_bytes(sum.try_into().expect("8 bytes")) {
        return Err(bad("checksum mismatch (corrupted or truncated data)"));
    }
    let id = u64::from_le_bytes(bytes[7..15].try_into().expect("8 bytes"));
    let body = &data[HEADER..];
    let value = opts(body.len() as u64)
        .deserialize(body)
        .map_err(|e| bad(format!("payload: {e}")))?;
    Ok((id, value))
}

#[derive(Serialize, Deserialize)]
struct PolyDto {
    primes: Vec<u64>,
    eval: bool,
    words: Vec<u64>,
}

impl PolyDto {
    fn from(p: &RnsPoly) -> PolyDto {
        PolyDto {
            primes: p.primes().to_vec(),
            eval: p.representation() == Representation::Evaluation,
            words: p.as_words().to_vec(),
        }
    }

    fn into_poly(self, basis: &RnsBasis) -> Result<RnsPoly> {
        if self.primes != basis.primes() {
            return Err(bad("polynomial is over another RNS basis"));
        }
        if !self.eval {
            return Err(bad("polynomial must be in evaluation form"));
        }
        RnsPoly::from_words(basis, Representation::Evaluation, &self.words)
            .map_err(|e| bad(format!("polynomial: {e}")))
    }

    /// The basis of a Q-level polynomial: the prefix of Q with as many primes.
    fn level_basis<'c>(&self, ctx: &'c CkksContext) -> Result<&'c RnsBasis> {
        if self.primes.is_empty() {
            return Err(bad("empty polynomial"));
        }
        ctx.basis(self.primes.len() - 1)
            .map_err(|_| bad("polynomial has more primes than Q"))
    }
}

#[derive(Serialize, Deserialize)]
struct SwitchingKeyDto {
    b: Vec<PolyDto>,
    a: Vec<PolyDto>,
}

impl SwitchingKeyDto {
    fn from(k: &SwitchingKey) -> SwitchingKeyDto {
        let (b, a) = (0..k.digits())
            .map(|j| k.digit(j))
            .map(|(b, a)| (PolyDto::from(b), PolyDto::from(a)))
            .unzip();
        SwitchingKeyDto { b, a }
    }

    fn into_key(self, ctx: &CkksContext, galois: Option<usize>) -> Result<SwitchingKey> {
        let qp = ctx.qp_basis();
        let b = self
            .b
            .into_iter()
            .map(|p| p.into_poly(qp))
            .collect::<Result<Vec<_>>>()?;
        let a = self
            .a
            .into_iter()
            .map(|p| p.into_poly(qp))
            .collect::<Result<Vec<_>>>()?;
        ctx.key_switcher()
            .key_from_parts(b, a, galois)
            .map_err(|e| bad(format!("switching key: {e}")))
    }
}

#[derive(Serialize, Deserialize)]
struct CiphertextDto {
    scale: f64,
    parts: Vec<PolyDto>,
}

fn check_scale(scale: f64) -> Result<f64> {
    if scale.is_finite() && scale > 0.0 {
        Ok(scale)
    } else {
        Err(bad(format!("invalid scale {scale}")))
    }
}

impl CkksParams {
    /// Serializes the parameters.
    pub fn to_bytes(&self) -> Vec<u8> {
        write(Kind::Params, self.id(), self)
    }

    /// Loads and re-validates parameters.
    pub fn from_bytes(bytes: &[u8]) -> Result<CkksParams> {
        let (id, p): (u64, CkksParams) = read(Kind::Params, bytes)?;
        let p = p.revalidate()?;
        if p.id() != id {
            return Err(bad("header id does not match the parameters"));
        }
        Ok(p)
    }
}

impl PublicKey {
    /// Serializes the key.
    pub fn to_bytes(&self) -> Vec<u8> {
        write(
            Kind::PublicKey,
            self.params_id,
            &(PolyDto::from(&self.b), PolyDto::from(&self.a)),
        )
    }

    /// Loads a public key of `ctx`'s parameters.
    pub fn from_bytes(ctx: &CkksContext, bytes: &[u8]) -> Result<PublicKey> {
        let (id, (b, a)): (u64, (PolyDto, PolyDto)) = read(Kind::PublicKey, bytes)?;
        ctx.check_id(id)?;
        let qp = ctx.qp_basis();
        Ok(PublicKey {
            params_id: id,
            b: b.into_poly(qp)?,
            a: a.into_poly(qp)?,
        })
    }
}

impl RelinKey {
    /// Serializes the key.
    pub fn to_bytes(&self) -> Vec<u8> {
        write(
            Kind::RelinKey,
            self.params_id,
            &SwitchingKeyDto::from(&self.key),
        )
    }

    /// Loads a relinearization key of `ctx`'s parameters.
    pub fn from_bytes(ctx: &CkksContext, bytes: &[u8]) -> Result<RelinKey> {
        let (id, dto): (u64, SwitchingKeyDto) = read(Kind::RelinKey, bytes)?;
        ctx.check_id(id)?;
        Ok(RelinKey {
            params_id: id,
            key: dto.into_key(ctx, None)?,
        })
    }
}

impl GaloisKeys {
    /// Serializes the keys.
    pub fn to_bytes(&self) -> Vec<u8> {
        let v: Vec<(u64, SwitchingKeyDto)> = self
            .keys
            .iter()
            .map(|(&g, (_, k))| (g as u64, SwitchingKeyDto::from(k)))
            .collect();
        write(Kind::GaloisKeys, self.params_id, &v)
    }

    /// Loads Galois keys of `ctx`'s parameters.
    pub fn from_bytes(ctx: &CkksContext, bytes: &[u8]) -> Result<GaloisKeys> {
        let (id, v): (u64, Vec<(u64, SwitchingKeyDto)>) = read(Kind::GaloisKeys, bytes)?;
        ctx.check_id(id)?;
        let n = ctx.params().n();
        let mut keys = BTreeMap::new();
        for (g, dto) in v {
            let g = usize::try_from(g).map_err(|_| bad("Galois element out of range"))?;
            let auto =
                Automorphism::new(n, g).map_err(|e| bad(format!("Galois element {g}: {e}")))?;
            if keys
                .insert(g, (auto, dto.into_key(ctx, Some(g))?))
                .is_some()
            {
                return Err(bad(format!("duplicate Galois element {g}")));
            }
        }
        Ok(GaloisKeys {
            params_id: id,
            keys,
        })
    }
}

impl Plaintext {
    /// Serializes the plaintext.
    pub fn to_bytes(&self) -> Vec<u8> {
        write(
            Kind::Plaintext,
            self.params_id,
            &(self.scale, PolyDto::from(&self.poly)),
        )
    }

    /// Loads a plaintext of `ctx`'s parameters.
    pub fn from_bytes(ctx: &CkksContext, bytes: &[u8]) -> Result<Plaintext> {
        let (id, (scale, poly)): (u64, (f64, PolyDto)) = read(Kind::Plaintext, bytes)?;
        ctx.check_id(id)?;
        let basis = poly.level_basis(ctx)?;
        Ok(Plaintext {
            params_id: id,
            poly: poly.into_poly(basis)?,
            scale: check_scale(scale)?,
        })
    }
}

impl Ciphertext {
    /// Serializes the ciphertext.
    pub fn to_bytes(&self) -> Vec<u8> {
        let dto = CiphertextDto {
            scale: self.scale,
            parts: self.parts.iter().map(PolyDto::from).collect(),
        };
        write(Kind::Ciphertext, self.params_id, &dto)
    }

    /// Loads a ciphertext of `ctx`'s parameters.
    pub fn from_bytes(ctx: &CkksContext, bytes: &[u8]) -> Result<Ciphertext> {
        let (id, dto): (u64, CiphertextDto) = read(Kind::Ciphertext, bytes)?;
        ctx.check_id(id)?;
        if !(2..=3).contains(&dto.parts.len()) {
            return Err(bad(format!("ciphertext with {} parts", dto.parts.len())));
        }
        let basis = dto.parts[0].level_basis(ctx)?;
        let parts = dto
            .parts
            .into_iter()
            .map(|p| p.into_poly(basis))
            .collect::<Result<Vec<_>>>()?;
        Ok(Ciphertext {
            params_id: id,
            parts,
            scale: check_scale(dto.scale)?,
        })
    }
}
