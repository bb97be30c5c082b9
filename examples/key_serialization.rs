//! Keys and ciphertexts through bytes: the server side gets parameters, public evaluation keys
//! and ciphertexts as byte buffers, computes, and sends the result back; the client decrypts.
//! Corrupted or mismatched bytes are refused with typed errors.
//!
//! `cargo run --release --example key_serialization`

use ckks_accel::ckks::*;
use std::sync::Arc;

fn main() -> Result<(), ckks_accel::Error> {
    // Client: parameters and keys.
    let params = CkksParams::builder()
        .ring_degree(1 << 13)
        .q_bits(&[50, 40, 40])
        .p_bits(&[50])
        .dnum(3)
        .log_scale(40)
        .build()?;
    let ctx = CkksContext::new(params)?;
    let mut kg = KeyGenerator::new(ctx.clone())?;
    let sk = kg.secret_key()?;
    let params_bytes = ctx.params().to_bytes();
    let relin_bytes = kg.relin_key(&sk)?.to_bytes();
    let galois_bytes = kg
        .galois_keys(&sk, &KeyGenerator::tree_sum_steps(16), false)?
        .to_bytes();
    let encoder = Encoder::new(ctx.clone());
    let mut enc = Encryptor::with_public_key(ctx.clone(), &kg.public_key(&sk)?)?;
    let x: Vec<f64> = (0..16).map(|i| i as f64 / 16.0).collect();
    let ct_bytes = enc.encrypt(&encoder.encode_default(&x)?)?.to_bytes();
    println!(
        "client sends: params {} B, relin key {:.1} MiB, galois keys {:.1} MiB, ciphertext {:.1} KiB",
        params_bytes.len(),
        relin_bytes.len() as f64 / (1 << 20) as f64,
        galois_bytes.len() as f64 / (1 << 20) as f64,
        ct_bytes.len() as f64 / 1024.0
    );

    // Server: everything from bytes; computes Σ x_i² with one inner product.
    let server_ctx = CkksContext::new(CkksParams::from_bytes(&params_bytes)?)?;
    let keys = Arc::new(EvaluationKeys {
        relin: Some(RelinKey::from_bytes(&server_ctx, &relin_bytes)?),
        galois: GaloisKeys::from_bytes(&server_ctx, &galois_bytes)?,
    });
    let eval = Evaluator::new(server_ctx.clone(), keys)?;
    let ct = Ciphertext::from_bytes(&server_ctx, &ct_bytes)?;
    let mut out = ct.clone();
    eval.inner_product_into(&ct, &ct, 16, &mut out, &mut eval.scratch())?;
    let reply = out.to_bytes();

    // Client: decrypt the reply.
    let result = Ciphertext::from_bytes(&ctx, &reply)?;
    let got = encoder.decode(&Decryptor::new(ctx.clone(), &sk)?.decrypt(&result)?)?[0];
    let want: f64 = x.iter().map(|v| v * v).sum();
    println!("Σ x² = {got:.6} (plain: {want:.6})");
    assert!((got - want).abs() < 1e-4);

    // Bad bytes are refused, not misread.
    let mut corrupt = reply.clone();
    corrupt[reply.len() / 2] ^= 0x40;
    println!(
        "corrupted ciphertext: {}",
        Ciphertext::from_bytes(&ctx, &corrupt).unwrap_err()
    );
    println!(
        "relin key read as galois keys: {}",
        GaloisKeys::from_bytes(&ctx, &relin_bytes).unwrap_err()
    );
    Ok(())
}
