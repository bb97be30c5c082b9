//! The CLI: commands run, JSON parses with the documented keys, bad ISA requests are refused.

use std::process::Command;

fn cli() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ckks-accel"));
    c.env_remove("CKKS_ACCEL_ISA");
    c
}

#[test]
fn info_runs() {
    let out = cli().arg("info").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("detected isa"));
}

#[test]
fn bench_ntt_json_has_the_documented_keys() {
    let out = cli()
        .args([
            "bench", "ntt", "--n", "64", "--bits", "50", "--reps", "3", "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = &v["results"][0];
    for key in [
        "n",
        "q_bits",
        "q",
        "isa",
        "forward_us",
        "inverse_us",
        "ns_per_butterfly_fwd",
    ] {
        assert!(!r[key].is_null(), "missing {key}");
    }
}

#[test]
fn bench_keyswitch_json_has_the_documented_keys() {
    let out = cli()
        .args([
            "bench",
            "keyswitch",
            "--params",
            "S",
            "--isa",
            "scalar",
            "--reps",
            "1",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in ["params", "isa", "threads", "keyswitch_ms", "breakdown"] {
        assert!(!v[key].is_null(), "missing {key}");
    }
    assert_eq!(v["params"], "S");
}

#[test]
fn unavailable_or_unknown_isa_is_refused() {
    let out = cli()
        .env("CKKS_ACCEL_ISA", "sse9")
        .arg("info")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("CKKS_ACCEL_ISA"));
    if let Some(missing) = ckks_accel::Isa::ALL.into_iter().find(|i| !i.is_available()) {
        let out = cli()
            .env("CKKS_ACCEL_ISA", missing.to_string())
            .arg("info")
            .output()
            .unwrap();
        assert!(!out.status.success());
    }
}

#[test]
fn inner_product_json_has_the_documented_keys() {
    let out = cli()
        .args([
            "inner-product",
            "--k",
            "3",
            "--dim",
            "64",
            "--threads",
            "1,2",
            "--mode",
            "task",
            "--sum",
            "tree",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "params",
        "isa",
        "k",
        "dim",
        "mode",
        "schedule",
        "max_abs_error",
        "ops_per_product",
        "runs",
    ] {
        assert!(!v[key].is_null(), "missing {key}");
    }
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    for key in [
        "threads",
        "wall_s",
        "products_per_s",
        "speedup",
        "efficiency",
        "load_imbalance",
        "bottleneck",
        "bottleneck_share",
    ] {
        assert!(!runs[1][key].is_null(), "missing runs[].{key}");
    }
    assert_eq!(v["ops_per_product"]["mul"], 1.0);
    assert_eq!(v["ops_per_product"]["rotate"], 6.0);
    assert_eq!(v["sum"]["method"], "tree");
    assert_eq!(v["rotation_keys"], 6);
    assert!(v["max_abs_error"].as_f64().unwrap() < 1e-4);
}

#[test]
fn inner_product_rejects_bad_dims() {
    let out = cli()
        .args(["inner-product", "--k", "2", "--dim", "100"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("power of two"));
}

#[test]
fn inner_product_hoisted_sum_and_output_level() {
    let out = cli()
        .args([
            "inner-product",
            "--k",
            "2",
            "--dim",
            "256",
            "--threads",
            "1",
            "--mode",
            "task",
            "--sum",
            "hoisted",
            "--radix",
            "4",
            "--output-level",
            "1",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["sum"]["method"], "hoisted");
    assert_eq!(v["sum"]["output_level"], 1);
    // 4 steps of radix 4 over 256 slots: 3 rotations each, one ModUp and one ModDown pair per step
    // (plus the relinearization's).
    assert_eq!(v["ops_per_product"]["rotate"], 12.0);
    assert_eq!(v["ops_per_product"]["mod_up"], 5.0);
    assert_eq!(v["ops_per_product"]["mod_down"], 10.0);
    assert_eq!(v["rotation_keys"], 12);
}

#[test]
fn inner_product_validates_every_option_before_key_generation() {
    // At set L key generation takes minutes: each bad option must fail in well under that.
    for (extra, needle) in [
        (&["--output-level", "99"][..], "--output-level"),
        (&["--radix", "3"][..], "radix"),
        (&["--sum", "tree", "--radix", "4"][..], "--radix"),
        (&["--sum", "fast"][..], "--sum"),
        (&["--bound=-1"][..], "--bound -1 must be"),
        (&["--bound", "0"][..], "--bound 0 must be"),
        (&["--bound", "NaN"][..], "--bound"),
        (&["--threads", "100000"][..], "--threads"),
        (&["--k", "100000000"][..], "--k"),
    ] {
        let t = std::time::Instant::now();
        let out = cli()
            .args(["inner-product", "--params", "L", "--json"])
            .args(extra)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{extra:?} accepted");
        assert!(err.contains(needle), "{extra:?}: {err}");
        assert!(
            t.elapsed() < std::time::Duration::from_secs(20),
            "{extra:?} took {:?}",
            t.elapsed()
        );
    }
}
