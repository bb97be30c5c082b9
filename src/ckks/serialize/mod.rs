//! The binary format for parameters, keys (secret, public, relinearization, Galois, and the
//! evaluation-key bundle), plaintexts and ciphertexts: an explicit, versioned, little-endian
//! layout written by hand (no serde format crate), plus an optional keyed integrity envelope
//! ([`seal`] / [`unseal`]).
//!
//! # Frame (every object)
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 4 | magic `b"CKAC"` |
//! | 4 | 2 | format version ([`FORMAT_VERSION`] = 3; 2 is still read), u16 LE |
//! | 6 | 1 | object kind (see [`Kind`]) |
//! | 7 | 1 | frame flags — reserved, must be 0 |
//! | 8 | 8 | parameter id ([`super::CkksParams::id`]), u64 LE |
//! | 16 | 8 | payload length `len`, u64 LE |
//! | 24 | len | payload |
//! | 24 + len | 8 | checksum of bytes `0..24 + len`, u64 LE: XXH3-64 (version 3), FNV-1a-64 (version 2) |
//!
//! The total length must be exactly `32 + len`. All integers are little-endian; `f64` is its
//! IEEE-754 bit pattern as a u64.
//!
//! # Payloads
//!
//! - **poly** (an RNS polynomial): `n` u32, `limbs` u16, representation u8 (1 = evaluation, the
//!   only one accepted), `limbs` primes (u64 each), then `limbs × n` residues (u64 each, limb
//!   after limb, each below its prime).
//! - **Params** (kind 1): `n` u32; `|Q|` u16 and the Q primes; `|P|` u16 and the P primes; `dnum`
//!   u16; `log_scale` u32; secret distribution u8 (0 = ternary, 1 = fixed Hamming weight) and the
//!   weight u32 (0 for ternary); insecure u8 (0/1).
//! - **PublicKey** (kind 2): poly `b`, poly `a`.
//! - **switching key** (inside kinds 3 and 4): key encoding u8, digits u16, then the `digits`
//!   polys `b_j`, then the uniform part. Key encoding 0 = *full*: the `digits` polys `a_j`
//!   follow. Key encoding 1 = *seeded* (compressed, `to_bytes_compressed`): a 32-byte seed
//!   follows, from which the loader re-expands the `a_j` (ChaCha20, stream = the key's Galois
//!   element or 0; exact expansion in `keyswitch::seeded`), about half the bytes. Any other
//!   value is rejected; a flipped encoding byte leaves a payload of the wrong length, which is
//!   rejected too. A wrong seed cannot be detected without the secret key (the expansion is
//!   domain-separated by the Galois element, so a relabelled key re-expands to other `a_j`);
//!   `KeyGenerator::verify_relin_key` / `verify_galois_keys` check keys against the secret.
//! - **RelinKey** (kind 3): a switching key.
//! - **GaloisKeys** (kind 4): count u32, then per key: Galois element `g` u64, label u8
//!   (0 = rotation, 1 = conjugation, 2 = other element), rotation step i64 (the step `r` in
//!   `[1, n/2)` with `g = 5^r mod 2n` for label 0; 0 otherwise), a switching key. Keys are
//!   sorted by `g`; the label and step must be the canonical ones for `g`.
//! - **Plaintext** (kind 5): scale f64, poly.
//! - **Ciphertext** (kind 6): scale f64, parts u8 (2 or 3), the polys.
//! - **SeededCiphertext** (kind 11, a compressed fresh ciphertext): scale f64, the poly c0 (its
//!   limbs give the level ℓ), then the 32-byte seed from which the loader re-expands c1 over
//!   q_0..q_ℓ (ChaCha20, stream [`super::CIPHERTEXT_SEED_STREAM`]; exact expansion in the
//!   `Encryptor` docs). Written by `Ciphertext::to_bytes` for a seeded secret-key ciphertext
//!   whose c1 still equals the expansion (else kind 6; `to_bytes_full` always writes kind 6);
//!   `Ciphertext::from_bytes` reads both kinds. A seed altered consistently (checksum
//!   recomputed) loads into a well-formed ciphertext that decrypts to noise: only [`seal`]
//!   detects deliberate changes.
//! - **SecretKey** (kind 7): secret encoding u8 (0 = ternary coefficients), `n` u32, then `n`
//!   bytes, coefficient i of s as an i8 (0x00, 0x01 or 0xFF = −1). The key is rebuilt over Q ∪ P
//!   on load; every buffer that held it is zeroized (the caller's bytes come back in a
//!   [`zeroize::Zeroizing`] vector).
//! - **Sealed** (kind 8): an envelope made by [`seal`]: the inner object's bytes, then a 32-byte
//!   HMAC-SHA-256 tag over the envelope's header and the inner bytes.
//! - **KeyBundle** (kind 9, [`KeyBundle`]): key encoding u8 (0 = full, 1 = seeded: every
//!   switching key of the bundle must use it, so the bundle stays canonical); relinearization
//!   key present u8 (0/1) and, if 1, a switching key; the Galois keys as in kind 4 (count u32,
//!   then the sorted, labelled entries); the sum description u8 (0 = none, 1 = tree,
//!   2 = hoisted); for 1 and 2 the sum's `dim` u64; for 2 the plan: steps u8, then per step
//!   the radix `r` u64 and the stride `s` u64 (the plan's span is `dim`). Loading checks `dim`
//!   (a power of two ≤ slots), the plan (radices powers of two ≥ 2, strides 1, r₀, r₀·r₁, …
//!   covering exactly `dim`) and that every rotation key the sum needs for `dim` is present.
//!
//! - **BatchPlan** (kind 12): the plan fields of kind 10 (layout, count, sum, levels, bound,
//!   prediction, reason) without tile pairs, checked the same way.
//!
//! # What loading checks (threat model)
//!
//! Input is treated as attacker-controlled bytes. Every `from_bytes` checks magic, version,
//! kind, flags, exact length, checksum, parameter id, shapes against the context (before
//! allocating: a length field can never make the loader allocate more than the input holds,
//! or more than the parameters' own sizes), representation tags, that every residue is below its
//! prime, that scales are finite and within `[1, Q_ℓ]` for the object's level, that Galois labels
//! are canonical for their element, that secret coefficients are ternary (and of the declared
//! Hamming weight), and for parameters everything the builder checks, plus: **parameters that
//! declare themselves insecure are refused** unless the caller opts in with
//! [`super::CkksParams::from_bytes_allow_insecure`]. Loading never panics (fuzzed: see `fuzz/`).
//!
//! What the unkeyed format **cannot** check: the checksum (XXH3 or FNV) only detects accidental corruption
//! — anyone can recompute it. A well-formed key that is simply *wrong* (another secret's key,
//! a Galois key swapped under another element with its label rewritten consistently, a
//! ciphertext replaced by another) loads fine: nothing public distinguishes it without the
//! secret key. When data crosses a channel an adversary can write to, either use an
//! authenticated channel (TLS, signed storage) or wrap objects with [`seal`] under a key shared
//! by writer and reader, and load with [`unseal`] first. Confidentiality is not provided:
//! serialized secret keys are plaintext bytes — encrypt them at rest yourself.

