//! Nothing of the secret survives in freed memory: a scanning global allocator inspects every
//! block freed while key generation, encryption (public and secret key), decryption (degree 2
//! and 3), secret-key (de)serialization and the drops of every key-holding object run, and
//! looks for the secret-dependent values those computations produce: s (evaluation form over
//! Q ∪ P and its coefficients), s², σ_g(s), P·s², P·σ_g(s), a_j·s for every switching-key
//! digit, a·s for the public key, c1·s, the encryption's ephemeral u, and the key of the
//! ChaCha20 generator. Positive controls (an unwiped copy of s and of the generator, freed
//! while armed) prove the scanner finds each kind of pattern.
//!
//! The patterns are computed from a first, identical run (deterministic seeds) before arming.

mod common;

use ckks_accel::ckks::*;
use ckks_accel::rns::{Automorphism, Representation, RnsBasis, RnsPoly, sampling};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

struct Scanning;

static ARMED: AtomicBool = AtomicBool::new(false);
static HITS: AtomicUsize = AtomicUsize::new(0);
static SCANNED_BYTES: AtomicUsize = AtomicUsize::new(0);
static FREED_BLOCKS: AtomicUsize = AtomicUsize::new(0);
/// Word windows to look for, sorted by first word.
static PATTERNS: OnceLock<Vec<Vec<u64>>> = OnceLock::new();

fn scan(words: &[u64]) -> usize {
    let Some(pats) = PATTERNS.get() else { return 0 };
    let mut hits = 0;
    for k in 0..words.len() {
        let w = words[k];
        let start = pats.partition_point(|p| p[0] < w);
        for p in pats[start..].iter().take_while(|p| p[0] == w) {
            if words.len() - k >= p.len() && words[k..k + p.len()] == p[..] {
                hits += 1;
            }
        }
    }
    hits
}

