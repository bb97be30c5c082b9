//! AVX-512 lanes: 8 × u64 with the 64-bit products (`vpmullq` for the low half, the high half
//! from four `vpmuludq`). Conditional subtractions are `vpminuq(x, x − m)`.

use super::Modulus;
use super::lanes::{Lanes, Scalar64, check_gather_indices};
use crate::isa::Avx512Token;
use core::arch::x86_64::{__m128i, __m256i, __m512i};
use pulp::cast;

/// AVX-512 F/DQ/VL lanes, 64-bit products.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx512Lanes(pub Avx512Token);

/// Broadcast Barrett constants (64- or 52-bit variant): q, 2q, μ and the shift counts of
/// `c = a·b >> (bits − 2)` (right shift of the low word, left shift of the high one).
#[derive(Clone, Copy)]
pub(crate) struct Barrett512 {
    pub q: __m512i,
    pub two_q: __m512i,
    pub mu: __m512i,
    pub shr: __m128i,
    pub shl: __m128i,
}

impl Barrett512 {
    /// The constants for products split at bit `word` (64, or 52 on IFMA) with `mu` of the
    /// same width.
    #[inline(always)]
    pub(crate) fn new(s: Avx512Token, m: &Modulus, mu: u64, word: u32) -> Barrett512 {
        let f = s.avx512f;
        let count = |v: u32| cast::<[u64; 2], __m128i>([v as u64, 0]);
        Barrett512 {
            q: f._mm512_set1_epi64(m.value() as i64),
            two_q: f._mm512_set1_epi64(2 * m.value() as i64),
            mu: f._mm512_set1_epi64(mu as i64),
            shr: count(m.bits() - 2),
            shl: count(word + 2 - m.bits()),
        }
    }
}

/// The primitives both 8-lane ISAs share (everything but the products): `Avx512Lanes` and
/// `IfmaLanes` implement [`Lanes`] through these, and the kernels that need AVX-512-only
/// instructions (permutes, masks, f64 lanes) reach the token with [`Lanes512::avx512`].
pub(crate) trait Lanes512: Lanes<V = __m512i> {
    /// The AVX-512 F/DQ/VL token.
    fn avx512(self) -> Avx512Token;
}

impl Lanes512 for Avx512Lanes {
    #[inline(always)]
    fn avx512(self) -> Avx512Token {
        self.0
    }
}

/// Loads 8 words (`s.len() == 8`).
#[inline(always)]
pub(crate) fn load(s: &[u64]) -> __m512i {
    cast::<[u64; 8], __m512i>(s.try_into().expect("8 lanes"))
}

/// Stores 8 words (`d.len() == 8`).
#[inline(always)]
pub(crate) fn store(d: &mut [u64], v: __m512i) {
    d.copy_from_slice(&cast::<__m512i, [u64; 8]>(v));
}

/// `prefetcht0` of the line holding `s[at]`; nothing if `at` is past the end.
#[inline(always)]
pub(crate) fn prefetch(s: &[u64], at: usize) {
    if let Some(x) = s.get(at) {
        // SAFETY: `prefetcht0` only hints the cache hierarchy and cannot fault; the address is
        // that of a live element; SSE (which the intrinsic requires) is baseline on x86_64.
        unsafe {
            core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(
                (x as *const u64).cast(),
            )
        }
    }
}

/// `vpminuq(x, x − m)`: x − m if x ≥ m, else x (x < m + 2^63).
#[inline(always)]
pub(crate) fn csub(s: Avx512Token, x: __m512i, m: __m512i) -> __m512i {
    let f = s.avx512f;
    f._mm512_min_epu64(x, f._mm512_sub_epi64(x, m))
}

/// `base[idx[l]]` per lane (`vpgatherdq`).
///
/// # Panics
/// If `idx.len() != 8` or an index is out of bounds.
#[inline(always)]
pub(crate) fn gather(s: Avx512Token, base: &[u64], idx: &[u32]) -> __m512i {
    let vi = cast::<[u32; 8], __m256i>(idx.try_into().expect("8 indices"));
    check_gather_indices(base, idx);
    // SAFETY: AVX-512F is enabled (token); every index was just checked to be < base.len(), so
    // all eight 8-byte reads are inside `base`.
    unsafe {
        s.avx512f
            ._mm512_i32gather_epi64::<8>(vi, base.as_ptr() as *const i64)
    }
}

