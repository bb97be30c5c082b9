//! The binary format (version 3; version 2 still read): the frame layout, round trips of every object (the secret key
//! included), and loading's refusals — insecure parameters without the opt-in, bad scales,
//! non-canonical Galois labels, the key encoding byte, forged lengths, non-ternary
//! secrets — and the keyed integrity envelope.

use ckks_accel::Error;
use ckks_accel::ckks::serialize::{self, Kind};
use ckks_accel::ckks::*;
use std::sync::Arc;

mod common;

#[path = "serialize_parts/seeded_ciphertexts.rs"]
mod seeded_ciphertexts;

fn params() -> CkksParams {
    common::toy_params()
}

struct Env {
    ctx: Arc<CkksContext>,
    sk: SecretKey,
    pk: PublicKey,
    keys: EvaluationKeys,
}

fn env() -> Env {
    let ctx = CkksContext::new(params()).unwrap();
    let (sk, pk, keys) = common::test_keys(&ctx, 7, &[1, 2]);
    Env { ctx, sk, pk, keys }
}

fn encrypt(e: &Env, v: &[f64], scale: Option<f64>) -> Ciphertext {
    let enc = Encoder::new(e.ctx.clone());
    let p = e.ctx.params();
    let pt = enc
        .encode(v, scale.unwrap_or(p.default_scale()), p.max_level())
        .unwrap();
    Encryptor::with_public_key(e.ctx.clone(), &e.pk)
        .unwrap()
        .with_seed(1)
        .encrypt(&pt)
        .unwrap()
}

#[test]
fn frame_layout_is_pinned() {
    let e = env();
    let ct = encrypt(&e, &[0.5], None);
    let b = ct.to_bytes();
    assert_eq!(&b[..4], b"CKAC");
    assert_eq!(u16::from_le_bytes([b[4], b[5]]), 3);
    assert_eq!(FORMAT_VERSION, 3);
    assert_eq!(serialize::OLDEST_READ_VERSION, 2);
    assert_eq!(b[6], 6, "ciphertext kind");
    assert_eq!(b[7], 0, "flags");
    assert_eq!(
        u64::from_le_bytes(b[8..16].try_into().unwrap()),
        ct.params_id()
    );
    let len = u64::from_le_bytes(b[16..24].try_into().unwrap()) as usize;
    assert_eq!(b.len(), 32 + len);
    // scale, part count, then the first poly: n, limbs, tag, primes, residues.
    assert_eq!(
        f64::from_le_bytes(b[24..32].try_into().unwrap()),
        ct.scale()
    );
    assert_eq!(b[32], 2);
    assert_eq!(u32::from_le_bytes(b[33..37].try_into().unwrap()), 1 << 10);
    assert_eq!(u16::from_le_bytes([b[37], b[38]]), 3);
    assert_eq!(b[39], 1);
    assert_eq!(
        u64::from_le_bytes(b[40..48].try_into().unwrap()),
        e.ctx.params().q()[0]
    );
    let first = 40 + 3 * 8;
    assert_eq!(
        u64::from_le_bytes(b[first..first + 8].try_into().unwrap()),
        ct.parts()[0].limb(0)[0]
    );
    assert_eq!(len, 8 + 1 + 2 * (7 + 3 * 8 + 3 * 8 * (1 << 10)));
    assert_eq!(
        serialize::peek(&b).unwrap(),
        (Kind::Ciphertext, ct.params_id())
    );
}

