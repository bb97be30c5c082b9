//! `KeyGenerator`, `EvaluationKeys` (relinearization + rotation keys + the sum plan they were
//! made for), `Encryptor` and `Decryptor`.

use crate::args::{self, Int};
use crate::errors::{Class, IntoPyResult, new_err, parameter};
use crate::objects::{Ciphertext, GaloisKeys, Plaintext, PublicKey, RelinKey, SecretKey, reduce};
use crate::params::{Context, Params};
use ckks_accel::ckks::{self, CkksContext, KeyBundle, SumMethod, SumPlan};
use numpy::{PyArray1, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::sync::{Arc, Mutex};

/// Parses a sum method: "tree", or an int radix r (a power of two in 2..=`dim`: hoisted
/// radix-r folding over `dim`; a larger radix is refused, not clamped).
pub(crate) fn parse_sum(py: Python<'_>, sum: &Bound<'_, PyAny>, dim: usize) -> PyResult<SumMethod> {
    if let Ok(s) = sum.extract::<String>() {
        return match s.as_str() {
            "tree" => Ok(SumMethod::Tree),
            other => Err(parameter(
                py,
                format!(
                    "unknown sum {other:?}: use \"tree\", \"auto\" (key generation) or an int radix"
                ),
            )),
        };
    }
    let r: Int = sum
        .extract()
        .map_err(|_| parameter(py, "sum must be \"tree\", \"auto\" or an int radix ≥ 2"))?;
    let r = r.usize(py, "sum (radix)", 2, dim.max(2))?;
    if !r.is_power_of_two() {
        return Err(parameter(
            py,
            format!("sum (radix) = {r} must be a power of two"),
        ));
    }
    Ok(SumMethod::Hoisted(SumPlan::radix(dim, r).py_err()?))
}

/// How a sum method is written back to Python: "tree" or the radix of a uniform plan.
pub(crate) fn sum_to_py(py: Python<'_>, m: &SumMethod) -> PyResult<Py<PyAny>> {
    Ok(match m {
        SumMethod::Tree => "tree".into_pyobject(py)?.into_any().unbind(),
        SumMethod::Hoisted(p) => p.max_radix().into_pyobject(py)?.into_any().unbind(),
    })
}

/// Generates keys from a ChaCha20 CSPRNG seeded by the OS (or by `seed`: tests only).
///
/// With `seeded_keys=True` (the default) switching keys expand their uniform halves from a
/// stored 32-byte seed, so `to_bytes(compressed=True)` stores them in half the bytes.
#[pyclass(module = "ckks_accel", frozen)]
pub struct KeyGenerator {
    pub(crate) ctx: Arc<CkksContext>,
    inner: Mutex<ckks::KeyGenerator>,
}

impl KeyGenerator {
    pub(crate) fn with<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut ckks::KeyGenerator) -> ckks_accel::Result<T> + Send,
    ) -> PyResult<T> {
        py.detach(|| {
            let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut g)
        })
        .py_err()
    }
}

#[pymethods]
impl KeyGenerator {
    /// A generator for `context`. `seed` makes it deterministic — **tests and benchmarks only**.
    #[new]
    #[pyo3(signature = (context, seed=None, seeded_keys=true))]
    fn new(
        py: Python<'_>,
        context: &Context,
        seed: Option<Int>,
        seeded_keys: bool,
    ) -> PyResult<KeyGenerator> {
        let seed = seed.map(|s| s.u64(py, "seed")).transpose()?;
        let ctx = context.ctx.clone();
        let inner = match seed {
            Some(s) => ckks::KeyGenerator::from_seed(ctx.clone(), s),
            None => ckks::KeyGenerator::new(ctx.clone()).py_err()?,
        }
        .with_seeded_keys(seeded_keys);
        Ok(KeyGenerator {
            ctx,
            inner: Mutex::new(inner),
        })
    }

    /// A fresh secret key.
    fn secret_key(&self, py: Python<'_>) -> PyResult<SecretKey> {
        let inner = self.with(py, |g| g.secret_key())?;
        Ok(SecretKey {
            ctx: self.ctx.clone(),
            inner,
        })
    }

