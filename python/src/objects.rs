//! Plaintexts, ciphertexts and keys as Python objects: each holds its context (so it can be
//! used, serialized and pickled on its own), `to_bytes` / `from_bytes`, and `__reduce__`
//! (pickles carry the parameters, so a worker rebuilds — or reuses — the context).

use crate::args::Int;
use crate::errors::encoding;
use crate::errors::{Class, IntoPyResult, new_err};
use crate::params::{Context, Params, read_values};
use ckks_accel::ckks::{self, CkksContext, CkksParams};
use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};
use std::sync::Arc;

/// `(ckks_accel._restore, (kind, params_bytes, data))` for `__reduce__`.
pub(crate) fn reduce<'py>(
    py: Python<'py>,
    kind: &str,
    params: Option<&CkksParams>,
    data: &[u8],
) -> PyResult<Bound<'py, PyAny>> {
    let restore = py.import("ckks_accel")?.getattr("_restore")?;
    let pb = params.map(|p| PyBytes::new(py, &p.to_bytes()));
    let args = (kind, pb, PyBytes::new(py, data)).into_pyobject(py)?;
    Ok(PyTuple::new(py, [restore, args.into_any()])?.into_any())
}

macro_rules! common_methods {
    ($ty:ident, $kind:literal) => {
        #[pymethods]
        impl $ty {
            /// Serialized form (versioned, checksummed; loading checks the parameters).
            fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
                let b = py.detach(|| self.inner.to_bytes());
                PyBytes::new(py, &b)
            }

            /// Loads an object serialized with `to_bytes` for `context`'s parameters.
            #[staticmethod]
            fn from_bytes(py: Python<'_>, context: &Context, data: &[u8]) -> PyResult<$ty> {
                let ctx = context.ctx.clone();
                let inner = py.detach(|| ckks::$ty::from_bytes(&ctx, data)).py_err()?;
                Ok($ty { ctx, inner })
            }

            fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                let b = py.detach(|| self.inner.to_bytes());
                reduce(py, $kind, Some(self.ctx.params()), &b)
            }

            /// The parameters it belongs to.
            #[getter]
            fn params(&self) -> Params {
                Params {
                    inner: self.ctx.params().clone(),
                }
            }

            /// Its context.
            #[getter]
            fn context(&self) -> Context {
                Context::from_arc(self.ctx.clone())
            }
        }
    };
}

/// An encoded (unencrypted) message at a level and scale.
#[pyclass(module = "ckks_accel", frozen)]
pub struct Plaintext {
    pub(crate) ctx: Arc<CkksContext>,
    pub(crate) inner: ckks::Plaintext,
}
common_methods!(Plaintext, "plaintext");

#[pymethods]
impl Plaintext {
    /// Level ℓ.
    #[getter]
    fn level(&self) -> usize {
        self.inner.level()
    }
    /// Scale Δ.
    #[getter]
    fn scale(&self) -> f64 {
        self.inner.scale()
    }
    fn __repr__(&self) -> String {
        format!(
            "Plaintext(level={}, scale=2^{:.2})",
            self.inner.level(),
            self.inner.scale().log2()
        )
    }
}

/// A CKKS ciphertext (2 parts; 3 after `mul` before `relinearize`).
#[pyclass(module = "ckks_accel", frozen)]
pub struct Ciphertext {
    pub(crate) ctx: Arc<CkksContext>,
    pub(crate) inner: ckks::Ciphertext,
}
common_methods!(Ciphertext, "ciphertext");

impl Ciphertext {
    pub(crate) fn wrap(ctx: &Arc<CkksContext>, inner: ckks::Ciphertext) -> Ciphertext {
        Ciphertext {
            ctx: ctx.clone(),
            inner,
        }
    }
}

