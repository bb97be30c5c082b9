//! Scalar reference NTT stages (Harvey butterflies, `u128` products).
//!
//! `Scalar64` uses the 64-bit Shoup product (bit-identical to AVX2 and AVX-512);
//! `Scalar52` models the IFMA kernel's 52-bit Shoup product (bit-identical to IFMA).

use super::{NttKernel, Tables};

/// `x·w mod q` in [0, 2q) by Shoup with a `BITS`-bit companion (64 or 52), x < 2^BITS.
#[inline(always)]
fn shoup<const BITS: u32>(q: u64, x: u64, w: u64, ws: u64) -> u64 {
    let qhat = ((x as u128 * ws as u128) >> BITS) as u64;
    x.wrapping_mul(w).wrapping_sub(qhat.wrapping_mul(q))
}

/// `min(x, x − m)`: subtracts m when x ≥ m (valid while x < m + 2^63).
#[inline(always)]
fn csub(x: u64, m: u64) -> u64 {
    x.min(x.wrapping_sub(m))
}

#[derive(Clone, Copy)]
pub(crate) struct ScalarKernel<const BITS: u32>;

pub(crate) type Scalar64 = ScalarKernel<64>;
pub(crate) type Scalar52 = ScalarKernel<52>;

#[allow(non_upper_case_globals)]
pub(crate) const Scalar64: Scalar64 = ScalarKernel;
#[allow(non_upper_case_globals)]
pub(crate) const Scalar52: Scalar52 = ScalarKernel;

impl<const BITS: u32> NttKernel for ScalarKernel<BITS> {
    #[inline(always)]
    fn fwd_stage(self, q: u64, data: &mut [u64], w: &[u64], ws: &[u64], t: usize, reduce: bool) {
        let two_q = 2 * q;
        for ((chunk, &w), &ws) in data.chunks_exact_mut(2 * t).zip(w).zip(ws) {
            let (xs, ys) = chunk.split_at_mut(t);
            for (x, y) in xs.iter_mut().zip(ys.iter_mut()) {
                let a = csub(*x, two_q);
                let b = shoup::<BITS>(q, *y, w, ws);
                let (nx, ny) = (a + b, a + two_q - b);
                if reduce {
                    *x = csub(csub(nx, two_q), q);
                    *y = csub(csub(ny, two_q), q);
                } else {
                    *x = nx;
                    *y = ny;
                }
            }
        }
    }

    #[inline(always)]
    fn inv_stage(self, q: u64, data: &mut [u64], w: &[u64], ws: &[u64], t: usize) {
        let two_q = 2 * q;
        for ((chunk, &w), &ws) in data.chunks_exact_mut(2 * t).zip(w).zip(ws) {
            let (xs, ys) = chunk.split_at_mut(t);
            for (x, y) in xs.iter_mut().zip(ys.iter_mut()) {
                let (a, b) = (*x, *y);
                *x = csub(a + b, two_q);
                *y = shoup::<BITS>(q, a + two_q - b, w, ws);
            }
        }
    }

    #[inline(always)]
    fn inv_last(self, q: u64, data: &mut [u64], tab: &Tables, reduce: bool) {
        let two_q = 2 * q;
        let half = data.len() / 2;
        let (xs, ys) = data.split_at_mut(half);
        for (x, y) in xs.iter_mut().zip(ys.iter_mut()) {
            let (a, b) = (*x, *y);
            let nx = shoup::<BITS>(q, a + b, tab.n_inv, tab.n_inv_shoup);
            let ny = shoup::<BITS>(q, a + two_q - b, tab.inv_last, tab.inv_last_shoup);
            if reduce {
                *x = csub(nx, q);
                *y = csub(ny, q);
            } else {
                *x = nx;
                *y = ny;
            }
        }
    }
}
