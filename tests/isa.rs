//! Instruction-set detection and naming.

use ckks_accel::{Error, Isa};

#[test]
fn names_round_trip() {
    for isa in Isa::ALL {
        assert_eq!(isa.to_string().parse::<Isa>().unwrap(), isa);
    }
    assert_eq!(" AVX512IFMA ".parse::<Isa>().unwrap(), Isa::Avx512Ifma);
    let err = "sse4".parse::<Isa>().unwrap_err();
    assert_eq!(err.name, "sse4");
    // `?` into the crate's error keeps the name and the message.
    assert!(matches!(Error::from(err.clone()), Error::UnknownIsa { name } if name == "sse4"));
    assert_eq!(err.to_string(), Error::from(err).to_string());
}

#[test]
fn available_is_sorted_and_contains_detected() {
    let avail = Isa::available();
    assert_eq!(avail[0], Isa::Scalar);
    assert!(avail.windows(2).all(|w| w[0] < w[1]));
    assert!(avail.contains(&Isa::detect()));
    assert!(avail.iter().all(|isa| isa.is_available()));
    if cfg!(feature = "force-scalar") {
        assert_eq!(avail, vec![Isa::Scalar]);
        assert_eq!(Isa::detect(), Isa::Scalar);
    }
}

#[test]
fn ifma_is_never_chosen_for_large_moduli() {
    assert_eq!(Isa::Avx512Ifma.best_for_modulus(1 << 50), Isa::Avx512);
    assert_eq!(
        Isa::Avx512Ifma.best_for_modulus((1 << 50) - 27),
        Isa::Avx512Ifma
    );
    assert_eq!(Isa::Avx2.best_for_modulus(1 << 61), Isa::Avx2);
    assert_eq!(Isa::Avx512.lanes(), 8);
}
