//! CKKS canonical-embedding encoder: the "special FFT" of HEAAN (Cheon–Kim–Kim–Song).
//!
//! ## Math
//! Let n be the ring degree, M = 2n, ζ = exp(2πi/M) a primitive M-th root of unity and
//! `slots = n/2`. A real polynomial m(X) = Σ_{i<n} m_i X^i of `Z[X]/(X^n + 1)` is identified with
//! the `slots` complex numbers
//!
//! ```text
//! z_j = m(ζ^{5^j}),   j = 0 .. slots−1
//! ```
//!
//! (the other half of the canonical embedding, m(ζ^{−5^j}) = conj(z_j), is redundant because the
//! coefficients are real). Writing w_k = m_k + i·m_{k+n/2} for k < n/2 and using
//! ζ^{5^j·n/2} = i^{5^j} = i, this is z_j = Σ_{k<n/2} w_k ζ^{5^j·k}, which
//! [`SpecialFft::forward`] evaluates in O(n log n); [`SpecialFft::inverse`] is its exact inverse.
//!
//! * [`SpecialFft::encode`]: z (scaled by Δ) → w = inverse(z) → m_j = round(Re(w_j)·Δ),
//!   m_{j+n/2} = round(Im(w_j)·Δ).
//! * [`SpecialFft::decode`]: centered coefficients → w_j = (m_j + i·m_{j+n/2})/Δ → forward(w).
//!
//! ## Conventions
//! * Slot j is the evaluation at ζ^{5^j} = exp(2πi·5^j/(2n)).
//! * The automorphism σ_g: X ↦ X^g with g = 5^r mod 2n rotates the slots **left** by r:
//!   `decode(σ_g(m))[j] = z[(j + r) mod slots]`.
//! * σ_{2n−1} (X ↦ X^{−1}) conjugates every slot.
//! * Products of encodings at scales Δ₁, Δ₂ decode at scale Δ₁·Δ₂ to the slot-wise product.

use crate::error::{Error, Result};
use crate::ntt::{MIN_RING_DEGREE, check_ring_degree};
use num_complex::Complex64;

/// Largest ring degree the encoder supports.
pub const MAX_ENCODING_DEGREE: usize = 1 << 17;

/// Largest coefficient magnitude [`SpecialFft::encode`] produces: 2^126.
pub const MAX_COEFF_MAGNITUDE: f64 = (1u128 << 126) as f64;

/// Precomputed tables for encoding n/2 complex slots into a real polynomial of degree < n.
///
/// Construction computes the rotation group 5^j mod 2n and, for every butterfly stage, the
/// twiddle factors the stage reads, in reading order; the transforms themselves allocate nothing.
#[derive(Debug, Clone)]
pub struct SpecialFft {
    /// Ring degree.
    n: usize,
    /// n / 2.
    slots: usize,
    /// rot_group[j] = 5^j mod 2n, j < slots.
    rot_group: Vec<usize>,
    /// Forward twiddles: stage with half-length h reads entries h−1 .. 2h−1.
    fwd_tw: Vec<Complex64>,
    /// Inverse twiddles (complex conjugates of the forward ones), same layout.
    inv_tw: Vec<Complex64>,
    /// `usize::BITS − log2(slots)`: index i goes to `i.reverse_bits() >> brv_shift`.
    brv_shift: u32,
}

