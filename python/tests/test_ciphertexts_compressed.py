"""Compressed (seeded) fresh ciphertexts from Python: half the bytes, exact round trip, checked
on load, decrypting like the full form; public-key encryptors refuse the option."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import ckks_accel as ck


def test_round_trip_half_size_and_decrypts(setup):
    enc = ck.Encryptor(setup.ctx, setup.sk, seed=4, compressed=True)
    v = setup.vec()
    ct = enc.encrypt(v)
    assert ct.compressed
    small, full = ct.to_bytes(), ct.to_bytes_full()
    assert len(small) <= 0.5 * len(full) + 64
    back = ck.Ciphertext.from_bytes(setup.ctx, small)
    assert back == ct and back.compressed and back.to_bytes() == small
    assert ck.Ciphertext.from_bytes(setup.ctx, full) == ct
    assert not ck.Ciphertext.from_bytes(setup.ctx, full).compressed
    assert pickle.loads(pickle.dumps(ct)).to_bytes() == small
    np.testing.assert_allclose(setup.dec.decrypt(back)[: len(v)], v, atol=1e-6)
    # An evaluated ciphertext is no longer fresh: written in full.
    s = setup.ev.add(ct, ct)
    assert not s.compressed and len(s.to_bytes()) == len(full)
    # Plain secret-key encryption stays full size.
    assert not ck.Encryptor(setup.ctx, setup.sk, seed=4).encrypt(v).compressed


def test_tampered_truncated_and_public_key_are_refused(setup):
    ct = ck.Encryptor(setup.ctx, setup.sk, compressed=True).encrypt(setup.vec())
    data = ct.to_bytes()
    for bad in (data[:-1], data[: len(data) // 2], data[:10]):
        with pytest.raises(ck.DeserializeError):
            ck.Ciphertext.from_bytes(setup.ctx, bad)
    flipped = bytearray(data)
    flipped[-20] ^= 1  # inside the seed
    with pytest.raises(ck.DeserializeError, match="checksum"):
        ck.Ciphertext.from_bytes(setup.ctx, bytes(flipped))
    with pytest.raises(ck.ParameterError, match="secret-key"):
        ck.Encryptor(setup.ctx, setup.pk, compressed=True)
