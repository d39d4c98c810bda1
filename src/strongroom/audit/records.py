"""CloudTrail records: the shape every audit record has, and AWS's service events.

Field names, order of presence and formats follow CloudTrail's record contents
(reference/audit-and-events.md, sections 1 and 2). A record never holds a secret value: API-call
records are built from allow-listed members only (audit.allowlist), service events
from identifiers and fixed texts.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from strongroom.audit.chain import canonical
from strongroom.core.types import Principal
from strongroom.storage.queries_audit import AuditEntry

EVENT_VERSION = "1.09"
# eventIDs need uniqueness, not secrecy: random bits from a generator of our own, seeded
# from the OS, which neither urandom's cost (~20 µs a call here) nor anyone re-seeding
# `random` can touch.
_RANDOM = random.Random(os.urandom(32))
_RANDOM_LOCK = threading.Lock()
SECRETS_MANAGER = "secretsmanager.amazonaws.com"
SECRET_RESOURCE = "AWS::SecretsManager::Secret"  # noqa: S105 - a resource type


_last_second: tuple[int, str] = (-1, "")  # the last eventTime formatted, by its second


def event_time(epoch: float) -> str:
    """CloudTrail's eventTime: UTC, second precision, with Z."""
    global _last_second
    second = int(epoch // 1)
    known = _last_second  # one read: another thread may replace it meanwhile
    if known[0] == second:
        return known[1]
    text = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))
    _last_second = (second, text)
    return text


def new_event_id() -> str:
    """A CloudTrail eventID: a UUID, unique per record. Time-ordered (RFC 9562 version 7:
    48 bits of Unix milliseconds, then 74 random bits), so that the index that finds a
    record by its eventID grows at its end: random (version 4) ids put every insert on a
    random page of that index, which doubled what storing a record costs."""
    with _RANDOM_LOCK:
        bits = _RANDOM.getrandbits(74)
    value = (time.time_ns() // 1_000_000 & (1 << 48) - 1) << 80 | 0x7 << 76 \
        | (bits >> 62) << 64 | 0b10 << 62 | bits & (1 << 62) - 1
    hex_ = f"{value:032x}"  # str(uuid.UUID(int=value)), without building the UUID
    return f"{hex_[:8]}-{hex_[8:12]}-{hex_[12:16]}-{hex_[16:20]}-{hex_[20:]}"


def user_identity(principal: Principal) -> dict[str, Any]:
    """CloudTrail's userIdentity for an authenticated caller."""
    identity: dict[str, Any] = {
        "type": principal.kind, "principalId": principal.user_id, "arn": principal.arn,
        "accountId": principal.account_id, "accessKeyId": principal.access_key_id,
    }
    if principal.kind in ("IAMUser", "Root") and principal.name:
        identity["userName"] = principal.name
    if principal.role_arn is not None:
        issuer_id = principal.user_id.split(":", 1)[0]
        context: dict[str, Any] = {
            "sessionIssuer": {"type": "Role", "principalId": issuer_id,
                              "arn": principal.role_arn, "accountId": principal.account_id,
                              "userName": principal.name},
            "webIdFederationData": {},
            "attributes": {"creationDate": event_time(principal.session_issued or 0.0),
                           "mfaAuthenticated": "false"},
        }
        if principal.source_identity:
            context["sourceIdentity"] = principal.source_identity
        identity["sessionContext"] = context
    return identity


def username_of(principal: Principal | None) -> str | None:
    """LookupEvents' Username: the user's name or the role's name."""
    return principal.name if principal is not None and principal.name else None


def service_event(*, account_id: str, region: str, now: float, event_name: str,
                  secret_arn: str, error_message: str | None = None,
                  event_source: str = SECRETS_MANAGER) -> AuditEntry:
    """An AwsServiceEvent (RotationStarted, ...), shaped as AWS's sample of one."""
    record: dict[str, Any] = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": {"accountId": account_id, "invokedBy": event_source},
        "eventTime": event_time(now),
        "eventSource": event_source,
        "eventName": event_name,
        "awsRegion": region,
        "sourceIPAddress": event_source,
        "userAgent": event_source,
        "requestParameters": None,
        "responseElements": None,
        "additionalEventData": {"SecretId": secret_arn},
        "requestID": f"Rotation-{secret_arn}-{uuid.uuid4()}",
        "eventID": new_event_id(),
        "readOnly": False,
        "eventType": "AwsServiceEvent",
        "managementEvent": True,
        "recipientAccountId": account_id,
        "eventCategory": "Management",
    }
    if error_message is not None:
        record["errorMessage"] = error_message
    return entry_of(record, account_id=account_id, now=now,
                    resources=[(SECRET_RESOURCE, secret_arn)])


def entry_of(record: Mapping[str, Any], *, account_id: str, now: float,
             resources: Sequence[tuple[str, str]] = (), username: str | None = None,
             access_key_id: str | None = None) -> AuditEntry:
    """The row to append for a finished record."""
    return AuditEntry(
        account_id=account_id, event_id=str(record["eventID"]), event_time=now,
        region=str(record["awsRegion"]), event_source=str(record["eventSource"]),
        event_name=str(record["eventName"]), read_only=bool(record.get("readOnly")),
        event_type=str(record["eventType"]), username=username, access_key_id=access_key_id,
        resources=json.dumps([{"ResourceType": t, "ResourceName": n} for t, n in resources])
        if resources else None,
        record=canonical(record),
    )
