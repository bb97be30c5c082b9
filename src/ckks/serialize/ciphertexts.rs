//! `to_bytes` / `from_bytes` for plaintexts and ciphertexts, full (kind 6) and seeded
//! (kind 11) — layouts in the parent module's docs.

use super::objects::{check_scale, get_level_poly, get_poly, poly_len, put_poly};
use super::{Kind, Writer, bad, read, read_either_with};
use crate::ckks::ciphertext::{Ciphertext, Plaintext};
use crate::ckks::context::CkksContext;
use crate::error::Result;
use crate::keyswitch::SEED_LEN;

impl Plaintext {
    /// Serializes the plaintext.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new(Kind::Plaintext, self.params_id, 8 + poly_len(&self.poly));
        w.f64(self.scale);
        put_poly(&mut w, &self.poly);
        w.finish()
    }

    /// Loads a plaintext of `ctx`'s parameters.
    pub fn from_bytes(ctx: &CkksContext, bytes: &[u8]) -> Result<Plaintext> {
        let (id, mut r) = read(Kind::Plaintext, bytes)?;
        ctx.check_id(id)?;
        let scale = r.f64()?;
        let (poly, basis) = get_level_poly(&mut r, ctx)?;
        r.finish()?;
        Ok(Plaintext {
            params_id: id,
            poly,
            scale: check_scale(scale, basis)?,
        })
    }
}

impl Ciphertext {
    /// Serializes the ciphertext: compressed (kind 11: c0 and the seed of c1, half the bytes)
    /// when it is a seeded fresh ciphertext whose c1 still equals its seed's expansion
    /// ([`Ciphertext::seed`]), else in full (kind 6).
    pub fn to_bytes(&self) -> Vec<u8> {
        match self.seed() {
            Some(seed) => {
                let len = 8 + poly_len(&self.parts[0]) + SEED_LEN;
                let mut w = Writer::new(Kind::SeededCiphertext, self.params_id, len);
                w.f64(self.scale);
                put_poly(&mut w, &self.parts[0]);
                w.bytes(seed);
                w.finish()
            }
            None => self.to_bytes_full(),
        }
    }

    /// Serializes the ciphertext in full (kind 6), seeded or not.
    pub fn to_bytes_full(&self) -> Vec<u8> {
        let len = 8 + 1 + self.parts.iter().map(poly_len).sum::<usize>();
        let mut w = Writer::new(Kind::Ciphertext, self.params_id, len);
        w.f64(self.scale);
        w.u8(self.parts.len() as u8);
        for p in &self.parts {
            put_poly(&mut w, p);
        }
        w.finish()
    }

    /// Loads a ciphertext of `ctx`'s parameters, full (kind 6) or seeded (kind 11: c1 is
    /// re-expanded from the seed, and the loaded ciphertext keeps it).
    pub fn from_bytes(ctx: &CkksContext, bytes: &[u8]) -> Result<Ciphertext> {
        Self::from_bytes_with_sum(ctx, bytes, None)
    }

    /// As [`Ciphertext::from_bytes`], with the frame's checksum already computed by the caller
    /// (`known`: a batch computes its tiles' sums in its own pass).
    pub(crate) fn from_bytes_with_sum(
        ctx: &CkksContext,
        bytes: &[u8],
        known: Option<u64>,
    ) -> Result<Ciphertext> {
        let (kind, id, mut r) =
            read_either_with(Kind::Ciphertext, Kind::SeededCiphertext, bytes, known)?;
        ctx.check_id(id)?;
        let scale = r.f64()?;
        if kind == Kind::SeededCiphertext {
            let (c0, basis) = get_level_poly(&mut r, ctx)?;
            let seed: [u8; SEED_LEN] = r.take(SEED_LEN)?.try_into().expect("SEED_LEN bytes");
            r.finish()?;
            let scale = check_scale(scale, basis)?;
            let c1 = crate::ckks::expand_ciphertext_uniform(basis, &seed);
            return Ok(Ciphertext {
                params_id: id,
                parts: vec![c0, c1],
                scale,
                seed: Some(seed),
            });
        }
        let count = r.u8()? as usize;
        if !(2..=3).contains(&count) {
            return Err(bad(format!("ciphertext with {count} parts")));
        }
        let (first, basis) = get_level_poly(&mut r, ctx)?;
        let mut parts = vec![first];
        for _ in 1..count {
            parts.push(get_poly(&mut r, basis)?);
        }
        r.finish()?;
        Ok(Ciphertext {
            params_id: id,
            parts,
            scale: check_scale(scale, basis)?,
            seed: None,
        })
    }
}
