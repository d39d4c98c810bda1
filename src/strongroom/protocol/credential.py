"""The SigV4 credential a request claims, read without verifying it.

Routing (which query-protocol service a request is for) and the audit record of a call
that fails authentication both need the claimed access key id, region and service
before, or without, the signature being checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs

from strongroom.auth.sigv4 import HttpRequest

_CREDENTIAL = re.compile(r"Credential=([^,\s]+)")
_PART = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class ClaimedScope:
    """Empty strings where absent or malformed (never more than 64 safe characters)."""

    access_key_id: str = ""
    region: str = ""
    service: str = ""


def claimed_scope(request: HttpRequest) -> ClaimedScope:
    """From the Authorization header, else `X-Amz-Credential` in the query string."""
    credential = ""
    for name, value in request.headers:
        if name.lower() == "authorization":
            found = _CREDENTIAL.search(value)
            credential = found.group(1) if found else ""
            break
    if not credential and "X-Amz-Credential" in request.query:
        credential = (parse_qs(request.query).get("X-Amz-Credential") or [""])[0]
    parts = credential.split("/")
    if len(parts) != 5:
        return ClaimedScope(_clean(credential))
    return ClaimedScope(_clean(parts[0]), _clean(parts[2]), _clean(parts[3]))


def _clean(text: str) -> str:
    return text if _PART.fullmatch(text) else ""


def claimed_later(request: HttpRequest) -> Callable[[], tuple[str, str, str]]:
    """`claimed_scope` as the audit trail asks for it: lazily (most callers authenticate,
    and then it is never read), as (access key id, region, service)."""

    def read() -> tuple[str, str, str]:
        scope = claimed_scope(request)
        return scope.access_key_id, scope.region, scope.service

    return read
