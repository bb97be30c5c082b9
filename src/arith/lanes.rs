//! The lanes trait: one vector of u64 words and the modular primitives every kernel family is
//! written against, implemented once per ISA (the memchr / pulp shape).
//!
//! | type | ISA | lanes | Shoup width | products |
//! |---|---|---|---|---|
//! | [`Scalar64`] | portable | 1 | 64 | `u128` |
//! | [`Scalar52`] | portable (model of IFMA) | 1 | 52 | `u128` |
//! | `Avx2Lanes` (`avx2.rs`) | AVX2 | 4 | 64 | `vpmuludq` partial products |
//! | `Avx512Lanes` (`avx512.rs`) | AVX-512 F/DQ/VL | 8 | 64 | `vpmullq` + `vpmuludq` high half |
//! | `IfmaLanes` (`ifma.rs`) | AVX-512 IFMA | 8 | 52 | `vpmadd52{lo,hi}uq` |
//!
//! A kernel family (NTT stages, element-wise operations, basis conversion, automorphisms) is one
//! generic function over `L: Lanes` (plus, where it needs instructions only some ISAs share, a
//! small extension trait in its own module, e.g. `ntt::NttKernel`), run through the one dispatch
//! point [`super::dispatch`].
//!
//! ## Ranges (q < 2^62; IFMA lanes q < 2^50)
//! | primitive | input | output |
//! |---|---|---|
//! | [`Lanes::add`], [`Lanes::sub`] | any | wrapping, mod 2^64 |
//! | [`Lanes::csub`]`(x, m)` | x < m + 2^63, m ≤ 2^63 | x − m if x ≥ m, else x |
//! | [`Lanes::mul_shoup`] | x < 4q (< 2^52 on IFMA), w < q | [0, 2q) |
//! | [`Lanes::mul_shoup64`] | any x, w < q | [0, 2q) |
//! | [`Lanes::mul_mod`] | a, b < q | [0, q) (Barrett) |
//!
//! Every ISA returns the same words as its scalar model ([`Lanes::Tail`]) for every input in
//! range: the tests compare each kernel family bit for bit against it.

use super::Modulus;

/// One vector register of `LANES` u64 words and the modular primitives on it.
pub(crate) trait Lanes: Copy {
    /// The register type.
    type V: Copy;
    /// Words per register.
    const LANES: usize;
    /// Width of the Shoup companions [`Lanes::mul_shoup`] expects: 64, or 52 on IFMA.
    const SHOUP_BITS: u32;
    /// The scalar lanes computing the same words (the tail of slices whose length is not a
    /// multiple of `LANES`, and the reference model).
    type Tail: Lanes<V = u64>;
    /// Broadcast Barrett constants of one modulus (see [`Lanes::barrett`]).
    type Barrett: Copy;

    /// The scalar model of these lanes.
    fn tail(self) -> Self::Tail;
    /// `x` in every lane.
    fn splat(self, x: u64) -> Self::V;
    /// Loads `s` (exactly `LANES` words).
    fn load(self, s: &[u64]) -> Self::V;
    /// Stores to `d` (exactly `LANES` words).
    fn store(self, d: &mut [u64], v: Self::V);
    /// Hints that the cache line of `s[at]` will be read soon (nothing if `at` is past the end,
    /// and nothing on ISAs whose kernels are not memory-bound).
    #[inline(always)]
    fn prefetch(self, _s: &[u64], _at: usize) {}
    /// Lane-wise wrapping `x + y`.
    fn add(self, x: Self::V, y: Self::V) -> Self::V;
    /// Lane-wise wrapping `x − y`.
    fn sub(self, x: Self::V, y: Self::V) -> Self::V;
    /// `x − m` if `x ≥ m`, else `x` (x < m + 2^63, m ≤ 2^63).
    fn csub(self, x: Self::V, m: Self::V) -> Self::V;
    /// 64-bit Shoup product `x·w mod q` in [0, 2q) for any x, w < q, `ws = floor(w·2^64/q)`.
    fn mul_shoup64(self, x: Self::V, w: Self::V, ws: Self::V, q: Self::V) -> Self::V;
    /// Shoup product at this ISA's width ([`Lanes::SHOUP_BITS`]): `x·w mod q` in [0, 2q) for
    /// x < 4q (and x < 2^52 on IFMA), `ws = floor(w·2^SHOUP_BITS/q)`.
    #[inline(always)]
    fn mul_shoup(self, x: Self::V, w: Self::V, ws: Self::V, q: Self::V) -> Self::V {
        self.mul_shoup64(x, w, ws, q)
    }
    /// The Barrett constants of `m` for [`Lanes::mul_mod`], broadcast.
    fn barrett(self, m: &Modulus) -> Self::Barrett;
    /// Barrett `a·b mod q` in [0, q) for a, b < q (the formula of [`Modulus::mul_mod`], 52-bit
    /// variant on IFMA).
    fn mul_mod(self, a: Self::V, b: Self::V, c: &Self::Barrett) -> Self::V;
    /// `base[idx[l]]` in lane l (a vector gather).
    ///
    /// # Panics
    /// If `idx.len() != LANES` or an index is out of bounds (checked before the gather, which
    /// itself would not check).
    fn gather(self, base: &[u64], idx: &[u32]) -> Self::V;

    /// The Shoup companion of `w < m` at this ISA's width.
    #[inline(always)]
    fn companion(m: &Modulus, w: u64) -> u64 {
        if Self::SHOUP_BITS == 52 {
            m.shoup52(w)
        } else {
            m.shoup(w)
        }
    }
}

