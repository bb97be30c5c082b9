//! Planned batches from Python: `KeyGenerator.batch_keys` (a calibrated plan and exactly its
//! keys), `BatchPlan`, `InnerProductEngine.encrypt_batch` (2-D float64 arrays), `run_batch` /
//! `run(batch)`, and `EncryptedBatch.decrypt` → a NumPy array of the k products. Batches
//! serialize in the crate's format (kind 10) and pickle.

use crate::args::{self, Int};
use crate::errors::{IntoPyResult, encoding, mismatch, parameter};
use crate::eval::InnerProductEngine;
use crate::keys::{Decryptor, Encryptor, EvaluationKeys, KeyGenerator, sum_to_py};
use crate::objects::{Ciphertext, SecretKey, reduce};
use crate::params::{Context, Params};
use ckks_accel::ckks::{CkksContext, SumChoice, SumMethod};
use ckks_accel::parallel;
use numpy::{PyArray1, PyReadonlyArray2, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use std::cell::RefCell;
use std::io::Read;
use std::sync::{Arc, Mutex};

thread_local! {
    /// [`EncryptedBatch::from_file`]'s read buffer, kept per thread (capacity = the largest
    /// file read so far on this thread).
    static FILE_BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// What serialized bytes must be before they are parsed (`None`: anything).
struct Expected {
    len: Option<u64>,
    checksum: Option<String>,
}

impl Expected {
    /// `DeserializeError` "… size or checksum differs …" unless `data` (read from `source`)
    /// has the expected length and trailer (its last 8 bytes as hex).
    fn check(&self, source: &dyn std::fmt::Display, data: &[u8]) -> PyResult<()> {
        let trailer = data.len().checked_sub(8).map(|at| hex(&data[at..]));
        let len_ok = self.len.is_none_or(|n| n == data.len() as u64);
        let sum_ok = self
            .checksum
            .as_ref()
            .is_none_or(|c| trailer.as_ref() == Some(c));
        if len_ok && sum_ok {
            return Ok(());
        }
        Err(ckks_accel::Error::Deserialize {
            reason: format!(
                "{source}: {} bytes whose size or checksum differs from the expected ({} bytes, \
                 checksum {})",
                data.len(),
                self.len.map_or("any".into(), |n| n.to_string()),
                self.checksum.as_deref().unwrap_or("any"),
            ),
        })
        .py_err()
    }
}

/// Reads the local file at `path` into this thread's [`FILE_BUFFER`], compares its size and
/// trailer with `expected`, then runs `load` on the bytes (without the GIL; the caller detaches).
fn with_file<T>(
    path: &std::path::Path,
    expected: &Expected,
    load: impl FnOnce(&[u8]) -> ckks_accel::Result<T>,
) -> PyResult<T> {
    FILE_BUFFER.with_borrow_mut(|buf| {
        buf.clear();
        std::fs::File::open(path)?.read_to_end(buf)?;
        expected.check(&path.display(), buf)?;
        load(buf).py_err()
    })
}

/// Lower-case hex of `bytes` in order, as Python's `bytes.hex()`.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A planned batch: layout (block size b, products per ciphertext m, tiles per group T),
/// the sum over each block, the levels and the prediction. Made by `KeyGenerator.batch_keys`.
#[pyclass(module = "ckks_accel", frozen)]
#[derive(Clone)]
pub struct BatchPlan {
    pub(crate) inner: parallel::BatchPlan,
}

#[pymethods]
impl BatchPlan {
    /// Products k.
    #[getter]
    fn count(&self) -> usize {
        self.inner.count
    }
    /// Vector length.
    #[getter]
    fn dim(&self) -> usize {
        self.inner.layout.dim
    }
    /// Block size b (slots per product in a tile).
    #[getter]
    fn block(&self) -> usize {
        self.inner.layout.block
    }
    /// Products per ciphertext m.
    #[getter]
    fn per_ciphertext(&self) -> usize {
        self.inner.layout.per_ciphertext
    }
    /// Tile pairs per group T.
    #[getter]
    fn tiles(&self) -> usize {
        self.inner.layout.tiles
    }
    /// Groups (one output ciphertext each).
    #[getter]
    fn groups(&self) -> usize {
        self.inner.groups
    }
    /// "per-pair", "packed" or "tiled".
    #[getter]
    fn layout(&self) -> String {
        self.inner.layout.kind().to_string()
    }
    /// The sum over each block: "tree" or the hoisted radix.
    #[getter]
    fn sum(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        sum_to_py(py, &self.inner.sum)
    }
    /// Level of the results.
    #[getter]
    fn output_level(&self) -> usize {
        self.inner.output_level
    }
    /// Level of the tensors (inputs must be at this level or above).
    #[getter]
    fn tensor_level(&self) -> usize {
        self.inner.tensor_level
    }
    /// Bound on |x_i|, |y_i| the levels were chosen for.
    #[getter]
    fn value_bound(&self) -> f64 {
        self.inner.value_bound
    }
    /// Key switches per product.
    #[getter]
    fn key_switches_per_product(&self) -> f64 {
        self.inner.key_switches_per_product()
    }
    /// Predicted wall time (s) on the requested threads.
    #[getter]
    fn predicted_s(&self) -> f64 {
        self.inner.predicted_s
    }
    /// Why this plan.
    #[getter]
    fn reason(&self) -> String {
        self.inner.reason.clone()
    }
    /// Rotation amounts whose keys the plan uses.
    #[getter]
    fn rotation_steps(&self) -> Vec<i64> {
        self.inner.rotation_steps()
    }
    /// The plan as a dict (for statistics and logs).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        plan_dict(py, &self.inner)
    }
    /// The same layout, sum and levels for `k` products (k ≥ 1, else `ParameterError`):
    /// e.g. the last, shorter shard of a batch split into shards of one plan (same keys).
    fn for_count(&self, py: Python<'_>, k: Int) -> PyResult<BatchPlan> {
        let k = k.usize(py, "k", 1, 1 << 40)?;
        Ok(BatchPlan {
            inner: self.inner.for_count(k).py_err()?,
        })
    }
    /// The plan alone, serialized for `params` (format kind 12), e.g. to send to workers.
    fn to_bytes<'py>(&self, py: Python<'py>, params: &Params) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.to_bytes(params.inner.id()))
    }
    /// Loads a plan serialized with `to_bytes` for `context`'s parameters
    /// (`DeserializeError` / `MismatchError` otherwise).
    #[staticmethod]
    fn from_bytes(context: &Context, data: &[u8]) -> PyResult<BatchPlan> {
        Ok(BatchPlan {
            inner: parallel::BatchPlan::from_bytes(&context.ctx, data).py_err()?,
        })
    }
    fn __repr__(&self) -> String {
        format!(
            "BatchPlan(k={}, dim={}, {}, groups={}, output_level={}, {:.3} key switches per product)",
            self.inner.count,
            self.inner.layout.dim,
            self.inner.layout,
            self.inner.groups,
            self.inner.output_level,
            self.inner.key_switches_per_product()
        )
    }
}

