//! AVX2 element-wise kernels (4 × u64). Products use the `vpmuludq`-built 64×64 helpers of
//! `arith::avx2`; conditional subtractions use the sign of `x − m` (`vblendvpd`).

use super::lanes::{Lanes, map1, map2, map2_assign, map3, map3_assign};
use super::scalar::reduce_one;
use super::{EltwiseKernel, LazyRange};
use crate::arith::Modulus;
use crate::arith::avx2::{csub, mul_hi_u64, mul_lo_u64, mul_shoup};
use crate::isa::Avx2Token;
use core::arch::x86_64::{__m128i, __m256i};
use pulp::cast;

#[derive(Clone, Copy)]
pub(super) struct Kernel256(pub Avx2Token);

#[derive(Clone, Copy)]
struct Consts {
    q: __m256i,
    two_q: __m256i,
    mu: __m256i,
    shr: __m128i,
    shl: __m128i,
}

impl Lanes for Kernel256 {
    type V = __m256i;
    const W: usize = 4;
    #[inline(always)]
    fn load(self, s: &[u64]) -> __m256i {
        crate::arith::avx2::load(s)
    }
    #[inline(always)]
    fn store(self, d: &mut [u64], v: __m256i) {
        crate::arith::avx2::store(d, v)
    }
}

impl Kernel256 {
    #[inline(always)]
    fn consts(self, m: &Modulus) -> Consts {
        let a = self.0.avx;
        let splat = |v: u64| a._mm256_set1_epi64x(v as i64);
        let count = |v: u32| cast::<[u64; 2], __m128i>([v as u64, 0]);
        Consts {
            q: splat(m.value()),
            two_q: splat(2 * m.value()),
            mu: splat(m.barrett_mu()),
            shr: count(m.bits() - 2),
            shl: count(66 - m.bits()),
        }
    }
    #[inline(always)]
    fn add_v(self, x: __m256i, y: __m256i, q: __m256i) -> __m256i {
        csub(self.0, self.0.avx2._mm256_add_epi64(x, y), q)
    }
    #[inline(always)]
    fn sub_v(self, x: __m256i, y: __m256i, q: __m256i) -> __m256i {
        let v = self.0.avx2;
        csub(self.0, v._mm256_sub_epi64(v._mm256_add_epi64(x, q), y), q)
    }
    /// Barrett `a·b mod q` in [0, q) (formula in `arith::Modulus`).
    #[inline(always)]
    fn mul_v(self, a: __m256i, b: __m256i, c: &Consts) -> __m256i {
        let (s, v) = (self.0, self.0.avx2);
        let lo = mul_lo_u64(s, a, b);
        let hi = mul_hi_u64(s, a, b);
        let cc = v._mm256_or_si256(v._mm256_srl_epi64(lo, c.shr), v._mm256_sll_epi64(hi, c.shl));
        let qhat = mul_hi_u64(s, cc, c.mu);
        let r = v._mm256_sub_epi64(lo, mul_lo_u64(s, qhat, c.q));
        csub(s, csub(s, r, c.two_q), c.q)
    }
}