#[pymethods]
impl Ciphertext {
    /// Level ℓ (primes left − 1).
    #[getter]
    fn level(&self) -> usize {
        self.inner.level()
    }
    /// Scale Δ.
    #[getter]
    fn scale(&self) -> f64 {
        self.inner.scale()
    }
    /// Number of parts.
    #[getter]
    fn degree(&self) -> usize {
        self.inner.degree()
    }
    /// Bytes of polynomial data.
    #[getter]
    fn size_bytes(&self) -> usize {
        self.inner.size_bytes()
    }
    /// Whether `to_bytes` writes the compressed form: a seeded fresh ciphertext (from an
    /// `Encryptor(..., compressed=True)`) whose uniform part still equals its seed's expansion.
    #[getter]
    fn compressed(&self) -> bool {
        self.inner.is_compressible()
    }
    /// Serialized in full (both parts), even when `compressed`.
    fn to_bytes_full<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let b = py.detach(|| self.inner.to_bytes_full());
        PyBytes::new(py, &b)
    }
    /// Bit-exact equality (same parameters, parts, scale).
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Ciphertext>()
            .map(|o| o.get().inner == self.inner)
            .unwrap_or(false)
    }
    fn __repr__(&self) -> String {
        format!(
            "Ciphertext(level={}, scale=2^{:.2}, degree={})",
            self.inner.level(),
            self.inner.scale().log2(),
            self.inner.degree()
        )
    }
}

/// The public (encryption) key.
#[pyclass(module = "ckks_accel", frozen)]
pub struct PublicKey {
    pub(crate) ctx: Arc<CkksContext>,
    pub(crate) inner: ckks::PublicKey,
}
common_methods!(PublicKey, "public_key");

/// The secret key. Zeroized when freed; it cannot be pickled or serialized (by design: it never
/// needs to leave the client).
#[pyclass(module = "ckks_accel", frozen)]
pub struct SecretKey {
    pub(crate) ctx: Arc<CkksContext>,
    pub(crate) inner: ckks::SecretKey,
}

#[pymethods]
impl SecretKey {
    fn __reduce__(&self, py: Python<'_>) -> PyResult<()> {
        Err(new_err(
            py,
            Class::Ckks,
            "secret keys cannot be pickled: keep them on the client; ship EvaluationKeys to workers"
                .into(),
        ))
    }
    /// The parameters it belongs to.
    #[getter]
    fn params(&self) -> Params {
        Params {
            inner: self.ctx.params().clone(),
        }
    }
    fn __repr__(&self) -> String {
        format!("SecretKey(params_id={:#018x}, ..)", self.inner.params_id())
    }
}

/// The relinearization key.
#[pyclass(module = "ckks_accel", frozen)]
pub struct RelinKey {
    pub(crate) ctx: Arc<CkksContext>,
    pub(crate) inner: ckks::RelinKey,
}
common_methods!(RelinKey, "relin_key");

#[pymethods]
impl RelinKey {
    /// Compressed serialization (the `b` half and the 32-byte seed); needs a seeded key.
    fn to_bytes_compressed<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let b = py.detach(|| self.inner.to_bytes_compressed()).py_err()?;
        Ok(PyBytes::new(py, &b))
    }
    /// Whether the key carries its seed.
    #[getter]
    fn seeded(&self) -> bool {
        self.inner.is_seeded()
    }
    /// Bytes of key material in memory.
    #[getter]
    fn size_bytes(&self) -> usize {
        self.inner.key_size_bytes()
    }
}

/// Rotation (Galois) keys.
#[pyclass(module = "ckks_accel", frozen)]
pub struct GaloisKeys {
    pub(crate) ctx: Arc<CkksContext>,
    pub(crate) inner: ckks::GaloisKeys,
}
common_methods!(GaloisKeys, "galois_keys");