fn plan_dict<'py>(py: Python<'py>, p: &parallel::BatchPlan) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("layout", p.layout.kind().to_string())?;
    d.set_item("block", p.layout.block)?;
    d.set_item("per_ciphertext", p.layout.per_ciphertext)?;
    d.set_item("tiles_per_group", p.layout.tiles)?;
    d.set_item("groups", p.groups)?;
    d.set_item("sum", sum_to_py(py, &p.sum)?)?;
    d.set_item("output_level", p.output_level)?;
    d.set_item("tensor_level", p.tensor_level)?;
    d.set_item("key_switches_per_product", p.key_switches_per_product())?;
    d.set_item("predicted_s", p.predicted_s)?;
    d.set_item("reason", p.reason.clone())?;
    Ok(d)
}

/// Encrypted tile pairs laid out for a `BatchPlan` (`InnerProductEngine.encrypt_batch`).
#[pyclass(module = "ckks_accel", frozen)]
pub struct EncryptedBatch {
    ctx: Arc<CkksContext>,
    pub(crate) inner: parallel::EncryptedBatch,
}

#[pymethods]
impl EncryptedBatch {
    /// The plan it is laid out for.
    #[getter]
    fn plan(&self) -> BatchPlan {
        BatchPlan {
            inner: self.inner.plan().clone(),
        }
    }
    /// Bytes of the encrypted inputs.
    #[getter]
    fn input_bytes(&self) -> usize {
        self.inner.input_bytes()
    }
    fn __len__(&self) -> usize {
        self.inner.count()
    }
    /// The k inner products (a float64 array, input order) from the results of
    /// `InnerProductEngine.run(batch)`. Raises `ParameterError` / `MismatchError` for results
    /// of another batch or layout.
    fn decrypt<'py>(
        &self,
        py: Python<'py>,
        results: Vec<PyRef<'_, Ciphertext>>,
        decryptor: &Decryptor,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        if !Arc::ptr_eq(&decryptor.ctx, &self.ctx) {
            self.ctx.check_id(decryptor.ctx.params().id()).py_err()?;
        }
        let cts: Vec<_> = results.iter().map(|c| c.inner.clone()).collect();
        drop(results);
        let encoder = &decryptor.context.get().encoder;
        let v = py
            .detach(|| self.inner.decrypt(&cts, &decryptor.inner, encoder))
            .py_err()?;
        Ok(PyArray1::from_vec(py, v))
    }
    /// Serialized form (the crate's format, kind 10: plan and tiles in one checksummed frame).
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let b = py.detach(|| self.inner.to_bytes());
        PyBytes::new(py, &b)
    }
    /// Loads a batch serialized with `to_bytes` for `context`'s parameters.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, context: &Context, data: &[u8]) -> PyResult<EncryptedBatch> {
        let ctx = context.ctx.clone();
        let inner = py
            .detach(|| parallel::EncryptedBatch::from_bytes(&ctx, data))
            .py_err()?;
        Ok(EncryptedBatch { ctx, inner })
    }
    /// Loads a batch from a local file (a path), reading it into a buffer this thread keeps
    /// and reuses (a worker loading shard after shard reads each into the same pages instead
    /// of allocating a fresh multi-MiB `bytes` object). `expected_len` / `expected_checksum`
    /// (the frame's trailer as 16 hex digits, what `shards.frame_checksum` returns) are
    /// compared first when given: a `DeserializeError` saying "size or checksum differs".
    /// `OSError` (e.g. `FileNotFoundError`) if the file cannot be read. One thread; an engine's
    /// `load_batch` loads on the engine's threads.
    #[staticmethod]
    #[pyo3(signature = (context, path, expected_len=None, expected_checksum=None))]
    fn from_file(
        py: Python<'_>,
        context: &Context,
        path: std::path::PathBuf,
        expected_len: Option<u64>,
        expected_checksum: Option<String>,
    ) -> PyResult<EncryptedBatch> {
        let ctx = context.ctx.clone();
        let expected = Expected {
            len: expected_len,
            checksum: expected_checksum,
        };
        let inner = py.detach(|| {
            with_file(&path, &expected, |b| {
                parallel::EncryptedBatch::from_bytes(&ctx, b)
            })
        })?;
        Ok(EncryptedBatch { ctx, inner })
    }
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let b = py.detach(|| self.inner.to_bytes());
        reduce(py, "batch", Some(self.ctx.params()), &b)
    }
    /// The parameters it belongs to.
    #[getter]
    fn params(&self) -> Params {
        Params {
            inner: self.ctx.params().clone(),
        }
    }
    fn __repr__(&self) -> String {
        let p = self.inner.plan();
        format!(
            "EncryptedBatch(k={}, dim={}, {} tile pairs, {:.1} MiB)",
            p.count,
            p.layout.dim,
            self.inner.tiles().len(),
            self.inner.input_bytes() as f64 / (1 << 20) as f64
        )
    }
}

