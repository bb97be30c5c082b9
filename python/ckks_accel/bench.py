"""Cluster benchmark: ``python -m ckks_accel.bench [--params S] [--k 64] [--dim 4096]``.

``--cluster`` runs the data-local benchmark instead (shards in storage, one task per shard,
receipts only): see :mod:`ckks_accel.bench_cluster`. Without it, this module measures the
in-memory path (:meth:`DaskInnerProduct.map`):

Starts local Dask clusters of 1 and 2 single-threaded worker processes (TCP on 127.0.0.1; each
worker's engine on one core), ships the evaluation keys (timed), runs the batch once to warm up
and once timed, checks every result equals the single-process engine's bit for bit, and prints
one JSON line: ``params, isa, k, dim, sum, key_bytes, local_products_per_s,
runs[{workers, ship_s, wall_s, products_per_s, engine_share, speedup, efficiency}],
bit_identical``. Efficiency = products/s on w workers ÷ (w × products/s on 1 worker);
engine_share = time inside the engines ÷ (workers × wall): the rest is transport,
(de)serialization and idle time. ``worker_cpu_ms_per_product`` / ``client_cpu_ms_per_product``:
CPU time (all threads) of the worker processes / this client per product — on a shared, noisy
machine these show whether scaling out adds work per product, which wall-clock efficiency
cannot separate from other load. ``local_products_per_s``: the same engine in this process.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

import ckks_accel as ck


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if "--cluster" in argv:
        from . import bench_cluster

        return bench_cluster.main([a for a in argv if a != "--cluster"])
    ap = argparse.ArgumentParser(prog="python -m ckks_accel.bench", description=__doc__)
    ap.add_argument("--params", default="S", help="preset (S, L, S-ifma, L-ifma)")
    ap.add_argument("--k", type=int, default=64, help="ciphertext pairs")
    ap.add_argument("--dim", type=int, default=4096, help="inner-product length (power of two)")
    ap.add_argument("--workers", default="1,2", help="worker counts to run")
    ap.add_argument("--sum", default="tree", help='"tree" or an int radix')
    ap.add_argument("--chunk-size", type=int, default=None)
    args = ap.parse_args(argv)

    from dask.distributed import Client, LocalCluster

    from .dask import DaskInnerProduct

    params = ck.Params.preset(args.params)
    ctx = ck.Context(params)
    kg = ck.KeyGenerator(ctx, seed=1)
    sk = kg.secret_key()
    sum_spec: str | int = args.sum if args.sum == "tree" else int(args.sum)
    keys = kg.evaluation_keys(sk, dim=args.dim, sum=sum_spec)
    enc = ck.Encryptor(ctx, kg.public_key(sk), seed=2)
    rng = np.random.default_rng(3)
    xs = [(rng.uniform(-1, 1, args.dim), rng.uniform(-1, 1, args.dim)) for _ in range(args.k)]
    pairs = [(enc.encrypt(x), enc.encrypt(y)) for x, y in xs]

    local = ck.InnerProductEngine(keys, threads=1, mode="task")
    local.run(pairs[:2])
    t = time.perf_counter()
    reference = local.run(pairs)
    local_pps = args.k / (time.perf_counter() - t)
    ref_bytes = [c.to_bytes() for c in reference]
    dec = ck.Decryptor(ctx, sk)
    max_err = max(abs(dec.decrypt(c)[0] - x @ y) for c, (x, y) in zip(reference, xs))

    runs = []
    identical = True
    for w in [int(v) for v in args.workers.split(",")]:
        with LocalCluster(
            n_workers=w, threads_per_worker=1, processes=True, protocol="tcp",
            host="127.0.0.1", dashboard_address=None,
        ) as cluster, Client(cluster) as client:
            with DaskInnerProduct(client, keys, threads=1, mode="task") as dip:
                dip.map(pairs[: 2 * w], chunk_size=1)  # warm-up (connections, caches)
                busy0 = sum(dip.busy_seconds().values())
                cpu0 = sum(client.run(time.process_time).values())
                client_cpu0 = time.process_time()
                t = time.perf_counter()
                out = dip.map(pairs, chunk_size=args.chunk_size)
                wall = time.perf_counter() - t
                client_cpu = time.process_time() - client_cpu0
                cpu = sum(client.run(time.process_time).values()) - cpu0
                busy = sum(dip.busy_seconds().values()) - busy0
                identical &= [c.to_bytes() for c in out] == ref_bytes
                runs.append({"workers": w, "ship_s": round(dip.ship_seconds, 4),
                             "wall_s": round(wall, 4), "products_per_s": round(args.k / wall, 3),
                             "engine_share": round(busy / (w * wall), 3),
                             "worker_cpu_ms_per_product": round(1e3 * cpu / args.k, 2),
                             "client_cpu_ms_per_product": round(1e3 * client_cpu / args.k, 2)})
    base = runs[0]["products_per_s"] / runs[0]["workers"]
    for r in runs:
        r["speedup"] = round(r["products_per_s"] / runs[0]["products_per_s"], 3)
        r["efficiency"] = round(r["products_per_s"] / (r["workers"] * base), 3)
    print(json.dumps({
        "params": args.params, "isa": ck.ISA, "k": args.k, "dim": args.dim, "sum": keys.sum,
        "key_bytes": len(keys.to_bytes()), "rotation_keys": keys.rotation_keys,
        "local_products_per_s": round(local_pps, 3), "max_abs_error": max_err,
        "runs": runs, "bit_identical": identical,
    }))
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
