"""The EventBridge envelope around a CloudTrail record (reference/audit-and-events.md §6).

Secrets Manager reaches EventBridge only through CloudTrail, so an event is the audit
record itself under `detail`, with the envelope's id taken from the record's eventID:
the id is then the same on every retry and on every node, and subscribers de-duplicate
on it. Records never hold secret values (audit.records), so neither do events.
"""

from __future__ import annotations

import json
from typing import Any

from strongroom.storage.queries_audit import AuditRow

API_CALL = "AWS API Call via CloudTrail"
SERVICE_EVENT = "AWS Service Event via CloudTrail"
_DETAIL_TYPES = {"AwsApiCall": API_CALL, "AwsServiceEvent": SERVICE_EVENT,
                 "AwsConsoleAction": "AWS Console Action via CloudTrail",
                 "AwsConsoleSignIn": "AWS Console Sign In via CloudTrail"}


def source_of(event_source: str) -> str:
    """`secretsmanager.amazonaws.com` -> `aws.secretsmanager`."""
    return "aws." + event_source.split(".", 1)[0]


def envelope(row: AuditRow) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(row.record)
    return {
        "version": "0",
        "id": str(record.get("eventID") or row.event_id),
        "detail-type": _DETAIL_TYPES.get(row.event_type, API_CALL),
        "source": source_of(row.event_source),
        "account": str(record.get("recipientAccountId") or row.account_id),
        "time": str(record.get("eventTime")),
        "region": row.region,
        "resources": [],
        "detail": record,
    }


def body_of(event: dict[str, Any]) -> bytes:
    """The bytes sent (and signed): compact JSON, keys in envelope order."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()