impl SpecialFft {
    /// Builds the tables for ring degree `n` (a power of two in
    /// [`MIN_RING_DEGREE`]..=[`MAX_ENCODING_DEGREE`]), i.e. `n/2` slots.
    ///
    /// # Errors
    /// [`Error::InvalidRingDegree`] if `n` is not a power of two in that range.
    pub fn new(n: usize) -> Result<SpecialFft> {
        check_ring_degree(n)?;
        if n > MAX_ENCODING_DEGREE {
            return Err(Error::InvalidRingDegree {
                n,
                min: MIN_RING_DEGREE,
                max: MAX_ENCODING_DEGREE,
            });
        }
        let m = 2 * n;
        let slots = n / 2;

        let mut rot_group = Vec::with_capacity(slots);
        let mut g = 1usize;
        for _ in 0..slots {
            rot_group.push(g);
            g = g * 5 % m;
        }

        // ksi(k) = exp(2πi k / M), built so that ksi(M − k) = conj(ksi(k)) exactly.
        let ksi = |k: usize| -> Complex64 {
            let (k, conj) = if k > n { (m - k, true) } else { (k, false) };
            let angle = 2.0 * core::f64::consts::PI * (k as f64) / (m as f64);
            let (s, c) = angle.sin_cos();
            Complex64::new(c, if conj { -s } else { s })
        };

        let mut fwd_tw = Vec::with_capacity(slots - 1);
        let mut inv_tw = Vec::with_capacity(slots - 1);
        let mut len = 2;
        while len <= slots {
            let lenh = len / 2;
            let lenq = 4 * len;
            let step = m / lenq;
            for &rg in &rot_group[..lenh] {
                let r = rg % lenq;
                fwd_tw.push(ksi(r * step));
                inv_tw.push(ksi((lenq - r) * step));
            }
            len <<= 1;
        }

        Ok(SpecialFft {
            n,
            slots,
            rot_group,
            fwd_tw,
            inv_tw,
            brv_shift: usize::BITS - slots.trailing_zeros(),
        })
    }

    /// The ring degree n.
    pub fn n(&self) -> usize {
        self.n
    }

    /// The number of complex slots, n/2.
    pub fn slots(&self) -> usize {
        self.slots
    }

    /// Slots → coefficients (the inverse special FFT), scaled by `scale` and rounded.
    ///
    /// `values.len() <= slots`; missing slots are 0. With w = inverse(values):
    /// `out[j] = round(Re(w_j)·scale)`, `out[j + n/2] = round(Im(w_j)·scale)` (rounding half
    /// away from zero). The resulting integer polynomial m satisfies `m(ζ^{5^j}) ≈ scale·values[j]`
    /// (see the [module docs](self)).
    ///
    /// Allocates one work vector of `slots` complex numbers per call. On error `out` is left
    /// untouched.
    ///
    /// # Errors
    /// [`Error::EncodingError`] if there are more values than slots, a value or `scale` is not
    /// finite, `scale` is not positive, or a coefficient's magnitude would exceed 2^126.
    ///
    /// # Panics
    /// If `out.len() != n`.
    pub fn encode(&self, values: &[Complex64], scale: f64, out: &mut [i128]) -> Result<()> {
        assert_eq!(out.len(), self.n, "encode: out must hold n coefficients");
        if values.len() > self.slots {
            return Err(encoding_error(format!(
                "{} values given, only {} slots",
                values.len(),
                self.slots
            )));
        }
        if !scale.is_finite() || scale <= 0.0 {
            return Err(encoding_error(format!(
                "scale {scale} is not a finite positive number"
            )));
        }
        if let Some(i) = values
            .iter()
            .position(|v| !v.re.is_finite() || !v.im.is_finite())
        {
            return Err(encoding_error(format!(
                "value {i} ({}) is not finite",
                values[i]
            )));
        }

        let mut w = vec![Complex64::ZERO; self.slots];
        w[..values.len()].copy_from_slice(values);
        self.inverse(&mut w);
        for c in &mut w {
            *c = Complex64::new((c.re * scale).round(), (c.im * scale).round());
        }
        if let Some(j) = w
            .iter()
            .position(|c| !(c.re.abs() <= MAX_COEFF_MAGNITUDE && c.im.abs() <= MAX_COEFF_MAGNITUDE))
        {
            return Err(encoding_error(format!(
                "coefficient {j} or {} has magnitude above 2^126 ({})",
                j + self.slots,
                w[j]
            )));
        }
        let (lo, hi) = out.split_at_mut(self.slots);
        for ((re, im), c) in lo.iter_mut().zip(hi.iter_mut()).zip(&w) {
            // Exact: the values are integers of magnitude <= 2^126.
            *re = c.re as i128;
            *im = c.im as i128;
        }
        Ok(())
    }