mod bundle;
mod checksum;
mod ciphertexts;
mod objects;

pub use bundle::KeyBundle;
pub use checksum::OLDEST_READ_VERSION;
pub(crate) use checksum::{frame_sum, nested_sums};

use crate::error::{Error, Result};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Version of the binary format written by this build. It reads every version from
/// [`OLDEST_READ_VERSION`] to this one (they differ only in the frame checksum: see
/// `checksum`).
pub const FORMAT_VERSION: u16 = 3;

const MAGIC: &[u8; 4] = b"CKAC";
pub(crate) const HEADER: usize = 24;
const TRAILER: usize = 8;
/// Length of the [`seal`] tag (HMAC-SHA-256).
pub const TAG_LEN: usize = 32;
/// Shortest key [`seal`] accepts.
pub const MIN_SEAL_KEY_LEN: usize = 16;

/// Object kinds (byte 6 of the frame).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
#[non_exhaustive]
pub enum Kind {
    /// [`super::CkksParams`].
    Params = 1,
    /// [`super::PublicKey`].
    PublicKey = 2,
    /// [`super::RelinKey`].
    RelinKey = 3,
    /// [`super::GaloisKeys`].
    GaloisKeys = 4,
    /// [`super::Plaintext`].
    Plaintext = 5,
    /// [`super::Ciphertext`].
    Ciphertext = 6,
    /// [`super::SecretKey`].
    SecretKey = 7,
    /// An authenticated envelope made by [`seal`].
    Sealed = 8,
    /// [`KeyBundle`]: evaluation keys and the inner sum they were made for.
    KeyBundle = 9,
    /// An encrypted batch laid out for a plan (`parallel::EncryptedBatch`; the layout of its
    /// payload is documented there).
    Batch = 10,
    /// A seeded (compressed) fresh [`super::Ciphertext`]: c0 and the 32-byte seed of c1.
    SeededCiphertext = 11,
    /// A batch plan alone (`parallel::BatchPlan::to_bytes`: the plan fields of kind 10).
    BatchPlan = 12,
}

