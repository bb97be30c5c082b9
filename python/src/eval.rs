//! `Evaluator` (the CKKS operations) and `InnerProductEngine` (batches on a Rust thread pool).
//! Every heavy call releases the GIL.

use crate::args::{self, Int};
use crate::errors::{IntoPyResult, mismatch, parameter};
use crate::keys::{EvaluationKeys, parse_sum, sum_to_py};
use crate::objects::{Ciphertext, Plaintext};
use crate::params::Context;
use ckks_accel::ckks::{self, CkksContext, SumMethod};
use ckks_accel::parallel::{self, EngineConfig, Mode, Schedule};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::sync::{Arc, Mutex};

/// Homomorphic operations with one set of evaluation keys (one scratch arena; calls from
/// several Python threads take turns).
#[pyclass(module = "ckks_accel", frozen)]
pub struct Evaluator {
    pub(crate) ctx: Arc<CkksContext>,
    pub(crate) inner: ckks::Evaluator,
    scratch: Mutex<ckks::EvaluatorScratch>,
    pub(crate) sum: SumMethod,
    pub(crate) dim: Option<usize>,
}

impl Evaluator {
    fn run<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&ckks::Evaluator, &mut ckks::EvaluatorScratch) -> ckks_accel::Result<T> + Send,
    ) -> PyResult<T> {
        py.detach(|| {
            let mut s = self.scratch.lock().unwrap_or_else(|p| p.into_inner());
            f(&self.inner, &mut s)
        })
        .py_err()
    }

    fn wrap(&self, ct: ckks::Ciphertext) -> Ciphertext {
        Ciphertext::wrap(&self.ctx, ct)
    }

    pub(crate) fn from_keys(keys: &EvaluationKeys) -> PyResult<Evaluator> {
        let inner = ckks::Evaluator::new(keys.ctx.clone(), keys.inner.clone()).py_err()?;
        Ok(Evaluator {
            ctx: keys.ctx.clone(),
            scratch: Mutex::new(inner.scratch()),
            inner,
            sum: keys.sum.clone(),
            dim: keys.dim,
        })
    }
}

#[pymethods]
impl Evaluator {
    /// An evaluator with `keys` (shared, not copied).
    #[new]
    fn new(keys: &EvaluationKeys) -> PyResult<Evaluator> {
        Evaluator::from_keys(keys)
    }

    /// The context.
    #[getter]
    fn context(&self) -> Context {
        Context::from_arc(self.ctx.clone())
    }