    /// Coefficients → slots.
    ///
    /// `coeffs` are the n centered integer coefficients given as `f64` (already lifted to
    /// (−Q/2, Q/2]). Computes `w_j = (coeffs[j] + i·coeffs[j + n/2]) / scale` and then the forward
    /// special FFT, so `out[j] = m(ζ^{5^j}) / scale`. Allocation-free.
    ///
    /// # Panics
    /// If `coeffs.len() != n` or `out.len() != slots`.
    pub fn decode(&self, coeffs: &[f64], scale: f64, out: &mut [Complex64]) {
        assert_eq!(coeffs.len(), self.n, "decode: coeffs must hold n values");
        assert_eq!(out.len(), self.slots, "decode: out must hold n/2 slots");
        let inv = 1.0 / scale;
        let (lo, hi) = coeffs.split_at(self.slots);
        for ((o, &re), &im) in out.iter_mut().zip(lo).zip(hi) {
            *o = Complex64::new(re * inv, im * inv);
        }
        self.forward(out);
    }

    /// The in-place forward special FFT on `slots` values:
    /// `vals[j] ← Σ_{k<slots} vals[k]·ζ^{5^j·k}`.
    ///
    /// # Panics
    /// If `vals.len() != slots`.
    pub fn forward(&self, vals: &mut [Complex64]) {
        assert_eq!(vals.len(), self.slots, "forward: need exactly n/2 values");
        self.bit_reverse(vals);
        let mut len = 2;
        while len <= self.slots {
            let lenh = len / 2;
            let tw = &self.fwd_tw[lenh - 1..len - 1];
            for block in vals.chunks_exact_mut(len) {
                let (lo, hi) = block.split_at_mut(lenh);
                for ((a, b), &t) in lo.iter_mut().zip(hi.iter_mut()).zip(tw) {
                    let u = *a;
                    let v = *b * t;
                    *a = u + v;
                    *b = u - v;
                }
            }
            len <<= 1;
        }
    }

    /// The in-place inverse special FFT on `slots` values, including the 1/slots
    /// normalization: `inverse(forward(v)) = v` up to rounding.
    ///
    /// # Panics
    /// If `vals.len() != slots`.
    pub fn inverse(&self, vals: &mut [Complex64]) {
        assert_eq!(vals.len(), self.slots, "inverse: need exactly n/2 values");
        let mut len = self.slots;
        while len >= 2 {
            let lenh = len / 2;
            let tw = &self.inv_tw[lenh - 1..len - 1];
            for block in vals.chunks_exact_mut(len) {
                let (lo, hi) = block.split_at_mut(lenh);
                for ((a, b), &t) in lo.iter_mut().zip(hi.iter_mut()).zip(tw) {
                    let u = *a + *b;
                    let v = (*a - *b) * t;
                    *a = u;
                    *b = v;
                }
            }
            len >>= 1;
        }
        self.bit_reverse(vals);
        // Exact: slots is a power of two.
        let norm = 1.0 / self.slots as f64;
        for v in vals.iter_mut() {
            *v *= norm;
        }
    }

    /// Permutes `vals` into bit-reversed order (log2(slots) bits).
    fn bit_reverse(&self, vals: &mut [Complex64]) {
        for i in 0..vals.len() {
            let j = i.reverse_bits() >> self.brv_shift;
            if i < j {
                vals.swap(i, j);
            }
        }
    }

    /// The rotation group: `rot_group()[r] = 5^r mod 2n` for r < slots, the Galois element
    /// g whose automorphism X ↦ X^g rotates the slots left by r.
    pub fn rot_group(&self) -> &[usize] {
        &self.rot_group
    }
}