#[pymethods]
impl GaloisKeys {
    /// Compressed serialization (each key's `b` half and seed); needs seeded keys.
    fn to_bytes_compressed<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let b = py.detach(|| self.inner.to_bytes_compressed()).py_err()?;
        Ok(PyBytes::new(py, &b))
    }
    /// Whether every key carries its seed.
    #[getter]
    fn seeded(&self) -> bool {
        self.inner.is_seeded()
    }
    /// Galois elements present.
    #[getter]
    fn elements(&self) -> Vec<usize> {
        self.inner.elements()
    }
    /// Whether the key for a rotation by `steps` slots is present.
    fn has_rotation(&self, py: Python<'_>, steps: crate::args::Int) -> PyResult<bool> {
        let steps = steps.i64(py, "steps")?;
        Ok(self.inner.has_rotation(self.ctx.params().n(), steps))
    }
    /// Bytes of key material in memory.
    #[getter]
    fn size_bytes(&self) -> usize {
        self.inner.size_bytes()
    }
    fn __len__(&self) -> usize {
        self.inner.len()
    }
}

/// `Context`'s methods that take or return these objects (a second `#[pymethods]` block, so
/// `params.rs` needs nothing from this file).
#[pymethods]
impl Context {
    /// Encodes a 1-D float64 array (at most `slots` values; the rest are 0) at `scale`
    /// (default 2^log_scale) and `level` (default: the top).
    ///
    /// Raises `EncodingError` for another dtype or shape, NaN/inf, too many values, or
    /// magnitudes beyond the scale budget (|x|·Δ must stay below Q_level/2).
    #[pyo3(signature = (values, scale=None, level=None))]
    fn encode(
        &self,
        py: Python<'_>,
        values: &Bound<'_, PyAny>,
        scale: Option<f64>,
        level: Option<Int>,
    ) -> PyResult<Plaintext> {
        let level = self.level_arg(py, level.as_ref())?;
        self.encode_at(py, values, scale, level)
    }

    /// Decodes a plaintext to a float64 array of all `slots` values (real parts).
    pub(crate) fn decode<'py>(
        &self,
        py: Python<'py>,
        plaintext: &Plaintext,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let v = py
            .detach(|| self.encoder.decode(&plaintext.inner))
            .py_err()?;
        Ok(PyArray1::from_vec(py, v))
    }

    /// Raises `MismatchError` unless `ciphertext` is of these parameters.
    fn check(&self, ciphertext: &Ciphertext) -> PyResult<()> {
        self.ctx.check_id(ciphertext.inner.params_id()).py_err()
    }
}

impl Context {
    /// A `level` argument: 0..=the top level, else `ParameterError`.
    pub(crate) fn level_arg(&self, py: Python<'_>, level: Option<&Int>) -> PyResult<Option<usize>> {
        crate::args::level(py, level, "level", self.ctx.params().max_level())
    }

    /// `encode` with a checked level.
    pub(crate) fn encode_at(
        &self,
        py: Python<'_>,
        values: &Bound<'_, PyAny>,
        scale: Option<f64>,
        level: Option<usize>,
    ) -> PyResult<Plaintext> {
        let p = self.ctx.params();
        let v = read_values(py, values, p.slots())?;
        let scale = scale.unwrap_or_else(|| p.default_scale());
        if !(scale.is_finite() && scale >= 1.0) {
            return Err(encoding(
                py,
                format!("scale {scale} must be finite and ≥ 1"),
            ));
        }
        let level = level.unwrap_or(p.max_level());
        let log_q: f64 = p.q()[..=level].iter().map(|&q| (q as f64).log2()).sum();
        let max = v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        if max > 0.0 && max.log2() + scale.log2() >= log_q - 1.0 {
            return Err(encoding(
                py,
                format!(
                    "max |value| = {max:e} exceeds the scale budget at level {level}: |x|·Δ = 2^{:.1} must stay below Q/2 = 2^{:.1}",
                    max.log2() + scale.log2(),
                    log_q - 1.0
                ),
            ));
        }
        let pt = py
            .detach(|| self.encoder.encode(&v, scale, level))
            .map_err(|e| match e {
                ckks_accel::Error::InvalidParameters { reason } => encoding(py, reason),
                e => crate::errors::to_py(py, e),
            })?;
        Ok(Plaintext {
            ctx: self.ctx.clone(),
            inner: pt,
        })
    }
}