impl EltwiseKernel for Kernel256 {
    #[inline(always)]
    fn add(self, m: &Modulus, a: &[u64], b: &[u64], out: &mut [u64]) {
        let c = self.consts(m);
        map2(
            self,
            a,
            b,
            out,
            #[inline(always)]
            |x, y| self.add_v(x, y, c.q),
            #[inline(always)]
            |x, y| m.add_mod(x, y),
        );
    }
    #[inline(always)]
    fn add_assign(self, m: &Modulus, a: &mut [u64], b: &[u64]) {
        let c = self.consts(m);
        map2_assign(
            self,
            a,
            b,
            #[inline(always)]
            |x, y| self.add_v(x, y, c.q),
            #[inline(always)]
            |x, y| m.add_mod(x, y),
        );
    }
    #[inline(always)]
    fn sub(self, m: &Modulus, a: &[u64], b: &[u64], out: &mut [u64]) {
        let c = self.consts(m);
        map2(
            self,
            a,
            b,
            out,
            #[inline(always)]
            |x, y| self.sub_v(x, y, c.q),
            #[inline(always)]
            |x, y| m.sub_mod(x, y),
        );
    }
    #[inline(always)]
    fn sub_assign(self, m: &Modulus, a: &mut [u64], b: &[u64]) {
        let c = self.consts(m);
        map2_assign(
            self,
            a,
            b,
            #[inline(always)]
            |x, y| self.sub_v(x, y, c.q),
            #[inline(always)]
            |x, y| m.sub_mod(x, y),
        );
    }
    #[inline(always)]
    fn neg_assign(self, m: &Modulus, a: &mut [u64]) {
        let c = self.consts(m);
        let v = self.0.avx2;
        map1(
            self,
            a,
            #[inline(always)]
            |x| csub(self.0, v._mm256_sub_epi64(c.q, x), c.q),
            #[inline(always)]
            |x| m.neg_mod(x),
        );
    }
    #[inline(always)]
    fn mul(self, m: &Modulus, a: &[u64], b: &[u64], out: &mut [u64]) {
        let c = self.consts(m);
        map2(
            self,
            a,
            b,
            out,
            #[inline(always)]
            |x, y| self.mul_v(x, y, &c),
            #[inline(always)]
            |x, y| m.mul_mod(x, y),
        );
    }
    #[inline(always)]
    fn mul_assign(self, m: &Modulus, a: &mut [u64], b: &[u64]) {
        let c = self.consts(m);
        map2_assign(
            self,
            a,
            b,
            #[inline(always)]
            |x, y| self.mul_v(x, y, &c),
            #[inline(always)]
            |x, y| m.mul_mod(x, y),
        );
    }
    #[inline(always)]
    fn mul_add(self, m: &Modulus, a: &[u64], b: &[u64], cc: &[u64], out: &mut [u64]) {
        let c = self.consts(m);
        map3(
            self,
            a,
            b,
            cc,
            out,
            #[inline(always)]
            |x, y, z| self.add_v(self.mul_v(x, y, &c), z, c.q),
            #[inline(always)]
            |x, y, z| m.add_mod(m.mul_mod(x, y), z),
        );
    }
    #[inline(always)]
    fn mul_add_assign(self, m: &Modulus, acc: &mut [u64], a: &[u64], b: &[u64]) {
        let c = self.consts(m);
        map3_assign(
            self,
            acc,
            a,
            b,
            #[inline(always)]
            |z, x, y| self.add_v(self.mul_v(x, y, &c), z, c.q),
            #[inline(always)]
            |z, x, y| m.add_mod(m.mul_mod(x, y), z),
        );
    }
    #[inline(always)]
    fn mul_scalar_assign(self, m: &Modulus, a: &mut [u64], w: u64, ws: u64) {
        let c = self.consts(m);
        let av = self.0.avx;
        let (wv, wsv) = (
            av._mm256_set1_epi64x(w as i64),
            av._mm256_set1_epi64x(ws as i64),
        );
        map1(
            self,
            a,
            #[inline(always)]
            |x| csub(self.0, mul_shoup(self.0, x, wv, wsv, c.q), c.q),
            #[inline(always)]
            |x| m.mul_shoup(x, w, ws),
        );
    }
    #[inline(always)]
    fn reduce(self, m: &Modulus, a: &mut [u64], from: LazyRange) {
        let c = self.consts(m);
        let s = self.0;
        match from {
            LazyRange::TwoQ => map1(
                self,
                a,
                #[inline(always)]
                |x| csub(s, x, c.q),
                #[inline(always)]
                |x| reduce_one(m, x, from),
            ),
            LazyRange::FourQ => map1(
                self,
                a,
                #[inline(always)]
                |x| csub(s, csub(s, x, c.two_q), c.q),
                #[inline(always)]
                |x| reduce_one(m, x, from),
            ),
            LazyRange::Any => {
                let av = s.avx;
                let (one, ws) = (
                    av._mm256_set1_epi64x(1),
                    av._mm256_set1_epi64x(m.shoup(1) as i64),
                );
                map1(
                    self,
                    a,
                    #[inline(always)]
                    |x| csub(s, mul_shoup(s, x, one, ws, c.q), c.q),
                    #[inline(always)]
                    |x| reduce_one(m, x, from),
                )
            }
        }
    }
}