impl Kind {
    fn from_u8(b: u8) -> Option<Kind> {
        Some(match b {
            1 => Kind::Params,
            2 => Kind::PublicKey,
            3 => Kind::RelinKey,
            4 => Kind::GaloisKeys,
            5 => Kind::Plaintext,
            6 => Kind::Ciphertext,
            7 => Kind::SecretKey,
            8 => Kind::Sealed,
            9 => Kind::KeyBundle,
            10 => Kind::Batch,
            11 => Kind::SeededCiphertext,
            12 => Kind::BatchPlan,
            _ => return None,
        })
    }
}

pub(crate) fn bad(reason: impl Into<String>) -> Error {
    Error::Deserialize {
        reason: reason.into(),
    }
}

/// Builds one frame. `payload_len` must be the exact number of payload bytes the caller will
/// write: the buffer is allocated once at its final size and never reallocates (so a secret
/// payload leaves no stale copy behind).
pub(crate) struct Writer {
    buf: Vec<u8>,
    end: usize,
}

impl Writer {
    pub(crate) fn new(kind: Kind, params_id: u64, payload_len: usize) -> Writer {
        let mut buf = Vec::with_capacity(HEADER + payload_len + TRAILER);
        buf.extend_from_slice(MAGIC);
        buf.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        buf.push(kind as u8);
        buf.push(0);
        buf.extend_from_slice(&params_id.to_le_bytes());
        buf.extend_from_slice(&(payload_len as u64).to_le_bytes());
        Writer {
            buf,
            end: HEADER + payload_len,
        }
    }
    pub(crate) fn u8(&mut self, x: u8) {
        self.buf.push(x);
    }
    pub(crate) fn u16(&mut self, x: u16) {
        self.buf.extend_from_slice(&x.to_le_bytes());
    }
    pub(crate) fn u32(&mut self, x: u32) {
        self.buf.extend_from_slice(&x.to_le_bytes());
    }
    pub(crate) fn u64(&mut self, x: u64) {
        self.buf.extend_from_slice(&x.to_le_bytes());
    }
    pub(crate) fn i64(&mut self, x: i64) {
        self.buf.extend_from_slice(&x.to_le_bytes());
    }
    pub(crate) fn f64(&mut self, x: f64) {
        self.u64(x.to_bits());
    }
    pub(crate) fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }
    pub(crate) fn words(&mut self, w: &[u64]) {
        for &x in w {
            self.u64(x);
        }
    }
    /// Appends the checksum. Panics (a bug in this module, not bad input) if the payload
    /// length announced in the header was wrong.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        assert_eq!(self.buf.len(), self.end, "payload length announced wrongly");
        let sum = checksum::frame_sum(FORMAT_VERSION, &self.buf);
        self.buf.extend_from_slice(&sum.to_le_bytes());
        debug_assert_eq!(self.buf.len(), self.buf.capacity());
        self.buf
    }
}

