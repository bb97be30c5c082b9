//! ckks-accel as the NTT / element-wise backend of another HE library: plans on the library's
//! own primitive root, out-of-place and lazy transforms, a negacyclic product over an RNS basis
//! checked against the schoolbook product.
//!
//! `cargo run --release --example backend_ntt`

use ckks_accel::arith::{Modulus, ntt_primes};
use ckks_accel::eltwise::{Eltwise, LazyRange};
use ckks_accel::ntt::NttPlan;

fn schoolbook(a: &[u64], b: &[u64], m: &Modulus) -> Vec<u64> {
    let n = a.len();
    let mut c = vec![0u64; n];
    for (i, &ai) in a.iter().enumerate() {
        for (j, &bj) in b.iter().enumerate() {
            let p = m.mul_mod(ai, bj);
            let k = (i + j) % n;
            c[k] = if i + j < n {
                m.add_mod(c[k], p)
            } else {
                m.sub_mod(c[k], p)
            };
        }
    }
    c
}

fn main() -> Result<(), ckks_accel::Error> {
    let n = 2048;
    let primes = ntt_primes(50, n, 3)?;
    for &q in &primes {
        let m = Modulus::new(q)?;
        // The "other library" uses ψ^5 as its root: build the plan on it and check it is used.
        let default = NttPlan::new(n, q)?;
        let root = m.pow_mod(default.psi(), 5);
        let plan = NttPlan::with_root(n, q, root)?;
        assert_eq!(plan.psi(), root);
        let ops = Eltwise::new(q)?;

        let a: Vec<u64> = (0..n as u64).map(|i| (i * i + 7) % q).collect();
        let b: Vec<u64> = (0..n as u64).map(|i| (3 * i + 1) % q).collect();
        let (mut fa, mut fb, mut c) = (vec![0; n], vec![0; n], vec![0; n]);
        plan.forward_lazy_into(&a, &mut fa); // [0, 4q)
        plan.forward_into(&b, &mut fb); // [0, q)
        ops.reduce(&mut fa, LazyRange::FourQ);
        ops.mul(&fa, &fb, &mut c);
        let mut product = vec![0; n];
        plan.inverse_into(&c, &mut product);
        assert_eq!(product, schoolbook(&a, &b, &m));
        println!(
            "q = {q} ({} bits), root ψ^5 = {root}, ISA {}: negacyclic product == schoolbook",
            m.bits(),
            plan.isa()
        );
    }
    // A root of the wrong order is refused with a typed error.
    let q = primes[0];
    let m = Modulus::new(q)?;
    let psi = NttPlan::new(n, q)?.psi();
    match NttPlan::with_root(n, q, m.mul_mod(psi, psi)) {
        Err(e) => println!("ψ² refused: {e}"),
        Ok(_) => panic!("ψ² must be refused"),
    }
    Ok(())
}
