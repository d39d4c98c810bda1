"""Envelope encryption: round trips, tampering, and ciphertexts bound to their version."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom.core.clock import ManualClock
from strongroom.keys.crypto import CiphertextInvalid, open_sealed, random_key, seal
from strongroom.keys.rootkey import RootKey, RootKeyError
from strongroom.keys.service import DecryptFailed, KeyService
from strongroom.storage.sqlite import SQLiteStore


@pytest.fixture
def keys(tmp_path):
    store = SQLiteStore(tmp_path / "k.db")
    root, _ = RootKey.load_or_create(tmp_path / "root.key")
    service = KeyService(store, root, ManualClock())
    yield store, service
    store.close()


def ctx(version="v1"):
    return {"SecretARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:a-AbCdEf",
            "SecretVersionId": version}


@settings(max_examples=50, deadline=None)
@given(st.binary(min_size=1, max_size=4096))
def test_values_round_trip(tmp_path_factory, value):
    tmp = tmp_path_factory.mktemp("rt")
    store = SQLiteStore(tmp / "k.db")
    root, _ = RootKey.load_or_create(tmp / "root.key")
    service = KeyService(store, root, ManualClock())
    key = service.key_for_encryption("123456789012", "us-east-1", None)
    blob, ciphertext = service.encrypt_value(key, value, ctx())
    with store.read() as tx:
        assert service.decrypt_value(tx, blob, ciphertext, ctx()) == value
    store.close()


def test_flipping_any_byte_fails(keys):
    store, service = keys
    key = service.key_for_encryption("123456789012", "us-east-1", None)
    blob, ciphertext = service.encrypt_value(key, b"hunter2", ctx())
    with store.read() as tx:
        for i in range(len(ciphertext)):
            broken = bytearray(ciphertext)
            broken[i] ^= 0x01
            with pytest.raises(DecryptFailed):
                service.decrypt_value(tx, blob, bytes(broken), ctx())
        for i in range(len(blob)):
            broken = bytearray(blob)
            broken[i] ^= 0x01
            with pytest.raises(DecryptFailed):
                service.decrypt_value(tx, bytes(broken), ciphertext, ctx())


def test_ciphertext_moved_to_another_version_fails(keys):
    store, service = keys
    key = service.key_for_encryption("123456789012", "us-east-1", None)
    blob, ciphertext = service.encrypt_value(key, b"v1 value", ctx("v1"))
    with store.read() as tx, pytest.raises(DecryptFailed):
        service.decrypt_value(tx, blob, ciphertext, ctx("v2"))


def test_managed_key_is_created_once_per_account_and_region(keys):
    _, service = keys
    a = service.key_for_encryption("123456789012", "us-east-1", None)
    b = service.key_for_encryption("123456789012", "us-east-1", "alias/aws/secretsmanager")
    c = service.key_for_encryption("123456789012", "eu-west-1", None)
    assert a == b
    assert a.managed
    assert c.key_id != a.key_id


def test_sealed_box_rejects_wrong_associated_data():
    key = random_key()
    box = seal(key, b"x", b"one")
    assert open_sealed(key, box, b"one") == b"x"
    with pytest.raises(CiphertextInvalid):
        open_sealed(key, box, b"two")


def test_root_key_file_is_private(tmp_path):
    path = tmp_path / "root.key"
    RootKey.load_or_create(path)
    assert path.stat().st_mode & 0o777 == 0o600
    path.chmod(0o644)
    with pytest.raises(RootKeyError):
        RootKey.load(path)


def test_opened_data_keys_are_cached_for_a_bounded_time_and_bound_to_their_context(tmp_path):
    from strongroom.keys.service import DATA_KEY_TTL

    store = SQLiteStore(tmp_path / "k.db")
    root, _ = RootKey.load_or_create(tmp_path / "root.key")
    clock = ManualClock()
    service = KeyService(store, root, clock)
    key = service.key_for_encryption("123456789012", "us-east-1", None)
    blob, ciphertext = service.encrypt_value(key, b"cached", ctx("v1"))
    with store.read() as tx:
        assert service.decrypt_value(tx, blob, ciphertext, ctx("v1")) == b"cached"
        assert len(service._data_keys) == 1
        with pytest.raises(DecryptFailed):  # a cache hit still needs the same context
            service.decrypt_value(tx, blob, ciphertext, ctx("v2"))
        clock.advance(DATA_KEY_TTL + 1)
        assert service.decrypt_value(tx, blob, ciphertext, ctx("v1")) == b"cached"
    service.forget_all()
    assert service._data_keys == {} or len(service._data_keys) == 0
    store.close()
