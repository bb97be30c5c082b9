//! The CLI: commands run, JSON parses with the documented keys, bad ISA requests are refused.

use std::process::Command;

fn cli() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ckks-accel"));
    c.env_remove("CKKS_ACCEL_ISA");
    c
}

/// Runs the CLI with `args`, asserts it succeeded (printing its stderr otherwise) and parses its
/// standard output as JSON.
#[track_caller]
fn json(args: &[&str]) -> serde_json::Value {
    let out = cli().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Asserts that every key is present (and not null) in `v`.
#[track_caller]
fn assert_keys(v: &serde_json::Value, keys: &[&str]) {
    for key in keys {
        assert!(!v[key].is_null(), "missing {key}");
    }
}

#[test]
fn info_runs() {
    let out = cli().arg("info").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("detected isa"));
}

#[test]
fn bench_ntt_json_has_the_documented_keys() {
    let v = json(&[
        "bench", "ntt", "--n", "64", "--bits", "50", "--reps", "3", "--json",
    ]);
    let r = &v["results"][0];
    assert_keys(
        r,
        &[
            "n",
            "q_bits",
            "q",
            "isa",
            "forward_us",
            "inverse_us",
            "ns_per_butterfly_fwd",
            "ns_per_butterfly_inv",
            "cycles_per_butterfly_fwd",
            "cycles_per_butterfly_inv",
            "time_vs_peer_fwd",
            "time_vs_peer_inv",
        ],
    );
    // The measured clock (a dependent multiply chain) is a plausible core clock, and every
    // cycle figure is the ns figure at that clock.
    let ghz = v["clock_ghz"].as_f64().unwrap();
    assert!((0.5..7.0).contains(&ghz), "{ghz}");
    let (ns, cyc) = (
        r["ns_per_butterfly_fwd"].as_f64().unwrap(),
        r["cycles_per_butterfly_fwd"].as_f64().unwrap(),
    );
    assert!(
        (cyc - ns * ghz).abs() <= 1e-9 * cyc,
        "{cyc} vs {ns} ns at {ghz} GHz"
    );
    assert!(v.get("nominal_clock_ghz").is_some());
    // The peer: tfhe-ntt on the same n and prime, same work (inverse = inv + normalize).
    assert_eq!(v["peer"], "tfhe-ntt 0.7.1");
    let peer = &v["peer_results"][0];
    assert_eq!((&peer["n"], &peer["q"]), (&r["n"], &r["q"]));
    for key in [
        "kernel",
        "forward_us",
        "inverse_us",
        "inverse_unscaled_us",
        "ns_per_butterfly_fwd",
        "cycles_per_butterfly_fwd",
    ] {
        assert!(!peer[key].is_null(), "missing peer_results[].{key}");
    }
    let ratio = r["forward_us"].as_f64().unwrap() / peer["forward_us"].as_f64().unwrap();
    assert!((r["time_vs_peer_fwd"].as_f64().unwrap() - ratio).abs() < 1e-9 * ratio);
}

