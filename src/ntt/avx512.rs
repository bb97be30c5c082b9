//! AVX-512 NTT stages, 8 × u64 lanes, generic over the Shoup product ([`ShoupMul`]):
//! the 64-bit one here (`vpmullq` + a `vpmuludq`-built high product), the 52-bit IFMA one in
//! `ifma.rs`. Strides t ≥ 8 use whole vectors with a broadcast twiddle; t = 4, 2, 1 load 16
//! words, split them into X/Y vectors with `vpermt2q`, and merge them back the same way —
//! no scalar tail for any n ≥ 16.

use super::{NttKernel, Tables, forward_driver, inverse_driver};
use crate::arith::avx512::mul_hi_u64;
use crate::isa::Avx512Token;
use core::arch::x86_64::{__m128i, __m256i, __m512i};
use pulp::cast;

/// A lane-wise Shoup product on 8 × u64.
pub(super) trait ShoupMul: Copy {
    /// The AVX-512 token (for the non-multiply instructions).
    fn simd(self) -> Avx512Token;
    /// `x·w mod q` in [0, 2q) for x < 4q, `ws` the matching Shoup companion of `w`.
    fn mul_shoup(self, x: __m512i, w: __m512i, ws: __m512i, q: __m512i) -> __m512i;
}

/// The 64-bit Shoup product: `q̂ = hi64(x·w')`, `r = lo64(x·w) − lo64(q̂·q)`.
#[derive(Clone, Copy)]
pub(super) struct Shoup64(pub Avx512Token);

impl ShoupMul for Shoup64 {
    #[inline(always)]
    fn simd(self) -> Avx512Token {
        self.0
    }
    #[inline(always)]
    fn mul_shoup(self, x: __m512i, w: __m512i, ws: __m512i, q: __m512i) -> __m512i {
        let (f, dq) = (self.0.avx512f, self.0.avx512dq);
        let qhat = mul_hi_u64(self.0, x, ws);
        f._mm512_sub_epi64(dq._mm512_mullo_epi64(x, w), dq._mm512_mullo_epi64(qhat, q))
    }
}

/// The stage kernels for any [`ShoupMul`].
#[derive(Clone, Copy)]
pub(super) struct Kernel512<M>(pub M);

#[inline(always)]
fn load(s: &[u64; 8]) -> __m512i {
    cast(*s)
}

#[inline(always)]
fn store(d: &mut [u64; 8], v: __m512i) {
    *d = cast(v);
}

/// Permutation indices splitting 16 words into X (stride bit t clear) and Y (set) lanes,
/// and merging them back: (idx_x, idx_y, idx_lo, idx_hi).
#[inline(always)]
fn split_indices(s: Avx512Token, t: usize) -> [__m512i; 4] {
    let mut x = [0i64; 8];
    let mut y = [0i64; 8];
    let mut merge = [0i64; 16];
    let (mut nx, mut ny) = (0, 0);
    for e in 0..16 {
        if e & t == 0 {
            x[nx] = e as i64;
            merge[e] = nx as i64;
            nx += 1;
        } else {
            y[ny] = e as i64;
            merge[e] = 8 + ny as i64;
            ny += 1;
        }
    }
    let v = |a: &[i64]| {
        s.avx512f
            ._mm512_setr_epi64(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7])
    };
    [v(&x), v(&y), v(&merge[..8]), v(&merge[8..])]
}

impl<M: ShoupMul> Kernel512<M> {
    #[inline(always)]
    fn fwd_bfly(
        self,
        x: __m512i,
        y: __m512i,
        w: __m512i,
        ws: __m512i,
        q: __m512i,
        two_q: __m512i,
    ) -> (__m512i, __m512i) {
        let f = self.0.simd().avx512f;
        let x = f._mm512_min_epu64(x, f._mm512_sub_epi64(x, two_q));
        let t = self.0.mul_shoup(y, w, ws, q);
        (
            f._mm512_add_epi64(x, t),
            f._mm512_sub_epi64(f._mm512_add_epi64(x, two_q), t),
        )
    }

    #[inline(always)]
    fn inv_bfly(
        self,
        x: __m512i,
        y: __m512i,
        w: __m512i,
        ws: __m512i,
        q: __m512i,
        two_q: __m512i,
    ) -> (__m512i, __m512i) {
        let f = self.0.simd().avx512f;
        let sum = f._mm512_add_epi64(x, y);
        let sum = f._mm512_min_epu64(sum, f._mm512_sub_epi64(sum, two_q));
        let diff = f._mm512_sub_epi64(f._mm512_add_epi64(x, two_q), y);
        (sum, self.0.mul_shoup(diff, w, ws, q))
    }

