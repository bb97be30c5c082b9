#!/usr/bin/env python3
"""OpenFHE relinearization medians for a list of CKKS parameter shapes (the peer side of
`ckks-accel bench scaling`).

Each case is LOGN:QLIMBS:FIRST:SCALE:DNUM — ring degree 2^LOGN, a chain of QLIMBS primes (the
first FIRST bits, the others SCALE bits: FIXEDMANUAL rescaling, multiplicative depth QLIMBS - 1),
HYBRID key switching with DNUM digits. OpenFHE chooses the special primes P itself (60-bit,
as many as its rule asks for); the script reads how many it chose from a switching key made
for the same chain at ring degree 2^12 (the count depends on the chain and DNUM only) and
reports them. Security HEStd_128_classic when OpenFHE accepts the shape, else HEStd_NotSet
(reported per case: the small ring degrees of a scaling sweep are below 128-bit security).

Per case: a context, KeyGen, EvalMultKeyGen, one encrypted vector squared without
relinearization (EvalMultNoRelin at the top level), then Relinearize timed --runs times after
--warmup untimed calls; the median wall time in ms is reported (min and max too).

Needs the PyPI wheel `openfhe` (CPython 3.10). Single thread: OMP_NUM_THREADS=1 is set before
importing openfhe unless the environment sets it. Prints one JSON object on stdout:
{"openfhe_version", "python", "native_int", "omp_num_threads", "cases": [...]}.

Example: python openfhe_relin_scaling.py --case 14:6:60:40:3 --case 16:20:60:50:4 --runs 11
"""
import argparse
import json
import math
import os
import re
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

PROBE_LOGN = 12
SECURITY_LEVELS = ("HEStd_128_classic", "HEStd_NotSet")
# A modulus field in OpenFHE's cereal JSON: "m": {["cereal_class_version": k,] "v": <modulus>}
# (key elements) or "cm": {...} (context element parameters).
_KEY_MODULUS = re.compile(r'"m":\s*\{\s*(?:"cereal_class_version":\s*\d+,\s*)?"v":\s*(\d+)')
_CTX_MODULUS = re.compile(r'"cm":\s*\{\s*(?:"cereal_class_version":\s*\d+,\s*)?"v":\s*(\d+)')


def parse_case(text):
    try:
        logn, q_limbs, first, scale, dnum = (int(x) for x in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: want LOGN:QLIMBS:FIRST:SCALE:DNUM")
    if not (10 <= logn <= 17 and q_limbs >= 1 and 1 <= dnum <= q_limbs):
        raise argparse.ArgumentTypeError(f"{text!r}: need 10 <= LOGN <= 17, 1 <= DNUM <= QLIMBS")
    return dict(log_n=logn, q_limbs=q_limbs, first_bits=first, scale_bits=scale, dnum=dnum)


def make_context(o, case, log_n, security):
    p = o.CCParamsCKKSRNS()
    p.SetMultiplicativeDepth(case["q_limbs"] - 1)
    p.SetScalingModSize(case["scale_bits"])
    p.SetFirstModSize(case["first_bits"])
    p.SetRingDim(1 << log_n)
    p.SetBatchSize(1 << (log_n - 1))
    p.SetScalingTechnique(o.FIXEDMANUAL)
    p.SetKeySwitchTechnique(o.HYBRID)
    p.SetNumLargeDigits(case["dnum"])
    p.SetSecurityLevel(getattr(o, security))
    cc = o.GenCryptoContext(p)
    if cc.GetRingDimension() != 1 << log_n:
        raise RuntimeError(f"ring degree became {cc.GetRingDimension()}")
    for feature in (o.PKE, o.KEYSWITCH, o.LEVELEDSHE):
        cc.Enable(feature)
    return cc


def context_for(o, case):
    """The most secure accepted level first; returns (cc, security name)."""
    errors = []
    for security in SECURITY_LEVELS:
        try:
            return make_context(o, case, case["log_n"], security), security
        except Exception as e:  # OpenFHE rejects the shape at this level
            errors.append(f"{security}: {e}")
    raise RuntimeError("; ".join(errors))


def chain_moduli(o, cc):
    return [int(m) for m in _CTX_MODULUS.findall(o.Serialize(cc, o.JSON))]


def special_primes(o, case):
    """The P primes OpenFHE picks for this chain and dnum, read from a relinearization key of a
    context at ring degree 2^PROBE_LOGN (cheap to serialize)."""
    cc = make_context(o, case, PROBE_LOGN, "HEStd_NotSet")
    q = set(chain_moduli(o, cc))
    kp = cc.KeyGen()
    cc.EvalMultKeyGen(kp.secretKey)
    key = cc.GetEvalMultKeyVector(kp.secretKey.GetKeyTag())[0]
    seen = []
    for m in _KEY_MODULUS.findall(o.Serialize(key, o.JSON)):
        m = int(m)
        if m not in q and m not in seen:
            seen.append(m)
    return seen


def measure(o, case, runs, warmup, p_cache):
    n = 1 << case["log_n"]
    t0 = time.perf_counter()
    cc, security = context_for(o, case)
    q = chain_moduli(o, cc)
    if len(q) != case["q_limbs"]:
        raise RuntimeError(f"OpenFHE made {len(q)} Q primes, not {case['q_limbs']}")
    t1 = time.perf_counter()
    kp = cc.KeyGen()
    cc.EvalMultKeyGen(kp.secretKey)
    t2 = time.perf_counter()
    x = [((i * 7919) % 1000) / 1000.0 for i in range(n // 2)]
    ct = cc.Encrypt(kp.publicKey, cc.MakeCKKSPackedPlaintext(x))
    d2 = cc.EvalMultNoRelin(ct, ct)
    for _ in range(warmup):
        cc.Relinearize(d2)
    ts = []
    for _ in range(runs):
        s = time.perf_counter()
        cc.Relinearize(d2)
        ts.append((time.perf_counter() - s) * 1e3)
    chain = (case["q_limbs"], case["first_bits"], case["scale_bits"], case["dnum"])
    if chain not in p_cache:
        p_cache[chain] = special_primes(o, case)
    p = p_cache[chain]
    return dict(
        case,
        n=n,
        security=security,
        q_bits=[m.bit_length() for m in q],
        log2_q=sum(math.log2(m) for m in q),
        p_limbs=len(p),
        p_bits=[m.bit_length() for m in p],
        relin_ms=statistics.median(ts),
        relin_min_ms=min(ts),
        relin_max_ms=max(ts),
        runs=runs,
        warmup=warmup,
        context_s=t1 - t0,
        keygen_s=t2 - t1,
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--case", type=parse_case, action="append", required=True,
                    metavar="LOGN:QLIMBS:FIRST:SCALE:DNUM")
    ap.add_argument("--runs", type=int, default=11, help="timed relinearizations per case")
    ap.add_argument("--warmup", type=int, default=2, help="untimed relinearizations first")
    args = ap.parse_args()
    if args.runs < 1 or args.warmup < 0:
        ap.error("--runs must be >= 1 and --warmup >= 0")
    import openfhe as o

    p_cache = {}
    cases = [measure(o, c, args.runs, args.warmup, p_cache) for c in args.case]
    print(json.dumps(dict(
        openfhe_version=o.__version__,
        python=sys.version.split()[0],
        native_int=o.get_native_int(),
        omp_num_threads=os.environ.get("OMP_NUM_THREADS"),
        cases=cases,
    ), indent=1))


if __name__ == "__main__":
    main()