#[test]
fn bench_ntt_no_peer_skips_tfhe_ntt() {
    let v = json(&[
        "bench",
        "ntt",
        "--n",
        "64",
        "--bits",
        "50",
        "--isa",
        "scalar",
        "--reps",
        "1",
        "--no-peer",
        "--json",
    ]);
    assert!(v["peer"].is_null());
    assert_eq!(v["peer_results"].as_array().unwrap().len(), 0);
    assert!(v["results"][0]["time_vs_peer_fwd"].is_null());
    // The table names the peer's kernel in its row when the peer runs.
    let out = cli()
        .args([
            "bench", "ntt", "--n", "64", "--bits", "50", "--isa", "scalar", "--reps", "1",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("tfhe-ntt/"));
}

#[test]
fn bench_keyswitch_json_has_the_documented_keys() {
    let v = json(&[
        "bench",
        "keyswitch",
        "--params",
        "S",
        "--isa",
        "scalar",
        "--reps",
        "1",
        "--json",
    ]);
    assert_keys(
        &v,
        &[
            "params",
            "isa",
            "threads",
            "keyswitch_ms",
            "keyswitch_cycles_per_word",
            "breakdown",
            "clock_ghz",
        ],
    );
    assert_eq!(v["params"], "S");
    // Cycles at the measured clock: (ms · GHz · 10^6) / (ℓ · n) words.
    let ghz = v["clock_ghz"].as_f64().unwrap();
    let words = (v["q_limbs"].as_u64().unwrap() * v["n"].as_u64().unwrap()) as f64;
    let want = v["keyswitch_ms"].as_f64().unwrap() * 1e6 * ghz / words;
    let got = v["keyswitch_cycles_per_word"].as_f64().unwrap();
    assert!((got - want).abs() <= 1e-9 * want, "{got} vs {want}");
    let conv = &v["conversion"];
    let want = conv["ns_per_output_word"].as_f64().unwrap() * ghz;
    assert!((conv["cycles_per_output_word"].as_f64().unwrap() - want).abs() <= 1e-9 * want);
}

/// `bench scaling` on a tiny grid (one 2-limb chain at n = 2^12, n = 2^12 at set S's chain),
/// writing into a temporary directory.
fn bench_scaling_tiny(dir: &std::path::Path, extra: &[&str]) -> serde_json::Value {
    let svg = dir.join("plots/relin.svg");
    let out = cli()
        .args([
            "bench",
            "scaling",
            "--limbs",
            "2",
            "--limbs-log-n",
            "12",
            "--log-n",
            "12",
            "--reps",
            "1",
            "--json",
            "--svg",
        ])
        .arg(&svg)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The same object is written beside the plot.
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(svg.with_extension("json")).unwrap())
            .unwrap();
    assert_eq!(file, v);
    let plot = std::fs::read_to_string(&svg).unwrap();
    assert!(plot.starts_with("<svg"), "{}", &plot[..plot.len().min(200)]);
    for needle in [
        "Relinearization time",
        "ring degree",
        "Q limbs",
        "CPU: ",
        "UTC",
    ] {
        assert!(plot.contains(needle), "plot lacks {needle:?}");
    }
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 2);
    assert_eq!(
        (cases[0]["sweep"].as_str(), cases[0]["q_limbs"].as_u64()),
        (Some("limbs"), Some(2))
    );
    // Two limbs cannot have 4 digits: dnum is lowered and the case says so.
    assert_eq!(cases[0]["dnum"], 2);
    assert!(
        cases[0]["adjusted"]
            .as_str()
            .unwrap()
            .contains("dnum 4 -> 2")
    );
    assert_eq!(
        (cases[1]["sweep"].as_str(), cases[1]["n"].as_u64()),
        (Some("degree"), Some(4096))
    );
    for c in cases {
        assert!(c["ours"]["relin_ms"].as_f64().unwrap() > 0.0);
        assert_eq!(c["ours"]["reps"], 1);
    }
    assert!(v["clock_ghz"].as_f64().unwrap() > 0.0);
    assert!(!v["cpu"].as_str().unwrap().is_empty());
    v
}

#[test]
fn bench_scaling_without_openfhe_plots_ours_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let v = bench_scaling_tiny(dir.path(), &["--no-openfhe"]);
    assert!(v["openfhe"].is_null());
    assert!(
        v["openfhe_skipped"]
            .as_str()
            .unwrap()
            .contains("--no-openfhe")
    );
    assert!(v["cases"][0]["openfhe"].is_null());
    // A missing interpreter is not an error: ours is plotted and the plot says why.
    let v = bench_scaling_tiny(dir.path(), &["--openfhe-python", "/nonexistent/python"]);
    assert!(
        v["openfhe_skipped"]
            .as_str()
            .unwrap()
            .contains("/nonexistent/python")
    );
    let plot = std::fs::read_to_string(dir.path().join("plots/relin.svg")).unwrap();
    assert!(plot.contains("OpenFHE not measured"));
}