    /// The public key of `secret_key`.
    fn public_key(&self, py: Python<'_>, secret_key: &SecretKey) -> PyResult<PublicKey> {
        let inner = self.with(py, |g| g.public_key(&secret_key.inner))?;
        Ok(PublicKey {
            ctx: self.ctx.clone(),
            inner,
        })
    }

    /// The relinearization key.
    fn relin_key(&self, py: Python<'_>, secret_key: &SecretKey) -> PyResult<RelinKey> {
        let inner = self.with(py, |g| g.relin_key(&secret_key.inner))?;
        Ok(RelinKey {
            ctx: self.ctx.clone(),
            inner,
        })
    }

    /// Rotation keys for each of `steps` (and conjugation if asked).
    #[pyo3(signature = (secret_key, steps, conjugation=false))]
    fn galois_keys(
        &self,
        py: Python<'_>,
        secret_key: &SecretKey,
        steps: Vec<Int>,
        conjugation: bool,
    ) -> PyResult<GaloisKeys> {
        let steps = args::steps(py, &steps, "steps")?;
        let inner = self.with(py, |g| {
            g.galois_keys(&secret_key.inner, &steps, conjugation)
        })?;
        Ok(GaloisKeys {
            ctx: self.ctx.clone(),
            inner,
        })
    }

    /// Checks with the secret key that `keys` (EvaluationKeys) are genuine keys of
    /// `secret_key` — catches wrong seeds or tampered parts that no public check can. Returns
    /// the largest key error in bits; raises MismatchError if a key does not belong.
    fn verify(
        &self,
        py: Python<'_>,
        secret_key: &SecretKey,
        keys: &EvaluationKeys,
    ) -> PyResult<f64> {
        let k = keys.inner.clone();
        self.with(py, |g| {
            let mut worst = g.verify_galois_keys(&secret_key.inner, &k.galois)?;
            if let Some(r) = &k.relin {
                worst = worst.max(g.verify_relin_key(&secret_key.inner, r)?);
            }
            Ok(worst)
        })
    }

    /// Everything inner products over `dim` slots need: the relinearization key and exactly
    /// the rotation keys of the sum plan. `sum`: "tree" (plain doubling), an int radix r
    /// (hoisted radix-r folding) or "auto" (measures this machine's costs at the sum's level —
    /// `output_level`, default the level below the top — and picks the cheapest plan).
    /// `steps` adds rotation keys for other uses.
    #[pyo3(signature = (secret_key, dim, sum=None, output_level=None, steps=None, conjugation=false))]
    #[allow(clippy::too_many_arguments)]
    fn evaluation_keys(
        &self,
        py: Python<'_>,
        secret_key: &SecretKey,
        dim: Int,
        sum: Option<&Bound<'_, PyAny>>,
        output_level: Option<Int>,
        steps: Option<Vec<Int>>,
        conjugation: bool,
    ) -> PyResult<EvaluationKeys> {
        let p = self.ctx.params();
        let dim = dim.usize(py, "dim", 1, p.slots())?;
        let output_level = args::level(py, output_level.as_ref(), "output_level", p.max_level())?;
        let steps = steps.map(|v| args::steps(py, &v, "steps")).transpose()?;
        if !dim.is_power_of_two() || dim > p.slots() {
            return Err(parameter(
                py,
                format!("dim {dim} must be a power of two ≤ {} slots", p.slots()),
            ));
        }
        let auto = matches!(sum.map(|s| s.extract::<String>()), Some(Ok(ref s)) if s == "auto");
        let sk = &secret_key.inner;
        let relin = self.with(py, |g| g.relin_key(sk))?;
        let method = if auto {
            let level = output_level.unwrap_or(p.max_level().saturating_sub(1));
            let ctx = self.ctx.clone();
            self.with(py, |g| {
                let probe_keys = ckks::EvaluationKeys {
                    relin: None,
                    galois: g.galois_keys(sk, &[1], false)?,
                };
                let eval = ckks::Evaluator::new(ctx.clone(), Arc::new(probe_keys))?;
                let mut enc = ckks::Encryptor::with_secret_key(ctx.clone(), sk)?;
                let zero = enc.encrypt(&ckks::Encoder::new(ctx.clone()).encode_default(&[0.0])?)?;
                let costs = eval.calibrate_sum(&zero, level, &mut eval.scratch())?;
                Ok(costs.choose(dim, 16).0)
            })?
        } else {
            match sum {
                None => SumMethod::Tree,
                Some(s) => parse_sum(py, s, dim)?,
            }
        };
        let mut rot = method.rotation_steps(dim);
        rot.extend(steps.unwrap_or_default());
        let galois = self.with(py, |g| g.galois_keys(sk, &rot, conjugation))?;
        Ok(EvaluationKeys {
            ctx: self.ctx.clone(),
            inner: Arc::new(ckks::EvaluationKeys {
                relin: Some(relin),
                galois,
            }),
            sum: method,
            dim: Some(dim),
        })
    }
}

