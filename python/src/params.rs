//! `Params` (presets and explicit parameters) and `Context` (the per-parameter tables, shared
//! by every object of those parameters and cached per process, so unpickling many ciphertexts
//! builds the NTT / key-switching tables once).

use crate::args::Int;
use crate::errors::{IntoPyResult, encoding, parameter};
use ckks_accel::ckks::{
    CkksContext, CkksParams, Encoder, MAX_CKKS_RING_DEGREE, MAX_Q_PRIMES, Preset,
    SecretDistribution,
};
use numpy::{PyArray1, PyArrayMethods, PyUntypedArrayMethods};
use numpy::{PyArrayDescrMethods, PyUntypedArray, dtype};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

/// Validated CKKS parameters: a preset (`Params.preset("S")`) or explicit prime sizes.
#[pyclass(module = "ckks_accel", frozen)]
#[derive(Clone)]
pub struct Params {
    pub(crate) inner: CkksParams,
}

#[pymethods]
impl Params {
    /// Explicit parameters. Below 128-bit security (HomomorphicEncryption.org table) they are
    /// refused unless `allow_insecure=True` (tests, demos). Out-of-range ints raise
    /// `ParameterError` naming the argument.
    #[new]
    #[pyo3(signature = (*, ring_degree, q_bits, p_bits, dnum, log_scale, hamming_weight=None, allow_insecure=false))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        ring_degree: Int,
        q_bits: Vec<Int>,
        p_bits: Vec<Int>,
        dnum: Int,
        log_scale: Int,
        hamming_weight: Option<Int>,
        allow_insecure: bool,
    ) -> PyResult<Params> {
        let ring_degree = ring_degree.usize(py, "ring_degree", 1, MAX_CKKS_RING_DEGREE)?;
        let bits = |v: &[Int], name: &str| -> PyResult<Vec<u32>> {
            v.iter()
                .enumerate()
                .map(|(i, b)| b.get(py, &format!("{name}[{i}]"), 1u32, 64))
                .collect()
        };
        let q_bits = bits(&q_bits, "q_bits")?;
        let p_bits = bits(&p_bits, "p_bits")?;
        let dnum = dnum.usize(py, "dnum", 1, MAX_Q_PRIMES)?;
        let log_scale = log_scale.get(py, "log_scale", 1u32, 63)?;
        let hamming_weight = hamming_weight
            .map(|h| h.usize(py, "hamming_weight", 1, MAX_CKKS_RING_DEGREE))
            .transpose()?;
        let mut b = CkksParams::builder()
            .ring_degree(ring_degree)
            .q_bits(&q_bits)
            .p_bits(&p_bits)
            .dnum(dnum)
            .log_scale(log_scale)
            .allow_insecure(allow_insecure);
        if let Some(h) = hamming_weight {
            b = b.secret(SecretDistribution::TernaryHammingWeight(h));
        }
        Ok(Params {
            inner: b.build().py_err()?,
        })
    }

    /// A reference preset: "S" (n = 2^14), "L" (n = 2^16), "S-ifma", "L-ifma" — matched
    /// exactly (no case folding, no surrounding spaces); anything else raises `ParameterError`.
    #[staticmethod]
    fn preset(py: Python<'_>, name: &str) -> PyResult<Params> {
        let p = [Preset::S, Preset::L, Preset::SIfma, Preset::LIfma]
            .into_iter()
            .find(|p| p.to_string() == name)
            .ok_or_else(|| {
                parameter(
                    py,
                    format!("unknown preset {name:?} (exactly one of \"S\", \"L\", \"S-ifma\", \"L-ifma\")"),
                )
            })?;
        Ok(Params {
            inner: CkksParams::preset(p).py_err()?,
        })
    }

    /// Ring degree n.
    #[getter]
    fn n(&self) -> usize {
        self.inner.n()
    }
    /// Slots per ciphertext (n/2).
    #[getter]
    fn slots(&self) -> usize {
        self.inner.slots()
    }
    /// The ciphertext primes q_0..q_L.
    #[getter]
    fn q(&self) -> Vec<u64> {
        self.inner.q().to_vec()
    }
    /// The special primes P.
    #[getter]
    fn p(&self) -> Vec<u64> {
        self.inner.p().to_vec()
    }
    /// Key-switching digits.
    #[getter]
    fn dnum(&self) -> usize {
        self.inner.dnum()
    }
    /// Top level L (number of Q primes − 1).
    #[getter]
    fn max_level(&self) -> usize {
        self.inner.max_level()
    }
    /// log2 of the default scale Δ.
    #[getter]
    fn log_scale(&self) -> u32 {
        self.inner.log_scale()
    }
    /// The default scale Δ = 2^log_scale.
    #[getter]
    fn default_scale(&self) -> f64 {
        self.inner.default_scale()
    }
    /// A 64-bit fingerprint; every object carries it and is checked against it.
    #[getter]
    fn id(&self) -> u64 {
        self.inner.id()
    }
    /// Whether these parameters are below 128-bit security (opted in).
    #[getter]
    fn is_insecure(&self) -> bool {
        self.inner.is_insecure()
    }
    /// log2(Q·P).
    #[getter]
    fn log_qp(&self) -> f64 {
        self.inner.log_qp()
    }

    /// Serialized parameters (the crate's versioned, checksummed format).
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.to_bytes())
    }

    /// Loads and re-validates parameters. Parameters marked insecure are refused unless
    /// `allow_insecure=True`.
    #[staticmethod]
    #[pyo3(signature = (data, allow_insecure=false))]
    fn from_bytes(data: &[u8], allow_insecure: bool) -> PyResult<Params> {
        let inner = if allow_insecure {
            CkksParams::from_bytes_allow_insecure(data)
        } else {
            CkksParams::from_bytes(data)
        };
        Ok(Params {
            inner: inner.py_err()?,
        })
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        crate::objects::reduce(py, "params", None, &self.inner.to_bytes())
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Params>()
            .map(|o| o.get().inner == self.inner)
            .unwrap_or(false)
    }

    fn __hash__(&self) -> u64 {
        self.inner.id() >> 1
    }

    fn __repr__(&self) -> String {
        format!(
            "Params(n={}, q={} primes, p={} primes, dnum={}, log_scale={}, log_qp={:.1}{}, id={:#018x})",
            self.inner.n(),
            self.inner.q().len(),
            self.inner.p().len(),
            self.inner.dnum(),
            self.inner.log_scale(),
            self.inner.log_qp(),
            if self.inner.is_insecure() {
                ", INSECURE"
            } else {
                ""
            },
            self.inner.id()
        )
    }
}