    /// [0, 4q) → [0, q).
    #[inline(always)]
    fn reduce_4q(self, v: __m512i, q: __m512i, two_q: __m512i) -> __m512i {
        let f = self.0.simd().avx512f;
        let v = f._mm512_min_epu64(v, f._mm512_sub_epi64(v, two_q));
        f._mm512_min_epu64(v, f._mm512_sub_epi64(v, q))
    }

    /// Twiddles of one 16-word block for stride t < 8, expanded to the X lanes.
    #[inline(always)]
    fn small_twiddles(self, w: &[u64], t: usize) -> __m512i {
        let f = self.0.simd().avx512f;
        // Lane l of X holds word idx_x[l]; its group within the block is idx_x[l] / 2t.
        let spread = match t {
            4 => f._mm512_setr_epi64(0, 0, 0, 0, 1, 1, 1, 1),
            2 => f._mm512_setr_epi64(0, 0, 1, 1, 2, 2, 3, 3),
            _ => f._mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7),
        };
        let raw = match t {
            4 => f._mm512_castsi128_si512(cast::<[u64; 2], __m128i>([w[0], w[1]])),
            2 => f._mm512_castsi256_si512(cast::<[u64; 4], __m256i>([w[0], w[1], w[2], w[3]])),
            _ => load(w[..8].try_into().expect("8 twiddles")),
        };
        f._mm512_permutexvar_epi64(spread, raw)
    }
}

impl<M: ShoupMul> NttKernel for Kernel512<M> {
    #[inline(always)]
    fn fwd_stage(self, q: u64, data: &mut [u64], w: &[u64], ws: &[u64], t: usize, reduce: bool) {
        let s = self.0.simd();
        let f = s.avx512f;
        let qv = f._mm512_set1_epi64(q as i64);
        let two_q = f._mm512_set1_epi64(2 * q as i64);
        if t >= 8 {
            for ((chunk, &w), &ws) in data.chunks_exact_mut(2 * t).zip(w).zip(ws) {
                let (wv, wsv) = (
                    f._mm512_set1_epi64(w as i64),
                    f._mm512_set1_epi64(ws as i64),
                );
                let (xs, ys) = chunk.split_at_mut(t);
                let (xs, _) = pulp::as_arrays_mut::<8, u64>(xs);
                let (ys, _) = pulp::as_arrays_mut::<8, u64>(ys);
                for (x, y) in xs.iter_mut().zip(ys.iter_mut()) {
                    let (nx, ny) = self.fwd_bfly(load(x), load(y), wv, wsv, qv, two_q);
                    store(x, nx);
                    store(y, ny);
                }
            }
            return;
        }
        let [ix, iy, ilo, ihi] = split_indices(s, t);
        let groups = 8 / t;
        let (blocks, _) = pulp::as_arrays_mut::<16, u64>(data);
        for ((blk, w), ws) in blocks
            .iter_mut()
            .zip(w.chunks_exact(groups))
            .zip(ws.chunks_exact(groups))
        {
            let (lo, hi) = blk.split_at_mut(8);
            let (lo, hi): (&mut [u64; 8], &mut [u64; 8]) =
                (lo.try_into().unwrap(), hi.try_into().unwrap());
            let (v0, v1) = (load(lo), load(hi));
            let x = f._mm512_permutex2var_epi64(v0, ix, v1);
            let y = f._mm512_permutex2var_epi64(v0, iy, v1);
            let wv = self.small_twiddles(w, t);
            let wsv = self.small_twiddles(ws, t);
            let (mut nx, mut ny) = self.fwd_bfly(x, y, wv, wsv, qv, two_q);
            if reduce {
                nx = self.reduce_4q(nx, qv, two_q);
                ny = self.reduce_4q(ny, qv, two_q);
            }
            store(lo, f._mm512_permutex2var_epi64(nx, ilo, ny));
            store(hi, f._mm512_permutex2var_epi64(nx, ihi, ny));
        }
    }

