//! Integer arguments: every int the Python API takes is extracted as an [`Int`] (any Python int,
//! however large, or an object with `__index__`) and converted with a range check, so an
//! out-of-range value raises `ParameterError` (a `ValueError`) naming the argument and the
//! allowed range — never `OverflowError`. A non-integer (a float, a str) raises `TypeError`
//! as Python does.

use crate::errors::parameter;
use pyo3::exceptions::PyOverflowError;
use pyo3::prelude::*;
use std::fmt::Display;

/// A Python int argument, not yet range-checked.
pub(crate) struct Int(Result<i128, String>);

impl<'a, 'py> FromPyObject<'a, 'py> for Int {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Int> {
        match obj.extract::<i128>() {
            Ok(v) => Ok(Int(Ok(v))),
            // Beyond ±2^127: keep its text for the message.
            Err(e) if e.is_instance_of::<PyOverflowError>(obj.py()) => Ok(Int(Err(obj
                .str()
                .map(|s| s.to_string())
                .unwrap_or_else(|_| "a huge int".into())))),
            Err(e) => Err(e),
        }
    }
}

impl Int {
    /// The value as `T` if it lies in `lo..=hi`, else `ParameterError` naming `name`.
    pub(crate) fn get<T>(&self, py: Python<'_>, name: &str, lo: T, hi: T) -> PyResult<T>
    where
        T: Copy + Display + TryFrom<i128> + TryInto<i128>,
    {
        let (l, h) = (
            lo.try_into().unwrap_or(i128::MIN),
            hi.try_into().unwrap_or(i128::MAX),
        );
        match &self.0 {
            Ok(v) if (l..=h).contains(v) => {
                T::try_from(*v).map_err(|_| parameter(py, format!("{name} = {v} is out of range")))
            }
            Ok(v) => Err(parameter(
                py,
                format!("{name} = {v} is out of range (allowed: {lo}..={hi})"),
            )),
            Err(text) => Err(parameter(
                py,
                format!("{name} = {text} is out of range (allowed: {lo}..={hi})"),
            )),
        }
    }

    /// [`Int::get`] for a `usize` in `lo..=hi`.
    pub(crate) fn usize(
        &self,
        py: Python<'_>,
        name: &str,
        lo: usize,
        hi: usize,
    ) -> PyResult<usize> {
        self.get(py, name, lo, hi)
    }

    /// [`Int::get`] over the whole `i64` range (rotation steps).
    pub(crate) fn i64(&self, py: Python<'_>, name: &str) -> PyResult<i64> {
        self.get(py, name, i64::MIN, i64::MAX)
    }

    /// [`Int::get`] over the whole `u64` range (seeds).
    pub(crate) fn u64(&self, py: Python<'_>, name: &str) -> PyResult<u64> {
        self.get(py, name, 0, u64::MAX)
    }
}

/// An optional int argument: `None` stays `None`.
pub(crate) fn opt_usize(
    py: Python<'_>,
    v: Option<&Int>,
    name: &str,
    lo: usize,
    hi: usize,
) -> PyResult<Option<usize>> {
    v.map(|x| x.usize(py, name, lo, hi)).transpose()
}

/// A list of rotation steps, each checked as `name[i]`.
pub(crate) fn steps(py: Python<'_>, v: &[Int], name: &str) -> PyResult<Vec<i64>> {
    v.iter()
        .enumerate()
        .map(|(i, x)| x.i64(py, &format!("{name}[{i}]")))
        .collect()
}

/// A level argument: 0..=`max` (the parameters' top level).
pub(crate) fn level(
    py: Python<'_>,
    v: Option<&Int>,
    name: &str,
    max: usize,
) -> PyResult<Option<usize>> {
    opt_usize(py, v, name, 0, max)
}