    /// a + b.
    fn add(&self, py: Python<'_>, a: &Ciphertext, b: &Ciphertext) -> PyResult<Ciphertext> {
        self.run(py, |e, _| e.add(&a.inner, &b.inner))
            .map(|c| self.wrap(c))
    }
    /// a − b.
    fn sub(&self, py: Python<'_>, a: &Ciphertext, b: &Ciphertext) -> PyResult<Ciphertext> {
        self.run(py, |e, _| e.sub(&a.inner, &b.inner))
            .map(|c| self.wrap(c))
    }
    /// −a.
    fn negate(&self, py: Python<'_>, a: &Ciphertext) -> PyResult<Ciphertext> {
        let mut out = a.inner.clone();
        self.run(py, |e, _| e.negate_assign(&mut out))?;
        Ok(self.wrap(out))
    }
    /// a + plaintext (same level and scale).
    fn add_plain(
        &self,
        py: Python<'_>,
        a: &Ciphertext,
        plaintext: &Plaintext,
    ) -> PyResult<Ciphertext> {
        let mut out = a.inner.clone();
        self.run(py, |e, _| e.add_plain_assign(&mut out, &plaintext.inner))?;
        Ok(self.wrap(out))
    }
    /// a · plaintext (scales multiply; rescale afterwards).
    fn mul_plain(
        &self,
        py: Python<'_>,
        a: &Ciphertext,
        plaintext: &Plaintext,
    ) -> PyResult<Ciphertext> {
        let mut out = a.inner.clone();
        self.run(py, |e, _| e.mul_plain_assign(&mut out, &plaintext.inner))?;
        Ok(self.wrap(out))
    }
    /// a + c for a real constant c.
    fn add_const(&self, py: Python<'_>, a: &Ciphertext, c: f64) -> PyResult<Ciphertext> {
        let mut out = a.inner.clone();
        self.run(py, |e, _| e.add_const_assign(&mut out, c))?;
        Ok(self.wrap(out))
    }
    /// a · c for a real constant c (see the Rust docs for the scale it uses).
    fn mul_const(&self, py: Python<'_>, a: &Ciphertext, c: f64) -> PyResult<Ciphertext> {
        let mut out = a.inner.clone();
        self.run(py, |e, _| e.mul_const_assign(&mut out, c))?;
        Ok(self.wrap(out))
    }
    /// a ⊗ b: a 3-part ciphertext (relinearize, then rescale).
    fn mul(&self, py: Python<'_>, a: &Ciphertext, b: &Ciphertext) -> PyResult<Ciphertext> {
        self.run(py, |e, _| e.mul(&a.inner, &b.inner))
            .map(|c| self.wrap(c))
    }
    /// Back to 2 parts with the relinearization key.
    fn relinearize(&self, py: Python<'_>, a: &Ciphertext) -> PyResult<Ciphertext> {
        self.run(py, |e, s| e.relinearize(&a.inner, s))
            .map(|c| self.wrap(c))
    }
    /// Divides by the last prime: one level down, scale / q_ℓ.
    fn rescale(&self, py: Python<'_>, a: &Ciphertext) -> PyResult<Ciphertext> {
        self.run(py, |e, s| e.rescale(&a.inner, s))
            .map(|c| self.wrap(c))
    }
    /// mul + relinearize + rescale.
    fn multiply(&self, py: Python<'_>, a: &Ciphertext, b: &Ciphertext) -> PyResult<Ciphertext> {
        self.run(py, |e, s| {
            let m = e.mul(&a.inner, &b.inner)?;
            let r = e.relinearize(&m, s)?;
            e.rescale(&r, s)
        })
        .map(|c| self.wrap(c))
    }
    /// Rotation by `steps` slots (left for positive steps); needs its key.
    fn rotate(&self, py: Python<'_>, a: &Ciphertext, steps: Int) -> PyResult<Ciphertext> {
        let steps = steps.i64(py, "steps")?;
        self.run(py, |e, s| e.rotate(&a.inner, steps, s))
            .map(|c| self.wrap(c))
    }
    /// Several rotations of one ciphertext sharing one decomposition.
    fn rotate_hoisted(
        &self,
        py: Python<'_>,
        a: &Ciphertext,
        steps: Vec<Int>,
    ) -> PyResult<Vec<Ciphertext>> {
        let steps = args::steps(py, &steps, "steps")?;
        let v = self.run(py, |e, s| e.rotate_hoisted(&a.inner, &steps, s))?;
        Ok(v.into_iter().map(|c| self.wrap(c)).collect())
    }
    /// Complex conjugation of every slot; needs the conjugation key.
    fn conjugate(&self, py: Python<'_>, a: &Ciphertext) -> PyResult<Ciphertext> {
        self.run(py, |e, s| e.conjugate(&a.inner, s))
            .map(|c| self.wrap(c))
    }
    /// Drops primes down to `level` (message and scale unchanged). `level` must be in
    /// 0..=top level (`ParameterError`) and at most the ciphertext's (`MismatchError`).
    fn drop_to_level(&self, py: Python<'_>, a: &Ciphertext, level: Int) -> PyResult<Ciphertext> {
        let level = level.usize(py, "level", 0, self.ctx.params().max_level())?;
        let mut out = a.inner.clone();
        self.run(py, |e, _| e.drop_to_level(&mut out, level))?;
        Ok(self.wrap(out))
    }
    /// Slot 0 (and every slot) ← Σ_{k<span} a[k]: the keys' sum plan by default, or `sum`
    /// ("tree" or an int radix).
    #[pyo3(signature = (a, span, sum=None))]
    fn inner_sum(
        &self,
        py: Python<'_>,
        a: &Ciphertext,
        span: Int,
        sum: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Ciphertext> {
        let span = span.usize(py, "span", 1, self.ctx.params().slots())?;
        let method = self.method(py, sum, span)?;
        let mut out = a.inner.clone();
        self.run(py, |e, s| e.inner_sum_with(&mut out, &method, span, s))?;
        Ok(self.wrap(out))
    }
    /// ⟨a, b⟩ over `dim` slots (default: the keys' dim) in slot 0: mul, relinearize, rescale,
    /// optional drop to `output_level`, inner sum.
    #[pyo3(signature = (a, b, dim=None, sum=None, output_level=None))]
    fn inner_product(
        &self,
        py: Python<'_>,
        a: &Ciphertext,
        b: &Ciphertext,
        dim: Option<Int>,
        sum: Option<&Bound<'_, PyAny>>,
        output_level: Option<Int>,
    ) -> PyResult<Ciphertext> {
        let p = self.ctx.params();
        let dim = args::opt_usize(py, dim.as_ref(), "dim", 1, p.slots())?;
        let output_level = args::level(py, output_level.as_ref(), "output_level", p.max_level())?;
        let dim = self.dim_or(py, dim)?;
        let method = self.method(py, sum, dim)?;
        let mut out = a.inner.clone();
        self.run(py, |e, s| {
            e.inner_product_with(&a.inner, &b.inner, dim, &method, output_level, &mut out, s)
        })?;
        Ok(self.wrap(out))
    }
}

impl Evaluator {
    fn dim_or(&self, py: Python<'_>, dim: Option<usize>) -> PyResult<usize> {
        dim.or(self.dim)
            .ok_or_else(|| parameter(py, "give dim (these keys were not made for a dim)"))
    }
    fn method(
        &self,
        py: Python<'_>,
        sum: Option<&Bound<'_, PyAny>>,
        span: usize,
    ) -> PyResult<SumMethod> {
        match sum {
            Some(s) => parse_sum(py, s, span),
            None => match &self.sum {
                SumMethod::Hoisted(p) if p.span != span => Ok(SumMethod::Hoisted(
                    ckks::SumPlan::radix(span, p.max_radix()).py_err()?,
                )),
                m => Ok(m.clone()),
            },
        }
    }
}

/// Runs batches of inner products on a Rust thread pool (one scratch arena per worker, keys
/// shared), results in input order.
#[pyclass(module = "ckks_accel", frozen)]
pub struct InnerProductEngine {
    pub(crate) ctx: Arc<CkksContext>,
    pub(crate) inner: parallel::InnerProductEngine,
    dim: Option<usize>,
}

#[pymethods]
impl InnerProductEngine {
    /// `threads`: pool size (default: every core, or RAYON_NUM_THREADS). `mode`: "auto",
    /// "task", "limb", "packed". `schedule`: "stealing" or "static". `sum`: "tree" or an int
    /// radix (default: the keys' plan). `output_level`: drop each product to this level before
    /// summing (opt-in, cheaper, fewer levels left).
    #[new]
    #[pyo3(signature = (keys, threads=None, mode="auto", schedule="stealing", sum=None, output_level=None))]
    fn new(
        py: Python<'_>,
        keys: &EvaluationKeys,
        threads: Option<Int>,
        mode: &str,
        schedule: &str,
        sum: Option<&Bound<'_, PyAny>>,
        output_level: Option<Int>,
    ) -> PyResult<InnerProductEngine> {
        let threads = args::opt_usize(py, threads.as_ref(), "threads", 1, parallel::MAX_THREADS)?;
        let max_level = keys.ctx.params().max_level();
        let output_level = args::level(py, output_level.as_ref(), "output_level", max_level)?;
        let mode: Mode = mode.parse().py_err()?;
        let schedule: Schedule = schedule.parse().py_err()?;
        let method = match (sum, keys.dim) {
            (Some(s), Some(d)) => parse_sum(py, s, d)?,
            (Some(s), None) => {
                if s.extract::<String>().is_ok_and(|s| s == "tree") {
                    SumMethod::Tree
                } else {
                    return Err(parameter(py, "a hoisted sum needs keys made for a dim"));
                }
            }
            (None, _) => keys.sum.clone(),
        };
        let eval = ckks::Evaluator::new(keys.ctx.clone(), keys.inner.clone()).py_err()?;
        let config = EngineConfig {
            threads,
            mode,
            schedule,
            ..Default::default()
        };
        let engine = py
            .detach(|| parallel::InnerProductEngine::new(eval, config))
            .py_err()?
            .with_sum(method, output_level);
        Ok(InnerProductEngine {
            ctx: keys.ctx.clone(),
            inner: engine,
            dim: keys.dim,
        })
    }

