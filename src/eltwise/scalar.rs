//! Scalar reference element-wise kernels (the [`Modulus`] methods, one element at a time).

use super::{EltwiseKernel, LazyRange};
use crate::arith::Modulus;

#[derive(Clone, Copy)]
pub(crate) struct ScalarKernel;

/// Reduces one value from a lazy range to [0, q).
#[inline(always)]
pub(crate) fn reduce_one(m: &Modulus, x: u64, from: LazyRange) -> u64 {
    match from {
        LazyRange::TwoQ => m.reduce_2q(x),
        LazyRange::FourQ => m.reduce_2q(m.reduce_4q(x)),
        LazyRange::Any => m.reduce(x),
    }
}

impl EltwiseKernel for ScalarKernel {
    fn add(self, m: &Modulus, a: &[u64], b: &[u64], out: &mut [u64]) {
        for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
            *o = m.add_mod(x, y);
        }
    }
    fn add_assign(self, m: &Modulus, a: &mut [u64], b: &[u64]) {
        a.iter_mut()
            .zip(b)
            .for_each(|(x, &y)| *x = m.add_mod(*x, y));
    }
    fn sub(self, m: &Modulus, a: &[u64], b: &[u64], out: &mut [u64]) {
        for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
            *o = m.sub_mod(x, y);
        }
    }
    fn sub_assign(self, m: &Modulus, a: &mut [u64], b: &[u64]) {
        a.iter_mut()
            .zip(b)
            .for_each(|(x, &y)| *x = m.sub_mod(*x, y));
    }
    fn neg_assign(self, m: &Modulus, a: &mut [u64]) {
        a.iter_mut().for_each(|x| *x = m.neg_mod(*x));
    }
    fn mul(self, m: &Modulus, a: &[u64], b: &[u64], out: &mut [u64]) {
        for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
            *o = m.mul_mod(x, y);
        }
    }
    fn mul_assign(self, m: &Modulus, a: &mut [u64], b: &[u64]) {
        a.iter_mut()
            .zip(b)
            .for_each(|(x, &y)| *x = m.mul_mod(*x, y));
    }
    fn mul_add(self, m: &Modulus, a: &[u64], b: &[u64], c: &[u64], out: &mut [u64]) {
        for (((o, &x), &y), &z) in out.iter_mut().zip(a).zip(b).zip(c) {
            *o = m.add_mod(m.mul_mod(x, y), z);
        }
    }
    fn mul_add_assign(self, m: &Modulus, acc: &mut [u64], a: &[u64], b: &[u64]) {
        for ((z, &x), &y) in acc.iter_mut().zip(a).zip(b) {
            *z = m.add_mod(m.mul_mod(x, y), *z);
        }
    }
    fn mul_scalar_assign(self, m: &Modulus, a: &mut [u64], w: u64, ws: u64) {
        a.iter_mut().for_each(|x| *x = m.mul_shoup(*x, w, ws));
    }
    fn reduce(self, m: &Modulus, a: &mut [u64], from: LazyRange) {
        a.iter_mut().for_each(|x| *x = reduce_one(m, *x, from));
    }
}
