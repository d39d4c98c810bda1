"""The service's own events (CloudTrail's AwsServiceEvent records): things Secrets
Manager does by itself rather than in answer to a call, such as a rotation starting,
succeeding or failing.

Each is written in the same transaction as the change it reports, so an event exists
exactly when its change does. The audit trail turns these rows into CloudTrail
records; until then they are readable through `Tx.service_events`, and logged.
"""

from __future__ import annotations

import json
import logging
import uuid
from enum import StrEnum

from strongroom.storage.sql import Tx

log = logging.getLogger("strongroom.events")


class ServiceEvent(StrEnum):
    ROTATION_STARTED = "RotationStarted"
    ROTATION_SUCCEEDED = "RotationSucceeded"
    ROTATION_FAILED = "RotationFailed"
    ROTATION_ABANDONED = "RotationAbandoned"
    TEST_ROTATION_STARTED = "TestRotationStarted"
    TEST_ROTATION_SUCCEEDED = "TestRotationSucceeded"
    TEST_ROTATION_FAILED = "TestRotationFailed"


def record_event(tx: Tx, *, now: float, account_id: str, region: str, event: ServiceEvent,
                 secret_arn: str, error_message: str | None = None) -> None:
    """Write one service event. `error_message` must never hold a secret value: callers
    pass step names and function ARNs, never function output."""
    details: dict[str, object] = {
        # AWS's request id for rotation events (audit-and-events.md)
        "requestID": f"Rotation-{secret_arn}-{uuid.uuid4()}",
        "additionalEventData": {"SecretId": secret_arn},
    }
    if error_message is not None:
        details["errorMessage"] = error_message
    tx.insert_service_event(account_id, region, now, event.value, secret_arn,
                            json.dumps(details, sort_keys=True))
    if error_message is None:
        log.info("%s %s", event.value, secret_arn)
    else:
        log.warning("%s %s: %s", event.value, secret_arn, error_message)
