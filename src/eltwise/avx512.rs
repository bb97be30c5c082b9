//! AVX-512 element-wise kernels (8 × u64), generic over the multiplier ([`Mul512`]): the 64-bit
//! one here (`vpmullq` + a `vpmuludq`-built high product), the 52-bit IFMA one in `ifma.rs`.
//! Conditional subtractions are `vpminuq(x, x − m)`.

use super::lanes::{Lanes, map1, map2, map2_assign, map3, map3_assign};
use super::scalar::reduce_one;
use super::{EltwiseKernel, LazyRange};
use crate::arith::Modulus;
use crate::arith::avx512::mul_hi_u64;
use crate::isa::Avx512Token;
use core::arch::x86_64::__m512i;
use pulp::cast;

/// Broadcast constants of one modulus.
#[derive(Clone, Copy)]
pub(super) struct Consts {
    pub q: __m512i,
    pub two_q: __m512i,
    /// Barrett μ (64- or 52-bit variant, matching the multiplier).
    pub mu: __m512i,
    /// Shift counts for `c = a·b >> (N − 2)`: right shift of the low word, left shift of the high.
    pub shr: core::arch::x86_64::__m128i,
    pub shl: core::arch::x86_64::__m128i,
}

/// The multiplications that differ between the 64-bit and IFMA paths.
pub(super) trait Mul512: Copy {
    fn simd(self) -> Avx512Token;
    fn consts(self, m: &Modulus) -> Consts;
    /// `a·b mod q` in [0, q) for a, b < q.
    fn mul_mod(self, a: __m512i, b: __m512i, c: &Consts) -> __m512i;
    /// `x·w mod q` in [0, 2q) (x < 4q), `ws` the companion of matching width.
    fn mul_shoup(self, x: __m512i, w: __m512i, ws: __m512i, q: __m512i) -> __m512i;
    /// The scalar model of `mul_shoup` followed by a reduction to [0, q) (for tails).
    fn mul_shoup_scalar(m: &Modulus, x: u64, w: u64, ws: u64) -> u64;
}

/// 64-bit multiplier.
#[derive(Clone, Copy)]
pub(super) struct Mul64(pub Avx512Token);

impl Mul512 for Mul64 {
    #[inline(always)]
    fn simd(self) -> Avx512Token {
        self.0
    }
    #[inline(always)]
    fn consts(self, m: &Modulus) -> Consts {
        consts(self.0, m, m.barrett_mu(), 64)
    }
    #[inline(always)]
    fn mul_mod(self, a: __m512i, b: __m512i, c: &Consts) -> __m512i {
        let (f, dq) = (self.0.avx512f, self.0.avx512dq);
        let lo = dq._mm512_mullo_epi64(a, b);
        let hi = mul_hi_u64(self.0, a, b);
        let cc = f._mm512_or_si512(f._mm512_srl_epi64(lo, c.shr), f._mm512_sll_epi64(hi, c.shl));
        let qhat = mul_hi_u64(self.0, cc, c.mu);
        let r = f._mm512_sub_epi64(lo, dq._mm512_mullo_epi64(qhat, c.q));
        reduce_3q(self.0, r, c)
    }
    #[inline(always)]
    fn mul_shoup(self, x: __m512i, w: __m512i, ws: __m512i, q: __m512i) -> __m512i {
        let (f, dq) = (self.0.avx512f, self.0.avx512dq);
        let qhat = mul_hi_u64(self.0, x, ws);
        f._mm512_sub_epi64(dq._mm512_mullo_epi64(x, w), dq._mm512_mullo_epi64(qhat, q))
    }
    #[inline(always)]
    fn mul_shoup_scalar(m: &Modulus, x: u64, w: u64, ws: u64) -> u64 {
        m.mul_shoup(x, w, ws)
    }
}

/// Broadcasts the constants; `word` is 64 (or 52 for IFMA, whose products split at bit 52).
#[inline(always)]
pub(super) fn consts(s: Avx512Token, m: &Modulus, mu: u64, word: u32) -> Consts {
    let f = s.avx512f;
    let splat = |v: u64| f._mm512_set1_epi64(v as i64);
    let count = |v: u32| cast::<[u64; 2], core::arch::x86_64::__m128i>([v as u64, 0]);
    Consts {
        q: splat(m.value()),
        two_q: splat(2 * m.value()),
        mu: splat(mu),
        shr: count(m.bits() - 2),
        shl: count(word + 2 - m.bits()),
    }
}

/// [0, 3q) → [0, q).
#[inline(always)]
pub(super) fn reduce_3q(s: Avx512Token, r: __m512i, c: &Consts) -> __m512i {
    let f = s.avx512f;
    let r = f._mm512_min_epu64(r, f._mm512_sub_epi64(r, c.two_q));
    f._mm512_min_epu64(r, f._mm512_sub_epi64(r, c.q))
}

/// The element-wise kernels for a multiplier.
#[derive(Clone, Copy)]
pub(super) struct Kernel512<M>(pub M);

impl<M: Mul512> Lanes for Kernel512<M> {
    type V = __m512i;
    const W: usize = 8;
    #[inline(always)]
    fn load(self, s: &[u64]) -> __m512i {
        crate::arith::avx512::load(s)
    }
    #[inline(always)]
    fn store(self, d: &mut [u64], v: __m512i) {
        crate::arith::avx512::store(d, v)
    }
}

