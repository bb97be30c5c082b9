//! AVX-512 IFMA NTT: the AVX-512 primitives with the 52-bit Shoup product
//! `q̂ = hi52(x·w'52)` (`vpmadd52huq`), `r = lo52(x·w) + lo52(q̂·(2^52 − q)) mod 2^52`
//! (two `vpmadd52luq`, the second accumulating onto the first), valid for x < 2^52 — hence
//! q < 2^50 so that lazy values below 4q fit.

use super::avx512::ShoupMul;
use crate::arith::MASK52;
use crate::isa::{Avx512Token, IfmaToken};
use core::arch::x86_64::__m512i;

/// The 52-bit Shoup product on IFMA.
#[derive(Clone, Copy)]
pub(super) struct Shoup52(pub IfmaToken);

impl ShoupMul for Shoup52 {
    const RADIX4: bool = true;
    #[inline(always)]
    fn simd(self) -> Avx512Token {
        self.0.avx512()
    }
    #[inline(always)]
    fn mul_shoup(self, x: __m512i, w: __m512i, ws: __m512i, q: __m512i) -> __m512i {
        let (f, ifma) = (self.0.avx512f, self.0.avx512ifma);
        let zero = f._mm512_setzero_si512();
        let qhat = ifma._mm512_madd52hi_epu64(zero, x, ws);
        let xw = ifma._mm512_madd52lo_epu64(zero, x, w);
        let qq = ifma._mm512_madd52lo_epu64(zero, qhat, q);
        f._mm512_and_si512(
            f._mm512_sub_epi64(xw, qq),
            f._mm512_set1_epi64(MASK52 as i64),
        )
    }
}