/// The keys an evaluator needs (relinearization and rotation keys), shared read-only by every
/// worker, plus the inner-sum plan and `dim` they were generated for (if any).
///
/// `to_bytes` writes a key bundle of the crate's format (kind 9, `ckks_accel::ckks::KeyBundle`,
/// also readable from Rust and C with `ckks_key_bundle_deserialize`): every byte under the
/// checksum, and on load `dim` and the plan are checked against the keys (a power of two ≤
/// slots, a well-formed plan over `dim`, every rotation key it needs present).
#[pyclass(module = "ckks_accel", frozen)]
pub struct EvaluationKeys {
    pub(crate) ctx: Arc<CkksContext>,
    pub(crate) inner: Arc<ckks::EvaluationKeys>,
    pub(crate) sum: SumMethod,
    pub(crate) dim: Option<usize>,
}

impl EvaluationKeys {
    fn bundle(&self) -> KeyBundle {
        KeyBundle {
            keys: self.inner.clone(),
            sum: self.dim.map(|d| (d, self.sum.clone())),
        }
    }

    /// Whether every key carries its seed (compressed serialization possible).
    pub(crate) fn is_seeded(&self) -> bool {
        self.bundle().is_seeded()
    }

    pub(crate) fn serialize(&self, compressed: bool) -> ckks_accel::Result<Vec<u8>> {
        let b = self.bundle();
        if compressed {
            b.to_bytes_compressed(&self.ctx)
        } else {
            b.to_bytes(&self.ctx)
        }
    }

    pub(crate) fn deserialize(
        ctx: &Arc<CkksContext>,
        data: &[u8],
    ) -> ckks_accel::Result<EvaluationKeys> {
        let b = KeyBundle::from_bytes(ctx, data)?;
        let (dim, sum) = match b.sum {
            Some((d, m)) => (Some(d), m),
            None => (None, SumMethod::Tree),
        };
        Ok(EvaluationKeys {
            ctx: ctx.clone(),
            inner: b.keys,
            sum,
            dim,
        })
    }
}

#[pymethods]
impl EvaluationKeys {
    /// Bundles a relinearization key and rotation keys (either may be None).
    #[new]
    #[pyo3(signature = (relin=None, galois=None))]
    fn new(
        py: Python<'_>,
        relin: Option<&RelinKey>,
        galois: Option<&GaloisKeys>,
    ) -> PyResult<EvaluationKeys> {
        let ctx = match (relin, galois) {
            (Some(r), _) => r.ctx.clone(),
            (None, Some(g)) => g.ctx.clone(),
            (None, None) => {
                return Err(parameter(
                    py,
                    "give a relinearization key, Galois keys or both",
                ));
            }
        };
        if let (Some(r), Some(g)) = (relin, galois) {
            r.ctx.check_id(g.ctx.params().id()).py_err()?;
        }
        Ok(EvaluationKeys {
            inner: Arc::new(ckks::EvaluationKeys {
                relin: relin.map(|r| r.inner.clone()),
                galois: galois.map(|g| g.inner.clone()).unwrap_or_default(),
            }),
            ctx,
            sum: SumMethod::Tree,
            dim: None,
        })
    }

