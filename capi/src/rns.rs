//! RNS basis conversion (ModUp / ModDown) and hybrid key switching on caller-owned limbs.

use crate::handle::{get, handle_kind, register, release};
use crate::kernels::{Basis, CkksRnsBasis, check_range, limbs_of};
use crate::{CkksStatus, FfiResult, check_out, fail, guard, slice, slice_mut, write_out};
use accel::keyswitch::{KeySwitchScratch, KeySwitcher, SwitchingKey};
use accel::keyswitch::{ModDown, ModUp};
use accel::profile::{Profile, ProfileLevel};
use accel::rns::{Representation, RnsBasis, RnsPoly};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::cell::RefCell;
use std::sync::Mutex;
use zeroize::Zeroize;

pub(crate) struct ModUpH {
    up: ModUp,
    ext: RnsBasis,
}
pub(crate) struct ModDownH {
    down: ModDown,
    q: RnsBasis,
    p: RnsBasis,
}
pub(crate) struct Switcher {
    ks: KeySwitcher,
    /// Scratch arenas reused across calls (one per concurrent caller).
    pool: Mutex<Vec<KeySwitchScratch>>,
}
pub(crate) struct SwKey(SwitchingKey);

/// ModUp of one digit: a contiguous run of limbs of an extended basis, converted to all
/// its other limbs (fast base extension, coefficient form).
///
/// Opaque: only used through pointers returned by this library.
pub struct CkksModUp {
    _opaque: [u8; 0],
}
handle_kind!(CkksModUp => ModUpH);

/// Releases a `CkksModUp` (NULL is a no-op). Using the handle afterwards, or freeing it twice,
/// returns `CKKS_STATUS_INVALID_HANDLE`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_modup_free(handle: *mut CkksModUp) -> CkksStatus {
    guard(|| release::<ModUpH, CkksModUp>(handle, "handle"))
}
/// ModDown from Q ∪ P to Q: ⌊x / P⌉ (up to the conversion error), evaluation form.
///
/// Opaque: only used through pointers returned by this library.
pub struct CkksModDown {
    _opaque: [u8; 0],
}
handle_kind!(CkksModDown => ModDownH);

/// Releases a `CkksModDown` (NULL is a no-op). Using the handle afterwards, or freeing it twice,
/// returns `CKKS_STATUS_INVALID_HANDLE`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_moddown_free(handle: *mut CkksModDown) -> CkksStatus {
    guard(|| release::<ModDownH, CkksModDown>(handle, "handle"))
}
/// Hybrid key switching for degree n, primes Q (q_0..q_{L−1}), special primes P and dnum
/// digits.
///
/// Opaque: only used through pointers returned by this library.
pub struct CkksKeySwitcher {
    _opaque: [u8; 0],
}
handle_kind!(CkksKeySwitcher => Switcher);

/// Releases a `CkksKeySwitcher` (NULL is a no-op). Using the handle afterwards, or freeing it twice,
/// returns `CKKS_STATUS_INVALID_HANDLE`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_keyswitcher_free(handle: *mut CkksKeySwitcher) -> CkksStatus {
    guard(|| release::<Switcher, CkksKeySwitcher>(handle, "handle"))
}
/// A switching key (s_from → s_to) of one key switcher.
///
/// Opaque: only used through pointers returned by this library.
pub struct CkksSwitchingKey {
    _opaque: [u8; 0],
}
handle_kind!(CkksSwitchingKey => SwKey);

/// Releases a `CkksSwitchingKey` (NULL is a no-op). Using the handle afterwards, or freeing it twice,
/// returns `CKKS_STATUS_INVALID_HANDLE`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_switching_key_free(handle: *mut CkksSwitchingKey) -> CkksStatus {
    guard(|| release::<SwKey, CkksSwitchingKey>(handle, "handle"))
}