#[test]
fn every_object_round_trips() {
    let e = env();
    let v = [0.25, -0.5, 0.75];
    let ct = encrypt(&e, &v, None);
    assert_eq!(Ciphertext::from_bytes(&e.ctx, &ct.to_bytes()).unwrap(), ct);
    let pt = Encoder::new(e.ctx.clone()).encode_default(&v).unwrap();
    assert_eq!(Plaintext::from_bytes(&e.ctx, &pt.to_bytes()).unwrap(), pt);
    assert_eq!(
        PublicKey::from_bytes(&e.ctx, &e.pk.to_bytes()).unwrap(),
        e.pk
    );
    let rk = e.keys.relin.as_ref().unwrap();
    assert_eq!(
        RelinKey::from_bytes(&e.ctx, &rk.to_bytes())
            .unwrap()
            .to_bytes(),
        rk.to_bytes()
    );
    let gk = GaloisKeys::from_bytes(&e.ctx, &e.keys.galois.to_bytes()).unwrap();
    assert_eq!(gk.elements(), e.keys.galois.elements());
    assert_eq!(gk.to_bytes(), e.keys.galois.to_bytes());

    // The secret key: one byte per coefficient, rebuilt exactly, decrypts.
    let sk_bytes = e.sk.to_bytes(&e.ctx).unwrap();
    assert_eq!(sk_bytes.len(), 32 + 1 + 4 + (1 << 10));
    let sk2 = SecretKey::from_bytes(&e.ctx, &sk_bytes).unwrap();
    assert_eq!(*sk2.to_bytes(&e.ctx).unwrap(), *sk_bytes);
    let dec = Decryptor::new(e.ctx.clone(), &sk2).unwrap();
    let out = Encoder::new(e.ctx.clone())
        .decode(&dec.decrypt(&ct).unwrap())
        .unwrap();
    for (a, b) in out.iter().zip(v) {
        assert!((a - b).abs() < 1e-4);
    }
    assert!(format!("{sk2:?}").contains("redacted"));
}

/// Objects written by a version-2 build (FNV-1a trailer) still load, to the same objects; a
/// version-2 frame with a version-3 checksum (or the reverse), and versions 1 and 4, are refused.
#[test]
fn version_2_objects_still_load() {
    let e = env();
    let ct = encrypt(&e, &[0.25, -0.5], None);
    let v2 = common::as_version_2(&ct.to_bytes(), &[]);
    assert_eq!(u16::from_le_bytes([v2[4], v2[5]]), 2);
    assert_eq!(Ciphertext::from_bytes(&e.ctx, &v2).unwrap(), ct);
    // Re-saving writes the current version.
    assert_eq!(
        Ciphertext::from_bytes(&e.ctx, &v2).unwrap().to_bytes(),
        ct.to_bytes()
    );
    let p = CkksParams::from_bytes_allow_insecure(&common::as_version_2(&params().to_bytes(), &[]))
        .unwrap();
    assert_eq!(p.id(), params().id());
    let pk = PublicKey::from_bytes(&e.ctx, &common::as_version_2(&e.pk.to_bytes(), &[])).unwrap();
    assert_eq!(pk, e.pk);
    let bundle = e.keys.galois.to_bytes();
    let gk = GaloisKeys::from_bytes(&e.ctx, &common::as_version_2(&bundle, &[])).unwrap();
    assert_eq!(gk.to_bytes(), bundle);
    let sk = e.sk.to_bytes(&e.ctx).unwrap();
    let sk2 = SecretKey::from_bytes(&e.ctx, &common::as_version_2(&sk, &[])).unwrap();
    assert_eq!(*sk2.to_bytes(&e.ctx).unwrap(), *sk);

    // The checksum must be the one of the frame's own version.
    let mut mixed = ct.to_bytes();
    mixed[4..6].copy_from_slice(&2u16.to_le_bytes());
    common::deserialize_err(Ciphertext::from_bytes(&e.ctx, &mixed), "checksum");
    let mut mixed = v2.clone();
    mixed[4..6].copy_from_slice(&3u16.to_le_bytes());
    common::deserialize_err(Ciphertext::from_bytes(&e.ctx, &mixed), "checksum");
    for version in [0u16, 1, 4, 0xffff] {
        let mut b = ct.to_bytes();
        b[4..6].copy_from_slice(&version.to_le_bytes());
        common::refix(&mut b);
        common::deserialize_err(Ciphertext::from_bytes(&e.ctx, &b), "format version");
    }
}