/// Reads one payload; every read is bounds-checked and errors (never panics) past the end.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }
    /// Bytes read so far (the offset within the payload).
    pub(crate) fn offset(&self) -> usize {
        self.pos
    }
    pub(crate) fn take(&mut self, len: usize) -> Result<&'a [u8]> {
        if len > self.remaining() {
            return Err(bad(format!(
                "truncated payload: {len} bytes needed at offset {}, {} left",
                self.pos,
                self.remaining()
            )));
        }
        let s = &self.buf[self.pos..self.pos + len];
        self.pos += len;
        Ok(s)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    pub(crate) fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }
    pub(crate) fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    pub(crate) fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    pub(crate) fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    pub(crate) fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_le_bytes(self.array()?))
    }
    pub(crate) fn f64(&mut self) -> Result<f64> {
        Ok(f64::from_bits(self.u64()?))
    }
    /// `count` u64 words; the length is checked against the input before allocating.
    pub(crate) fn words(&mut self, count: usize) -> Result<Vec<u64>> {
        let len = count
            .checked_mul(8)
            .ok_or_else(|| bad("word count overflows"))?;
        let raw = self.take(len)?;
        Ok(raw
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8-byte chunk")))
            .collect())
    }
    /// Errors unless the payload was consumed exactly.
    pub(crate) fn finish(self) -> Result<()> {
        if self.remaining() == 0 {
            Ok(())
        } else {
            Err(bad(format!(
                "{} trailing bytes after the payload",
                self.remaining()
            )))
        }
    }
}

/// The header fields of a frame whose framing and checksum are valid.
pub(crate) struct Frame<'a> {
    pub(crate) version: u16,
    pub(crate) kind: u8,
    pub(crate) params_id: u64,
    pub(crate) header: &'a [u8],
    pub(crate) payload: &'a [u8],
}

/// Checks magic, version, flags, length and checksum.
pub(crate) fn parse_frame(bytes: &[u8]) -> Result<Frame<'_>> {
    parse_frame_with(bytes, None)
}

/// The payload of a frame of `kind` whose magic, version, kind, flags and length are valid —
/// its checksum **not** verified: only for a pre-scan whose findings are checked afterwards.
pub(crate) fn payload_unverified(kind: Kind, bytes: &[u8]) -> Option<Reader<'_>> {
    let f = frame_fields(bytes).ok()?;
    (f.kind == kind as u8).then_some(Reader {
        buf: f.payload,
        pos: 0,
    })
}

/// As [`parse_frame`]; `known`: the checksum of the frame's bytes before its trailer if the
/// caller has already computed it (see [`nested_sums`]), else it is computed here.
fn parse_frame_with(bytes: &[u8], known: Option<u64>) -> Result<Frame<'_>> {
    let f = frame_fields(bytes)?;
    let (data, sum) = bytes.split_at(bytes.len() - TRAILER);
    let computed = known.unwrap_or_else(|| checksum::frame_sum(f.version, data));
    if computed != u64::from_le_bytes(sum.try_into().expect("8 bytes")) {
        return Err(bad("checksum mismatch (corrupted or truncated data)"));
    }
    Ok(f)
}

/// Magic, version, flags and length (not the checksum).
fn frame_fields(bytes: &[u8]) -> Result<Frame<'_>> {
    if bytes.len() < HEADER + TRAILER {
        return Err(bad(format!(
            "{} bytes is shorter than the header",
            bytes.len()
        )));
    }
    if &bytes[..4] != MAGIC {
        return Err(bad("not a ckks-accel object (bad magic)"));
    }
    let version = u16::from_le_bytes([bytes[4], bytes[5]]);
    if !(OLDEST_READ_VERSION..=FORMAT_VERSION).contains(&version) {
        return Err(bad(format!(
            "format version {version}, this build reads {OLDEST_READ_VERSION} to {FORMAT_VERSION}"
        )));
    }
    if bytes[7] != 0 {
        return Err(bad(format!(
            "frame flags {:#04x}: reserved, must be 0",
            bytes[7]
        )));
    }
    let params_id = u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes"));
    let len = u64::from_le_bytes(bytes[16..24].try_into().expect("8 bytes"));
    let want = (bytes.len() - HEADER - TRAILER) as u64;
    if len != want {
        return Err(bad(format!(
            "payload length {len} but {want} bytes present (truncated or padded)"
        )));
    }
    Ok(Frame {
        version,
        kind: bytes[6],
        params_id,
        header: &bytes[..HEADER],
        payload: &bytes[HEADER..bytes.len() - TRAILER],
    })
}

/// Parses a frame of kind `kind`: (parameter id, payload reader).
pub(crate) fn read(kind: Kind, bytes: &[u8]) -> Result<(u64, Reader<'_>)> {
    read_either(kind, kind, bytes).map(|(_, id, r)| (id, r))
}

