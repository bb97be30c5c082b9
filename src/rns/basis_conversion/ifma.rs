//! IFMA conversion kernel. Every prime < 2^50: `vpmadd52luq` / `vpmadd52huq` accumulate the
//! low and high 52-bit halves of each product in separate lanes (no carries to track). A basis
//! with a prime ≥ 2^50 takes the split-52 loop bodies of `ifma_wide.rs` instead (chosen per
//! converter: `BasisConverter::wide` is set). The f64 overflow estimate and the table lookup
//! are the AVX-512 kernel's.

use super::BasisConverter;
use super::kernel::{ConvKernel, DstConsts, default_row_dot, default_step1};
use crate::arith::MASK52;
use crate::arith::dispatch::IfmaLanes;
use crate::arith::lanes::Lanes;
use core::arch::x86_64::__m512i;

impl ConvKernel for IfmaLanes {
    type Acc = (__m512i, __m512i);
    #[inline(always)]
    fn acc_zero(self) -> (__m512i, __m512i) {
        let z = self.splat(0);
        (z, z)
    }
    #[inline(always)]
    fn acc_mac(self, (lo, hi): (__m512i, __m512i), t: __m512i, m: __m512i) -> (__m512i, __m512i) {
        let ifma = self.0.avx512ifma;
        (
            ifma._mm512_madd52lo_epu64(lo, t, m),
            ifma._mm512_madd52hi_epu64(hi, t, m),
        )
    }
    #[inline(always)]
    fn acc_reduce(self, (lo, hi): (__m512i, __m512i), c: &DstConsts) -> __m512i {
        let f = self.0.avx512f;
        // value = hi·2^52 + lo; move lo's carries into hi so both are below 2^52.
        let hi = self.add(hi, f._mm512_srli_epi64::<52>(lo));
        let lo = f._mm512_and_si512(lo, self.splat(MASK52));
        let p = self.splat(c.p);
        let t1 = self.mul_shoup(hi, self.splat(c.r), self.splat(c.r_shoup), p);
        let t2 = self.mul_shoup(lo, self.splat(1), self.splat(c.one_shoup), p);
        self.csub(self.csub(self.add(t1, t2), self.splat(2 * c.p)), p)
    }

    #[inline(always)]
    fn step1(self, conv: &BasisConverter, i: usize, src: &[u64], dst: &mut [u64]) {
        match &conv.wide {
            Some(w) => self.wide_step1(conv, w, i, src, dst),
            None => default_step1(self, conv, i, src, dst),
        }
    }

    #[inline(always)]
    fn tile_prep(
        self,
        conv: &BasisConverter,
        scratch: &[u64],
        t0: usize,
        tile: usize,
        extra: &mut [u64],
    ) {
        if let Some(w) = &conv.wide {
            self.wide_tile_prep(conv, w, scratch, t0, tile, extra)
        }
    }

    #[inline(always)]
    fn row_dot(
        self,
        conv: &BasisConverter,
        j: usize,
        scratch: &[u64],
        extra: &[u64],
        off: usize,
        toff: usize,
    ) -> __m512i {
        match &conv.wide {
            Some(w) => self.row_dot_u::<1>(conv, w, j, scratch, extra, off, toff)[0],
            None => default_row_dot::<Self, 1>(self, conv, j, scratch, off)[0],
        }
    }

    #[inline(always)]
    fn row_dot4(
        self,
        conv: &BasisConverter,
        j: usize,
        scratch: &[u64],
        extra: &[u64],
        off: usize,
        toff: usize,
    ) -> [__m512i; 4] {
        match &conv.wide {
            Some(w) => self.row_dot_u::<4>(conv, w, j, scratch, extra, off, toff),
            None => default_row_dot::<Self, 4>(self, conv, j, scratch, off),
        }
    }
}