    #[inline(always)]
    fn inv_stage(self, q: u64, data: &mut [u64], w: &[u64], ws: &[u64], t: usize) {
        let s = self.0.simd();
        let f = s.avx512f;
        let qv = f._mm512_set1_epi64(q as i64);
        let two_q = f._mm512_set1_epi64(2 * q as i64);
        if t >= 8 {
            for ((chunk, &w), &ws) in data.chunks_exact_mut(2 * t).zip(w).zip(ws) {
                let (wv, wsv) = (
                    f._mm512_set1_epi64(w as i64),
                    f._mm512_set1_epi64(ws as i64),
                );
                let (xs, ys) = chunk.split_at_mut(t);
                let (xs, _) = pulp::as_arrays_mut::<8, u64>(xs);
                let (ys, _) = pulp::as_arrays_mut::<8, u64>(ys);
                for (x, y) in xs.iter_mut().zip(ys.iter_mut()) {
                    let (nx, ny) = self.inv_bfly(load(x), load(y), wv, wsv, qv, two_q);
                    store(x, nx);
                    store(y, ny);
                }
            }
            return;
        }
        let [ix, iy, ilo, ihi] = split_indices(s, t);
        let groups = 8 / t;
        let (blocks, _) = pulp::as_arrays_mut::<16, u64>(data);
        for ((blk, w), ws) in blocks
            .iter_mut()
            .zip(w.chunks_exact(groups))
            .zip(ws.chunks_exact(groups))
        {
            let (lo, hi) = blk.split_at_mut(8);
            let (lo, hi): (&mut [u64; 8], &mut [u64; 8]) =
                (lo.try_into().unwrap(), hi.try_into().unwrap());
            let (v0, v1) = (load(lo), load(hi));
            let x = f._mm512_permutex2var_epi64(v0, ix, v1);
            let y = f._mm512_permutex2var_epi64(v0, iy, v1);
            let wv = self.small_twiddles(w, t);
            let wsv = self.small_twiddles(ws, t);
            let (nx, ny) = self.inv_bfly(x, y, wv, wsv, qv, two_q);
            store(lo, f._mm512_permutex2var_epi64(nx, ilo, ny));
            store(hi, f._mm512_permutex2var_epi64(nx, ihi, ny));
        }
    }

    #[inline(always)]
    fn inv_last(self, q: u64, data: &mut [u64], tab: &Tables, reduce: bool) {
        let f = self.0.simd().avx512f;
        let qv = f._mm512_set1_epi64(q as i64);
        let two_q = f._mm512_set1_epi64(2 * q as i64);
        let splat = |v: u64| f._mm512_set1_epi64(v as i64);
        let (ni, nis) = (splat(tab.n_inv), splat(tab.n_inv_shoup));
        let (wl, wls) = (splat(tab.inv_last), splat(tab.inv_last_shoup));
        let half = data.len() / 2;
        let (xs, ys) = data.split_at_mut(half);
        let (xs, _) = pulp::as_arrays_mut::<8, u64>(xs);
        let (ys, _) = pulp::as_arrays_mut::<8, u64>(ys);
        for (x, y) in xs.iter_mut().zip(ys.iter_mut()) {
            let (a, b) = (load(x), load(y));
            let sum = f._mm512_add_epi64(a, b);
            let diff = f._mm512_sub_epi64(f._mm512_add_epi64(a, two_q), b);
            let mut nx = self.0.mul_shoup(sum, ni, nis, qv);
            let mut ny = self.0.mul_shoup(diff, wl, wls, qv);
            if reduce {
                nx = f._mm512_min_epu64(nx, f._mm512_sub_epi64(nx, qv));
                ny = f._mm512_min_epu64(ny, f._mm512_sub_epi64(ny, qv));
            }
            store(x, nx);
            store(y, ny);
        }
    }
}

/// Forward NTT on AVX-512 (64-bit Shoup).
pub(super) fn forward(s: Avx512Token, q: u64, a: &mut [u64], tab: &Tables, reduce: bool) {
    s.vectorize(
        #[inline(always)]
        || forward_driver(Kernel512(Shoup64(s)), q, a, tab, reduce),
    )
}

/// Inverse NTT on AVX-512 (64-bit Shoup).
pub(super) fn inverse(s: Avx512Token, q: u64, a: &mut [u64], tab: &Tables, reduce: bool) {
    s.vectorize(
        #[inline(always)]
        || inverse_driver(Kernel512(Shoup64(s)), q, a, tab, reduce),
    )
}