/// As [`read`], with the frame's checksum already computed (`known`, see [`nested_sums`]).
pub(crate) fn read_with(kind: Kind, bytes: &[u8], known: Option<u64>) -> Result<(u64, Reader<'_>)> {
    read_either_with(kind, kind, bytes, known).map(|(_, id, r)| (id, r))
}

/// Parses a frame of kind `kind` or `other`: (its kind, parameter id, payload reader).
pub(crate) fn read_either(
    kind: Kind,
    other: Kind,
    bytes: &[u8],
) -> Result<(Kind, u64, Reader<'_>)> {
    read_either_with(kind, other, bytes, None)
}

/// As [`read_either`], with the frame's checksum already computed (`known`, see [`nested_sums`]).
pub(crate) fn read_either_with(
    kind: Kind,
    other: Kind,
    bytes: &[u8],
    known: Option<u64>,
) -> Result<(Kind, u64, Reader<'_>)> {
    let f = parse_frame_with(bytes, known)?;
    let found = if f.kind == other as u8 { other } else { kind };
    if f.kind != found as u8 {
        let found = Kind::from_u8(f.kind)
            .map(|k| format!("{k:?}"))
            .unwrap_or_else(|| format!("unknown kind {}", f.kind));
        let hint = if f.kind == Kind::Sealed as u8 {
            " (call serialize::unseal first)"
        } else {
            ""
        };
        return Err(bad(format!("{found} where {kind:?} was expected{hint}")));
    }
    Ok((
        found,
        f.params_id,
        Reader {
            buf: f.payload,
            pos: 0,
        },
    ))
}

/// The kind and parameter id of a serialized object, after checking its frame and checksum
/// (not its payload). Useful to dispatch on stored blobs.
pub fn peek(bytes: &[u8]) -> Result<(Kind, u64)> {
    let f = parse_frame(bytes)?;
    let kind = Kind::from_u8(f.kind).ok_or_else(|| bad(format!("unknown kind {}", f.kind)))?;
    Ok((kind, f.params_id))
}

fn mac(key: &[u8]) -> Result<Hmac<Sha256>> {
    if key.len() < MIN_SEAL_KEY_LEN {
        return Err(Error::InvalidParameters {
            reason: format!(
                "integrity key of {} bytes: at least {MIN_SEAL_KEY_LEN} needed",
                key.len()
            ),
        });
    }
    Ok(<Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length"))
}

/// Wraps a serialized object in an authenticated envelope: HMAC-SHA-256 under `key` (at least
/// [`MIN_SEAL_KEY_LEN`] bytes; use 32 random bytes) over the envelope header and the object.
/// Anyone without `key` who changes a byte — relabels a Galois key, swaps a ciphertext for
/// another object, flips the insecure flag of parameters — makes [`unseal`] fail. It does not
/// hide anything and does not stop replay of an older sealed object under the same key.
pub fn seal(key: &[u8], object: &[u8]) -> Result<Vec<u8>> {
    let (_, params_id) = peek(object)?;
    let mut m = mac(key)?;
    let mut w = Writer::new(Kind::Sealed, params_id, object.len() + TAG_LEN);
    w.bytes(object);
    m.update(&w.buf[..HEADER]);
    m.update(object);
    w.bytes(&m.finalize().into_bytes());
    Ok(w.finish())
}

/// Verifies an envelope made by [`seal`] under `key` (constant-time tag comparison) and returns
/// the inner object's bytes, ready for its `from_bytes`.
pub fn unseal<'a>(key: &[u8], sealed: &'a [u8]) -> Result<&'a [u8]> {
    let mut m = mac(key)?;
    let f = parse_frame(sealed)?;
    if f.kind != Kind::Sealed as u8 {
        return Err(bad("not a sealed object"));
    }
    if f.payload.len() < TAG_LEN {
        return Err(bad("sealed object shorter than its tag"));
    }
    let (object, tag) = f.payload.split_at(f.payload.len() - TAG_LEN);
    m.update(f.header);
    m.update(object);
    m.verify_slice(tag)
        .map_err(|_| bad("integrity tag mismatch (modified, or sealed under another key)"))?;
    let (_, id) = peek(object)?;
    if id != f.params_id {
        return Err(bad("envelope and object disagree on the parameter id"));
    }
    Ok(object)
}