fn sum_choice(py: Python<'_>, sum: Option<&Bound<'_, PyAny>>) -> PyResult<SumChoice> {
    let Some(s) = sum else {
        return Ok(SumChoice::Auto);
    };
    if let Ok(text) = s.extract::<String>() {
        return match text.as_str() {
            "auto" => Ok(SumChoice::Auto),
            "tree" => Ok(SumChoice::Tree),
            other => Err(parameter(
                py,
                format!("unknown sum {other:?}: use \"auto\", \"tree\" or an int radix"),
            )),
        };
    }
    let r: Int = s
        .extract()
        .map_err(|_| parameter(py, "sum must be \"auto\", \"tree\" or an int radix"))?;
    let r = r.usize(py, "sum", 2, ckks_accel::ckks::SumChoice::MAX_RADIX)?;
    if !r.is_power_of_two() {
        return Err(parameter(
            py,
            format!("sum = {r}: a radix must be a power of two"),
        ));
    }
    Ok(SumChoice::Hoisted(Some(r)))
}

#[pymethods]
impl KeyGenerator {
    /// Plans k inner products of length `dim` on `threads` workers (calibrating this
    /// machine's unit costs) and generates exactly the keys the plan uses. Returns
    /// `(BatchPlan, EvaluationKeys)`.
    ///
    /// `block`: force the block size (a power of two); `sum`: "auto" (default), "tree" or a
    /// radix; `output_level`: the results' level (default: the lowest that holds
    /// dim·value_bound²); `value_bound`: bound on every |x_i|, |y_i| (default 1);
    /// `plaintext_side`: one operand will be a plaintext the server holds (no relinearization).
    #[pyo3(signature = (secret_key, k, dim, threads=None, block=None, sum=None, output_level=None, value_bound=1.0, plaintext_side=false))]
    #[allow(clippy::too_many_arguments)]
    fn batch_keys(
        &self,
        py: Python<'_>,
        secret_key: &SecretKey,
        k: Int,
        dim: Int,
        threads: Option<Int>,
        block: Option<Int>,
        sum: Option<&Bound<'_, PyAny>>,
        output_level: Option<Int>,
        value_bound: f64,
        plaintext_side: bool,
    ) -> PyResult<(BatchPlan, EvaluationKeys)> {
        let p = self.ctx.params();
        let slots = p.slots();
        let k = k.usize(py, "k", 1, 1 << 24)?;
        let dim = dim.usize(py, "dim", 1, slots * slots)?;
        let threads = args::opt_usize(py, threads.as_ref(), "threads", 1, parallel::MAX_THREADS)?
            .unwrap_or_else(rayon_threads);
        let block = args::opt_usize(py, block.as_ref(), "block", 1, slots)?;
        let output_level = args::level(py, output_level.as_ref(), "output_level", p.max_level())?;
        if !(value_bound.is_finite() && value_bound > 0.0) {
            return Err(parameter(
                py,
                format!("value_bound = {value_bound} must be finite and > 0"),
            ));
        }
        let mut req = parallel::BatchRequest::new(k, dim, threads);
        req.block = block;
        req.sum = sum_choice(py, sum)?;
        req.output_level = output_level;
        req.value_bound = value_bound;
        req.plaintext_side = plaintext_side;
        let sk = &secret_key.inner;
        let (plan, keys) = self.with(py, |g| g.batch_keys(sk, &req))?;
        let (dim_keys, method) = if plan.layout.block > 1 {
            (Some(plan.layout.block), plan.sum.clone())
        } else {
            (None, SumMethod::Tree)
        };
        Ok((
            BatchPlan { inner: plan },
            EvaluationKeys {
                ctx: self.ctx.clone(),
                inner: Arc::new(keys),
                sum: method,
                dim: dim_keys,
            },
        ))
    }
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Rows of a 2-D float64 array, checked (dtype, shape) with the argument's name.
fn rows(py: Python<'_>, a: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<Vec<f64>>> {
    let arr = a.cast::<PyUntypedArray>().map_err(|_| {
        encoding(
            py,
            format!("{name}: expected a 2-D numpy.ndarray of float64"),
        )
    })?;
    if arr.ndim() != 2 {
        return Err(encoding(
            py,
            format!(
                "{name}: expected a 2-D array (k × dim), got {} dimension(s)",
                arr.ndim()
            ),
        ));
    }
    let arr: PyReadonlyArray2<'_, f64> = a.extract().map_err(|_| {
        encoding(
            py,
            format!(
                "{name}: expected dtype float64, got {} (convert with .astype(numpy.float64))",
                arr.dtype()
            ),
        )
    })?;
    let view = arr.as_array();
    Ok(view.rows().into_iter().map(|r| r.to_vec()).collect())
}