/// High 64 bits of the lane-wise 64×64 product, from four 32×32→64 `vpmuludq`.
#[inline(always)]
pub(crate) fn mul_hi_u64(s: Avx512Token, a: __m512i, b: __m512i) -> __m512i {
    let f = s.avx512f;
    let lo32 = f._mm512_set1_epi64(0xffff_ffff);
    // Swap the 32-bit halves rather than shifting: `vpmuludq` reads only the low half, and a
    // shift lets LLVM recognise a 128-bit multiply and scalarise it into eight `mul`s.
    let a_hi = f._mm512_shuffle_epi32::<0b1011_0001>(a);
    let b_hi = f._mm512_shuffle_epi32::<0b1011_0001>(b);
    let ll = f._mm512_mul_epu32(a, b);
    let lh = f._mm512_mul_epu32(a, b_hi);
    let hl = f._mm512_mul_epu32(a_hi, b);
    let hh = f._mm512_mul_epu32(a_hi, b_hi);
    let t = f._mm512_add_epi64(lh, f._mm512_srli_epi64::<32>(ll));
    let u = f._mm512_add_epi64(hl, f._mm512_and_si512(t, lo32));
    f._mm512_add_epi64(
        f._mm512_add_epi64(hh, f._mm512_srli_epi64::<32>(t)),
        f._mm512_srli_epi64::<32>(u),
    )
}

/// 64-bit Shoup product: `q̂ = hi64(x·w')`, `r = lo64(x·w) − lo64(q̂·q)`, in [0, 2q).
#[inline(always)]
pub(crate) fn mul_shoup64(
    s: Avx512Token,
    x: __m512i,
    w: __m512i,
    ws: __m512i,
    q: __m512i,
) -> __m512i {
    let (f, dq) = (s.avx512f, s.avx512dq);
    let qhat = mul_hi_u64(s, x, ws);
    f._mm512_sub_epi64(dq._mm512_mullo_epi64(x, w), dq._mm512_mullo_epi64(qhat, q))
}

/// The [`Lanes`] methods both 8-lane ISAs share — everything but the products — expanded in
/// each `impl` (`Avx512Lanes` here, `IfmaLanes` in `ifma.rs`) through [`Lanes512::avx512`].
macro_rules! lanes512_common {
    () => {
        #[inline(always)]
        fn splat(self, x: u64) -> __m512i {
            self.avx512().avx512f._mm512_set1_epi64(x as i64)
        }
        #[inline(always)]
        fn load(self, s: &[u64]) -> __m512i {
            $crate::arith::avx512::load(s)
        }
        #[inline(always)]
        fn store(self, d: &mut [u64], v: __m512i) {
            $crate::arith::avx512::store(d, v)
        }
        #[inline(always)]
        fn prefetch(self, s: &[u64], at: usize) {
            $crate::arith::avx512::prefetch(s, at)
        }
        #[inline(always)]
        fn add(self, x: __m512i, y: __m512i) -> __m512i {
            self.avx512().avx512f._mm512_add_epi64(x, y)
        }
        #[inline(always)]
        fn sub(self, x: __m512i, y: __m512i) -> __m512i {
            self.avx512().avx512f._mm512_sub_epi64(x, y)
        }
        #[inline(always)]
        fn csub(self, x: __m512i, m: __m512i) -> __m512i {
            $crate::arith::avx512::csub(self.avx512(), x, m)
        }
        #[inline(always)]
        fn mul_shoup64(self, x: __m512i, w: __m512i, ws: __m512i, q: __m512i) -> __m512i {
            $crate::arith::avx512::mul_shoup64(self.avx512(), x, w, ws, q)
        }
        #[inline(always)]
        fn gather(self, base: &[u64], idx: &[u32]) -> __m512i {
            $crate::arith::avx512::gather(self.avx512(), base, idx)
        }
    };
}
pub(crate) use lanes512_common;

impl Lanes for Avx512Lanes {
    type V = __m512i;
    const LANES: usize = 8;
    const SHOUP_BITS: u32 = 64;
    type Tail = Scalar64;
    type Barrett = Barrett512;

    #[inline(always)]
    fn tail(self) -> Scalar64 {
        Scalar64 {}
    }
    lanes512_common!();
    #[inline(always)]
    fn barrett(self, m: &Modulus) -> Barrett512 {
        Barrett512::new(self.0, m, m.barrett_mu(), 64)
    }
    #[inline(always)]
    fn mul_mod(self, a: __m512i, b: __m512i, c: &Barrett512) -> __m512i {
        let (f, dq) = (self.0.avx512f, self.0.avx512dq);
        let lo = dq._mm512_mullo_epi64(a, b);
        let hi = mul_hi_u64(self.0, a, b);
        let cc = f._mm512_or_si512(f._mm512_srl_epi64(lo, c.shr), f._mm512_sll_epi64(hi, c.shl));
        let qhat = mul_hi_u64(self.0, cc, c.mu);
        let r = f._mm512_sub_epi64(lo, dq._mm512_mullo_epi64(qhat, c.q));
        csub(self.0, csub(self.0, r, c.two_q), c.q)
    }
}