fn encoding_error(reason: String) -> Error {
    Error::EncodingError { reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SplitMix64: deterministic test randomness without extra dependencies.
    struct Rng(u64);

    impl Rng {
        fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        /// Uniform in [−1, 1).
        fn unit(&mut self) -> f64 {
            (self.next_u64() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
        }
        fn complex(&mut self) -> Complex64 {
            Complex64::new(self.unit(), self.unit())
        }
        fn complexes(&mut self, len: usize) -> Vec<Complex64> {
            (0..len).map(|_| self.complex()).collect()
        }
    }

    fn to_f64(c: &[i128]) -> Vec<f64> {
        c.iter().map(|&x| x as f64).collect()
    }

    fn max_err(a: &[Complex64], b: &[Complex64]) -> f64 {
        assert_eq!(a.len(), b.len());
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).norm())
            .fold(0.0, f64::max)
    }

    /// ζ^e with ζ = exp(2πi/(2n)), e reduced mod 2n exactly first.
    fn zeta_pow(n: usize, e: usize) -> Complex64 {
        let m = 2 * n;
        Complex64::from_polar(
            1.0,
            2.0 * core::f64::consts::PI * ((e % m) as f64) / (m as f64),
        )
    }

    /// Naive m(ζ^e) for real coefficients m.
    fn eval(coeffs: &[f64], e: usize) -> Complex64 {
        let n = coeffs.len();
        coeffs
            .iter()
            .enumerate()
            .map(|(i, &c)| zeta_pow(n, (e % (2 * n)) * i) * c)
            .sum()
    }

    /// σ_g: m_i X^i ↦ m_i X^{i·g mod 2n}, with X^n = −1.
    fn automorphism(coeffs: &[i128], g: usize) -> Vec<i128> {
        let n = coeffs.len();
        let mut out = vec![0i128; n];
        for (i, &c) in coeffs.iter().enumerate() {
            let e = i * g % (2 * n);
            if e < n {
                out[e] += c;
            } else {
                out[e - n] -= c;
            }
        }
        out
    }

    /// Naive negacyclic product in Z[X]/(X^n + 1).
    fn negacyclic_mul(a: &[i128], b: &[i128]) -> Vec<i128> {
        let n = a.len();
        let mut out = vec![0i128; n];
        for (i, &x) in a.iter().enumerate() {
            for (j, &y) in b.iter().enumerate() {
                let k = i + j;
                if k < n {
                    out[k] += x * y;
                } else {
                    out[k - n] -= x * y;
                }
            }
        }
        out
    }

    #[test]
    fn tables_and_accessors() {
        let sf = SpecialFft::new(64).unwrap();
        assert_eq!(sf.n(), 64);
        assert_eq!(sf.slots(), 32);
        assert_eq!(sf.rot_group()[0], 1);
        assert_eq!(sf.rot_group()[1], 5);
        assert_eq!(sf.rot_group()[2], 25);
        assert_eq!(sf.rot_group()[3], 125);
        assert_eq!(sf.rot_group()[4], 113); // 625 mod 128
        assert_eq!(sf.fwd_tw.len(), sf.slots() - 1);
        for (f, i) in sf.fwd_tw.iter().zip(&sf.inv_tw) {
            assert_eq!(*i, f.conj());
        }
        // 5 has order n/2 mod 2n.
        assert_eq!(sf.rot_group()[sf.slots() - 1] * 5 % 128, 1);
    }

    #[test]
    fn forward_inverse_identity() {
        let mut rng = Rng(1);
        for log_n in [4, 5, 10, 13] {
            let sf = SpecialFft::new(1 << log_n).unwrap();
            let z = rng.complexes(sf.slots());
            let mut v = z.clone();
            sf.forward(&mut v);
            sf.inverse(&mut v);
            assert!(max_err(&v, &z) < 1e-13, "log_n {log_n}");
            sf.inverse(&mut v);
            sf.forward(&mut v);
            assert!(max_err(&v, &z) < 1e-13, "log_n {log_n}");
        }
    }

    #[test]
    fn forward_matches_naive_sum() {
        let mut rng = Rng(2);
        for n in [16, 32, 128] {
            let sf = SpecialFft::new(n).unwrap();
            let w = rng.complexes(sf.slots());
            let mut z = w.clone();
            sf.forward(&mut z);
            for (j, zj) in z.iter().enumerate() {
                let g = sf.rot_group()[j];
                let naive: Complex64 = w
                    .iter()
                    .enumerate()
                    .map(|(k, wk)| wk * zeta_pow(n, g * k))
                    .sum();
                assert!((zj - naive).norm() < 1e-12, "n {n} slot {j}");
            }
        }
    }

    #[test]
    fn round_trip() {
        let mut rng = Rng(3);
        let scale = 2f64.powi(40);
        for n in [16, 1024, 1 << 14, 1 << 16] {
            let sf = SpecialFft::new(n).unwrap();
            let z = rng.complexes(sf.slots());
            let mut coeffs = vec![0i128; n];
            sf.encode(&z, scale, &mut coeffs).unwrap();
            let mut back = vec![Complex64::ZERO; sf.slots()];
            sf.decode(&to_f64(&coeffs), scale, &mut back);
            let err = max_err(&back, &z);
            assert!(err < 1e-9, "n {n}: max error {err:e}");
        }
    }

    #[test]
    fn fewer_values_than_slots_are_zero_padded() {
        let mut rng = Rng(4);
        let scale = 2f64.powi(40);
        let sf = SpecialFft::new(256).unwrap();
        let z = rng.complexes(sf.slots() / 3);
        let mut coeffs = vec![0i128; 256];
        sf.encode(&z, scale, &mut coeffs).unwrap();
        let mut back = vec![Complex64::ONE; sf.slots()];
        sf.decode(&to_f64(&coeffs), scale, &mut back);
        let mut padded = z.clone();
        padded.resize(sf.slots(), Complex64::ZERO);
        assert!(max_err(&back, &padded) < 1e-9);
        // The empty input encodes the zero polynomial.
        sf.encode(&[], scale, &mut coeffs).unwrap();
        assert!(coeffs.iter().all(|&c| c == 0));
    }

    #[test]
    fn coefficients_are_the_canonical_embedding() {
        let mut rng = Rng(5);
        let scale = 2f64.powi(40);
        for n in [16, 32] {
            let sf = SpecialFft::new(n).unwrap();
            let slots = sf.slots();
            let z = rng.complexes(slots);

            // Unrounded coefficients, exactly as encode computes them before rounding.
            let mut w = z.clone();
            sf.inverse(&mut w);
            let mut m = vec![0.0; n];
            let (lo, hi) = m.split_at_mut(slots);
            for ((re, im), c) in lo.iter_mut().zip(hi.iter_mut()).zip(&w) {
                *re = c.re * scale;
                *im = c.im * scale;
            }
            let mut coeffs = vec![0i128; n];
            sf.encode(&z, scale, &mut coeffs).unwrap();
            for (c, x) in coeffs.iter().zip(&m) {
                assert_eq!(*c, x.round() as i128);
            }

            let five_pow = |j: usize| (0..j).fold(1usize, |g, _| g * 5 % (2 * n));
            for (j, zj) in z.iter().enumerate() {
                let e = five_pow(j);
                // Slot j is the evaluation at ζ^{5^j} ...
                let at = eval(&m, e);
                let rel = (at - zj * scale).norm() / scale;
                assert!(rel < 1e-6, "n {n} slot {j}: rel {rel:e}");
                assert!(rel < 1e-12, "n {n} slot {j}: rel {rel:e}");
                // ... and the conjugate slot is the evaluation at ζ^{−5^j}.
                let at_conj = eval(&m, 2 * n - e);
                assert!((at_conj - zj.conj() * scale).norm() / scale < 1e-12);
                // The rounded polynomial is off by at most n/2 in absolute terms.
                let at_rounded = eval(&to_f64(&coeffs), e);
                assert!((at_rounded - zj * scale).norm() <= n as f64 / 2.0);
            }
        }
    }

    #[test]
    fn automorphisms_rotate_left_and_conjugate() {
        let mut rng = Rng(6);
        let scale = 2f64.powi(40);
        for n in [64, 1024] {
            let sf = SpecialFft::new(n).unwrap();
            let slots = sf.slots();
            let z = rng.complexes(slots);
            let mut coeffs = vec![0i128; n];
            sf.encode(&z, scale, &mut coeffs).unwrap();
            let mut back = vec![Complex64::ZERO; slots];

            for r in [1, 2, 5, slots - 1, slots] {
                let g = (0..r).fold(1usize, |g, _| g * 5 % (2 * n));
                let rotated = automorphism(&coeffs, g);
                sf.decode(&to_f64(&rotated), scale, &mut back);
                let expect: Vec<Complex64> = (0..slots).map(|j| z[(j + r) % slots]).collect();
                let err = max_err(&back, &expect);
                assert!(err < 1e-9, "n {n} r {r}: {err:e}");
            }

            let conj = automorphism(&coeffs, 2 * n - 1);
            sf.decode(&to_f64(&conj), scale, &mut back);
            let expect: Vec<Complex64> = z.iter().map(|c| c.conj()).collect();
            assert!(max_err(&back, &expect) < 1e-9, "n {n} conjugation");
        }
    }

    #[test]
    fn errors() {
        for n in [0, 8, 100, 1000, 1 << 18, 1 << 20] {
            assert!(
                matches!(SpecialFft::new(n), Err(Error::InvalidRingDegree { .. })),
                "n {n}"
            );
        }
        assert!(SpecialFft::new(MAX_ENCODING_DEGREE).is_ok());

        let sf = SpecialFft::new(32).unwrap();
        let mut out = vec![7i128; 32];
        let is_enc_err = |r: Result<()>| matches!(r, Err(Error::EncodingError { .. }));

        let too_many = vec![Complex64::ONE; 17];
        assert!(is_enc_err(sf.encode(&too_many, 1.0, &mut out)));

        let mut nan = vec![Complex64::ONE; 4];
        nan[2].im = f64::NAN;
        assert!(is_enc_err(sf.encode(&nan, 1.0, &mut out)));
        nan[2] = Complex64::new(f64::INFINITY, 0.0);
        assert!(is_enc_err(sf.encode(&nan, 1.0, &mut out)));

        let ok = vec![Complex64::ONE; 4];
        assert!(is_enc_err(sf.encode(&ok, f64::INFINITY, &mut out)));
        assert!(is_enc_err(sf.encode(&ok, f64::NAN, &mut out)));
        assert!(is_enc_err(sf.encode(&ok, 0.0, &mut out)));
        assert!(is_enc_err(sf.encode(&ok, -1.0, &mut out)));

        // 2^100 · 2^40 > 2^126: overflow; 2^80 · 2^40 fits.
        let huge = vec![Complex64::new(2f64.powi(100), 0.0)];
        assert!(is_enc_err(sf.encode(&huge, 2f64.powi(40), &mut out)));
        // Finite value whose scaled coefficient overflows f64 itself.
        let huge = vec![Complex64::new(f64::MAX, 0.0)];
        assert!(is_enc_err(sf.encode(&huge, 2.0, &mut out)));
        assert!(out.iter().all(|&c| c == 7), "out untouched on error");
        // A constant in slot 0 alone spreads as value/slots over the coefficients: 2^116 here.
        let big = vec![Complex64::new(2f64.powi(80), 0.0)];
        sf.encode(&big, 2f64.powi(40), &mut out).unwrap();
        assert_eq!(out[0], 1i128 << 116);

        let msg = sf.encode(&too_many, 1.0, &mut out).unwrap_err().to_string();
        assert!(msg.contains("17 values"), "{msg}");
    }

    #[test]
    #[should_panic(expected = "n coefficients")]
    fn encode_wrong_out_len_panics() {
        let sf = SpecialFft::new(16).unwrap();
        let mut out = vec![0i128; 15];
        let _ = sf.encode(&[], 1.0, &mut out);
    }

    #[test]
    fn product_decodes_to_slotwise_product() {
        let mut rng = Rng(7);
        let n = 64;
        let sf = SpecialFft::new(n).unwrap();
        let slots = sf.slots();
        let a: Vec<Complex64> = (0..slots).map(|_| rng.unit().into()).collect();
        let b: Vec<Complex64> = (0..slots).map(|_| rng.unit().into()).collect();
        let scale = 2f64.powi(30);
        let mut ea = vec![0i128; n];
        let mut eb = vec![0i128; n];
        sf.encode(&a, scale, &mut ea).unwrap();
        sf.encode(&b, scale, &mut eb).unwrap();
        let prod = negacyclic_mul(&ea, &eb);
        let mut back = vec![Complex64::ZERO; slots];
        sf.decode(&to_f64(&prod), scale * scale, &mut back);
        for (j, ((x, y), got)) in a.iter().zip(&b).zip(&back).enumerate() {
            let expect = x.re * y.re;
            assert!((got.re - expect).abs() < 1e-6, "slot {j}");
            assert!(got.im.abs() < 1e-6, "slot {j}");
        }
    }
}