#[pymethods]
impl InnerProductEngine {
    /// Lays out and encrypts the pairs (rows of the 2-D float64 arrays `x` and `y`, k × dim)
    /// for `plan` with `encryptor` (public or secret key), at `level` (default: the top).
    /// Raises `EncodingError` for another dtype/shape, NaN/∞ or values beyond the plan's
    /// `value_bound`, `ParameterError` for shapes that do not match the plan, `MismatchError`
    /// for an encryptor of other parameters.
    #[pyo3(signature = (plan, x, y, encryptor, level=None))]
    fn encrypt_batch(
        &self,
        py: Python<'_>,
        plan: &BatchPlan,
        x: &Bound<'_, PyAny>,
        y: &Bound<'_, PyAny>,
        encryptor: &Encryptor,
        level: Option<Int>,
    ) -> PyResult<EncryptedBatch> {
        if encryptor.ctx.params().id() != self.ctx.params().id() {
            return Err(mismatch(
                py,
                "the encryptor is for other parameters than the engine's keys",
            ));
        }
        let level = args::level(py, level.as_ref(), "level", self.ctx.params().max_level())?;
        let (xs, ys) = (rows(py, x, "x")?, rows(py, y, "y")?);
        if xs.len() != ys.len() || xs.first().map(Vec::len) != ys.first().map(Vec::len) {
            return Err(parameter(
                py,
                format!(
                    "x is {}×{} and y is {}×{}: they must have the same shape",
                    xs.len(),
                    xs.first().map_or(0, Vec::len),
                    ys.len(),
                    ys.first().map_or(0, Vec::len)
                ),
            ));
        }
        let plan = &plan.inner;
        let encoder = ckks_accel::ckks::Encoder::new(self.ctx.clone());
        let enc: &Mutex<_> = &encryptor.inner;
        let inner = py
            .detach(|| {
                let mut e = enc.lock().unwrap_or_else(|p| p.into_inner());
                parallel::EncryptedBatch::encrypt(plan, &xs, &ys, level, &encoder, &mut e)
            })
            .py_err()?;
        Ok(EncryptedBatch {
            ctx: self.ctx.clone(),
            inner,
        })
    }