#[test]
fn insecure_parameters_need_the_opt_in() {
    let p = params();
    assert!(p.is_insecure());
    let bytes = p.to_bytes();
    assert!(matches!(
        CkksParams::from_bytes(&bytes),
        Err(Error::InsecureParameters { .. })
    ));
    assert_eq!(CkksParams::from_bytes_allow_insecure(&bytes).unwrap(), p);
    // A secure preset loads without the opt-in.
    let s = CkksParams::preset(Preset::S).unwrap();
    assert_eq!(CkksParams::from_bytes(&s.to_bytes()).unwrap(), s);
    // Flipping the flag of a secure set (checksum recomputed) is refused either way.
    let mut forged = s.to_bytes();
    let flag = forged.len() - 9;
    forged[flag] = 1;
    common::refix(&mut forged);
    common::deserialize_err(
        CkksParams::from_bytes_allow_insecure(&forged),
        "insecure flag",
    );
    // Over the caps: refused before reading the primes.
    let mut many = bytes.clone();
    many[28..30].copy_from_slice(&1000u16.to_le_bytes());
    common::refix(&mut many);
    common::deserialize_err(CkksParams::from_bytes_allow_insecure(&many), "Q primes");
}

#[test]
fn scales_are_validated_on_load() {
    let e = env();
    let ct = encrypt(&e, &[0.5], None);
    for bad in [
        5e-324,
        0.5,
        0.0,
        -1.0,
        f64::INFINITY,
        f64::NAN,
        2f64.powi(200),
    ] {
        let mut b = ct.to_bytes();
        b[24..32].copy_from_slice(&bad.to_le_bytes());
        common::refix(&mut b);
        common::deserialize_err(Ciphertext::from_bytes(&e.ctx, &b), "scale");
        let pt = Encoder::new(e.ctx.clone()).encode_default(&[1.0]).unwrap();
        let mut b = pt.to_bytes();
        b[24..32].copy_from_slice(&bad.to_le_bytes());
        common::refix(&mut b);
        common::deserialize_err(Plaintext::from_bytes(&e.ctx, &b), "scale");
    }
}

/// Offsets of the Galois elements in a serialized key set.
fn element_offsets(bytes: &[u8], count: usize, key_len: usize) -> Vec<usize> {
    (0..count)
        .map(|i| 28 + i * (17 + key_len))
        .collect::<Vec<_>>()
        .into_iter()
        .inspect(|&o| assert!(o + 8 <= bytes.len()))
        .collect()
}

#[test]
fn swapped_galois_labels_are_refused_and_sealing_catches_consistent_relabels() {
    let e = env();
    let gk = &e.keys.galois;
    let bytes = gk.to_bytes();
    let count = gk.len();
    assert_eq!(count, 3); // steps 1, 2 and conjugation
    let payload = bytes.len() - 32 - 4;
    let key_len = payload / count - 17;
    let offs = element_offsets(&bytes, count, key_len);
    let g: Vec<u64> = offs
        .iter()
        .map(|&o| u64::from_le_bytes(bytes[o..o + 8].try_into().unwrap()))
        .collect();
    assert_eq!(
        g.iter().map(|&x| x as usize).collect::<Vec<_>>(),
        gk.elements()
    );
    // Swap the element fields of the two rotation keys only (labels left): refused.
    let mut swapped = bytes.clone();
    swapped[offs[0]..offs[0] + 8].copy_from_slice(&g[1].to_le_bytes());
    swapped[offs[1]..offs[1] + 8].copy_from_slice(&g[0].to_le_bytes());
    common::refix(&mut swapped);
    assert!(GaloisKeys::from_bytes(&e.ctx, &swapped).is_err());
    // Swap the whole (element, label, step) headers consistently and re-sort: the unkeyed format
    // cannot tell (documented), but a sealed blob can.
    let key = [7u8; 32];
    let sealed = serialize::seal(&key, &bytes).unwrap();
    assert_eq!(serialize::unseal(&key, &sealed).unwrap(), &bytes[..]);
    let mut relabelled = sealed.clone();
    let (a, b) = (24 + offs[0], 24 + offs[1]);
    let (ha, hb) = (
        relabelled[a..a + 17].to_vec(),
        relabelled[b..b + 17].to_vec(),
    );
    relabelled[a..a + 17].copy_from_slice(&hb);
    relabelled[b..b + 17].copy_from_slice(&ha);
    common::refix(&mut relabelled);
    common::deserialize_err(serialize::unseal(&key, &relabelled), "integrity tag");
    common::deserialize_err(serialize::unseal(&[8u8; 32], &sealed), "integrity tag");
    assert!(matches!(
        serialize::seal(&[1u8; 8], &bytes),
        Err(Error::InvalidParameters { .. })
    ));
    common::deserialize_err(GaloisKeys::from_bytes(&e.ctx, &sealed), "unseal");
    assert_eq!(serialize::peek(&sealed).unwrap().0, Kind::Sealed);
}

