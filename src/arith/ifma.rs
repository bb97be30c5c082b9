//! AVX-512 IFMA lanes: 8 × u64 holding 52-bit products (`vpmadd52{lo,hi}uq`), for q < 2^50 so
//! that lazy values below 4q fit in 52 bits. Everything but the products is AVX-512's.

use super::lanes::{Lanes, Scalar52};
use super::{MASK52, Modulus};
use crate::arith::avx512::{Barrett512, Lanes512, lanes512_common};
use crate::isa::{Avx512Token, IfmaToken};
use core::arch::x86_64::__m512i;

/// AVX-512 IFMA lanes, 52-bit products.
#[derive(Clone, Copy, Debug)]
pub(crate) struct IfmaLanes(pub IfmaToken);

impl Lanes512 for IfmaLanes {
    #[inline(always)]
    fn avx512(self) -> Avx512Token {
        self.0.avx512()
    }
}

/// 52-bit Shoup product: `q̂ = hi52(x·w'52)`, `r = lo52(x·w) − lo52(q̂·q) mod 2^52`, in [0, 2q)
/// for x < 2^52 (`ws = floor(w·2^52/q)`, q < 2^50).
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

impl Lanes for IfmaLanes {
    type V = __m512i;
    const LANES: usize = 8;
    const SHOUP_BITS: u32 = 52;
    type Tail = Scalar52;
    type Barrett = Barrett512;

    #[inline(always)]
    fn tail(self) -> Scalar52 {
        Scalar52 {}
    }
    lanes512_common!();
    #[inline(always)]
    fn mul_shoup(self, x: __m512i, w: __m512i, ws: __m512i, q: __m512i) -> __m512i {
        mul_shoup52(self.0, x, w, ws, q)
    }
    #[inline(always)]
    fn barrett(self, m: &Modulus) -> Barrett512 {
        Barrett512::new(self.avx512(), m, m.barrett_mu52(), 52)
    }
    /// a·b = hi·2^52 + lo; c = a·b >> (bits − 2) < 2^52; q̂ = floor(c·μ52 / 2^52);
    /// r = lo − lo52(q̂·q) mod 2^52 in [0, 3q) → [0, q).
    #[inline(always)]
    fn mul_mod(self, a: __m512i, b: __m512i, c: &Barrett512) -> __m512i {
        let (f, ifma) = (self.0.avx512f, self.0.avx512ifma);
        let zero = f._mm512_setzero_si512();
        let mask = f._mm512_set1_epi64(MASK52 as i64);
        let lo = ifma._mm512_madd52lo_epu64(zero, a, b);
        let hi = ifma._mm512_madd52hi_epu64(zero, a, b);
        let cc = f._mm512_or_si512(f._mm512_srl_epi64(lo, c.shr), f._mm512_sll_epi64(hi, c.shl));
        let qhat = ifma._mm512_madd52hi_epu64(zero, cc, c.mu);
        let qq = ifma._mm512_madd52lo_epu64(zero, qhat, c.q);
        let r = f._mm512_and_si512(f._mm512_sub_epi64(lo, qq), mask);
        self.csub(self.csub(r, c.two_q), c.q)
    }
}
