//! A CKKS layer on the accelerated kernels: parameters ([`CkksParams`], presets S and L),
//! keys, the canonical-embedding encoder, encryption, decryption and the [`Evaluator`]
//! (add, multiply, relinearize, rescale, rotate, conjugate, inner sums), plus serialization.
//!
//! ```
//! use ckks_accel::ckks::*;
//! let params = CkksParams::builder()
//!     .ring_degree(1 << 12).q_bits(&[50, 35, 35]).p_bits(&[50]).dnum(3).log_scale(35)
//!     .allow_insecure(true) // a toy size for the doctest
//!     .build()?;
//! let ctx = CkksContext::new(params)?;
//! let mut keygen = KeyGenerator::from_seed(ctx.clone(), 1);
//! let sk = keygen.secret_key()?;
//! let pk = keygen.public_key(&sk)?;
//! let keys = std::sync::Arc::new(EvaluationKeys { relin: Some(keygen.relin_key(&sk)?), galois: keygen.galois_keys(&sk, &[1], false)? });
//! let encoder = Encoder::new(ctx.clone());
//! let mut enc = Encryptor::with_public_key(ctx.clone(), &pk)?;
//! let eval = Evaluator::new(ctx.clone(), keys)?;
//! let mut scratch = eval.scratch();
//! let a = enc.encrypt(&encoder.encode_default(&[1.0, 2.0, 3.0])?)?;
//! let b = enc.encrypt(&encoder.encode_default(&[4.0, 5.0, 6.0])?)?;
//! // Relinearize and rescale in one step (the same as rescale(relinearize(·)), 2ℓ fewer NTTs).
//! let prod = eval.relinearize_rescale(&eval.mul(&a, &b)?, &mut scratch)?;
//! let rot = eval.rotate(&prod, 1, &mut scratch)?;
//! let dec = Decryptor::new(ctx.clone(), &sk)?;
//! let out = encoder.decode(&dec.decrypt(&rot)?)?;
//! assert!((out[0] - 10.0).abs() < 1e-3 && (out[1] - 18.0).abs() < 1e-3);
//! # Ok::<(), ckks_accel::Error>(())
//! ```

mod batched;
mod ciphertext;
mod context;
mod encoder;
pub mod encoding;
mod encryptor;
mod evaluator;
mod keys;
pub mod noise;
mod params;
pub mod serialize;
mod sum;

pub use ciphertext::{Ciphertext, Plaintext};
pub use context::CkksContext;
pub use encoder::Encoder;
pub use encryptor::{CIPHERTEXT_SEED_STREAM, Decryptor, Encryptor, expand_ciphertext_uniform};
pub use evaluator::{Evaluator, EvaluatorScratch};
pub use keys::{
    EvaluationKeys, GaloisKeys, KEY_ERROR_BITS_MAX, KeyGenerator, PublicKey, RelinKey, SecretKey,
};
pub use noise::{ErrorStats, NoiseMeter, NoiseReport};
pub use params::{
    CkksParams, CkksParamsBuilder, MAX_CKKS_RING_DEGREE, MAX_P_PRIMES, MAX_Q_PRIMES, Preset,
    SecretDistribution, max_log_qp,
};
pub use serialize::{FORMAT_VERSION, KeyBundle, OLDEST_READ_VERSION};
pub use sum::{SumChoice, SumCosts, SumMethod, SumPlan};
