"""Ciphertext blobs keep one frozen format, so stored secrets and KMS ciphertexts stay
readable across releases."""

from __future__ import annotations

import pytest

from strongroom.core.clock import ManualClock
from strongroom.keys.rootkey import RootKey
from strongroom.keys.service import (
    DecryptFailed,
    KeyService,
    blob_header,
    material_purpose,
    parse_blob,
)
from strongroom.storage.records import KeyRecord
from strongroom.storage.sqlite import SQLiteStore

ROOT = bytes(range(32))
MATERIAL = bytes([0x42] * 32)
KEY_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
CONTEXT = {"purpose": "kat", "SecretVersionId": "v1"}
PLAINTEXT = b"strongroom known answer"

# Made once with the code of this release (format 2) and of the release before (format 1);
# never regenerate them: a change that breaks these breaks every stored secret.
FORMAT_2 = bytes.fromhex(
    "5352444b022430663165326433632d346235612d363937382d383739362d6135623463336432653166"
    "30000000010cb7631cddb92aa98f86a69573cedb98d3b6bef2a189a8191efb063a1380800489d0f170"
    "85b4426fb034a7cc99b11d3db4b193")
FORMAT_1 = bytes.fromhex(
    "5352444b012430663165326433632d346235612d363937382d383739362d6135623463336432653166"
    "30d5164edec6dcc2eee1b064c1e1399f9a67bc8457c506a14ba4148d39ea82aa0f9d8ecb37d64cb824"
    "6ca5ca0f93520747ed21ab")


@pytest.fixture
def opened(tmp_path):
    store = SQLiteStore(tmp_path / "kat.db")
    root = RootKey(ROOT)
    wrapped = root.wrap(MATERIAL, material_purpose(KEY_ID, 1))
    with store.write() as tx:
        tx.insert_key(KeyRecord(KEY_ID, "123456789012", "us-east-1",
                                f"arn:aws:kms:us-east-1:123456789012:key/{KEY_ID}", wrapped,
                                "Enabled", "", False, 0.0))
        tx.insert_key_version(KEY_ID, 1, wrapped, 0.0)
    yield store, KeyService(store, root, ManualClock(0.0))
    store.close()


def test_format_2_header_names_key_and_version():
    """A blob starts with SRDK 0x02, the key id's length and text, then a 4-byte version."""
    header = parse_blob(FORMAT_2)
    assert header is not None
    assert not header.legacy
    assert (header.key_id, header.version) == (KEY_ID, 1)
    assert FORMAT_2.startswith(blob_header(KEY_ID, 1))
    assert blob_header(KEY_ID, 1) == b"SRDK\x02" + bytes([36]) + KEY_ID.encode() + b"\0\0\0\1"
    assert len(FORMAT_2) == len(blob_header(KEY_ID, 1)) + 12 + len(PLAINTEXT) + 16


@pytest.mark.parametrize("blob", [FORMAT_2, FORMAT_1], ids=["format-2", "format-1"])
def test_frozen_blobs_still_open(opened, blob):
    """Known-answer blobs of both formats open to their plaintext under their context."""
    store, keys = opened
    with store.read() as tx:
        assert keys.open_blob(tx, blob, CONTEXT) == PLAINTEXT


@pytest.mark.parametrize("blob", [FORMAT_2, FORMAT_1], ids=["format-2", "format-1"])
def test_frozen_blobs_refuse_another_context(opened, blob):
    """The encryption context is bound: a different one does not open the blob."""
    store, keys = opened
    with store.read() as tx, pytest.raises(DecryptFailed):
        keys.open_blob(tx, blob, {**CONTEXT, "SecretVersionId": "v2"})


def test_a_version_that_does_not_exist_does_not_open(opened):
    """Claiming another material version in the header fails without saying why."""
    store, keys = opened
    forged = blob_header(KEY_ID, 2) + FORMAT_2[len(blob_header(KEY_ID, 1)):]
    with store.read() as tx, pytest.raises(DecryptFailed):
        keys.open_blob(tx, forged, CONTEXT)