    /// Serialized keys: a key bundle of the crate's format (see the class docs). `compressed`:
    /// store each switching key as its `b` half and a 32-byte seed (about half the bytes; the
    /// loader re-expands the rest). Default: compressed whenever every key is seeded.
    #[pyo3(signature = (compressed=None))]
    fn to_bytes<'py>(
        &self,
        py: Python<'py>,
        compressed: Option<bool>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let c = compressed.unwrap_or_else(|| self.is_seeded());
        let b = py.detach(|| self.serialize(c)).py_err()?;
        Ok(PyBytes::new(py, &b))
    }

    /// Whether every key carries its seed (so `to_bytes(compressed=True)` works).
    #[getter]
    fn seeded(&self) -> bool {
        self.is_seeded()
    }

    /// Loads keys serialized with `to_bytes` for `context`'s parameters (raises
    /// `DeserializeError` for corrupt bytes or a sum description the keys do not support).
    #[staticmethod]
    fn from_bytes(py: Python<'_>, context: &Context, data: &[u8]) -> PyResult<EvaluationKeys> {
        let ctx = context.ctx.clone();
        py.detach(|| EvaluationKeys::deserialize(&ctx, data))
            .py_err()
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = self.is_seeded();
        let b = py.detach(|| self.serialize(c)).py_err()?;
        reduce(py, "evaluation_keys", Some(self.ctx.params()), &b)
    }

    /// The parameters.
    #[getter]
    fn params(&self) -> Params {
        Params {
            inner: self.ctx.params().clone(),
        }
    }
    /// The context.
    #[getter]
    fn context(&self) -> Context {
        Context::from_arc(self.ctx.clone())
    }
    /// The sum plan the keys were made for: "tree" or the radix of the hoisted plan.
    #[getter]
    fn sum(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        sum_to_py(py, &self.sum)
    }
    /// The inner-product length the keys were made for (None if built by hand).
    #[getter]
    fn dim(&self) -> Option<usize> {
        self.dim
    }
    /// Number of rotation keys.
    #[getter]
    fn rotation_keys(&self) -> usize {
        self.inner.galois.len()
    }
    /// Bytes of key material in memory (relinearization + rotation keys).
    #[getter]
    fn size_bytes(&self) -> usize {
        self.inner.relin.as_ref().map_or(0, |r| r.key_size_bytes()) + self.inner.galois.size_bytes()
    }
    fn __repr__(&self) -> String {
        format!(
            "EvaluationKeys(relin={}, rotation_keys={}, dim={}, sum={}, {:.1} MiB)",
            if self.inner.relin.is_some() {
                "True"
            } else {
                "False"
            },
            self.inner.galois.len(),
            self.dim.map_or("None".to_string(), |d| d.to_string()),
            match &self.sum {
                SumMethod::Tree => "tree".to_string(),
                SumMethod::Hoisted(p) => format!("radix {}", p.max_radix()),
            },
            self.size_bytes() as f64 / (1u64 << 20) as f64
        )
    }
}

/// Encrypts with a public key (or a secret key: symmetric encryption).
#[pyclass(module = "ckks_accel", frozen)]
pub struct Encryptor {
    pub(crate) ctx: Arc<CkksContext>,
    context: Py<Context>,
    pub(crate) inner: Mutex<ckks::Encryptor>,
}

#[pymethods]
impl Encryptor {
    /// `key`: a PublicKey or a SecretKey. `seed` makes the randomness deterministic — **tests
    /// only** (ciphertexts of equal seeds share their masks). `compressed=True` (secret key
    /// only, else `ParameterError`): each ciphertext's uniform part is expanded from a fresh
    /// 32-byte seed it keeps, so `to_bytes` is about half the size (format kind 11).
    #[new]
    #[pyo3(signature = (context, key, seed=None, compressed=false))]
    fn new(
        py: Python<'_>,
        context: Py<Context>,
        key: &Bound<'_, PyAny>,
        seed: Option<Int>,
        compressed: bool,
    ) -> PyResult<Encryptor> {
        let seed = seed.map(|s| s.u64(py, "seed")).transpose()?;
        let ctx = context.get().ctx.clone();
        let mut inner = if let Ok(pk) = key.cast::<PublicKey>() {
            ckks::Encryptor::with_public_key(ctx.clone(), &pk.get().inner).py_err()?
        } else if let Ok(sk) = key.cast::<SecretKey>() {
            ckks::Encryptor::with_secret_key(ctx.clone(), &sk.get().inner).py_err()?
        } else {
            return Err(new_err(
                py,
                Class::Ckks,
                "key must be a PublicKey or a SecretKey".into(),
            ));
        };
        if let Some(s) = seed {
            inner = inner.with_seed(s);
        }
        if compressed {
            inner = inner.seeded(true).py_err()?;
        }
        Ok(Encryptor {
            ctx,
            context,
            inner: Mutex::new(inner),
        })
    }