/// Panics unless every index is inside `base` (the precondition of the vector gathers).
#[inline(always)]
#[cfg_attr(feature = "force-scalar", allow(dead_code))] // only the vector lanes gather
pub(crate) fn check_gather_indices(base: &[u64], idx: &[u32]) {
    assert!(
        idx.iter().all(|&k| (k as usize) < base.len()),
        "gather: index out of bounds"
    );
}

/// `(x + y) mod q` for x, y < q.
#[inline(always)]
pub(crate) fn add_mod<L: Lanes>(l: L, x: L::V, y: L::V, q: L::V) -> L::V {
    l.csub(l.add(x, y), q)
}

/// `(x − y) mod q` for x, y < q.
#[inline(always)]
pub(crate) fn sub_mod<L: Lanes>(l: L, x: L::V, y: L::V, q: L::V) -> L::V {
    l.csub(l.sub(l.add(x, q), y), q)
}

/// [0, 4q) → [0, q).
#[inline(always)]
pub(crate) fn reduce_4q<L: Lanes>(l: L, x: L::V, q: L::V, two_q: L::V) -> L::V {
    l.csub(l.csub(x, two_q), q)
}

/// Portable lanes: one word, `u128` products. `BITS` is the Shoup width: 64 (the reference of
/// AVX2 and AVX-512) or 52 (the model of IFMA's products).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ScalarLanes<const BITS: u32>;

/// The 64-bit scalar reference.
pub(crate) type Scalar64 = ScalarLanes<64>;
/// The scalar model of the IFMA kernels' 52-bit Shoup products.
pub(crate) type Scalar52 = ScalarLanes<52>;

impl<const BITS: u32> Lanes for ScalarLanes<BITS> {
    type V = u64;
    const LANES: usize = 1;
    const SHOUP_BITS: u32 = BITS;
    type Tail = Self;
    type Barrett = Modulus;

    #[inline(always)]
    fn tail(self) -> Self {
        self
    }
    #[inline(always)]
    fn splat(self, x: u64) -> u64 {
        x
    }
    #[inline(always)]
    fn load(self, s: &[u64]) -> u64 {
        s[0]
    }
    #[inline(always)]
    fn store(self, d: &mut [u64], v: u64) {
        d[0] = v;
    }
    #[inline(always)]
    fn add(self, x: u64, y: u64) -> u64 {
        x.wrapping_add(y)
    }
    #[inline(always)]
    fn sub(self, x: u64, y: u64) -> u64 {
        x.wrapping_sub(y)
    }
    #[inline(always)]
    fn csub(self, x: u64, m: u64) -> u64 {
        x.min(x.wrapping_sub(m))
    }
    #[inline(always)]
    fn mul_shoup64(self, x: u64, w: u64, ws: u64, q: u64) -> u64 {
        let qhat = ((x as u128 * ws as u128) >> 64) as u64;
        x.wrapping_mul(w).wrapping_sub(qhat.wrapping_mul(q))
    }
    #[inline(always)]
    fn mul_shoup(self, x: u64, w: u64, ws: u64, q: u64) -> u64 {
        let qhat = ((x as u128 * ws as u128) >> BITS) as u64;
        x.wrapping_mul(w).wrapping_sub(qhat.wrapping_mul(q))
    }
    #[inline(always)]
    fn barrett(self, m: &Modulus) -> Modulus {
        *m
    }
    #[inline(always)]
    fn mul_mod(self, a: u64, b: u64, m: &Modulus) -> u64 {
        m.mul_mod(a, b)
    }
    #[inline(always)]
    fn gather(self, base: &[u64], idx: &[u32]) -> u64 {
        assert_eq!(idx.len(), 1, "gather: index count != lanes");
        base[idx[0] as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lazy ranges at their edges: Shoup outputs below 2q for the largest inputs, csub at
    /// x = m − 1, m, m + 2^63 − 1.
    #[test]
    fn scalar_primitives_at_range_edges() {
        let l = Scalar64 {};
        for &q in &[(1u64 << 61) - 1, (1 << 50) - 27, 12289] {
            let m = Modulus::new(q).unwrap();
            for &w in &[1, q / 3, q - 1] {
                let ws = m.shoup(w);
                for &x in &[0, 1, 4 * q - 1, u64::MAX] {
                    let r = l.mul_shoup64(x, w, ws, q);
                    assert!(r < 2 * q, "shoup64 {x}·{w} mod {q} = {r}");
                    assert_eq!(r % q, (x as u128 * w as u128 % q as u128) as u64);
                }
            }
            assert_eq!(l.csub(q - 1, q), q - 1);
            assert_eq!(l.csub(q, q), 0);
            assert_eq!(l.csub(q + (1 << 63) - 1, q), (1 << 63) - 1);
            assert_eq!(add_mod(l, q - 1, q - 1, q), q - 2);
            assert_eq!(sub_mod(l, 0, q - 1, q), 1);
            assert_eq!(reduce_4q(l, 4 * q - 1, q, 2 * q), q - 1);
        }
        let q = (1u64 << 50) - 27;
        let m = Modulus::new(q).unwrap();
        let (w, x) = (q - 1, (1u64 << 52) - 1);
        let r = (Scalar52 {}).mul_shoup(x, w, m.shoup52(w), q);
        assert!(r < 2 * q);
        assert_eq!(r % q, (x as u128 * w as u128 % q as u128) as u64);
    }
}