static CONTEXTS: Mutex<Option<HashMap<u64, Weak<CkksContext>>>> = Mutex::new(None);

/// The context of `params` on the best ISA, shared per process while anything uses it.
pub fn shared_context(params: &CkksParams) -> ckks_accel::Result<Arc<CkksContext>> {
    let mut guard = CONTEXTS.lock().unwrap_or_else(|p| p.into_inner());
    let map = guard.get_or_insert_with(HashMap::new);
    if let Some(ctx) = map.get(&params.id()).and_then(Weak::upgrade)
        && ctx.params() == params
    {
        return Ok(ctx);
    }
    map.retain(|_, w| w.strong_count() > 0);
    let ctx = CkksContext::new(params.clone())?;
    map.insert(params.id(), Arc::downgrade(&ctx));
    Ok(ctx)
}

/// The tables for one parameter set (NTT, RNS, key switching, FFT) and the encoder.
///
/// Contexts of equal parameters are shared within a process.
#[pyclass(module = "ckks_accel", frozen)]
pub struct Context {
    pub(crate) ctx: Arc<CkksContext>,
    pub(crate) encoder: Encoder,
}

impl Context {
    pub(crate) fn from_arc(ctx: Arc<CkksContext>) -> Context {
        Context {
            encoder: Encoder::new(ctx.clone()),
            ctx,
        }
    }

    pub(crate) fn for_params(py: Python<'_>, params: &CkksParams) -> PyResult<Context> {
        let p = params.clone();
        let ctx = py.detach(move || shared_context(&p)).py_err()?;
        Ok(Context::from_arc(ctx))
    }
}

/// Reads a 1-D float64 NumPy array of at most `slots` finite values.
pub(crate) fn read_values(
    py: Python<'_>,
    values: &Bound<'_, PyAny>,
    slots: usize,
) -> PyResult<Vec<f64>> {
    let arr = values.cast::<PyUntypedArray>().map_err(|_| {
        encoding(
            py,
            format!(
                "expected a numpy.ndarray of float64, got {}",
                values
                    .get_type()
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_default()
            ),
        )
    })?;
    if !arr.dtype().is_equiv_to(&dtype::<f64>(py)) {
        return Err(encoding(
            py,
            format!(
                "expected dtype float64, got {} (convert with .astype(numpy.float64))",
                arr.dtype()
            ),
        ));
    }
    if arr.ndim() != 1 {
        return Err(encoding(
            py,
            format!(
                "expected a 1-D array, got shape {:?} (one vector per ciphertext)",
                arr.shape()
            ),
        ));
    }
    if arr.len() > slots {
        return Err(encoding(
            py,
            format!("{} values do not fit in {} slots", arr.len(), slots),
        ));
    }
    let arr = arr.cast::<PyArray1<f64>>()?;
    let v = arr.to_vec()?;
    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
        return Err(encoding(
            py,
            format!("value {} at index {i} is not finite", v[i]),
        ));
    }
    Ok(v)
}

#[pymethods]
impl Context {
    /// Builds (or reuses) the tables for `params`. `isa` caps the kernels: exactly "scalar",
    /// "avx2", "avx512" or "avx512ifma" (anything else raises `ParameterError`); default: the
    /// best this CPU has.
    #[new]
    #[pyo3(signature = (params, isa=None))]
    fn new(py: Python<'_>, params: &Params, isa: Option<&str>) -> PyResult<Context> {
        match isa {
            None => Context::for_params(py, &params.inner),
            Some(name) => {
                use ckks_accel::Isa;
                let isa = [Isa::Scalar, Isa::Avx2, Isa::Avx512, Isa::Avx512Ifma]
                    .into_iter()
                    .find(|i| i.to_string() == name)
                    .ok_or_else(|| {
                        parameter(
                            py,
                            format!("unknown isa {name:?} (exactly one of \"scalar\", \"avx2\", \"avx512\", \"avx512ifma\")"),
                        )
                    })?;
                let p = params.inner.clone();
                let ctx = py.detach(move || CkksContext::with_isa(p, isa)).py_err()?;
                Ok(Context::from_arc(ctx))
            }
        }
    }

    /// The parameters.
    #[getter]
    fn params(&self) -> Params {
        Params {
            inner: self.ctx.params().clone(),
        }
    }

    /// Slots per ciphertext.
    #[getter]
    fn slots(&self) -> usize {
        self.ctx.params().slots()
    }

    fn __repr__(&self) -> String {
        format!(
            "Context(n={}, id={:#018x})",
            self.ctx.params().n(),
            self.ctx.params().id()
        )
    }
}
