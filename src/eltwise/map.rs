//! Slice loops of the element-wise kernels: whole vectors first, then a scalar tail (only for
//! lengths that are not a multiple of the vector width) that applies the same formula on the
//! lanes' scalar model ([`Lanes::Tail`]) element by element.

use crate::arith::lanes::Lanes;

#[inline(always)]
pub(crate) fn map1<L: Lanes>(
    l: L,
    a: &mut [u64],
    vf: impl Fn(L::V) -> L::V,
    sf: impl Fn(u64) -> u64,
) {
    let mut it = a.chunks_exact_mut(L::LANES);
    for x in &mut it {
        l.store(x, vf(l.load(x)));
    }
    it.into_remainder().iter_mut().for_each(|x| *x = sf(*x));
}

#[inline(always)]
pub(crate) fn map2<L: Lanes>(
    l: L,
    a: &[u64],
    b: &[u64],
    out: &mut [u64],
    vf: impl Fn(L::V, L::V) -> L::V,
    sf: impl Fn(u64, u64) -> u64,
) {
    let mut o = out.chunks_exact_mut(L::LANES);
    let (mut ai, mut bi) = (a.chunks_exact(L::LANES), b.chunks_exact(L::LANES));
    for ((o, x), y) in (&mut o).zip(&mut ai).zip(&mut bi) {
        l.store(o, vf(l.load(x), l.load(y)));
    }
    for ((o, &x), &y) in o
        .into_remainder()
        .iter_mut()
        .zip(ai.remainder())
        .zip(bi.remainder())
    {
        *o = sf(x, y);
    }
}

#[inline(always)]
pub(crate) fn map2_assign<L: Lanes>(
    l: L,
    a: &mut [u64],
    b: &[u64],
    vf: impl Fn(L::V, L::V) -> L::V,
    sf: impl Fn(u64, u64) -> u64,
) {
    let mut ai = a.chunks_exact_mut(L::LANES);
    let mut bi = b.chunks_exact(L::LANES);
    for (x, y) in (&mut ai).zip(&mut bi) {
        l.store(x, vf(l.load(x), l.load(y)));
    }
    for (x, &y) in ai.into_remainder().iter_mut().zip(bi.remainder()) {
        *x = sf(*x, y);
    }
}

#[inline(always)]
pub(crate) fn map3<L: Lanes>(
    l: L,
    a: &[u64],
    b: &[u64],
    c: &[u64],
    out: &mut [u64],
    vf: impl Fn(L::V, L::V, L::V) -> L::V,
    sf: impl Fn(u64, u64, u64) -> u64,
) {
    let mut o = out.chunks_exact_mut(L::LANES);
    let (mut ai, mut bi, mut ci) = (
        a.chunks_exact(L::LANES),
        b.chunks_exact(L::LANES),
        c.chunks_exact(L::LANES),
    );
    for (((o, x), y), z) in (&mut o).zip(&mut ai).zip(&mut bi).zip(&mut ci) {
        l.store(o, vf(l.load(x), l.load(y), l.load(z)));
    }
    let rest = o
        .into_remainder()
        .iter_mut()
        .zip(ai.remainder())
        .zip(bi.remainder())
        .zip(ci.remainder());
    for (((o, &x), &y), &z) in rest {
        *o = sf(x, y, z);
    }
}

#[inline(always)]
pub(crate) fn map3_assign<L: Lanes>(
    l: L,
    acc: &mut [u64],
    a: &[u64],
    b: &[u64],
    vf: impl Fn(L::V, L::V, L::V) -> L::V,
    sf: impl Fn(u64, u64, u64) -> u64,
) {
    let mut acc_i = acc.chunks_exact_mut(L::LANES);
    let (mut ai, mut bi) = (a.chunks_exact(L::LANES), b.chunks_exact(L::LANES));
    for ((z, x), y) in (&mut acc_i).zip(&mut ai).zip(&mut bi) {
        l.store(z, vf(l.load(z), l.load(x), l.load(y)));
    }
    for ((z, &x), &y) in acc_i
        .into_remainder()
        .iter_mut()
        .zip(ai.remainder())
        .zip(bi.remainder())
    {
        *z = sf(*z, x, y);
    }
}