#[test]
fn bench_scaling_with_openfhe_when_its_venv_exists() {
    // The venv of shared/peers/openfhe/run.sh (.ci/bench.sh creates it); without it there is
    // nothing to compare against and the test above covers the fallback.
    let venv = std::env::var_os("OPENFHE_VENV").map_or_else(
        || {
            std::path::PathBuf::from(std::env::var_os("HOME").unwrap())
                .join(".cache/ckks-accel-peers/openfhe-venv")
        },
        std::path::PathBuf::from,
    );
    if !venv.join("bin/python").is_file() {
        eprintln!("skipped: no OpenFHE venv at {}", venv.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let v = bench_scaling_tiny(dir.path(), &[]);
    assert!(v["openfhe_skipped"].is_null(), "{}", v["openfhe_skipped"]);
    assert!(v["openfhe"]["openfhe_version"].is_string());
    for c in v["cases"].as_array().unwrap() {
        let o = &c["openfhe"];
        assert_eq!(
            (&o["log_n"], &o["q_limbs"], &o["dnum"]),
            (&c["log_n"], &c["q_limbs"], &c["dnum"])
        );
        // n = 2^12 is below 128-bit security for these chains: OpenFHE falls back and says so.
        assert_eq!(o["security"], "HEStd_NotSet");
        assert!(o["p_limbs"].as_u64().unwrap() >= 1);
        let ratio = o["relin_ms"].as_f64().unwrap() / c["ours"]["relin_ms"].as_f64().unwrap();
        assert!((c["openfhe_over_ours"].as_f64().unwrap() - ratio).abs() < 1e-9 * ratio);
    }
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
    let v = json(&[
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
    ]);
    assert_keys(
        &v,
        &[
            "params",
            "isa",
            "k",
            "dim",
            "mode",
            "schedule",
            "max_abs_error",
            "ops_per_product",
            "runs",
        ],
    );
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
    // The per-pair modes need a power-of-two dim; the planner takes any length.
    let out = cli()
        .args([
            "inner-product",
            "--k",
            "2",
            "--dim",
            "100",
            "--mode",
            "task",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("power of two"));
    for bad in [
        &["--block", "3"][..],
        &["--block", "128"],
        &["--mode", "task", "--block", "4"],
    ] {
        let out = cli()
            .args(["inner-product", "--k", "2", "--dim", "64"])
            .args(bad)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{bad:?} accepted");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("--block"),
            "{bad:?}"
        );
    }
}

#[test]
fn inner_product_planned_json_reports_the_plan_and_verifies() {
    let v = json(&[
        "inner-product",
        "--k",
        "40",
        "--dim",
        "100",
        "--threads",
        "1,2",
        "--json",
    ]);
    assert_eq!(v["mode"], "tiled");
    for key in [
        "layout",
        "block",
        "per_ciphertext",
        "tiles_per_group",
        "groups",
        "output_level",
        "tensor_level",
        "key_switches_per_product",
        "predicted_s",
        "reason",
    ] {
        assert!(!v["plan"][key].is_null(), "missing plan.{key}");
    }
    assert_keys(
        &v,
        &[
            "max_abs_error",
            "mean_abs_error",
            "input_bytes",
            "evaluation_key_bytes",
        ],
    );
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    for r in runs {
        for key in [
            "threads",
            "wall_s",
            "products_per_s",
            "predicted_s",
            "bottleneck",
        ] {
            assert!(r.get(key).is_some(), "missing runs[].{key}");
        }
    }
    // One relinearization per group, never per product.
    let groups = v["plan"]["groups"].as_f64().unwrap();
    assert_eq!(
        v["ops_per_product"]["relinearize"].as_f64().unwrap(),
        groups / 40.0
    );
    assert!(v["plan"]["key_switches_per_product"].as_f64().unwrap() < 1.0);
    assert!(v["max_abs_error"].as_f64().unwrap() < 1e-4);
    // A forced block size is honoured.
    let v = json(&[
        "inner-product",
        "--k",
        "8",
        "--dim",
        "64",
        "--threads",
        "1",
        "--block",
        "16",
        "--json",
    ]);
    assert_eq!(v["plan"]["block"], 16);
    assert_eq!(v["plan"]["tiles_per_group"], 4);
}

#[test]
fn inner_product_hoisted_sum_and_output_level() {
    let v = json(&[
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
    ]);
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
