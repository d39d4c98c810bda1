"""SQL for the audit trail: appending to an account's hash chain and reading it back.

The chain is computed here, inside the appending transaction, because only here is the
predecessor known for certain: the head row is locked first (FOR UPDATE on PostgreSQL;
SQLite writers are serialized anyway), so two appends to one account can never both
follow the same record.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from strongroom.storage.queries_base import QueryBase

GENESIS = "0" * 64

_COLUMNS = (
    "account_id, seq, event_id, event_time, region, event_source, event_name, read_only, "
    "event_type, username, access_key_id, resources, record, prev_digest, digest"
)


@dataclass(frozen=True)
class AuditEntry:
    """One record to append. `record` is the canonical JSON text (see audit.chain)."""

    account_id: str
    event_id: str
    event_time: float
    region: str
    event_source: str
    event_name: str
    read_only: bool
    event_type: str
    username: str | None
    access_key_id: str | None
    resources: str | None  # JSON list of {"ResourceType", "ResourceName"} for LookupEvents
    record: str


@dataclass(frozen=True)
class AuditRow:
    account_id: str
    seq: int
    event_id: str
    event_time: float
    region: str
    event_source: str
    event_name: str
    read_only: bool
    event_type: str
    username: str | None
    access_key_id: str | None
    resources: str | None
    record: str
    prev_digest: str
    digest: str


def _row(r: Sequence[Any]) -> AuditRow:
    return AuditRow(r[0], int(r[1]), r[2], float(r[3]), r[4], r[5], r[6], bool(r[7]), r[8],
                    r[9], r[10], r[11], r[12], r[13], r[14])


class AuditQueries(QueryBase):
    def append_audit(self, entries: Sequence[AuditEntry],
                     digest_of: Callable[[str, str], str]) -> list[AuditRow]:
        """Append in order, chaining each record to its account's head. `digest_of(prev,
        record)` is the chain function (audit.chain.link), passed in so that the hash
        construction lives in one place above the store."""
        heads: dict[str, tuple[int, str]] = {}
        for account in sorted({e.account_id for e in entries}):  # one lock order: no deadlock
            self._run("INSERT INTO audit_heads (account_id, seq, digest) VALUES (?, 0, ?) "
                      "ON CONFLICT (account_id) DO NOTHING", (account, GENESIS))
            row = self._one("SELECT seq, digest FROM audit_heads WHERE account_id = ?"
                            f"{self._lock_suffix}", (account,))
            if row is None:
                raise RuntimeError("audit head vanished inside its transaction")
            heads[account] = (int(row[0]), str(row[1]))
        appended = []
        for e in entries:
            seq, prev = heads[e.account_id]
            seq += 1
            digest = digest_of(prev, e.record)
            self._run(
                f"INSERT INTO audit_records ({_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (e.account_id, seq, e.event_id, e.event_time, e.region, e.event_source,
                 e.event_name, int(e.read_only), e.event_type, e.username, e.access_key_id,
                 e.resources, e.record, prev, digest),
            )
            heads[e.account_id] = (seq, digest)
            appended.append(AuditRow(e.account_id, seq, e.event_id, e.event_time, e.region,
                                     e.event_source, e.event_name, e.read_only, e.event_type,
                                     e.username, e.access_key_id, e.resources, e.record, prev,
                                     digest))
        for account, (seq, digest) in heads.items():
            self._run("UPDATE audit_heads SET seq = ?, digest = ? WHERE account_id = ?",
                      (seq, digest, account))
        return appended

    def audit_head(self, account_id: str) -> tuple[int, str] | None:
        row = self._one("SELECT seq, digest FROM audit_heads WHERE account_id = ?",
                        (account_id,))
        return (int(row[0]), str(row[1])) if row else None

    def audit_accounts(self) -> list[str]:
        return [str(r[0]) for r in self._rows(
            "SELECT account_id FROM audit_heads ORDER BY account_id")]

    def audit_records(self, account_id: str, *, after_seq: int = 0,
                      limit: int = 1000) -> list[AuditRow]:
        """One account's records in chain order, after `after_seq`."""
        rows = self._rows(
            f"SELECT {_COLUMNS} FROM audit_records WHERE account_id = ? AND seq > ? "
            "ORDER BY seq LIMIT ?",
            (account_id, after_seq, limit),
        )
        return [_row(r) for r in rows]