impl<M: Mul512> Kernel512<M> {
    #[inline(always)]
    fn add_v(self, x: __m512i, y: __m512i, q: __m512i) -> __m512i {
        let f = self.0.simd().avx512f;
        let s = f._mm512_add_epi64(x, y);
        f._mm512_min_epu64(s, f._mm512_sub_epi64(s, q))
    }
    #[inline(always)]
    fn sub_v(self, x: __m512i, y: __m512i, q: __m512i) -> __m512i {
        let f = self.0.simd().avx512f;
        let d = f._mm512_sub_epi64(f._mm512_add_epi64(x, q), y);
        f._mm512_min_epu64(d, f._mm512_sub_epi64(d, q))
    }
    #[inline(always)]
    fn csub(self, x: __m512i, m: __m512i) -> __m512i {
        let f = self.0.simd().avx512f;
        f._mm512_min_epu64(x, f._mm512_sub_epi64(x, m))
    }
}

impl<M: Mul512> EltwiseKernel for Kernel512<M> {
    #[inline(always)]
    fn add(self, m: &Modulus, a: &[u64], b: &[u64], out: &mut [u64]) {
        let c = self.0.consts(m);
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
        let c = self.0.consts(m);
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
        let c = self.0.consts(m);
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
        let c = self.0.consts(m);
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
        let c = self.0.consts(m);
        let f = self.0.simd().avx512f;
        map1(
            self,
            a,
            #[inline(always)]
            |x| self.csub(f._mm512_sub_epi64(c.q, x), c.q),
            #[inline(always)]
            |x| m.neg_mod(x),
        );
    }
    #[inline(always)]
    fn mul(self, m: &Modulus, a: &[u64], b: &[u64], out: &mut [u64]) {
        let c = self.0.consts(m);
        map2(
            self,
            a,
            b,
            out,
            #[inline(always)]
            |x, y| self.0.mul_mod(x, y, &c),
            #[inline(always)]
            |x, y| m.mul_mod(x, y),
        );
    }
    #[inline(always)]
    fn mul_assign(self, m: &Modulus, a: &mut [u64], b: &[u64]) {
        let c = self.0.consts(m);
        map2_assign(
            self,
            a,
            b,
            #[inline(always)]
            |x, y| self.0.mul_mod(x, y, &c),
            #[inline(always)]
            |x, y| m.mul_mod(x, y),
        );
    }
    #[inline(always)]
    fn mul_add(self, m: &Modulus, a: &[u64], b: &[u64], cc: &[u64], out: &mut [u64]) {
        let c = self.0.consts(m);
        map3(
            self,
            a,
            b,
            cc,
            out,
            #[inline(always)]
            |x, y, z| self.add_v(self.0.mul_mod(x, y, &c), z, c.q),
            #[inline(always)]
            |x, y, z| m.add_mod(m.mul_mod(x, y), z),
        );
    }
    #[inline(always)]
    fn mul_add_assign(self, m: &Modulus, acc: &mut [u64], a: &[u64], b: &[u64]) {
        let c = self.0.consts(m);
        map3_assign(
            self,
            acc,
            a,
            b,
            #[inline(always)]
            |z, x, y| self.add_v(self.0.mul_mod(x, y, &c), z, c.q),
            #[inline(always)]
            |z, x, y| m.add_mod(m.mul_mod(x, y), z),
        );
    }
    #[inline(always)]
    fn mul_scalar_assign(self, m: &Modulus, a: &mut [u64], w: u64, ws: u64) {
        let c = self.0.consts(m);
        let f = self.0.simd().avx512f;
        let (wv, wsv) = (
            f._mm512_set1_epi64(w as i64),
            f._mm512_set1_epi64(ws as i64),
        );
        map1(
            self,
            a,
            #[inline(always)]
            |x| self.csub(self.0.mul_shoup(x, wv, wsv, c.q), c.q),
            #[inline(always)]
            |x| M::mul_shoup_scalar(m, x, w, ws),
        );
    }
    #[inline(always)]
    fn reduce(self, m: &Modulus, a: &mut [u64], from: LazyRange) {
        let c = self.0.consts(m);
        match from {
            LazyRange::TwoQ => map1(
                self,
                a,
                #[inline(always)]
                |x| self.csub(x, c.q),
                #[inline(always)]
                |x| reduce_one(m, x, from),
            ),
            LazyRange::FourQ => map1(
                self,
                a,
                #[inline(always)]
                |x| reduce_3q(self.0.simd(), x, &c),
                #[inline(always)]
                |x| reduce_one(m, x, from),
            ),
            LazyRange::Any => {
                // x·1 by 64-bit Shoup with companion floor(2^64/q): [0, 2q) for any x.
                let s = self.0.simd();
                let f = s.avx512f;
                let one = f._mm512_set1_epi64(1);
                let ws = f._mm512_set1_epi64(m.shoup(1) as i64);
                let k = Mul64(s);
                map1(
                    self,
                    a,
                    #[inline(always)]
                    |x| self.csub(k.mul_shoup(x, one, ws, c.q), c.q),
                    #[inline(always)]
                    |x| reduce_one(m, x, from),
                )
            }
        }
    }
}
