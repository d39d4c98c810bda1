"""The KMS service's own rules: deletion purges material, rotation schedules, key
references and the wire table."""

from __future__ import annotations

import inspect

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom.core.clock import ManualClock
from strongroom.core.errors import StrongroomError
from strongroom.core.types import Principal, RequestContext
from strongroom.keys.rootkey import RootKey
from strongroom.keys.service import KeyService
from strongroom.kms import errors as kms_errors
from strongroom.kms.errors import InvalidArnRegion, InvalidCiphertext, InvalidKeyId, KeyNotFound
from strongroom.kms.model import DAY, parse_key_ref
from strongroom.kms.service import KmsService
from strongroom.policy.authorizer import AdministratorsOnly
from strongroom.protocol.errors import TABLE
from strongroom.storage.sqlite import SQLiteStore

ACCOUNT = "123456789012"
CTX = RequestContext(
    principal=Principal(ACCOUNT, f"arn:aws:iam::{ACCOUNT}:user/admin", "AIDA1", "admin",
                        "IAMUser", "AKIA1", is_admin=True),
    region="us-east-1", request_id="r")


@pytest.fixture
def service(tmp_path):
    store = SQLiteStore(tmp_path / "kms.db")
    root, _ = RootKey.load_or_create(tmp_path / "root.key")
    clock = ManualClock(1_700_000_000.0)
    keys = KeyService(store, root, clock)
    yield KmsService(store, keys, AdministratorsOnly(), clock), clock, store
    store.close()


def test_purge_deletes_keys_past_their_deletion_date_and_their_material(service):
    """After the waiting period the key, its material and aliases are gone for good."""
    kms, clock, store = service
    key = kms.create_key(CTX)
    kms.create_alias(CTX, "alias/doomed", key.key_id)
    _arn, blob = kms.encrypt(CTX, key.key_id, b"x")
    kms.schedule_key_deletion(CTX, key.key_id, 7)
    assert kms.purge_due() == 0
    clock.advance(7 * DAY + 1)
    assert kms.purge_due() == 1
    with store.read() as tx:
        assert tx.get_kms_key(key.key_id) is None
        assert tx.get_key_version(key.key_id, 1) is None
        assert tx.get_alias(ACCOUNT, "us-east-1", "alias/doomed") is None
    with pytest.raises(KeyNotFound):
        kms.describe_key(CTX, key.key_id)
    with pytest.raises(InvalidCiphertext):
        kms.decrypt(CTX, blob)


def test_cancelled_deletion_is_not_purged(service):
    """A key whose deletion was cancelled survives its old deletion date."""
    kms, clock, _ = service
    key = kms.create_key(CTX)
    kms.schedule_key_deletion(CTX, key.key_id, 7)
    kms.cancel_key_deletion(CTX, key.key_id)
    clock.advance(8 * DAY)
    assert kms.purge_due() == 0
    assert kms.describe_key(CTX, key.key_id).state.value == "Disabled"


def test_scheduled_rotation_adds_a_version_when_due(service):
    """Automatic rotation adds material once its period has passed; old blobs still open."""
    kms, clock, store = service
    key = kms.create_key(CTX)
    kms.enable_key_rotation(CTX, key.key_id, 90)
    _arn, old = kms.encrypt(CTX, key.key_id, b"old")
    assert kms.rotate_due() == 0
    clock.advance(90 * DAY + 1)
    assert kms.rotate_due() == 1
    with store.read() as tx:
        record = tx.get_kms_key(key.key_id)
    assert record is not None
    assert record.current_version == 2
    assert record.next_rotation == pytest.approx(clock.now() + 90 * DAY)
    assert kms.decrypt(CTX, old).plaintext == b"old"


@settings(max_examples=25, deadline=None)
@given(plaintext=st.binary(min_size=1, max_size=4096),
       context=st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=8),
                               max_size=3))
def test_encrypt_decrypt_round_trips(tmp_path_factory, plaintext, context):
    """Whatever the plaintext and context, Decrypt returns what Encrypt was given."""
    tmp = tmp_path_factory.mktemp("rt")
    store = SQLiteStore(tmp / "k.db")
    root, _ = RootKey.load_or_create(tmp / "root.key")
    clock = ManualClock(0.0)
    kms = KmsService(store, KeyService(store, root, clock), AdministratorsOnly(), clock)
    try:
        key = kms.create_key(CTX)
        _arn, blob = kms.encrypt(CTX, key.key_id, plaintext, context)
        assert kms.decrypt(CTX, blob, context).plaintext == plaintext
    finally:
        store.close()


@pytest.mark.parametrize(("text", "kind", "value"), [
    ("1234abcd-12ab-34cd-56ef-1234567890ab", "key", "1234abcd-12ab-34cd-56ef-1234567890ab"),
    ("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", "key",
     "1234abcd-12ab-34cd-56ef-1234567890ab"),
    ("alias/app", "alias", "alias/app"),
    ("arn:aws:kms:us-east-1:123456789012:alias/app", "alias", "alias/app"),
])
def test_key_references_parse(text, kind, value):
    """Key id, key ARN, alias name and alias ARN are all accepted."""
    ref = parse_key_ref(text, "us-east-1")
    assert (ref.kind, ref.value) == (kind, value)


def test_bad_key_references_are_refused():
    """Garbage is an invalid key id; an ARN of another region says so."""
    with pytest.raises(InvalidKeyId):
        parse_key_ref("not-a-key", "us-east-1")
    with pytest.raises(InvalidArnRegion):
        parse_key_ref("arn:aws:kms:eu-west-1:123456789012:alias/app", "us-east-1")


def test_every_kms_error_has_a_wire_row():
    """Every KMS error class maps to an AWS error code."""
    missing = [cls.__name__ for _, cls in inspect.getmembers(kms_errors, inspect.isclass)
               if issubclass(cls, StrongroomError) and cls.__module__ == kms_errors.__name__
               and cls is not kms_errors.KmsError and cls not in TABLE]
    assert missing == []