    /// Worker threads.
    #[getter]
    fn threads(&self) -> usize {
        self.inner.threads()
    }

    /// The sum plan: "tree" or the radix.
    #[getter]
    fn sum(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        sum_to_py(py, self.inner.sum_method())
    }

    /// ⟨a_i, b_i⟩ for every pair (list of (Ciphertext, Ciphertext)), in input order — or, given
    /// an `EncryptedBatch`, its group outputs (decrypt with `batch.decrypt`; `dim` is then the
    /// batch's own). `progress(done, total)` is called from the workers (holding the GIL
    /// briefly); an exception it raises is re-raised after the batch.
    #[pyo3(signature = (pairs, dim=None, progress=None))]
    fn run(
        &self,
        py: Python<'_>,
        pairs: &Bound<'_, PyAny>,
        dim: Option<Int>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Vec<Ciphertext>> {
        if let Ok(batch) = pairs.cast::<crate::batch::EncryptedBatch>() {
            if dim.is_some() {
                return Err(parameter(
                    py,
                    "dim is the batch's own: do not pass it with a batch",
                ));
            }
            return self.run_batch(py, batch.get(), progress).map(|(v, _)| v);
        }
        let pairs: Vec<(PyRef<'_, Ciphertext>, PyRef<'_, Ciphertext>)> = pairs.extract()?;
        self.run_with_stats(py, pairs, dim, progress)
            .map(|(v, _)| v)
    }

    /// As `run`, plus a dict of statistics: mode, threads, products, wall_s,
    /// products_per_s, load_imbalance, rotations, key_switches.
    #[pyo3(signature = (pairs, dim=None, progress=None))]
    fn run_with_stats<'py>(
        &self,
        py: Python<'py>,
        pairs: Vec<(PyRef<'_, Ciphertext>, PyRef<'_, Ciphertext>)>,
        dim: Option<Int>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<(Vec<Ciphertext>, Bound<'py, PyDict>)> {
        let slots = self.ctx.params().slots();
        let dim = args::opt_usize(py, dim.as_ref(), "dim", 1, slots)?;
        let dim = dim
            .or(self.dim)
            .ok_or_else(|| parameter(py, "give dim (these keys were not made for a dim)"))?;
        let id = self.ctx.params().id();
        let mut owned = Vec::with_capacity(pairs.len());
        for (i, (a, b)) in pairs.iter().enumerate() {
            for ct in [&a.inner, &b.inner] {
                if ct.params_id() != id {
                    return Err(mismatch(
                        py,
                        format!(
                            "pair {i}: ciphertext of parameters {:#018x}, the engine's keys are for {id:#018x}",
                            ct.params_id()
                        ),
                    ));
                }
            }
            owned.push((a.inner.clone(), b.inner.clone()));
        }
        drop(pairs);
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
            .detach(|| self.inner.run_with_progress(&owned, dim, &cb))
            .py_err()?;
        if let Some(e) = cb_err.into_inner().unwrap_or_else(|p| p.into_inner()) {
            return Err(e);
        }
        let d = stats_dict(py, &stats)?;
        Ok((
            out.into_iter()
                .map(|c| Ciphertext::wrap(&self.ctx, c))
                .collect(),
            d,
        ))
    }
}

/// The statistics every run reports: mode, threads, products, wall_s, products_per_s,
/// load_imbalance, relinearizations, rotations, key_switches.
pub(crate) fn stats_dict<'py>(
    py: Python<'py>,
    stats: &parallel::RunStats,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let wall = stats.wall.as_secs_f64();
    d.set_item("mode", stats.mode.to_string())?;
    d.set_item("threads", stats.threads)?;
    d.set_item("products", stats.products)?;
    d.set_item("wall_s", wall)?;
    d.set_item(
        "products_per_s",
        if wall > 0.0 {
            stats.products as f64 / wall
        } else {
            0.0
        },
    )?;
    d.set_item("load_imbalance", stats.load_imbalance())?;
    d.set_item("relinearizations", stats.profile.relins)?;
    d.set_item("rotations", stats.profile.rotations)?;
    d.set_item("key_switches", stats.profile.key_switches)?;
    Ok(d)
}
