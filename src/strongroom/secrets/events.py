"""The service's own events (CloudTrail's AwsServiceEvent records): things Secrets
Manager does by itself rather than in answer to a call, such as a rotation starting,
succeeding or failing.

Each is appended to the account's audit trail in the same transaction as the change
it reports, so an event exists exactly when its change does.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from enum import StrEnum

from strongroom.audit.chain import link
from strongroom.audit.records import service_event
from strongroom.storage.sql import Tx

log = logging.getLogger("strongroom.events")

_counts: Counter[str] = Counter()
_counts_lock = threading.Lock()


class ServiceEvent(StrEnum):
    ROTATION_STARTED = "RotationStarted"
    ROTATION_SUCCEEDED = "RotationSucceeded"
    ROTATION_FAILED = "RotationFailed"
    ROTATION_ABANDONED = "RotationAbandoned"
    TEST_ROTATION_STARTED = "TestRotationStarted"
    TEST_ROTATION_SUCCEEDED = "TestRotationSucceeded"
    TEST_ROTATION_FAILED = "TestRotationFailed"
    START_SECRET_VERSION_DELETE = "StartSecretVersionDelete"  # noqa: S105 - event names
    END_SECRET_VERSION_DELETE = "EndSecretVersionDelete"  # noqa: S105
    CANCEL_SECRET_VERSION_DELETE = "CancelSecretVersionDelete"  # noqa: S105
    # replication event names are UNCONFIRMED (reference/audit-and-events.md)
    REPLICATION_STARTED = "ReplicationStarted"
    REPLICATION_SUCCEEDED = "ReplicationSucceeded"
    REPLICATION_FAILED = "ReplicationFailed"


def record_event(tx: Tx, *, now: float, account_id: str, region: str, event: ServiceEvent,
                 secret_arn: str, error_message: str | None = None) -> None:
    """Append one service event. `error_message` must never hold a secret value: callers
    pass step names and function ARNs, never function output."""
    tx.append_audit([service_event(account_id=account_id, region=region, now=now,
                                   event_name=event.value, secret_arn=secret_arn,
                                   error_message=error_message)], link)
    with _counts_lock:
        _counts[event.value] += 1
    if error_message is None:
        log.info("%s %s", event.value, secret_arn)
    else:
        log.warning("%s %s: %s", event.value, secret_arn, error_message)


def event_counts() -> dict[str, int]:
    """Service events recorded by this process since it started, by name (for metrics:
    rotation and replication outcomes)."""
    with _counts_lock:
        return dict(_counts)