thread_local! {
    /// Per-thread conversion scratch, reused across calls (grows to the largest size needed).
    static SCRATCH: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [u64]) -> R) -> R {
    SCRATCH.with(|s| {
        let mut s = s.borrow_mut();
        if s.len() < len {
            s.resize(len, 0);
        }
        f(&mut s[..len])
    })
}

fn check_limbs(basis: &RnsBasis, data: &[u64], factor: u64, what: &str) -> FfiResult<()> {
    for (i, limb) in data.chunks_exact(basis.n()).enumerate() {
        check_range(
            limb,
            basis.modulus(i).value(),
            factor,
            &format!("{what} limb {i}"),
        )?;
    }
    Ok(())
}

/// Creates the ModUp of digit limbs `[digit_begin, digit_end)` of `extended` to all of its
/// other limbs.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_modup_create(
    extended: *const CkksRnsBasis,
    digit_begin: usize,
    digit_end: usize,
    out: *mut *mut CkksModUp,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let ext = get::<Basis, _>(extended, "extended")?;
        if digit_begin >= digit_end
            || digit_end > ext.0.len()
            || digit_end - digit_begin == ext.0.len()
        {
            return fail(
                CkksStatus::InvalidArgument,
                format!(
                    "digit [{digit_begin}, {digit_end}) must be a non-empty proper sub-range of the {} limbs",
                    ext.0.len()
                ),
            );
        }
        let up = ModUp::new(&ext.0, digit_begin..digit_end)?;
        write_out(
            out,
            register(ModUpH {
                up,
                ext: ext.0.clone(),
            }),
            "out",
        )
    })
}

/// ModUp: `digit` holds the digit's limbs (coefficient form, each in [0, q_i)),
/// `digit_len` = (digit_end − digit_begin)·n; `out` (`out_len` = all limbs × n of the extended
/// basis) receives the whole extended polynomial: the digit's limbs copied, every other limb
/// the fast base conversion of the digit.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_modup_apply(
    modup: *const CkksModUp,
    digit: *const u64,
    digit_len: usize,
    out: *mut u64,
    out_len: usize,
) -> CkksStatus {
    guard(|| {
        let m = get::<ModUpH, _>(modup, "modup")?;
        let n = m.ext.n();
        let range = m.up.digit.clone();
        if digit_len != range.len() * n {
            return fail(
                CkksStatus::InvalidLength,
                format!(
                    "digit_len {digit_len} != {} digit limbs × n = {n}",
                    range.len()
                ),
            );
        }
        if out_len != m.ext.len() * n {
            return fail(
                CkksStatus::InvalidLength,
                format!("out_len {out_len} != {} limbs × n = {n}", m.ext.len()),
            );
        }
        if (digit as usize).abs_diff(out as usize) < digit_len.max(out_len) * 8
            && !digit.is_null()
            && !out.is_null()
        {
            return fail(CkksStatus::InvalidArgument, "digit and out overlap");
        }
        let src = slice(digit, digit_len, "digit")?;
        let dst = slice_mut(out, out_len, "out")?;
        check_limbs(&m.ext.sub_basis(range.clone()), src, 1, "digit")?;
        dst[range.start * n..range.end * n].copy_from_slice(src);
        with_scratch(m.up.converter().scratch_len(), |s| m.up.apply(src, dst, s));
        Ok(())
    })
}

/// Creates the ModDown from `q` ∪ `p` (q's limbs first) to `q`.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_moddown_create(
    q: *const CkksRnsBasis,
    p: *const CkksRnsBasis,
    out: *mut *mut CkksModDown,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let qb = get::<Basis, _>(q, "q")?;
        let pb = get::<Basis, _>(p, "p")?;
        qb.0.concat(&pb.0)?; // same n, disjoint primes
        let down = ModDown::new(&qb.0, &pb.0)?;
        write_out(
            out,
            register(ModDownH {
                down,
                q: qb.0.clone(),
                p: pb.0.clone(),
            }),
            "out",
        )
    })
}

