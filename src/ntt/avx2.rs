//! AVX2 NTT shuffles (4 × u64 lanes; the products are the lanes trait's). Strides t ≥ 4 run
//! in the generic loops of `stages.rs`; t = 2 and t = 1 split 8 words into X/Y with
//! `vperm2i128` / `vpunpck{l,h}qdq` and merge them back the same way.

use super::NttKernel;
use super::stages::{fwd_bfly, inv_bfly, reduce_pair};
use crate::arith::dispatch::Avx2Lanes;
use crate::arith::lanes::Lanes;
use core::arch::x86_64::{__m128i, __m256i};
use pulp::cast;

impl Avx2Lanes {
    /// Splits 8 words into (X, Y) for stride t ∈ {1, 2}; also its own inverse (merge).
    #[inline(always)]
    fn shuffle(self, v0: __m256i, v1: __m256i, t: usize) -> (__m256i, __m256i) {
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
            v._mm256_permute4x64_epi64::<0b11_01_10_00>(self.load(&w[..4]))
        }
    }

    #[inline(always)]
    fn small_stage(
        self,
        data: &mut [u64],
        (w, ws): (&[u64], &[u64]),
        t: usize,
        bfly: impl Fn(__m256i, __m256i, (__m256i, __m256i)) -> (__m256i, __m256i),
    ) {
        let groups = 4 / t;
        let blocks = data
            .chunks_exact_mut(8)
            .zip(w.chunks_exact(groups))
            .zip(ws.chunks_exact(groups));
        for ((blk, w), ws) in blocks {
            let (lo, hi) = blk.split_at_mut(4);
            let (x, y) = self.shuffle(self.load(lo), self.load(hi), t);
            let (nx, ny) = bfly(
                x,
                y,
                (self.small_twiddles(w, t), self.small_twiddles(ws, t)),
            );
            let (o0, o1) = self.shuffle(nx, ny, t);
            self.store(lo, o0);
            self.store(hi, o1);
        }
    }
}

impl NttKernel for Avx2Lanes {
    const RADIX4: bool = false;
    #[inline(always)]
    fn fwd_small(self, q: u64, data: &mut [u64], w: &[u64], ws: &[u64], t: usize, reduce: bool) {
        let (qv, two_q) = (self.splat(q), self.splat(2 * q));
        self.small_stage(
            data,
            (w, ws),
            t,
            #[inline(always)]
            |x, y, tw| reduce_pair(self, fwd_bfly(self, x, y, tw, qv, two_q), reduce, qv, two_q),
        );
    }
    #[inline(always)]
    fn inv_small(self, q: u64, data: &mut [u64], w: &[u64], ws: &[u64], t: usize) {
        let (qv, two_q) = (self.splat(q), self.splat(2 * q));
        self.small_stage(
            data,
            (w, ws),
            t,
            #[inline(always)]
            |x, y, tw| inv_bfly(self, x, y, tw, qv, two_q),
        );
    }
}
