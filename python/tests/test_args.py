"""Argument errors are the library's (issue 18): every out-of-range int raises ParameterError
(a CkksError and a ValueError) naming the argument — never OverflowError — preset and ISA
names are matched exactly, a radix beyond the dim is refused rather than clamped, and the key
container's sum description is checked on load."""

from __future__ import annotations

import pytest
import xxhash

import ckks_accel as ck
from conftest import small_params

HUGE = [-1, 2**64, 2**70, -(2**200)]


def params_kwargs(**over):
    kw = dict(ring_degree=1 << 12, q_bits=[55, 40, 40], p_bits=[56], dnum=3, log_scale=40,
              allow_insecure=True)
    kw.update(over)
    return kw


def raises_param(name):
    return pytest.raises(ck.ParameterError, match=rf"(^|\W){name} = .* is out of range")


@pytest.mark.parametrize(
    "over, name",
    [
        (dict(ring_degree=-64), "ring_degree"),
        (dict(ring_degree=2**64), "ring_degree"),
        (dict(q_bits=[-1]), r"q_bits\[0\]"),
        (dict(q_bits=[55, 2**40]), r"q_bits\[1\]"),
        (dict(p_bits=[-56]), r"p_bits\[0\]"),
        (dict(dnum=-3), "dnum"),
        (dict(log_scale=-40), "log_scale"),
        (dict(log_scale=2**33), "log_scale"),
        (dict(hamming_weight=-1), "hamming_weight"),
    ],
)
def test_params_ints_out_of_range(over, name):
    with raises_param(name) as info:
        ck.Params(**params_kwargs(**over))
    assert isinstance(info.value, ValueError) and isinstance(info.value, ck.CkksError)


def test_non_ints_are_type_errors():
    with pytest.raises(TypeError):
        ck.Params(**params_kwargs(dnum=3.0))
    with pytest.raises(TypeError):
        ck.Params(**params_kwargs(q_bits="55"))


def test_preset_and_isa_names_are_exact():
    for name in ["S", "L", "S-ifma", "L-ifma"]:
        assert ck.Params.preset(name).n in (1 << 14, 1 << 16)
    for bad in ["S ", " S", "s", "l", "S-IFMA", "s_ifma", "SIFMA", ""]:
        with pytest.raises(ck.ParameterError, match="unknown preset"):
            ck.Params.preset(bad)
    ck.Context(small_params(), isa="scalar")
    for bad in ["AVX2 ", "Avx2", "SCALAR", "ifma", " scalar"]:
        with pytest.raises(ck.ParameterError, match="unknown isa"):
            ck.Context(small_params(), isa=bad)


@pytest.mark.parametrize("v", HUGE)
def test_levels_out_of_range(setup, v):
    x = setup.vec()
    with raises_param("level"):
        setup.ctx.encode(x, level=v)
    with raises_param("level"):
        setup.enc.encrypt(x, level=v)
    with raises_param("level"):
        setup.enc.encrypt_rows(x.reshape(1, -1), level=v)
    ct = setup.enc.encrypt(x)
    with raises_param("level"):
        setup.ev.drop_to_level(ct, v)
    with raises_param("output_level"):
        setup.ev.inner_product(ct, ct, output_level=v)
    with raises_param("output_level"):
        ck.InnerProductEngine(setup.keys, output_level=v)
    with raises_param("output_level"):
        setup.kg.evaluation_keys(setup.sk, dim=8, output_level=v, sum="auto")


def test_drop_to_level_above(setup):
    ct = setup.enc.encrypt(setup.vec())
    top = setup.params.max_level
    with raises_param("level"):
        setup.ev.drop_to_level(ct, 99)
    low = setup.ev.drop_to_level(ct, 0)
    # Within the parameters' range but above the ciphertext's level: an invalid level.
    with pytest.raises(ck.CkksError, match=r"level 1 is invalid here \(allowed: 0..=0\)"):
        setup.ev.drop_to_level(low, 1)
    assert setup.ev.drop_to_level(ct, top).level == top


@pytest.mark.parametrize("v", HUGE + [0])
def test_threads_dim_span_out_of_range(setup, v):
    with raises_param("threads"):
        ck.InnerProductEngine(setup.keys, threads=v)
    engine = ck.InnerProductEngine(setup.keys, threads=1)
    _, pairs = setup.pairs(1)
    with raises_param("dim"):
        engine.run(pairs, dim=v)
    with raises_param("dim"):
        engine.run_with_stats(pairs, dim=v)
    with raises_param("dim"):
        setup.kg.evaluation_keys(setup.sk, dim=v)
    ct = pairs[0][0]
    with raises_param("dim"):
        setup.ev.inner_product(ct, ct, dim=v)
    with raises_param("span"):
        setup.ev.inner_sum(ct, v)


def test_run_dim_minus_eight(setup):
    engine = ck.InnerProductEngine(setup.keys, threads=1)
    _, pairs = setup.pairs(1)
    with raises_param("dim"):
        engine.run(pairs, dim=-8)
    with raises_param("threads"):
        ck.InnerProductEngine(setup.keys, threads=-1)
    with raises_param("threads"):
        ck.InnerProductEngine(setup.keys, threads=1025)


@pytest.mark.parametrize("v", [2**63, 2**70, -(2**63) - 1])
def test_rotation_steps_out_of_range(setup, v):
    ct = setup.enc.encrypt(setup.vec())
    with raises_param("steps"):
        setup.ev.rotate(ct, v)
    with raises_param(r"steps\[1\]"):
        setup.ev.rotate_hoisted(ct, [1, v])
    with raises_param(r"steps\[0\]"):
        setup.kg.galois_keys(setup.sk, [v])
    with raises_param(r"steps\[0\]"):
        setup.kg.evaluation_keys(setup.sk, dim=8, steps=[v])
    gk = setup.kg.galois_keys(setup.sk, [1])
    with raises_param("steps"):
        gk.has_rotation(v)


@pytest.mark.parametrize("v", [-1, 2**64])
def test_seeds_out_of_range(setup, v):
    with raises_param("seed"):
        ck.KeyGenerator(setup.ctx, seed=v)
    with raises_param("seed"):
        ck.Encryptor(setup.ctx, setup.pk, seed=v)
    assert ck.KeyGenerator(setup.ctx, seed=2**64 - 1) is not None


def test_radix_is_refused_not_clamped(setup):
    for r in [2**40, 128, -4, 1, 0]:
        with pytest.raises(ck.ParameterError, match="radix"):
            setup.kg.evaluation_keys(setup.sk, dim=64, sum=r)
        with pytest.raises(ck.ParameterError, match="radix"):
            ck.InnerProductEngine(setup.keys, sum=r)
    with pytest.raises(ck.ParameterError, match="power of two"):
        setup.kg.evaluation_keys(setup.sk, dim=64, sum=6)
    keys = setup.kg.evaluation_keys(setup.sk, dim=64, sum=64)  # one step: allowed
    assert keys.sum == 64


# ---- the key container (a KeyBundle of the crate's format) -----------------------------------


def fnv(data: bytes) -> int:
    """FNV-1a-64: the checksum of format version 2 (still read)."""
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def refix(data: bytearray) -> bytes:
    """Recomputes the frame's checksum after an edit (XXH3-64, format version 3), as anyone can."""
    data[-8:] = xxhash.xxh3_64_intdigest(bytes(data[:-8])).to_bytes(8, "little")
    return bytes(data)


def as_version_2(data: bytes) -> bytes:
    """The same object as a version-2 build wrote it (version field 2, FNV-1a trailer)."""
    b = bytearray(data)
    b[4:6] = (2).to_bytes(2, "little")
    b[-8:] = fnv(bytes(b[:-8])).to_bytes(8, "little")
    return bytes(b)


def test_version_2_objects_still_load(setup):
    assert ck.FORMAT_VERSION == 3
    keys = setup.kg.evaluation_keys(setup.sk, dim=8)
    data = keys.to_bytes()
    old = as_version_2(data)
    assert old != data
    assert ck.EvaluationKeys.from_bytes(setup.ctx, old).to_bytes() == data
    bad = bytearray(old)
    bad[4:6] = (1).to_bytes(2, "little")
    with pytest.raises(ck.DeserializeError, match="format version"):
        ck.EvaluationKeys.from_bytes(setup.ctx, refix(bad))


def test_evaluation_keys_are_a_checked_bundle(setup):
    keys = setup.kg.evaluation_keys(setup.sk, dim=8)  # tree: rotations 1, 2, 4
    data = keys.to_bytes()
    assert data[:4] == b"CKAC" and data[6] == 9  # the crate's frame, kind 9 (KeyBundle)
    dim_at = len(data) - 16
    assert data[dim_at:dim_at + 8] == (8).to_bytes(8, "little")
    # The attack: rewrite dim 8 -> 4 in place. The dim is under the checksum now.
    forged = bytearray(data)
    forged[dim_at:dim_at + 8] = (4).to_bytes(8, "little")
    with pytest.raises(ck.DeserializeError, match="checksum"):
        ck.EvaluationKeys.from_bytes(setup.ctx, bytes(forged))
    # With the checksum recomputed: dims the keys cannot serve are refused on load.
    for dim, why in [(3, "power of two"), (64, "rotation key for 8 steps"),
                     (2**40, "power of two"), (0, "power of two")]:
        forged = bytearray(data)
        forged[dim_at:dim_at + 8] = dim.to_bytes(8, "little")
        with pytest.raises(ck.DeserializeError, match=why):
            ck.EvaluationKeys.from_bytes(setup.ctx, refix(forged))
    # A hoisted plan keeps its radix and is checked against the keys too.
    hoisted = setup.kg.evaluation_keys(setup.sk, dim=16, sum=4)
    back = ck.EvaluationKeys.from_bytes(setup.ctx, hoisted.to_bytes())
    assert (back.dim, back.sum) == (16, 4)
    assert back.to_bytes() == hoisted.to_bytes()
    full = hoisted.to_bytes(compressed=False)
    assert ck.EvaluationKeys.from_bytes(setup.ctx, full).to_bytes(compressed=False) == full
