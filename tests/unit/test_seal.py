"""Sealing the root key: passphrase and Shamir protection, the holder's seal state."""

from __future__ import annotations

import json

import pytest

from strongroom.keys.crypto import derive_key, random_key
from strongroom.keys.rootkey import Sealed, write_key_file
from strongroom.keys.seal import (
    SEAL_FILE,
    AlreadyInitialized,
    RootKeyHolder,
    SealMode,
    ShareInvalid,
    UnsealFailed,
    initialize,
    protect,
    read_protection,
)

FAST_N = 2**15  # the floor; tests need not pay for the default cost


def _data_dir_bytes(data_dir) -> bytes:
    return b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())


def _assert_key_absent(data_dir, material: bytes) -> None:
    stored = _data_dir_bytes(data_dir)
    for form in (material, material.hex().encode(), material.hex().upper().encode()):
        assert form not in stored


def test_kdf_is_deterministic_per_salt_and_refuses_weak_parameters():
    salt = b"s" * 16
    assert derive_key(b"pw", salt, n=FAST_N) == derive_key(b"pw", salt, n=FAST_N)
    assert derive_key(b"pw", salt, n=FAST_N) != derive_key(b"pw", b"t" * 16, n=FAST_N)
    assert derive_key(b"pw", salt, n=FAST_N) != derive_key(b"pX", salt, n=FAST_N)
    for weak in ({"n": 2**10}, {"n": FAST_N + 1}, {"n": FAST_N, "r": 1}):
        with pytest.raises(ValueError, match="floor"):
            derive_key(b"pw", salt, **weak)
    with pytest.raises(ValueError, match="floor"):
        derive_key(b"pw", b"short", n=FAST_N)


def test_passphrase_round_trip_and_wrong_passphrase(tmp_path):
    """The right passphrase unseals; a wrong one is refused and leaves the key sealed."""
    material = random_key()
    protect(tmp_path, SealMode.PASSPHRASE, material, passphrase="correct horse",
            kdf_n=FAST_N).commit()
    doc = json.loads((tmp_path / SEAL_FILE).read_text())
    assert doc["mode"] == "passphrase"
    assert doc["kdf"]["name"] == "scrypt"
    assert doc["kdf"]["n"] == FAST_N
    assert len(bytes.fromhex(doc["kdf"]["salt"])) == 16
    assert (tmp_path / SEAL_FILE).stat().st_mode & 0o777 == 0o600
    _assert_key_absent(tmp_path, material)
    holder = RootKeyHolder.open(tmp_path)
    assert holder.sealed
    assert holder.status().mode is SealMode.PASSPHRASE
    with pytest.raises(UnsealFailed, match="wrong passphrase"):
        holder.unseal_with_passphrase("battery staple")
    assert holder.sealed
    holder.unseal_with_passphrase("correct horse")
    assert holder.root.same_as(material)


def test_default_kdf_cost_is_memory_hard(tmp_path):
    protect(tmp_path, SealMode.PASSPHRASE, random_key(), passphrase="pw").commit()
    protection = read_protection(tmp_path)
    assert protection is not None
    assert protection.kdf_n >= 2**17
    assert protection.kdf_r >= 8


def test_shamir_three_of_five(tmp_path):
    """Two shares leave it sealed, the third unseals; the data dir holds only a verifier."""
    root, shares = initialize(tmp_path, SealMode.SHAMIR, threshold=3, shares=5)
    material = bytes(root._material or b"")
    _assert_key_absent(tmp_path, material)
    assert set(json.loads((tmp_path / SEAL_FILE).read_text())) == {
        "format", "mode", "threshold", "shares", "share_set", "verifier"}
    box = root.wrap(b"payload", "test")
    assert len(shares) == 5
    assert len({s.split("-")[2] for s in shares}) == 5
    holder = RootKeyHolder.open(tmp_path)
    with pytest.raises(Sealed):
        holder.root.unwrap(box, "test")
    assert holder.submit_share(shares[4]).shares_given == 1
    with pytest.raises(ShareInvalid, match="already given"):
        holder.submit_share(shares[4])
    status = holder.submit_share(shares[1])
    assert (status.sealed, status.shares_given, status.shares_needed) == (True, 2, 3)
    status = holder.submit_share(shares[2])
    assert not status.sealed
    assert holder.root.unwrap(box, "test") == b"payload"
    assert holder.root.same_as(material)


def test_shares_of_another_split_are_refused_clearly(tmp_path):
    initialize(tmp_path / "a", SealMode.SHAMIR, threshold=2, shares=3)
    _, other = initialize(tmp_path / "b", SealMode.SHAMIR, threshold=2, shares=3)
    holder = RootKeyHolder.open(tmp_path / "a")
    with pytest.raises(ShareInvalid, match="another set"):
        holder.submit_share(other[0])


def test_a_wrong_combination_is_detected_and_forgotten(tmp_path):
    """Shares that combine to the wrong key fail on the verifier; the operators start over."""
    _, shares = initialize(tmp_path, SealMode.SHAMIR, threshold=2, shares=3)
    holder = RootKeyHolder.open(tmp_path)
    from strongroom.keys.shamir import Share

    forged = Share.parse(shares[0])
    forged = Share(forged.index, forged.set_id, bytes(b ^ 1 for b in forged.value))
    holder.submit_share(forged.text())
    with pytest.raises(UnsealFailed, match="do not open"):
        holder.submit_share(shares[1])
    assert holder.status().shares_given == 0
    assert holder.sealed
    holder.submit_share(shares[1])
    holder.submit_share(shares[2])
    assert not holder.sealed


def test_sealing_drops_the_key_and_runs_callbacks(tmp_path):
    root, _ = initialize(tmp_path, SealMode.PASSPHRASE, passphrase="pw", kdf_n=FAST_N)
    material = bytes(root._material or b"")
    holder = RootKeyHolder.open(tmp_path)
    holder.unseal_with_passphrase("pw")
    calls = []
    holder.on_seal(lambda: calls.append("cache cleared"))
    inner = holder.root._material
    box = holder.root.wrap(b"x", "p")
    holder.seal()
    assert calls == ["cache cleared"]
    assert inner == bytearray(32)  # overwritten in place, not just dropped
    assert holder.sealed
    assert "redacted" not in repr(holder.root)
    with pytest.raises(Sealed):
        holder.root.wrap(b"x", "p")
    with pytest.raises(Sealed):
        holder.root.unwrap(box, "p")
    holder.unseal_with_passphrase("pw")
    assert holder.root.unwrap(box, "p") == b"x"
    assert holder.root.same_as(material)


def test_file_mode_reads_existing_key_files_and_reloads_after_seal(tmp_path):
    """A data dir from before sealing existed (root.key, no seal.json) opens unsealed."""
    material = random_key()
    write_key_file(tmp_path / "root.key", material)
    holder = RootKeyHolder.open(tmp_path)
    assert not holder.sealed
    assert holder.mode is SealMode.FILE
    assert holder.root.same_as(material)
    holder.seal()
    with pytest.raises(UnsealFailed):
        holder.unseal_with_passphrase("x")
    holder.unseal_from_file()
    assert holder.root.same_as(material)


def test_initialize_refuses_an_initialized_directory(tmp_path):
    initialize(tmp_path, SealMode.FILE)
    assert read_protection(tmp_path).mode is SealMode.FILE
    with pytest.raises(AlreadyInitialized):
        initialize(tmp_path, SealMode.SHAMIR, threshold=2, shares=2)
    with pytest.raises(AlreadyInitialized):
        initialize(tmp_path, SealMode.PASSPHRASE, passphrase="pw")