    /// Encrypts a 1-D float64 array (encoded at `scale`, `level`) or a `Plaintext`.
    #[pyo3(signature = (values, scale=None, level=None))]
    fn encrypt(
        &self,
        py: Python<'_>,
        values: &Bound<'_, PyAny>,
        scale: Option<f64>,
        level: Option<Int>,
    ) -> PyResult<Ciphertext> {
        let context = self.context.get();
        let level = context.level_arg(py, level.as_ref())?;
        let pt = match values.cast::<Plaintext>() {
            Ok(pt) => pt.get().inner.clone(),
            Err(_) => context.encode_at(py, values, scale, level)?.inner,
        };
        let ct = py
            .detach(|| {
                self.inner
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .encrypt(&pt)
            })
            .py_err()?;
        Ok(Ciphertext::wrap(&self.ctx, ct))
    }

    /// Encrypts each row of a 2-D float64 array (rows × at most `slots`); one ciphertext per row.
    #[pyo3(signature = (rows, scale=None, level=None))]
    fn encrypt_rows(
        &self,
        py: Python<'_>,
        rows: &Bound<'_, PyAny>,
        scale: Option<f64>,
        level: Option<Int>,
    ) -> PyResult<Vec<Ciphertext>> {
        let level = self.context.get().level_arg(py, level.as_ref())?;
        let arr = rows
            .cast::<PyUntypedArray>()
            .map_err(|_| crate::errors::encoding(py, "expected a 2-D numpy.ndarray of float64"))?;
        if arr.ndim() != 2 {
            return Err(crate::errors::encoding(
                py,
                format!(
                    "expected a 2-D array (rows × values), got shape {:?}",
                    arr.shape()
                ),
            ));
        }
        let n = arr.shape()[0];
        let mut pts = Vec::with_capacity(n);
        for i in 0..n {
            let row = rows.get_item(i)?;
            pts.push(self.context.get().encode_at(py, &row, scale, level)?.inner);
        }
        let cts = py
            .detach(|| {
                let mut e = self.inner.lock().unwrap_or_else(|p| p.into_inner());
                pts.iter()
                    .map(|pt| e.encrypt(pt))
                    .collect::<ckks_accel::Result<Vec<_>>>()
            })
            .py_err()?;
        Ok(cts
            .into_iter()
            .map(|c| Ciphertext::wrap(&self.ctx, c))
            .collect())
    }
}

/// Decrypts with the secret key.
#[pyclass(module = "ckks_accel", frozen)]
pub struct Decryptor {
    pub(crate) ctx: Arc<CkksContext>,
    pub(crate) context: Py<Context>,
    pub(crate) inner: ckks::Decryptor,
}

#[pymethods]
impl Decryptor {
    /// A decryptor for `secret_key`.
    #[new]
    fn new(context: Py<Context>, secret_key: &SecretKey) -> PyResult<Decryptor> {
        let ctx = context.get().ctx.clone();
        let inner = ckks::Decryptor::new(ctx.clone(), &secret_key.inner).py_err()?;
        Ok(Decryptor {
            ctx,
            context,
            inner,
        })
    }

    /// Decrypts and decodes: a float64 array of all `slots` values (take `[:len]` of yours).
    fn decrypt<'py>(
        &self,
        py: Python<'py>,
        ciphertext: &Ciphertext,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let pt = self.decrypt_plaintext(py, ciphertext)?;
        self.context.get().decode(py, &pt)
    }

    /// Decrypts to a `Plaintext` (decode it with `Context.decode`).
    fn decrypt_plaintext(&self, py: Python<'_>, ciphertext: &Ciphertext) -> PyResult<Plaintext> {
        let inner = py
            .detach(|| self.inner.decrypt(&ciphertext.inner))
            .py_err()?;
        Ok(Plaintext {
            ctx: self.ctx.clone(),
            inner,
        })
    }
}
