"""Encrypted inner products from Python: the planned batch (a calibrated layout with one
relinearization per group, exactly its keys, encryption from 2-D NumPy arrays, k values back),
the per-pair engine with compressed keys, and (with --dask) the per-pair batch on a local
Dask cluster.

    pip install ./python            # from the repo root
    python examples/python/inner_product.py [--params S] [--k 8] [--dim 4096] [--dask]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import ckks_accel as ck


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--params", default="S")
    ap.add_argument("--k", type=int, default=8)
    ap.add_argument("--dim", type=int, default=4096)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--dask", action="store_true", help="also run on a 2-worker LocalCluster")
    args = ap.parse_args()

    ctx = ck.Context(ck.Params.preset(args.params))
    print(ctx.params, "ISA", ck.ISA)
    kg = ck.KeyGenerator(ctx)                     # OS-seeded ChaCha20; seeded (compressible) keys
    sk = kg.secret_key()
    rng = np.random.default_rng()
    xs = rng.uniform(-1, 1, (args.k, args.dim))
    ys = rng.uniform(-1, 1, (args.k, args.dim))
    want = np.einsum("ij,ij->i", xs, ys)
    enc = ck.Encryptor(ctx, kg.public_key(sk))
    dec = ck.Decryptor(ctx, sk)

    # The planned batch: the planner picks the layout, the sum and the lowest output level.
    plan, bkeys = kg.batch_keys(sk, args.k, args.dim, threads=args.threads)
    print(plan, "-", plan.reason)
    bengine = ck.InnerProductEngine(bkeys, threads=args.threads)
    batch = bengine.encrypt_batch(plan, xs, ys, enc)
    out, bstats = bengine.run_batch(batch)
    got = batch.decrypt(out, dec)
    print(f"planned batch: {bstats['products']} products in {bstats['wall_s'] * 1e3:.1f} ms "
          f"({bstats['products_per_s']:.0f} products/s, {bstats['relinearizations']} "
          f"relinearization(s)), max |error| {np.abs(got - want).max():.2e}")
    assert np.abs(got - want).max() < 1e-3

    # The per-pair engine on ciphertexts one already holds.
    t = time.perf_counter()
    keys = kg.evaluation_keys(sk, dim=args.dim)  # relinearization + the sum's rotation keys
    print(f"keys: {keys} in {time.perf_counter() - t:.2f} s; "
          f"serialized {len(keys.to_bytes(compressed=False)) / 2**20:.1f} MiB full, "
          f"{len(keys.to_bytes()) / 2**20:.1f} MiB compressed")

    pairs = list(zip(enc.encrypt_rows(xs), enc.encrypt_rows(ys)))

    engine = ck.InnerProductEngine(keys, threads=args.threads)
    results, stats = engine.run_with_stats(pairs)
    got = np.array([dec.decrypt(r)[0] for r in results])
    print(f"{stats['products']} products on {stats['threads']} threads ({stats['mode']} mode): "
          f"{stats['products_per_s']:.1f} products/s, max |error| {np.abs(got - want).max():.2e}")
    assert np.abs(got - want).max() < 1e-3

    try:
        enc.encrypt(np.array([1.0, np.nan]))
    except ck.EncodingError as e:
        print("bad input is refused:", e)

    if args.dask:
        from dask.distributed import Client, LocalCluster

        from ckks_accel.dask import DaskInnerProduct

        with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, \
                Client(cluster) as client, DaskInnerProduct(client, keys, threads=1) as dip:
            print(f"keys shipped to 2 workers in {dip.ship_seconds:.2f} s")
            # One line per update unless stdout is a terminal (then the line is rewritten).
            tty = sys.stdout.isatty()
            out = dip.map(pairs, progress=lambda d, n: print(f"\r{d}/{n}" if tty else f"{d}/{n}",
                                                             end="" if tty else "\n", flush=True))
            if tty:
                print()
            assert [a.to_bytes() for a in out] == [b.to_bytes() for b in results]
            print("cluster results equal the local ones bit for bit")


if __name__ == "__main__":
    main()
