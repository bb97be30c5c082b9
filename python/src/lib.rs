//! Python bindings for ckks-accel (module `ckks_accel._native`, re-exported by the pure-Python
//! package `ckks_accel`). Every heavy call (key generation, encryption, evaluation, batches,
//! (de)serialization) releases the GIL; errors map to the `ckks_accel.errors` hierarchy.

mod args;
mod batch;
mod errors;
mod eval;
mod keys;
mod objects;
mod params;

use pyo3::prelude::*;

/// The compiled part of ckks_accel.
#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::init(m.py())?;
    m.add_class::<params::Params>()?;
    m.add_class::<params::Context>()?;
    m.add_class::<objects::Plaintext>()?;
    m.add_class::<objects::Ciphertext>()?;
    m.add_class::<objects::PublicKey>()?;
    m.add_class::<objects::SecretKey>()?;
    m.add_class::<objects::RelinKey>()?;
    m.add_class::<objects::GaloisKeys>()?;
    m.add_class::<keys::KeyGenerator>()?;
    m.add_class::<keys::EvaluationKeys>()?;
    m.add_class::<keys::Encryptor>()?;
    m.add_class::<keys::Decryptor>()?;
    m.add_class::<eval::Evaluator>()?;
    m.add_class::<eval::InnerProductEngine>()?;
    m.add_class::<batch::BatchPlan>()?;
    m.add_class::<batch::EncryptedBatch>()?;
    m.add("FORMAT_VERSION", ckks_accel::ckks::FORMAT_VERSION)?;
    m.add("ISA", ckks_accel::Isa::detect().to_string())?;
    Ok(())
}
