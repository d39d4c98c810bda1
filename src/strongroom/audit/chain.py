"""The hash chain over each account's audit records, in one place.

Every record carries the digest of its predecessor; a record's digest covers that
digest and the record's canonical JSON. Deleting, reordering or editing any record
therefore breaks every digest after it, which `strongroom audit verify` detects.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from strongroom.storage.queries_audit import GENESIS

__all__ = ["GENESIS", "canonical", "link"]


# What json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False) builds
# on every call, built once: every call's record passes through here.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical(record: Mapping[str, object]) -> str:
    """The exact text that is stored and hashed: sorted keys, no spaces, UTF-8."""
    return _CANONICAL.encode(record)


def link(prev_digest: str, record_text: str) -> str:
    return hashlib.sha256(f"{prev_digest}\n{record_text}".encode()).hexdigest()