unsafe impl GlobalAlloc for Scanning {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwards the caller's layout to the system allocator unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ARMED.load(Ordering::Relaxed) && layout.size() >= 16 && (ptr as usize).is_multiple_of(8)
        {
            // SAFETY: the block is still allocated (freed below), `layout.size()` bytes long,
            // 8-byte aligned, and every byte of it was written before (allocations handed out
            // by `alloc` are only freed after use; u64 has no invalid bit patterns).
            let words = unsafe { std::slice::from_raw_parts(ptr as *const u64, layout.size() / 8) };
            let h = scan(words);
            HITS.fetch_add(h, Ordering::Relaxed);
            SCANNED_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
            FREED_BLOCKS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: `ptr` came from `System.alloc` with this layout (see `alloc`).
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Scanning = Scanning;

const N: usize = 1 << 10;
const KEY_SEED: u64 = 42;
const ENC_SEED: u64 = 5;
const STEPS: [i64; 3] = [1, 2, 5];

fn params() -> CkksParams {
    common::toy_params()
}

/// Windows of an evaluation-form polynomial: two words at the start and middle of each limb.
fn eval_windows(p: &RnsPoly, out: &mut Vec<Vec<u64>>) {
    for limb in p.limbs() {
        out.push(limb[..2].to_vec());
        out.push(limb[N / 2..N / 2 + 2].to_vec());
    }
}

/// A 32-word window of small (low-entropy) values, where it has the most non-zeros.
fn small_window(words: &[u64], out: &mut Vec<Vec<u64>>) {
    let best = (0..words.len() - 32)
        .step_by(32)
        .max_by_key(|&i| words[i..i + 32].iter().filter(|&&x| x != 0).count())
        .unwrap();
    out.push(words[best..best + 32].to_vec());
}

/// x·y limb-wise over `basis` (plain u128 arithmetic, independent of the library's kernels).
fn mul(x: &RnsPoly, y: &RnsPoly, basis: &RnsBasis) -> RnsPoly {
    let mut words = Vec::with_capacity(basis.len() * N);
    for (i, (a, b)) in x.limbs().zip(y.limbs()).take(basis.len()).enumerate() {
        let q = basis.primes()[i] as u128;
        words.extend(
            a.iter()
                .zip(b)
                .map(|(&u, &v)| (u as u128 * v as u128 % q) as u64),
        );
    }
    RnsPoly::from_words(basis, Representation::Evaluation, &words).unwrap()
}

fn scalar_mul(x: &RnsPoly, c: &[u64], basis: &RnsBasis) -> RnsPoly {
    let mut words = Vec::new();
    for (i, a) in x.limbs().enumerate() {
        let q = basis.primes()[i] as u128;
        words.extend(a.iter().map(|&u| (u as u128 * c[i] as u128 % q) as u64));
    }
    RnsPoly::from_words(basis, Representation::Evaluation, &words).unwrap()
}

/// The secret-dependent values of one run (deterministic seeds).
fn patterns(ctx: &std::sync::Arc<CkksContext>) -> Vec<Vec<u64>> {
    let mut kg = KeyGenerator::from_seed(ctx.clone(), KEY_SEED);
    let sk = kg.secret_key().unwrap();
    let pk = kg.public_key(&sk).unwrap();
    let rk = kg.relin_key(&sk).unwrap();
    let gk = kg.galois_keys(&sk, &STEPS, true).unwrap();
    let qp = ctx.qp_basis();
    let top = ctx.basis(ctx.params().max_level()).unwrap();
    let mut out = Vec::new();

    // s: coefficients (i64 and residues mod q_0) and evaluation form over Q ∪ P.
    let bytes = sk.to_bytes(ctx).unwrap();
    let coeffs: Vec<i64> = bytes[29..29 + N].iter().map(|&b| b as i8 as i64).collect();
    small_window(
        &coeffs.iter().map(|&c| c as u64).collect::<Vec<_>>(),
        &mut out,
    );
    let s_coeff = sampling::from_signed(qp, &coeffs);
    small_window(s_coeff.limb(0), &mut out);
    let mut s = s_coeff.clone();
    s.ntt(qp).unwrap();
    eval_windows(&s, &mut out);
    // s² and P·s²; σ_g(s) and P·σ_g(s).
    let p_mod: Vec<u64> = qp
        .primes()
        .iter()
        .map(|&q| {
            ctx.params()
                .p()
                .iter()
                .fold(1u128, |acc, &p| acc * p as u128 % q as u128) as u64
        })
        .collect();
    let s2 = mul(&s, &s, qp);
    eval_windows(&s2, &mut out);
    eval_windows(&scalar_mul(&s2, &p_mod, qp), &mut out);
    // a_j·s of the relinearization key.
    for g in gk.elements() {
        let (auto, key) = gk.get(g).unwrap();
        let mut sg = RnsPoly::zero(qp, Representation::Evaluation);
        auto.apply(&s, &mut sg, qp).unwrap();
        eval_windows(&sg, &mut out);
        eval_windows(&scalar_mul(&sg, &p_mod, qp), &mut out);
        // Stored permuted by σ^{-1}: the a_j used at generation time is σ(stored a_j).
        for j in 0..key.digits() {
            let mut a = RnsPoly::zero(qp, Representation::Evaluation);
            Automorphism::new(N, g)
                .unwrap()
                .apply(key.digit(j).1, &mut a, qp)
                .unwrap();
            eval_windows(&mul(&a, &s, qp), &mut out);
        }
    }
    let relin = ctx_relin_digits(&rk);
    for a in relin {
        eval_windows(&mul(&a, &s, qp), &mut out);
    }
    // Public key: a·s over Q.
    let s_top = {
        let mut t = s.clone();
        t.truncate(top).unwrap();
        t
    };
    eval_windows(&mul(pk.a(), &s_top, top), &mut out);
    // The encryption's ephemeral u (first draw of the seeded stream), then c1·s.
    let mut rng = ChaCha20Rng::seed_from_u64(ENC_SEED);
    let u = sampling::ternary_coeffs(N, None, &mut rng);
    small_window(&u.iter().map(|&c| c as u64).collect::<Vec<_>>(), &mut out);
    let mut u_eval = sampling::from_signed(top, &u);
    u_eval.ntt(top).unwrap();
    eval_windows(&u_eval, &mut out);
    let ct = encrypt_pk(ctx, &pk);
    eval_windows(&mul(&ct.parts()[1], &s_top, top), &mut out);
    let ct_sk = encrypt_sk(ctx, &sk);
    eval_windows(&mul(&ct_sk.parts()[1], &s_top, top), &mut out);
    // The generator's key.
    out.push(rng_key_words(KEY_SEED)[..2].to_vec());
    // Limbs of P·x over the P primes are 0: an all-zero window is not a secret.
    out.retain(|p| p.iter().any(|&w| w != 0));
    out.sort();
    out.dedup();
    out
}

fn ctx_relin_digits(rk: &RelinKey) -> Vec<RnsPoly> {
    let key = rk.key();
    (0..key.digits()).map(|j| key.digit(j).1.clone()).collect()
}

fn rng_key_words(seed: u64) -> Vec<u64> {
    ChaCha20Rng::seed_from_u64(seed)
        .get_seed()
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

fn encrypt_pk(ctx: &std::sync::Arc<CkksContext>, pk: &PublicKey) -> Ciphertext {
    let pt = Encoder::new(ctx.clone())
        .encode_default(&[0.5, -0.25])
        .unwrap();
    Encryptor::with_public_key(ctx.clone(), pk)
        .unwrap()
        .with_seed(ENC_SEED)
        .encrypt(&pt)
        .unwrap()
}

fn encrypt_sk(ctx: &std::sync::Arc<CkksContext>, sk: &SecretKey) -> Ciphertext {
    let pt = Encoder::new(ctx.clone())
        .encode_default(&[0.5, -0.25])
        .unwrap();
    Encryptor::with_secret_key(ctx.clone(), sk)
        .unwrap()
        .with_seed(ENC_SEED + 1)
        .encrypt(&pt)
        .unwrap()
}

#[test]
fn no_secret_dependent_value_survives_in_freed_memory() {
    let ctx = CkksContext::new(params()).unwrap();
    PATTERNS.set(patterns(&ctx)).unwrap();
    let n_patterns = PATTERNS.get().unwrap().len();
    assert!(n_patterns > 100, "{n_patterns} patterns");

    ARMED.store(true, Ordering::SeqCst);
    {
        let mut kg = Box::new(KeyGenerator::from_seed(ctx.clone(), KEY_SEED));
        let sk = kg.secret_key().unwrap();
        let pk = kg.public_key(&sk).unwrap();
        let rk = kg.relin_key(&sk).unwrap();
        let gk = kg.galois_keys(&sk, &STEPS, true).unwrap();
        drop(kg);
        let ct = encrypt_pk(&ctx, &pk);
        let ct_sk = encrypt_sk(&ctx, &sk);
        let dec = Decryptor::new(ctx.clone(), &sk).unwrap();
        let keys = std::sync::Arc::new(EvaluationKeys {
            relin: Some(rk),
            galois: gk,
        });
        let eval = Evaluator::new(ctx.clone(), keys).unwrap();
        let ct3 = eval.mul(&ct, &ct_sk).unwrap(); // degree 3: decryption uses s²
        let enc = Encoder::new(ctx.clone());
        let m = enc.decode(&dec.decrypt(&ct).unwrap()).unwrap();
        let m3 = enc.decode(&dec.decrypt(&ct3).unwrap()).unwrap();
        assert!((m[0] - 0.5).abs() < 1e-4 && (m3[0] - 0.25).abs() < 1e-3);
        let bytes = sk.to_bytes(&ctx).unwrap();
        let sk2 = SecretKey::from_bytes(&ctx, &bytes).unwrap();
        drop((sk, sk2, bytes, dec, eval, ct, ct_sk, ct3));
    }
    let hits = HITS.load(Ordering::SeqCst);
    // Positive controls: an unwiped copy of s, and an unwiped generator, freed while armed.
    let control = {
        let mut kg = KeyGenerator::from_seed(ctx.clone(), KEY_SEED);
        let sk = kg.secret_key().unwrap();
        let bytes = sk.to_bytes(&ctx).unwrap();
        let coeffs: Vec<i64> = bytes[29..29 + N].iter().map(|&b| b as i8 as i64).collect();
        let mut s = sampling::from_signed(ctx.qp_basis(), &coeffs);
        s.ntt(ctx.qp_basis()).unwrap();
        s
    };
    drop(control);
    let after_poly = HITS.load(Ordering::SeqCst);
    drop(Box::new(ChaCha20Rng::seed_from_u64(KEY_SEED)));
    let after_rng = HITS.load(Ordering::SeqCst);
    ARMED.store(false, Ordering::SeqCst);
    eprintln!(
        "{n_patterns} patterns, {} blocks / {} MiB scanned, {hits} hits (controls: {} and {})",
        FREED_BLOCKS.load(Ordering::SeqCst),
        SCANNED_BYTES.load(Ordering::SeqCst) >> 20,
        after_poly - hits,
        after_rng - after_poly
    );
    assert!(
        after_poly > hits,
        "the scanner must see an unwiped copy of s"
    );
    assert!(
        after_rng > after_poly,
        "the scanner must see an unwiped ChaCha20 state"
    );
    assert_eq!(hits, 0, "secret-dependent data found in freed memory");
}
