//! The engine's steady state allocates nothing per product: a counting global allocator
//! measures a repeated batch.

mod common;

use ckks_accel::ckks::*;
use ckks_accel::parallel::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwards the caller's layout to the system allocator unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout (see `alloc`).
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn steady_state_allocates_nothing_per_product() {
    let dim = 64;
    let params = common::small_params();
    let ctx = CkksContext::new(params).unwrap();
    let mut kg = KeyGenerator::from_seed(ctx.clone(), 5);
    let sk = kg.secret_key().unwrap();
    let keys = Arc::new(EvaluationKeys {
        relin: Some(kg.relin_key(&sk).unwrap()),
        galois: kg
            .galois_keys(&sk, &KeyGenerator::tree_sum_steps(dim), false)
            .unwrap(),
    });
    let enc = Encoder::new(ctx.clone());
    let mut e = Encryptor::with_secret_key(ctx.clone(), &sk)
        .unwrap()
        .with_seed(2);
    let ct = e
        .encrypt(&enc.encode_default(&vec![0.5; dim]).unwrap())
        .unwrap();
    let eval = Evaluator::new(ctx.clone(), keys).unwrap();

    // The evaluator alone: exactly zero allocations once the buffers exist.
    let mut scratch = eval.scratch();
    let mut out = ct.clone();
    eval.inner_product_into(&ct, &ct, dim, &mut out, &mut scratch)
        .unwrap();
    let before = ALLOCS.load(Ordering::Relaxed);
    for _ in 0..3 {
        eval.inner_product_into(&ct, &ct, dim, &mut out, &mut scratch)
            .unwrap();
    }
    let evaluator_allocs = ALLOCS.load(Ordering::Relaxed) - before;
    assert_eq!(evaluator_allocs, 0, "inner_product_into allocated");
    // The hoisted sum (double hoisting) is allocation-free too.
    let method = SumMethod::Hoisted(SumPlan::radix(dim, 4).unwrap());
    let hoisted_keys = Arc::new(EvaluationKeys {
        relin: eval.keys().relin.clone(),
        galois: kg
            .galois_keys(&sk, &method.rotation_steps(dim), false)
            .unwrap(),
    });
    let heval = Evaluator::new(ctx.clone(), hoisted_keys).unwrap();
    let mut hs = heval.scratch();
    heval
        .inner_product_with(&ct, &ct, dim, &method, None, &mut out, &mut hs)
        .unwrap();
    let before = ALLOCS.load(Ordering::Relaxed);
    heval
        .inner_product_with(&ct, &ct, dim, &method, None, &mut out, &mut hs)
        .unwrap();
    assert_eq!(
        ALLOCS.load(Ordering::Relaxed) - before,
        0,
        "hoisted inner product allocated"
    );

    // Key switches on every one-thread data flow, and the KLSS switch: zero allocations.
    {
        use ckks_accel::keyswitch::{Fusion, KeySwitcher, KlssSwitcher};
        use ckks_accel::rns::{Representation, RnsPoly, sampling};
        use rand_chacha::ChaCha20Rng;
        use rand_core::SeedableRng;
        let n = 1 << 10;
        let q = ckks_accel::arith::ntt_primes(40, n, 4).unwrap();
        let p = ckks_accel::arith::ntt_primes(50, n, 1).unwrap();
        let ks = KeySwitcher::new(n, &q, &p, 2).unwrap();
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let mut s =
            sampling::from_signed(ks.qp_basis(), &sampling::ternary_coeffs(n, None, &mut rng));
        s.ntt(ks.qp_basis()).unwrap();
        let key = ks.generate_key(&s, &s, &mut rng).unwrap();
        let d = sampling::uniform(ks.q_basis(), Representation::Evaluation, &mut rng);
        let mut c0 = RnsPoly::zero(ks.q_basis(), Representation::Evaluation);
        let mut c1 = c0.clone();
        for fusion in [Fusion::Staged, Fusion::NttMac, Fusion::PerLimb] {
            let mut scratch = ks.scratch();
            scratch.set_fusion(fusion);
            ks.switch(&d, &key, &mut c0, &mut c1, &mut scratch).unwrap();
            let before = ALLOCS.load(Ordering::Relaxed);
            ks.switch(&d, &key, &mut c0, &mut c1, &mut scratch).unwrap();
            assert_eq!(
                ALLOCS.load(Ordering::Relaxed) - before,
                0,
                "{fusion:?} allocated"
            );
        }
        let klss = KlssSwitcher::new(&ks, 2).unwrap();
        let kkey = klss.derive_key(&key).unwrap();
        let mut scratch = klss.scratch();
        klss.switch(&d, &kkey, &mut c0, &mut c1, &mut scratch)
            .unwrap();
        let before = ALLOCS.load(Ordering::Relaxed);
        klss.switch(&d, &kkey, &mut c0, &mut c1, &mut scratch)
            .unwrap();
        assert_eq!(
            ALLOCS.load(Ordering::Relaxed) - before,
            0,
            "KLSS switch allocated"
        );
    }

    // The engine: per-batch bookkeeping only (stats vectors, pool job), independent of k.
    for (threads, mode, schedule) in [
        (1, Mode::Task, Schedule::WorkStealing),
        (2, Mode::Task, Schedule::WorkStealing),
        (2, Mode::Limb, Schedule::WorkStealing),
    ] {
        let engine = InnerProductEngine::new(
            eval.clone(),
            EngineConfig {
                threads: Some(threads),
                mode,
                schedule,
                ..Default::default()
            },
        )
        .unwrap();
        let mut counts = Vec::new();
        for k in [4usize, 16] {
            let pairs: Vec<_> = (0..k).map(|_| (ct.clone(), ct.clone())).collect();
            let mut outs: Vec<_> = pairs.iter().map(|(a, _)| a.clone()).collect();
            engine.run_into(&pairs, dim, &mut outs, &|_, _| {}).unwrap();
            let before = ALLOCS.load(Ordering::Relaxed);
            engine.run_into(&pairs, dim, &mut outs, &|_, _| {}).unwrap();
            counts.push(ALLOCS.load(Ordering::Relaxed) - before);
        }
        eprintln!("{threads} threads {mode}: allocations per batch (k = 4, 16): {counts:?}");
        assert!(
            counts[1] <= counts[0] + 2 && counts[1] < 16,
            "{mode} allocates per product: {counts:?}"
        );
    }

    // Tiled groups: the tensor accumulation and the whole group (tensors, one
    // relinearization, rescale, block sum) allocate nothing once warm; the engine's batch run
    // allocates per run, not per group.
    let tiles: Vec<_> = (0..8).map(|_| (ct.clone(), ct.clone())).collect();
    let mut acc = ct.clone();
    eval.tensor_accumulate(&tiles, 1, &mut acc, true).unwrap();
    // The counter is global: threads of the engines dropped above may still be exiting (and
    // allocating) for a moment, so take the fewest allocations of three attempts.
    let fewest = |f: &mut dyn FnMut()| {
        (0..3)
            .map(|_| {
                let before = ALLOCS.load(Ordering::Relaxed);
                f();
                ALLOCS.load(Ordering::Relaxed) - before
            })
            .min()
            .unwrap()
    };
    let n = fewest(&mut || {
        eval.tensor_accumulate(&tiles, 1, &mut acc, true).unwrap();
        eval.tensor_accumulate(&tiles, 1, &mut acc, false).unwrap();
    });
    assert_eq!(n, 0, "tensor_accumulate allocated");
    let mut scratch = eval.scratch();
    let mut gout = ct.clone();
    eval.group_inner_products(&tiles, 1, 8, &SumMethod::Tree, &mut gout, &mut scratch)
        .unwrap();
    let n = fewest(&mut || {
        eval.group_inner_products(&tiles, 1, 8, &SumMethod::Tree, &mut gout, &mut scratch)
            .unwrap();
    });
    assert_eq!(n, 0, "a tiled group allocated");
    for threads in [1, 2] {
        let engine = InnerProductEngine::new(
            eval.clone(),
            EngineConfig {
                threads: Some(threads),
                ..Default::default()
            },
        )
        .unwrap();
        let mut counts = Vec::new();
        for k in [512usize, 2048] {
            // b = 8, m = 256 per ciphertext, 8 tiles per group: 2 and 8 groups.
            let mut req = BatchRequest::new(k, dim, threads);
            req.block = Some(8);
            let plan = BatchPlan::uncosted(ctx.params(), &req).unwrap();
            let batch = EncryptedBatch::from_tiles(
                &plan,
                (0..plan.groups * plan.layout.tiles)
                    .map(|_| (ct.clone(), ct.clone()))
                    .collect(),
            )
            .unwrap();
            let mut outs = vec![ct.clone(); plan.groups];
            engine
                .run_batch_into(&batch, &mut outs, &|_, _| {})
                .unwrap();
            let before = ALLOCS.load(Ordering::Relaxed);
            engine
                .run_batch_into(&batch, &mut outs, &|_, _| {})
                .unwrap();
            counts.push(ALLOCS.load(Ordering::Relaxed) - before);
        }
        eprintln!("{threads} threads tiled: allocations per batch (2, 8 groups): {counts:?}");
        assert!(
            counts[1] <= counts[0] + 2 && counts[1] < 24,
            "the tiled engine allocates per group: {counts:?}"
        );
    }
}
