//! AVX-512 (and IFMA) lane-wise arithmetic shared by the kernels.

use super::MASK52;
use crate::isa::{Avx512Token, IfmaToken};
use core::arch::x86_64::__m512i;
use pulp::cast;

/// Loads 8 words (`s.len() == 8`).
#[inline(always)]
pub(crate) fn load(s: &[u64]) -> __m512i {
    cast::<[u64; 8], __m512i>(s.try_into().expect("8 lanes"))
}

/// Hints that the cache line holding `s[at]` will be read soon (`prefetcht0`); nothing if `at`
/// is past the end.
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

/// Stores 8 words (`d.len() == 8`).
#[inline(always)]
pub(crate) fn store(d: &mut [u64], v: __m512i) {
    d.copy_from_slice(&cast::<__m512i, [u64; 8]>(v));
}

/// 52-bit Shoup product on IFMA: `q̂ = hi52(x·w'52)`, `r = lo52(x·w) − lo52(q̂·q) mod 2^52`,
/// in [0, 2q) for x < 2^52 (`ws = floor(w·2^52/q)`, q < 2^50).
#[inline(always)]
pub(crate) fn mul_shoup52(
    s: IfmaToken,
    x: __m512i,
    w: __m512i,
    ws: __m512i,
    q: __m512i,
) -> __m512i {
    let (f, ifma) = (s.avx512f, s.avx512ifma);
    let zero = f._mm512_setzero_si512();
    let qhat = ifma._mm512_madd52hi_epu64(zero, x, ws);
    let xw = ifma._mm512_madd52lo_epu64(zero, x, w);
    let qq = ifma._mm512_madd52lo_epu64(zero, qhat, q);
    f._mm512_and_si512(
        f._mm512_sub_epi64(xw, qq),
        f._mm512_set1_epi64(MASK52 as i64),
    )
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