/// ModDown: `x` (`x_len` = (|q| + |p|)·n, evaluation form, q's limbs first, each in [0, q_i))
/// → `out` (`out_len` = |q|·n, evaluation form, [0, q_i)).
#[unsafe(no_mangle)]
pub extern "C" fn ckks_moddown_apply(
    moddown: *const CkksModDown,
    x: *const u64,
    x_len: usize,
    out: *mut u64,
    out_len: usize,
) -> CkksStatus {
    guard(|| {
        let m = get::<ModDownH, _>(moddown, "moddown")?;
        let n = m.q.n();
        let (l, k) = (m.q.len(), m.p.len());
        if x_len != (l + k) * n || out_len != l * n {
            return fail(
                CkksStatus::InvalidLength,
                format!(
                    "x_len {x_len} / out_len {out_len} != {} / {} (|q| = {l}, |p| = {k}, n = {n})",
                    (l + k) * n,
                    l * n
                ),
            );
        }
        if !x.is_null() && !out.is_null() && (x as usize).abs_diff(out as usize) < x_len * 8 {
            return fail(CkksStatus::InvalidArgument, "x and out overlap");
        }
        let src = slice(x, x_len, "x")?;
        let dst = slice_mut(out, out_len, "out")?;
        let qp = m.q.concat(&m.p)?;
        check_limbs(&qp, src, 1, "x")?;
        let mut prof = Profile::new(ProfileLevel::Off);
        with_scratch(m.down.scratch_len(n), |s| {
            m.down.apply(&m.q, &m.p, src, dst, s, &mut prof)
        });
        Ok(())
    })
}

/// Creates a hybrid key switcher: degree `n`, the `q_len` primes of Q, the `p_len` special
/// primes P, `dnum` digits.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_keyswitcher_create(
    n: usize,
    q: *const u64,
    q_len: usize,
    p: *const u64,
    p_len: usize,
    dnum: usize,
    out: *mut *mut CkksKeySwitcher,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        if q_len == 0 || p_len == 0 {
            return fail(
                CkksStatus::InvalidLength,
                "Q and P need at least one prime each",
            );
        }
        let ks = KeySwitcher::new(n, slice(q, q_len, "q")?, slice(p, p_len, "p")?, dnum)?;
        write_out(
            out,
            register(Switcher {
                ks,
                pool: Mutex::new(Vec::new()),
            }),
            "out",
        )
    })
}

/// An evaluation-form polynomial over Q ∪ P from caller words, range-checked.
fn qp_poly(ks: &KeySwitcher, words: &[u64], what: &str) -> FfiResult<RnsPoly> {
    let qp = ks.qp_basis();
    check_limbs(qp, words, 1, what)?;
    Ok(RnsPoly::from_words(qp, Representation::Evaluation, words)?)
}

/// Generates a key switching `s_from` to `s_to`: both secrets as (|Q| + |P|)·n words
/// (`s_len`), evaluation form over Q ∪ P (Q's limbs first). `seed` NULL: randomness from the
/// operating system (for real keys); otherwise a deterministic ChaCha20 stream from `*seed`
/// (tests only). The library's copies of the secrets are zeroized before returning.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_switching_key_generate(
    ks: *const CkksKeySwitcher,
    s_from: *const u64,
    s_to: *const u64,
    s_len: usize,
    seed: *const u64,
    out: *mut *mut CkksSwitchingKey,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let sw = get::<Switcher, _>(ks, "ks")?;
        let want = sw.ks.qp_basis().len() * sw.ks.n();
        if s_len != want {
            return fail(
                CkksStatus::InvalidLength,
                format!("s_len {s_len} != (|Q| + |P|)·n = {want}"),
            );
        }
        let mut from = qp_poly(&sw.ks, slice(s_from, s_len, "s_from")?, "s_from")?;
        let mut to = qp_poly(&sw.ks, slice(s_to, s_len, "s_to")?, "s_to")?;
        let mut rng = if seed.is_null() {
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes).map_err(|e| crate::Fail {
                status: CkksStatus::Failed,
                msg: format!("OS randomness unavailable: {e}"),
            })?;
            let rng = ChaCha20Rng::from_seed(bytes);
            bytes.zeroize();
            rng
        } else {
            ChaCha20Rng::seed_from_u64(slice(seed, 1, "seed")?[0])
        };
        let key = sw.ks.generate_key(&from, &to, &mut rng);
        from.as_words_mut().zeroize();
        to.as_words_mut().zeroize();
        write_out(out, register(SwKey(key?)), "out")
    })
}

