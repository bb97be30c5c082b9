//! Stage loops generic over an ISA's lanes and its NTT shuffles ([`NttKernel`]).
//!
//! Radix-2 passes run one stage; radix-4 passes run two consecutive stages on four
//! quarter-blocks held in registers, halving the loads and stores. Strides below the register
//! width go to the ISA's shuffle kernels (`fwd_small` / `inv_small`).
//!
//! Ranges: forward butterflies keep [0, 4q), inverse ones [0, 2q) (see the module docs of
//! [`super`]).

use super::{NttKernel, Tables};
use crate::arith::lanes::{Lanes, reduce_4q};

type Tw<'a> = (&'a [u64], &'a [u64]);

/// Harvey forward butterfly: in/out [0, 4q).
#[inline(always)]
pub(super) fn fwd_bfly<K: NttKernel>(
    k: K,
    x: K::V,
    y: K::V,
    w: (K::V, K::V),
    q: K::V,
    two_q: K::V,
) -> (K::V, K::V) {
    let x = k.csub(x, two_q);
    let t = k.mul_shoup(y, w.0, w.1, q);
    (k.add(x, t), k.sub(k.add(x, two_q), t))
}

/// Gentleman–Sande inverse butterfly: in/out [0, 2q).
#[inline(always)]
pub(super) fn inv_bfly<K: NttKernel>(
    k: K,
    x: K::V,
    y: K::V,
    w: (K::V, K::V),
    q: K::V,
    two_q: K::V,
) -> (K::V, K::V) {
    let sum = k.csub(k.add(x, y), two_q);
    let diff = k.sub(k.add(x, two_q), y);
    (sum, k.mul_shoup(diff, w.0, w.1, q))
}

/// A forward butterfly's outputs, reduced from [0, 4q) to [0, q) when `reduce` (last stage).
#[inline(always)]
pub(super) fn reduce_pair<K: Lanes>(
    k: K,
    (a, b): (K::V, K::V),
    reduce: bool,
    q: K::V,
    two_q: K::V,
) -> (K::V, K::V) {
    if reduce {
        (reduce_4q(k, a, q, two_q), reduce_4q(k, b, q, two_q))
    } else {
        (a, b)
    }
}

/// Twiddle g and its companion, broadcast; on ISAs that derive w from its companion
/// ([`NttKernel::derived_w`]) the `w` table is not read.
#[inline(always)]
fn splat2<K: NttKernel>(k: K, w: &[u64], ws: &[u64], g: usize, q: K::V) -> (K::V, K::V) {
    let s = k.splat(ws[g]);
    match k.derived_w(s, q) {
        Some(wv) => (wv, s),
        None => (k.splat(w[g]), s),
    }
}

/// One forward stage of stride t; group g (2t words) uses twiddle g.
#[inline(always)]
pub(super) fn fwd_radix2<K: NttKernel>(
    k: K,
    q: u64,
    data: &mut [u64],
    (w, ws): Tw,
    t: usize,
    reduce: bool,
) {
    if t < K::LANES {
        return k.fwd_small(q, data, w, ws, t, reduce);
    }
    let (qv, two_q) = (k.splat(q), k.splat(2 * q));
    for (g, chunk) in data.chunks_exact_mut(2 * t).enumerate() {
        let tw = splat2(k, w, ws, g, qv);
        let (xs, ys) = chunk.split_at_mut(t);
        for (x, y) in xs
            .chunks_exact_mut(K::LANES)
            .zip(ys.chunks_exact_mut(K::LANES))
        {
            let ab = fwd_bfly(k, k.load(x), k.load(y), tw, qv, two_q);
            let (a, b) = reduce_pair(k, ab, reduce, qv, two_q);
            k.store(x, a);
            k.store(y, b);
        }
    }
}

/// Two forward stages (strides t and t/2, t/2 ≥ LANES) in one pass over `data`.
#[inline(always)]
pub(super) fn fwd_radix4<K: NttKernel>(
    k: K,
    q: u64,
    data: &mut [u64],
    (w1, w1s): Tw,
    (w2, w2s): Tw,
    t: usize,
) {
    let (qv, two_q) = (k.splat(q), k.splat(2 * q));
    let h = t / 2;
    for (g, chunk) in data.chunks_exact_mut(2 * t).enumerate() {
        let tw1 = splat2(k, w1, w1s, g, qv);
        let (tw2a, tw2b) = (
            splat2(k, w2, w2s, 2 * g, qv),
            splat2(k, w2, w2s, 2 * g + 1, qv),
        );
        let (ab, cd) = chunk.split_at_mut(t);
        let (a, b) = ab.split_at_mut(h);
        let (c, d) = cd.split_at_mut(h);
        let quads = a
            .chunks_exact_mut(K::LANES)
            .zip(b.chunks_exact_mut(K::LANES))
            .zip(c.chunks_exact_mut(K::LANES))
            .zip(d.chunks_exact_mut(K::LANES));
        for (((a, b), c), d) in quads {
            let (va, vc) = fwd_bfly(k, k.load(a), k.load(c), tw1, qv, two_q);
            let (vb, vd) = fwd_bfly(k, k.load(b), k.load(d), tw1, qv, two_q);
            let (va, vb) = fwd_bfly(k, va, vb, tw2a, qv, two_q);
            let (vc, vd) = fwd_bfly(k, vc, vd, tw2b, qv, two_q);
            k.store(a, va);
            k.store(b, vb);
            k.store(c, vc);
            k.store(d, vd);
        }
    }
}

