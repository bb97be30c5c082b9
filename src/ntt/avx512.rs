//! AVX-512 NTT shuffles, shared by the 64-bit (`Avx512Lanes`) and the IFMA (`IfmaLanes`,
//! `ifma.rs`) kernels, which differ only in their products. Strides t ≥ 8 run in the generic
//! loops of `stages.rs`; t = 4, 2, 1 load 16 words, split them into X/Y registers with
//! `vpermt2q`, and merge them back the same way — no scalar tail for any n ≥ 16.

use super::NttKernel;
use super::stages::{fwd_bfly, inv_bfly, reduce_pair};
use crate::arith::avx512::Lanes512;
use crate::arith::dispatch::Avx512Lanes;
use crate::isa::Avx512Token;
use core::arch::x86_64::{__m128i, __m256i, __m512i};
use pulp::cast;

/// Permutation indices splitting 16 words into X (stride bit t clear) and Y (set) lanes,
/// and merging them back: (idx_x, idx_y, idx_lo, idx_hi).
#[inline(always)]
fn split_indices(s: Avx512Token, t: usize) -> [__m512i; 4] {
    let mut x = [0i64; 8];
    let mut y = [0i64; 8];
    let mut merge = [0i64; 16];
    let (mut nx, mut ny) = (0, 0);
    for (e, slot) in merge.iter_mut().enumerate() {
        if e & t == 0 {
            x[nx] = e as i64;
            *slot = nx as i64;
            nx += 1;
        } else {
            y[ny] = e as i64;
            *slot = 8 + ny as i64;
            ny += 1;
        }
    }
    let v = |a: &[i64]| {
        s.avx512f
            ._mm512_setr_epi64(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7])
    };
    [v(&x), v(&y), v(&merge[..8]), v(&merge[8..])]
}

/// Twiddles of one 16-word block for stride t < 8, expanded to the X lanes: lane l holds
/// word idx_x[l], whose group within the block is idx_x[l] / 2t.
#[inline(always)]
fn small_twiddles<L: Lanes512>(l: L, w: &[u64], t: usize) -> __m512i {
    let f = l.avx512().avx512f;
    match t {
        4 => f._mm512_permutexvar_epi64(
            f._mm512_setr_epi64(0, 0, 0, 0, 1, 1, 1, 1),
            f._mm512_castsi128_si512(cast::<[u64; 2], __m128i>([w[0], w[1]])),
        ),
        2 => f._mm512_permutexvar_epi64(
            f._mm512_setr_epi64(0, 0, 1, 1, 2, 2, 3, 3),
            f._mm512_castsi256_si512(cast::<[u64; 4], __m256i>([w[0], w[1], w[2], w[3]])),
        ),
        _ => l.load(&w[..8]),
    }
}

/// Runs `bfly` on every 16-word block of `data` for stride t < 8.
#[inline(always)]
fn small_stage<L: Lanes512 + NttKernel>(
    l: L,
    data: &mut [u64],
    (w, ws): (&[u64], &[u64]),
    t: usize,
    q: __m512i,
    bfly: impl Fn(__m512i, __m512i, (__m512i, __m512i)) -> (__m512i, __m512i),
) {
    let f = l.avx512().avx512f;
    let [ix, iy, ilo, ihi] = split_indices(l.avx512(), t);
    let groups = 8 / t;
    let blocks = data
        .chunks_exact_mut(16)
        .zip(w.chunks_exact(groups))
        .zip(ws.chunks_exact(groups));
    for ((blk, w), ws) in blocks {
        let (lo, hi) = blk.split_at_mut(8);
        let (v0, v1) = (l.load(lo), l.load(hi));
        let x = f._mm512_permutex2var_epi64(v0, ix, v1);
        let y = f._mm512_permutex2var_epi64(v0, iy, v1);
        let tws = small_twiddles(l, ws, t);
        let tw = match l.derived_w(tws, q) {
            Some(tw) => tw,
            None => small_twiddles(l, w, t),
        };
        let (nx, ny) = bfly(x, y, (tw, tws));
        l.store(lo, f._mm512_permutex2var_epi64(nx, ilo, ny));
        l.store(hi, f._mm512_permutex2var_epi64(nx, ihi, ny));
    }
}

/// Forward stage with stride t < 8 (see [`NttKernel::fwd_small`]).
#[inline(always)]
pub(super) fn fwd_small<L: Lanes512 + NttKernel>(
    l: L,
    q: u64,
    data: &mut [u64],
    tw: (&[u64], &[u64]),
    t: usize,
    reduce: bool,
) {
    let (qv, two_q) = (l.splat(q), l.splat(2 * q));
    small_stage(
        l,
        data,
        tw,
        t,
        qv,
        #[inline(always)]
        |x, y, tw| reduce_pair(l, fwd_bfly(l, x, y, tw, qv, two_q), reduce, qv, two_q),
    );
}

/// Inverse stage with stride t < 8 (see [`NttKernel::inv_small`]).
#[inline(always)]
pub(super) fn inv_small<L: Lanes512 + NttKernel>(
    l: L,
    q: u64,
    data: &mut [u64],
    tw: (&[u64], &[u64]),
    t: usize,
) {
    let (qv, two_q) = (l.splat(q), l.splat(2 * q));
    small_stage(
        l,
        data,
        tw,
        t,
        qv,
        #[inline(always)]
        |x, y, tw| inv_bfly(l, x, y, tw, qv, two_q),
    );
}

/// The 64-bit products leave the registers spilling at radix 4: one stage per pass.
impl NttKernel for Avx512Lanes {
    const RADIX4: bool = false;
    #[inline(always)]
    fn fwd_small(self, q: u64, data: &mut [u64], w: &[u64], ws: &[u64], t: usize, reduce: bool) {
        fwd_small(self, q, data, (w, ws), t, reduce)
    }
    #[inline(always)]
    fn inv_small(self, q: u64, data: &mut [u64], w: &[u64], ws: &[u64], t: usize) {
        inv_small(self, q, data, (w, ws), t)
    }
}