/// A switching key from its digit polynomials: `b` and `a` each dnum × (|Q| + |P|)·n words
/// (`len` each), evaluation form over Q ∪ P, digit after digit.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_switching_key_from_parts(
    ks: *const CkksKeySwitcher,
    b: *const u64,
    a: *const u64,
    len: usize,
    out: *mut *mut CkksSwitchingKey,
) -> CkksStatus {
    guard(|| {
        check_out(out, "out")?;
        let sw = get::<Switcher, _>(ks, "ks")?;
        let per = sw.ks.qp_basis().len() * sw.ks.n();
        let want = sw.ks.dnum() * per;
        if len != want {
            return fail(
                CkksStatus::InvalidLength,
                format!("len {len} != dnum·(|Q| + |P|)·n = {want}"),
            );
        }
        let polys = |words: &[u64], what: &str| -> FfiResult<Vec<RnsPoly>> {
            words
                .chunks_exact(per)
                .map(|w| qp_poly(&sw.ks, w, what))
                .collect()
        };
        let bs = polys(slice(b, len, "b")?, "b")?;
        let as_ = polys(slice(a, len, "a")?, "a")?;
        let key = sw.ks.key_from_parts(bs, as_, None)?;
        write_out(out, register(SwKey(key)), "out")
    })
}

/// One hybrid key switch: `d` (`len` = ℓ·n words, 1 ≤ ℓ ≤ |Q|, evaluation form over
/// q_0..q_{ℓ−1}) with `key` (s_from → s_to) gives `out0 + out1·s_to ≈ d·s_from` (mod Q_ℓ), each
/// `len` words, evaluation form. Outputs must not overlap `d` or each other.
#[unsafe(no_mangle)]
pub extern "C" fn ckks_keyswitch(
    ks: *const CkksKeySwitcher,
    key: *const CkksSwitchingKey,
    d: *const u64,
    out0: *mut u64,
    out1: *mut u64,
    len: usize,
) -> CkksStatus {
    guard(|| {
        let sw = get::<Switcher, _>(ks, "ks")?;
        let k = get::<SwKey, _>(key, "key")?;
        let q = sw.ks.q_basis();
        let l = limbs_of(q, len)?;
        for (x, y, what) in [
            (d, out0.cast_const(), "d and out0"),
            (d, out1.cast_const(), "d and out1"),
            (out0.cast_const(), out1.cast_const(), "out0 and out1"),
        ] {
            if !x.is_null() && !y.is_null() && (x as usize).abs_diff(y as usize) < len * 8 {
                return fail(CkksStatus::InvalidArgument, format!("{what} overlap"));
            }
        }
        let src = slice(d, len, "d")?;
        let basis = q.prefix(l);
        check_limbs(&basis, src, 1, "d")?;
        let dp = RnsPoly::from_words(&basis, Representation::Evaluation, src)?;
        let mut o0 = RnsPoly::zero(&basis, Representation::Evaluation);
        let mut o1 = RnsPoly::zero(&basis, Representation::Evaluation);
        let mut scratch = sw
            .pool
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop()
            .unwrap_or_else(|| sw.ks.scratch());
        let r = sw.ks.switch(&dp, &k.0, &mut o0, &mut o1, &mut scratch);
        sw.pool
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(scratch);
        r?;
        slice_mut(out0, len, "out0")?.copy_from_slice(o0.as_words());
        slice_mut(out1, len, "out1")?.copy_from_slice(o1.as_words());
        Ok(())
    })
}
