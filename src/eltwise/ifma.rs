//! AVX-512 IFMA element-wise multiplier (q < 2^50): Barrett and Shoup products on 52-bit lanes
//! with `vpmadd52{lo,hi}uq`. Additions and reductions are the AVX-512 ones.

use super::avx512::{Consts, Kernel512, Mul512, consts, reduce_3q};
use crate::arith::avx512::mul_shoup52;
use crate::arith::{MASK52, Modulus};
use crate::isa::{Avx512Token, IfmaToken};
use core::arch::x86_64::__m512i;

/// The 52-bit multiplier.
#[derive(Clone, Copy)]
pub(super) struct Mul52(pub IfmaToken);

/// The IFMA element-wise kernels.
pub(super) type KernelIfma = Kernel512<Mul52>;

#[allow(non_snake_case)]
#[inline(always)]
pub(super) fn KernelIfma(s: IfmaToken) -> KernelIfma {
    Kernel512(Mul52(s))
}

impl Mul512 for Mul52 {
    #[inline(always)]
    fn simd(self) -> Avx512Token {
        self.0.avx512()
    }
    #[inline(always)]
    fn consts(self, m: &Modulus) -> Consts {
        consts(self.simd(), m, m.barrett_mu52(), 52)
    }
    #[inline(always)]
    fn mul_mod(self, a: __m512i, b: __m512i, c: &Consts) -> __m512i {
        let (f, ifma) = (self.0.avx512f, self.0.avx512ifma);
        let zero = f._mm512_setzero_si512();
        let mask = f._mm512_set1_epi64(MASK52 as i64);
        // a·b = hi·2^52 + lo; c = a·b >> (N − 2) < 2^52; q̂ = floor(c·μ52 / 2^52).
        let lo = ifma._mm512_madd52lo_epu64(zero, a, b);
        let hi = ifma._mm512_madd52hi_epu64(zero, a, b);
        let cc = f._mm512_or_si512(f._mm512_srl_epi64(lo, c.shr), f._mm512_sll_epi64(hi, c.shl));
        let qhat = ifma._mm512_madd52hi_epu64(zero, cc, c.mu);
        let qq = ifma._mm512_madd52lo_epu64(zero, qhat, c.q);
        let r = f._mm512_and_si512(f._mm512_sub_epi64(lo, qq), mask);
        reduce_3q(self.simd(), r, c)
    }
    #[inline(always)]
    fn mul_shoup(self, x: __m512i, w: __m512i, ws: __m512i, q: __m512i) -> __m512i {
        mul_shoup52(self.0, x, w, ws, q)
    }
    #[inline(always)]
    fn mul_shoup_scalar(m: &Modulus, x: u64, w: u64, ws: u64) -> u64 {
        m.reduce_2q(m.mul_shoup52_lazy(x, w, ws))
    }
}
