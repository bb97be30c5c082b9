//! AVX2 NTT stages, 4 × u64 lanes. No 64-bit multiply exists on AVX2: both the high and the low
//! halves of 64×64 products are built from `vpmuludq` (32×32→64). Conditional subtractions
//! use the sign of `x − m` with `vblendvpd` (valid because q < 2^62). Strides t ≥ 4 use whole
//! vectors; t = 2 and t = 1 split 8 words into X/Y with `vperm2i128` / `vpunpck{l,h}qdq`.

use super::{NttKernel, Tables, forward_driver, inverse_driver};
use crate::arith::avx2::{csub, mul_shoup};
use crate::isa::Avx2Token;
use core::arch::x86_64::{__m128i, __m256i};
use pulp::cast;

#[inline(always)]
fn load(s: &[u64; 4]) -> __m256i {
    cast(*s)
}

#[inline(always)]
fn store(d: &mut [u64; 4], v: __m256i) {
    *d = cast(v);
}

#[derive(Clone, Copy)]
pub(super) struct Kernel256(pub Avx2Token);

impl Kernel256 {
    #[inline(always)]
    fn fwd_bfly(
        self,
        x: __m256i,
        y: __m256i,
        w: __m256i,
        ws: __m256i,
        q: __m256i,
        two_q: __m256i,
    ) -> (__m256i, __m256i) {
        let (s, v) = (self.0, self.0.avx2);
        let x = csub(s, x, two_q);
        let t = mul_shoup(s, y, w, ws, q);
        (
            v._mm256_add_epi64(x, t),
            v._mm256_sub_epi64(v._mm256_add_epi64(x, two_q), t),
        )
    }

    #[inline(always)]
    fn inv_bfly(
        self,
        x: __m256i,
        y: __m256i,
        w: __m256i,
        ws: __m256i,
        q: __m256i,
        two_q: __m256i,
    ) -> (__m256i, __m256i) {
        let (s, v) = (self.0, self.0.avx2);
        let sum = csub(s, v._mm256_add_epi64(x, y), two_q);
        let diff = v._mm256_sub_epi64(v._mm256_add_epi64(x, two_q), y);
        (sum, mul_shoup(s, diff, w, ws, q))
    }

    /// Splits 8 words into (X, Y) for stride t ∈ {1, 2}.
    #[inline(always)]
    fn split(self, v0: __m256i, v1: __m256i, t: usize) -> (__m256i, __m256i) {
        let v = self.0.avx2;
        if t == 2 {
            // X = [0,1,4,5], Y = [2,3,6,7]
            (
                v._mm256_permute2x128_si256::<0x20>(v0, v1),
                v._mm256_permute2x128_si256::<0x31>(v0, v1),
            )
        } else {
            // X = [0,4,2,6], Y = [1,5,3,7]
            (
                v._mm256_unpacklo_epi64(v0, v1),
                v._mm256_unpackhi_epi64(v0, v1),
            )
        }
    }

    /// Inverse of [`Kernel256::split`].
    #[inline(always)]
    fn merge(self, x: __m256i, y: __m256i, t: usize) -> (__m256i, __m256i) {
        let v = self.0.avx2;
        if t == 2 {
            (
                v._mm256_permute2x128_si256::<0x20>(x, y),
                v._mm256_permute2x128_si256::<0x31>(x, y),
            )
        } else {
            (v._mm256_unpacklo_epi64(x, y), v._mm256_unpackhi_epi64(x, y))
        }
    }

    /// Twiddles of one 8-word block for stride t ∈ {1, 2}, in X-lane order.
    #[inline(always)]
    fn small_twiddles(self, w: &[u64], t: usize) -> __m256i {
        let v = self.0.avx2;
        if t == 2 {
            // X lanes hold words 0,1 (group 0) and 4,5 (group 1).
            let raw = self
                .0
                .avx
                ._mm256_castsi128_si256(cast::<[u64; 2], __m128i>([w[0], w[1]]));
            v._mm256_permute4x64_epi64::<0b01_01_00_00>(raw)
        } else {
            // X lanes hold words 0,4,2,6: groups 0,2,1,3.
            v._mm256_permute4x64_epi64::<0b11_01_10_00>(load(
                w[..4].try_into().expect("4 twiddles"),
            ))
        }
    }
}

