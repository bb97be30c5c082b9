//! AVX-512 lane-wise 64-bit arithmetic shared by the kernels.

use crate::isa::Avx512Token;
use core::arch::x86_64::__m512i;

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
