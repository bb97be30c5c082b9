//! The element-wise operations, written once over the lanes trait: each formula is one
//! generic expression, applied to whole vectors and to the scalar tail ([`Lanes::Tail`]).
//!
//! Ranges as in the module docs of [`super`]: canonical inputs and outputs, `mul_scalar`
//! inputs in [0, 4q), `reduce` from [0, 2q), [0, 4q) or any u64.

use super::LazyRange;
use super::map::{map1, map2, map2_assign, map3, map3_assign};
use crate::arith::Modulus;
use crate::arith::dispatch::Job;
use crate::arith::lanes::{Lanes, add_mod, reduce_4q, sub_mod};

/// One element-wise operation and its slices (lengths checked by the caller).
pub(super) enum Op<'a> {
    Add(&'a [u64], &'a [u64], &'a mut [u64]),
    AddAssign(&'a mut [u64], &'a [u64]),
    Sub(&'a [u64], &'a [u64], &'a mut [u64]),
    SubAssign(&'a mut [u64], &'a [u64]),
    NegAssign(&'a mut [u64]),
    Mul(&'a [u64], &'a [u64], &'a mut [u64]),
    MulAssign(&'a mut [u64], &'a [u64]),
    /// out = a·b + c.
    MulAdd(&'a [u64], &'a [u64], &'a [u64], &'a mut [u64]),
    /// acc += a·b.
    MulAddAssign(&'a mut [u64], &'a [u64], &'a [u64]),
    /// a = a·w for w < q (the companion is computed for the lanes' Shoup width).
    MulScalarAssign(&'a mut [u64], u64),
    Reduce(&'a mut [u64], LazyRange),
}

/// An operation mod one prime: the job [`crate::arith::dispatch::Backend::dispatch`] runs.
pub(super) struct EltJob<'a> {
    pub m: &'a Modulus,
    pub op: Op<'a>,
}

/// The broadcast constants of one modulus on lanes `L`.
#[derive(Clone, Copy)]
struct Consts<L: Lanes> {
    q: L::V,
    two_q: L::V,
    barrett: L::Barrett,
}

impl<L: Lanes> Consts<L> {
    #[inline(always)]
    fn new(l: L, m: &Modulus) -> Consts<L> {
        Consts {
            q: l.splat(m.value()),
            two_q: l.splat(2 * m.value()),
            barrett: l.barrett(m),
        }
    }
}

/// `a·b + z mod q` (a, b, z < q).
#[inline(always)]
fn mul_add<L: Lanes>(l: L, a: L::V, b: L::V, z: L::V, c: &Consts<L>) -> L::V {
    add_mod(l, l.mul_mod(a, b, &c.barrett), z, c.q)
}

impl<L: Lanes> Job<L> for EltJob<'_> {
    type Output = ();
    #[inline(always)]
    fn run(self, l: L) {
        let m = self.m;
        let t = l.tail();
        let (c, ct) = (Consts::new(l, m), Consts::new(t, m));
        match self.op {
            Op::Add(a, b, out) => map2(
                l,
                a,
                b,
                out,
                #[inline(always)]
                |x, y| add_mod(l, x, y, c.q),
                #[inline(always)]
                |x, y| add_mod(t, x, y, ct.q),
            ),
            Op::AddAssign(a, b) => map2_assign(
                l,
                a,
                b,
                #[inline(always)]
                |x, y| add_mod(l, x, y, c.q),
                #[inline(always)]
                |x, y| add_mod(t, x, y, ct.q),
            ),
            Op::Sub(a, b, out) => map2(
                l,
                a,
                b,
                out,
                #[inline(always)]
                |x, y| sub_mod(l, x, y, c.q),
                #[inline(always)]
                |x, y| sub_mod(t, x, y, ct.q),
            ),
            Op::SubAssign(a, b) => map2_assign(
                l,
                a,
                b,
                #[inline(always)]
                |x, y| sub_mod(l, x, y, c.q),
                #[inline(always)]
                |x, y| sub_mod(t, x, y, ct.q),
            ),
            Op::NegAssign(a) => map1(
                l,
                a,
                #[inline(always)]
                |x| l.csub(l.sub(c.q, x), c.q),
                #[inline(always)]
                |x| t.csub(t.sub(ct.q, x), ct.q),
            ),
            Op::Mul(a, b, out) => map2(
                l,
                a,
                b,
                out,
                #[inline(always)]
                |x, y| l.mul_mod(x, y, &c.barrett),
                #[inline(always)]
                |x, y| t.mul_mod(x, y, &ct.barrett),
            ),
            Op::MulAssign(a, b) => map2_assign(
                l,
                a,
                b,
                #[inline(always)]
                |x, y| l.mul_mod(x, y, &c.barrett),
                #[inline(always)]
                |x, y| t.mul_mod(x, y, &ct.barrett),
            ),
            Op::MulAdd(a, b, z, out) => map3(
                l,
                a,
                b,
                z,
                out,
                #[inline(always)]
                |x, y, z| mul_add(l, x, y, z, &c),
                #[inline(always)]
                |x, y, z| mul_add(t, x, y, z, &ct),
            ),
            Op::MulAddAssign(acc, a, b) => map3_assign(
                l,
                acc,
                a,
                b,
                #[inline(always)]
                |z, x, y| mul_add(l, x, y, z, &c),
                #[inline(always)]
                |z, x, y| mul_add(t, x, y, z, &ct),
            ),
            Op::MulScalarAssign(a, w) => {
                let ws = L::companion(m, w);
                let (wv, wsv) = (l.splat(w), l.splat(ws));
                map1(
                    l,
                    a,
                    #[inline(always)]
                    |x| l.csub(l.mul_shoup(x, wv, wsv, c.q), c.q),
                    #[inline(always)]
                    |x| t.csub(t.mul_shoup(x, w, ws, ct.q), ct.q),
                )
            }
            Op::Reduce(a, LazyRange::TwoQ) => map1(
                l,
                a,
                #[inline(always)]
                |x| l.csub(x, c.q),
                #[inline(always)]
                |x| t.csub(x, ct.q),
            ),
            Op::Reduce(a, LazyRange::FourQ) => map1(
                l,
                a,
                #[inline(always)]
                |x| reduce_4q(l, x, c.q, c.two_q),
                #[inline(always)]
                |x| reduce_4q(t, x, ct.q, ct.two_q),
            ),
            Op::Reduce(a, LazyRange::Any) => {
                // x·1 by the 64-bit Shoup product with companion floor(2^64/q): [0, 2q) for any x.
                let ws = m.shoup(1);
                let (one, wsv) = (l.splat(1), l.splat(ws));
                map1(
                    l,
                    a,
                    #[inline(always)]
                    |x| l.csub(l.mul_shoup64(x, one, wsv, c.q), c.q),
                    #[inline(always)]
                    |x| t.csub(t.mul_shoup64(x, 1, ws, ct.q), ct.q),
                )
            }
        }
    }
}
