"""Opaque page tokens shared by every listing: an offset into a stable ordering,
tied to the query that issued it.

A token from one listing is refused by another. Each service says which of its
errors a bad token becomes (InvalidNextTokenException, IAM's InvalidInput, ...).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def query_fingerprint(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def encode(offset: int, fingerprint: str) -> str:
    raw = json.dumps({"o": offset, "q": fingerprint}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode(token: str | None, fingerprint: str, invalid: Callable[[], Exception]) -> int:
    if token is None:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = int(data["o"])
        matches = data["q"] == fingerprint
    except (ValueError, KeyError, TypeError) as exc:
        raise invalid() from exc
    if offset < 0 or not matches:
        raise invalid()
    return offset


def page(items: Sequence[T], token: str | None, size: int, fingerprint: str,
         invalid: Callable[[], Exception]) -> tuple[list[T], str | None]:
    start = decode(token, fingerprint, invalid)
    end = start + size
    return list(items[start:end]), encode(end, fingerprint) if end < len(items) else None
