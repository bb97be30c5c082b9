//! The parameter builder on arbitrary settings: never panics, never takes long or allocates
//! much before saying no (the caps are checked first), and what it builds satisfies its
//! documented invariants and round-trips through the format.
#![no_main]

use arbitrary::Arbitrary;
use ckks_accel::ckks::{CkksParams, SecretDistribution};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    log_n: u8,
    odd_n: bool,
    q_bits: Vec<u8>,
    p_bits: Vec<u8>,
    explicit: Option<(Vec<u64>, Vec<u64>)>,
    dnum: Option<u8>,
    log_scale: Option<u8>,
    hamming: Option<u32>,
    allow_insecure: bool,
}

fuzz_target!(|inp: Input| {
    let n = (1usize << (inp.log_n % 20)) + inp.odd_n as usize;
    let mut b = CkksParams::builder()
        .ring_degree(n)
        .allow_insecure(inp.allow_insecure);
    match &inp.explicit {
        Some((q, p)) => b = b.q_primes(q).p_primes(p),
        None => {
            let q: Vec<u32> = inp.q_bits.iter().map(|&x| x as u32).collect();
            let p: Vec<u32> = inp.p_bits.iter().map(|&x| x as u32).collect();
            b = b.q_bits(&q).p_bits(&p);
        }
    }
    if let Some(d) = inp.dnum {
        b = b.dnum(d as usize);
    }
    if let Some(s) = inp.log_scale {
        b = b.log_scale(s as u32);
    }
    if let Some(h) = inp.hamming {
        b = b.secret(SecretDistribution::TernaryHammingWeight(h as usize));
    }
    if let Ok(p) = b.build() {
        assert!(p.n().is_power_of_two());
        assert!(!p.q().is_empty() && !p.p().is_empty());
        assert!(p.q().len() <= ckks_accel::ckks::MAX_Q_PRIMES);
        assert!(inp.allow_insecure || !p.is_insecure());
        let again = CkksParams::from_bytes_allow_insecure(&p.to_bytes()).expect("round trip");
        assert_eq!(again, p);
    }
});
