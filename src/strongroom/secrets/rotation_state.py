"""The rotation facts every secret write must respect, in one place.

A rotation in progress is a value-less version labelled AWSPENDING (the placeholder
the function fills) plus a row in `rotations`. Starting one, and abandoning one
when a new AWSCURRENT arrives by other means, happen here so that RotateSecret, the
scheduler and the ordinary writes (PutSecretValue, UpdateSecret,
UpdateSecretVersionStage) agree on them.
"""

from __future__ import annotations

import hashlib
import hmac

from strongroom.secrets.events import ServiceEvent, record_event
from strongroom.secrets.model import Stage
from strongroom.storage.queries_rotation import RotationRecord
from strongroom.storage.records import SecretRecord, VersionRecord
from strongroom.storage.sql import Tx

STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")
ROTATE = "rotate"
TEST = "test"  # RotateImmediately=false: only testSecret runs, on a throwaway version
RUNNING = "running"
FAILED = "failed"


def rotation_in_progress(stages: dict[str, str]) -> bool:
    """AWS: after a rotation AWSPENDING is on the AWSCURRENT version or on none; anything
    else is a rotation that has not finished."""
    pending = stages.get(Stage.PENDING.value)
    return pending is not None and pending != stages.get(Stage.CURRENT.value)


def begin_rotation(tx: Tx, secret: SecretRecord, *, token: str, function_arn: str, kind: str,
                   now: float, window_end: float | None) -> None:
    """Create the placeholder version (no value, AWSPENDING) and the rotation row.
    The caller has made room for one more version."""
    tx.insert_version(VersionRecord(
        secret_pk=secret.pk, version_id=token, seq=tx.next_version_seq(secret.pk), created=now,
        last_accessed=None, kms_key_id=None, value_kind=None, wrapped_key=None, ciphertext=None,
    ))
    tx.set_stage(secret.pk, Stage.PENDING.value, token)
    tx.insert_rotation(RotationRecord(
        secret_pk=secret.pk, token=token, kind=kind, function_arn=function_arn,
        step=STEPS[0] if kind == ROTATE else "testSecret", state=RUNNING, attempts=0,
        started=now, due=now, window_end=window_end, lease_owner=None, lease_until=None,
        rotation_token_hash=None, last_error=None,
    ))
    event = ServiceEvent.ROTATION_STARTED if kind == ROTATE else ServiceEvent.TEST_ROTATION_STARTED
    record_event(tx, now=now, account_id=secret.account_id, region=secret.region, event=event,
                 secret_arn=secret.arn)


def abandon_superseded(tx: Tx, secret: SecretRecord, new_current: str, now: float) -> None:
    """A new AWSCURRENT that is not the rotation's own version ends the rotation: AWS
    removes AWSPENDING from the pending version and reports RotationAbandoned."""
    row = tx.get_rotation(secret.pk, lock=True)
    if row is None or row.token == new_current:
        return
    if tx.get_stages(secret.pk).get(Stage.PENDING.value) == row.token:
        tx.remove_stage(secret.pk, Stage.PENDING.value)
    tx.delete_rotation(secret.pk)
    if row.kind == TEST:
        tx.delete_version(secret.pk, row.token)
        return
    record_event(tx, now=now, account_id=secret.account_id, region=secret.region,
                 event=ServiceEvent.ROTATION_ABANDONED, secret_arn=secret.arn)


def token_digest(rotation_token: str) -> str:
    return hashlib.sha256(rotation_token.encode()).hexdigest()


def rotation_token_matches(row: RotationRecord | None, rotation_token: str) -> bool:
    """PutSecretValue's RotationToken must be the one the running step was given."""
    if row is None or row.rotation_token_hash is None:
        return False
    return hmac.compare_digest(row.rotation_token_hash, token_digest(rotation_token))