#[test]
fn key_encoding_byte_is_checked() {
    // Seeded keys are implemented (tests/seeded_keys.rs); here: a full key whose encoding byte
    // claims "seeded" leaves a payload of the wrong length, and unknown encodings are refused.
    let e = env();
    let mut b = e.keys.relin.as_ref().unwrap().to_bytes();
    assert_eq!(b[24], 0, "full encoding");
    b[24] = 1;
    common::refix(&mut b);
    common::deserialize_err(RelinKey::from_bytes(&e.ctx, &b), "trailing bytes");
    b[24] = 9;
    common::refix(&mut b);
    common::deserialize_err(RelinKey::from_bytes(&e.ctx, &b), "encoding");
}

#[test]
fn forged_lengths_and_flags_are_refused() {
    let e = env();
    let b = encrypt(&e, &[0.5], None).to_bytes();
    let mut huge = b.clone();
    huge[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
    common::refix(&mut huge);
    common::deserialize_err(Ciphertext::from_bytes(&e.ctx, &huge), "payload length");
    let mut flags = b.clone();
    flags[7] = 1;
    common::refix(&mut flags);
    common::deserialize_err(Ciphertext::from_bytes(&e.ctx, &flags), "flags");
    let mut limbs = b.clone();
    limbs[37..39].copy_from_slice(&u16::MAX.to_le_bytes());
    common::refix(&mut limbs);
    common::deserialize_err(Ciphertext::from_bytes(&e.ctx, &limbs), "limbs");
    let mut version = b.clone();
    version[4] = 1;
    common::refix(&mut version);
    common::deserialize_err(Ciphertext::from_bytes(&e.ctx, &version), "version");
    let mut count = e.keys.galois.to_bytes();
    count[24..28].copy_from_slice(&u32::MAX.to_le_bytes());
    common::refix(&mut count);
    common::deserialize_err(GaloisKeys::from_bytes(&e.ctx, &count), "cannot fit");
}

#[test]
fn secret_keys_must_be_ternary() {
    let e = env();
    let good = e.sk.to_bytes(&e.ctx).unwrap();
    let mut b = good.to_vec();
    b[24 + 5] = 2;
    common::refix(&mut b);
    common::deserialize_err(SecretKey::from_bytes(&e.ctx, &b), "{-1, 0, 1}");
    let other = CkksContext::new(CkksParams::preset(Preset::S).unwrap()).unwrap();
    assert!(matches!(
        SecretKey::from_bytes(&other, &good),
        Err(Error::ParamsMismatch { .. })
    ));
    assert!(matches!(
        e.sk.to_bytes(&other),
        Err(Error::ParamsMismatch { .. })
    ));
    // Sparse parameters: the Hamming weight is checked.
    let sparse = CkksParams::builder()
        .ring_degree(1 << 10)
        .q_bits(&[50, 35])
        .p_bits(&[50])
        .dnum(2)
        .log_scale(35)
        .secret(SecretDistribution::TernaryHammingWeight(64))
        .allow_insecure(true)
        .build()
        .unwrap();
    let ctx = CkksContext::new(sparse).unwrap();
    let sk = KeyGenerator::from_seed(ctx.clone(), 3)
        .secret_key()
        .unwrap();
    let mut b = sk.to_bytes(&ctx).unwrap().to_vec();
    let coeffs = 29..b.len() - 8;
    assert_eq!(b[coeffs.clone()].iter().filter(|&&x| x != 0).count(), 64);
    SecretKey::from_bytes(&ctx, &b).unwrap();
    let zero = b[coeffs.clone()].iter().position(|&x| x == 0).unwrap();
    b[coeffs.start + zero] = 1;
    common::refix(&mut b);
    common::deserialize_err(SecretKey::from_bytes(&ctx, &b), "Hamming weight");
}
