"""Small assertions shared by the end-to-end tests."""

from __future__ import annotations

import json
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError


def aws_error(call: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[str, str, int]:
    """Run a call that must fail; return (code, message, HTTP status)."""
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    err = info.value.response
    return (err["Error"]["Code"], err["Error"].get("Message", ""),
            err["ResponseMetadata"]["HTTPStatusCode"])


def service_events(store: Any, account_id: str, secret_arn: str) -> list[tuple[str, str | None]]:
    """(eventName, errorMessage) of the service events (AwsServiceEvent) about one secret,
    read from the account's audit trail in order."""
    found = []
    with store.read() as tx:
        for row in tx.audit_records(account_id, limit=100_000):
            if row.event_type != "AwsServiceEvent":
                continue
            record = json.loads(row.record)
            if (record.get("additionalEventData") or {}).get("SecretId") == secret_arn:
                found.append((record["eventName"], record.get("errorMessage")))
    return found


def shared_dir() -> Path:
    """A directory functions can write to: they run as an unprivileged user when the
    server runs as root, and pytest's tmp_path (under a 0700 directory) is out of reach."""
    path = Path(tempfile.mkdtemp(prefix="strongroom-shared-"))
    path.chmod(0o1777)
    return path


def race(count: int, action: Callable[[], object]) -> list[str]:
    """Run `action` on `count` threads at once; each outcome is "created" or the name of
    the exception it raised."""
    outcomes: list[str] = []

    def attempt() -> None:
        try:
            action()
            outcomes.append("created")
        except Exception as exc:
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=attempt) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes
