"""Seeded (compressed) evaluation keys from Python: half the bytes, bit-identical on load,
checked against the secret key."""

from __future__ import annotations

import pickle

import pytest

import ckks_accel as ck


def test_compressed_keys_round_trip(setup):
    keys = setup.keys
    assert keys.seeded
    full = keys.to_bytes(compressed=False)
    small = keys.to_bytes()  # compressed by default for seeded keys
    assert small == keys.to_bytes(compressed=True)
    assert 0.49 < len(small) / len(full) < 0.51
    back = ck.EvaluationKeys.from_bytes(setup.ctx, small)
    assert back.to_bytes(compressed=False) == full
    assert back.seeded and back.dim == keys.dim
    # Products with the re-expanded keys are bit-identical.
    _, pairs = setup.pairs(2)
    a = ck.InnerProductEngine(keys, threads=1).run(pairs)
    b = ck.InnerProductEngine(back, threads=1).run(pairs)
    assert [x.to_bytes() for x in a] == [y.to_bytes() for y in b]
    assert len(pickle.dumps(keys)) < 0.51 * len(full)
    assert setup.kg.verify(setup.sk, back) < 6.0


def test_unseeded_keys_and_tampering(setup):
    kg = ck.KeyGenerator(setup.ctx, seed=1, seeded_keys=False)
    sk = kg.secret_key()
    relin = kg.relin_key(sk)
    assert not relin.seeded
    with pytest.raises(ck.ParameterError, match="not generated from a seed"):
        relin.to_bytes_compressed()
    keys = kg.evaluation_keys(sk, dim=8)
    assert not keys.seeded
    assert ck.EvaluationKeys.from_bytes(setup.ctx, keys.to_bytes()).to_bytes() == keys.to_bytes()
    # Keys of another secret key fail verification against ours.
    with pytest.raises(ck.MismatchError, match="does not belong"):
        setup.kg.verify(setup.sk, keys)
    # A flipped byte of a compressed key is caught by the checksum.
    data = bytearray(setup.kg.relin_key(setup.sk).to_bytes_compressed())
    data[-40] ^= 1  # inside the seed
    with pytest.raises(ck.DeserializeError, match="checksum"):
        ck.RelinKey.from_bytes(setup.ctx, bytes(data))


def test_insecure_params_need_opt_in_on_load(setup):
    data = setup.params.to_bytes()
    with pytest.raises(ck.CkksError):
        ck.Params.from_bytes(data)
    assert ck.Params.from_bytes(data, allow_insecure=True) == setup.params