/// One inverse stage of stride t; group g uses twiddle g.
#[inline(always)]
pub(super) fn inv_radix2<K: NttKernel>(k: K, q: u64, data: &mut [u64], (w, ws): Tw, t: usize) {
    if t < K::LANES {
        return k.inv_small(q, data, w, ws, t);
    }
    let (qv, two_q) = (k.splat(q), k.splat(2 * q));
    for (g, chunk) in data.chunks_exact_mut(2 * t).enumerate() {
        let tw = splat2(k, w, ws, g, qv);
        let (xs, ys) = chunk.split_at_mut(t);
        for (x, y) in xs
            .chunks_exact_mut(K::LANES)
            .zip(ys.chunks_exact_mut(K::LANES))
        {
            let (a, b) = inv_bfly(k, k.load(x), k.load(y), tw, qv, two_q);
            k.store(x, a);
            k.store(y, b);
        }
    }
}

/// Two inverse stages (strides t and 2t, t ≥ LANES) in one pass over `data`.
#[inline(always)]
pub(super) fn inv_radix4<K: NttKernel>(
    k: K,
    q: u64,
    data: &mut [u64],
    (w1, w1s): Tw,
    (w2, w2s): Tw,
    t: usize,
) {
    let (qv, two_q) = (k.splat(q), k.splat(2 * q));
    for (g, chunk) in data.chunks_exact_mut(4 * t).enumerate() {
        let (tw1a, tw1b) = (
            splat2(k, w1, w1s, 2 * g, qv),
            splat2(k, w1, w1s, 2 * g + 1, qv),
        );
        let tw2 = splat2(k, w2, w2s, g, qv);
        let (ab, cd) = chunk.split_at_mut(2 * t);
        let (a, b) = ab.split_at_mut(t);
        let (c, d) = cd.split_at_mut(t);
        let quads = a
            .chunks_exact_mut(K::LANES)
            .zip(b.chunks_exact_mut(K::LANES))
            .zip(c.chunks_exact_mut(K::LANES))
            .zip(d.chunks_exact_mut(K::LANES));
        for (((a, b), c), d) in quads {
            let (va, vb) = inv_bfly(k, k.load(a), k.load(b), tw1a, qv, two_q);
            let (vc, vd) = inv_bfly(k, k.load(c), k.load(d), tw1b, qv, two_q);
            let (va, vc) = inv_bfly(k, va, vc, tw2, qv, two_q);
            let (vb, vd) = inv_bfly(k, vb, vd, tw2, qv, two_q);
            k.store(a, va);
            k.store(b, vb);
            k.store(c, vc);
            k.store(d, vd);
        }
    }
}

/// The last inverse stage (stride n/2) with n^−1 folded in: out [0, 2q), or [0, q) with
/// `reduce`.
#[inline(always)]
pub(super) fn inv_last<K: NttKernel>(k: K, q: u64, data: &mut [u64], tab: &Tables, reduce: bool) {
    let (qv, two_q) = (k.splat(q), k.splat(2 * q));
    let (ni, nis) = (k.splat(tab.n_inv), k.splat(tab.n_inv_shoup));
    let (wl, wls) = (k.splat(tab.inv_last), k.splat(tab.inv_last_shoup));
    let half = data.len() / 2;
    let (xs, ys) = data.split_at_mut(half);
    for (x, y) in xs
        .chunks_exact_mut(K::LANES)
        .zip(ys.chunks_exact_mut(K::LANES))
    {
        let (a, b) = (k.load(x), k.load(y));
        let mut nx = k.mul_shoup(k.add(a, b), ni, nis, qv);
        let mut ny = k.mul_shoup(k.sub(k.add(a, two_q), b), wl, wls, qv);
        if reduce {
            nx = k.csub(nx, qv);
            ny = k.csub(ny, qv);
        }
        k.store(x, nx);
        k.store(y, ny);
    }
}
