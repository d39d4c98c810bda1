"""Opaque NextToken values: an offset into a stable ordering, tied to the query.

A token from one query is refused by another (InvalidNextTokenException), as AWS
does for tokens it did not issue for that request.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from typing import TypeVar

from strongroom.secrets.errors import InvalidNextToken

T = TypeVar("T")


def query_fingerprint(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def encode(offset: int, fingerprint: str) -> str:
    raw = json.dumps({"o": offset, "q": fingerprint}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode(token: str | None, fingerprint: str) -> int:
    if token is None:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = int(data["o"])
        matches = data["q"] == fingerprint
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidNextToken() from exc
    if offset < 0 or not matches:
        raise InvalidNextToken()
    return offset


def page(items: Sequence[T], token: str | None, size: int, fingerprint: str
         ) -> tuple[list[T], str | None]:
    start = decode(token, fingerprint)
    chunk = list(items[start:start + size])
    end = start + size
    return chunk, encode(end, fingerprint) if end < len(items) else None
