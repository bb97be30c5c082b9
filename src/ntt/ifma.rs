//! AVX-512 IFMA NTT: the AVX-512 primitives with the 52-bit Shoup product
//! `q̂ = hi52(x·w'52)` (`vpmadd52huq`), `r = lo52(x·w) − lo52(q̂·q) mod 2^52` (two
//! `vpmadd52luq`), valid for x < 2^52 — hence q < 2^50 so that lazy values below 4q fit.

use super::avx512::ShoupMul;
use crate::arith::avx512::mul_shoup52;
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
        mul_shoup52(self.0, x, w, ws, q)
    }
    /// w = hi52(w'·q) + 1: with w·2^52 = w'·q + r (0 ≤ r < q < 2^50), w'·q = w·2^52 − r, whose
    /// high 52 bits are w − 1 exactly when r ≠ 0 — always, since 0 < w < q and q is an odd
    /// prime (twiddles are powers of ψ, never 0). Inputs: w' < 2^52, q < 2^50.
    #[inline(always)]
    fn derived_w(self, ws: __m512i, q: __m512i) -> Option<__m512i> {
        let one = self.0.avx512f._mm512_set1_epi64(1);
        Some(self.0.avx512ifma._mm512_madd52hi_epu64(one, ws, q))
    }
}