    /// Loads a serialized batch on the engine's threads (tiles checked and seeded ones
    /// re-expanded in parallel while one thread checksums the frame): `source` is the bytes
    /// (`EncryptedBatch.to_bytes`) or a local file path, read as `EncryptedBatch.from_file`
    /// reads it, with the same `expected_len` / `expected_checksum`. Same checks and errors as
    /// `EncryptedBatch.from_bytes`, plus `MismatchError` for a batch of other parameters.
    #[pyo3(signature = (source, expected_len=None, expected_checksum=None))]
    fn load_batch(
        &self,
        py: Python<'_>,
        source: &Bound<'_, PyAny>,
        expected_len: Option<u64>,
        expected_checksum: Option<String>,
    ) -> PyResult<EncryptedBatch> {
        let ctx = self.ctx.clone();
        let engine = &self.inner;
        let expected = Expected {
            len: expected_len,
            checksum: expected_checksum,
        };
        let inner = if let Ok(bytes) = source.cast::<PyBytes>() {
            let data = bytes.as_bytes();
            expected.check(&"the given bytes", data)?;
            py.detach(|| engine.load_batch(data)).py_err()?
        } else {
            let path: std::path::PathBuf = source.extract()?;
            py.detach(|| with_file(&path, &expected, |b| engine.load_batch(b)))?
        };
        Ok(EncryptedBatch { ctx, inner })
    }

    /// Runs a planned batch: one output ciphertext per group (decrypt with
    /// `batch.decrypt(results, decryptor)`), plus a dict of statistics (mode, threads,
    /// products, wall_s, products_per_s, load_imbalance, relinearizations, rotations,
    /// key_switches, and the plan). `progress(done, total)` counts products.
    #[pyo3(signature = (batch, progress=None))]
    pub(crate) fn run_batch<'py>(
        &self,
        py: Python<'py>,
        batch: &EncryptedBatch,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<(Vec<Ciphertext>, Bound<'py, PyDict>)> {
        self.ctx.check_id(batch.ctx.params().id()).py_err()?;
        let cb_err: Mutex<Option<PyErr>> = Mutex::new(None);
        let cb = |done: usize, total: usize| {
            if let Some(f) = &progress {
                Python::attach(|py| {
                    if let Err(e) = f.call1(py, (done, total)) {
                        cb_err
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .get_or_insert(e);
                    }
                });
            }
        };
        let (out, stats) = py
            .detach(|| self.inner.run_batch(&batch.inner, &cb))
            .py_err()?;
        if let Some(e) = cb_err.into_inner().unwrap_or_else(|p| p.into_inner()) {
            return Err(e);
        }
        let d = crate::eval::stats_dict(py, &stats)?;
        d.set_item("plan", plan_dict(py, batch.inner.plan())?)?;
        Ok((
            out.into_iter()
                .map(|c| Ciphertext::wrap(&self.ctx, c))
                .collect(),
            d,
        ))
    }
}