impl NttKernel for Kernel256 {
    #[inline(always)]
    fn fwd_stage(self, q: u64, data: &mut [u64], w: &[u64], ws: &[u64], t: usize, reduce: bool) {
        let (s, a) = (self.0, self.0.avx);
        let qv = a._mm256_set1_epi64x(q as i64);
        let two_q = a._mm256_set1_epi64x(2 * q as i64);
        if t >= 4 {
            for ((chunk, &w), &ws) in data.chunks_exact_mut(2 * t).zip(w).zip(ws) {
                let (wv, wsv) = (
                    a._mm256_set1_epi64x(w as i64),
                    a._mm256_set1_epi64x(ws as i64),
                );
                let (xs, ys) = chunk.split_at_mut(t);
                let (xs, _) = pulp::as_arrays_mut::<4, u64>(xs);
                let (ys, _) = pulp::as_arrays_mut::<4, u64>(ys);
                for (x, y) in xs.iter_mut().zip(ys.iter_mut()) {
                    let (nx, ny) = self.fwd_bfly(load(x), load(y), wv, wsv, qv, two_q);
                    store(x, nx);
                    store(y, ny);
                }
            }
            return;
        }
        let groups = 4 / t;
        let (blocks, _) = pulp::as_arrays_mut::<8, u64>(data);
        for ((blk, w), ws) in blocks
            .iter_mut()
            .zip(w.chunks_exact(groups))
            .zip(ws.chunks_exact(groups))
        {
            let (lo, hi) = blk.split_at_mut(4);
            let (lo, hi): (&mut [u64; 4], &mut [u64; 4]) =
                (lo.try_into().unwrap(), hi.try_into().unwrap());
            let (x, y) = self.split(load(lo), load(hi), t);
            let (wv, wsv) = (self.small_twiddles(w, t), self.small_twiddles(ws, t));
            let (mut nx, mut ny) = self.fwd_bfly(x, y, wv, wsv, qv, two_q);
            if reduce {
                nx = csub(s, csub(s, nx, two_q), qv);
                ny = csub(s, csub(s, ny, two_q), qv);
            }
            let (o0, o1) = self.merge(nx, ny, t);
            store(lo, o0);
            store(hi, o1);
        }
    }

    #[inline(always)]
    fn inv_stage(self, q: u64, data: &mut [u64], w: &[u64], ws: &[u64], t: usize) {
        let a = self.0.avx;
        let qv = a._mm256_set1_epi64x(q as i64);
        let two_q = a._mm256_set1_epi64x(2 * q as i64);
        if t >= 4 {
            for ((chunk, &w), &ws) in data.chunks_exact_mut(2 * t).zip(w).zip(ws) {
                let (wv, wsv) = (
                    a._mm256_set1_epi64x(w as i64),
                    a._mm256_set1_epi64x(ws as i64),
                );
                let (xs, ys) = chunk.split_at_mut(t);
                let (xs, _) = pulp::as_arrays_mut::<4, u64>(xs);
                let (ys, _) = pulp::as_arrays_mut::<4, u64>(ys);
                for (x, y) in xs.iter_mut().zip(ys.iter_mut()) {
                    let (nx, ny) = self.inv_bfly(load(x), load(y), wv, wsv, qv, two_q);
                    store(x, nx);
                    store(y, ny);
                }
            }
            return;
        }
        let groups = 4 / t;
        let (blocks, _) = pulp::as_arrays_mut::<8, u64>(data);
        for ((blk, w), ws) in blocks
            .iter_mut()
            .zip(w.chunks_exact(groups))
            .zip(ws.chunks_exact(groups))
        {
            let (lo, hi) = blk.split_at_mut(4);
            let (lo, hi): (&mut [u64; 4], &mut [u64; 4]) =
                (lo.try_into().unwrap(), hi.try_into().unwrap());
            let (x, y) = self.split(load(lo), load(hi), t);
            let (wv, wsv) = (self.small_twiddles(w, t), self.small_twiddles(ws, t));
            let (nx, ny) = self.inv_bfly(x, y, wv, wsv, qv, two_q);
            let (o0, o1) = self.merge(nx, ny, t);
            store(lo, o0);
            store(hi, o1);
        }
    }

    #[inline(always)]
    fn inv_last(self, q: u64, data: &mut [u64], tab: &Tables, reduce: bool) {
        let (s, v, a) = (self.0, self.0.avx2, self.0.avx);
        let qv = a._mm256_set1_epi64x(q as i64);
        let two_q = a._mm256_set1_epi64x(2 * q as i64);
        let splat = |x: u64| a._mm256_set1_epi64x(x as i64);
        let (ni, nis) = (splat(tab.n_inv), splat(tab.n_inv_shoup));
        let (wl, wls) = (splat(tab.inv_last), splat(tab.inv_last_shoup));
        let half = data.len() / 2;
        let (xs, ys) = data.split_at_mut(half);
        let (xs, _) = pulp::as_arrays_mut::<4, u64>(xs);
        let (ys, _) = pulp::as_arrays_mut::<4, u64>(ys);
        for (x, y) in xs.iter_mut().zip(ys.iter_mut()) {
            let (p, r) = (load(x), load(y));
            let sum = v._mm256_add_epi64(p, r);
            let diff = v._mm256_sub_epi64(v._mm256_add_epi64(p, two_q), r);
            let mut nx = mul_shoup(s, sum, ni, nis, qv);
            let mut ny = mul_shoup(s, diff, wl, wls, qv);
            if reduce {
                nx = csub(s, nx, qv);
                ny = csub(s, ny, qv);
            }
            store(x, nx);
            store(y, ny);
        }
    }
}

/// Forward NTT on AVX2.
pub(super) fn forward(s: Avx2Token, q: u64, a: &mut [u64], tab: &Tables, reduce: bool) {
    s.vectorize(
        #[inline(always)]
        || forward_driver(Kernel256(s), q, a, tab, reduce),
    )
}

/// Inverse NTT on AVX2.
pub(super) fn inverse(s: Avx2Token, q: u64, a: &mut [u64], tab: &Tables, reduce: bool) {
    s.vectorize(
        #[inline(always)]
        || inverse_driver(Kernel256(s), q, a, tab, reduce),
    )
}
