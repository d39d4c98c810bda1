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

_CHUNKS = (64, 16, 4, 1)
_INSERT = {n: f"INSERT INTO audit_records ({_COLUMNS}) VALUES "
              + ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * n)
           for n in _CHUNKS}


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


@dataclass(frozen=True, repr=False)
class AuditSigningKeyRow:
    """An Ed25519 key pair that signs checkpoints; the private key is root-wrapped."""

    key_id: str
    public_key: bytes
    private_wrapped: bytes
    created: float


@dataclass(frozen=True)
class AuditCheckpointRow:
    """A signed (seq, digest) of one account's chain (table audit_digests)."""

    account_id: str
    seq: int
    digest: str
    created: float
    signature: bytes
    key_id: str


@dataclass(frozen=True)
class AuditLookupFilter:
    """One LookupEvents query: `column` is one of LOOKUP_COLUMNS (or None), matched exactly;
    `resource_like` is a LIKE pattern (escape character backslash) on the resources JSON."""

    account_id: str
    region: str
    start: float
    end: float
    column: str | None = None
    value: str | int | None = None
    resource_like: str | None = None


LOOKUP_COLUMNS = frozenset({"event_id", "event_name", "read_only", "username", "access_key_id",
                            "event_source"})
_CHECKPOINT_COLUMNS = "account_id, seq, digest, created, signature, key_id"


def _checkpoint(r: Sequence[Any]) -> AuditCheckpointRow:
    return AuditCheckpointRow(str(r[0]), int(r[1]), str(r[2]), float(r[3]), bytes(r[4]),
                              str(r[5]))


class AuditQueries(QueryBase):
    def append_audit(self, entries: Sequence[AuditEntry],
                     digest_of: Callable[[str, str], str]) -> list[AuditRow]:
        """Append in order, chaining each record to its account's head. `digest_of(prev,
        record)` is the chain function (audit.chain.link), passed in so that the hash
        construction lives in one place above the store. Rows go in a few multi-row
        INSERTs (one round trip each on PostgreSQL), and each head is updated once."""
        heads: dict[str, tuple[int, str]] = {}
        for account in sorted({e.account_id for e in entries}):  # one lock order: no deadlock
            heads[account] = self._locked_head(account)
        appended = []
        for e in entries:
            seq, prev = heads[e.account_id]
            seq += 1
            digest = digest_of(prev, e.record)
            heads[e.account_id] = (seq, digest)
            appended.append(AuditRow(e.account_id, seq, e.event_id, e.event_time, e.region,
                                     e.event_source, e.event_name, e.read_only, e.event_type,
                                     e.username, e.access_key_id, e.resources, e.record, prev,
                                     digest))
        done = 0
        while done < len(appended):
            # Few distinct statement texts (each is prepared and cached): chunks of
            # 64, 16, 4 or 1 rows.
            size = next(n for n in _CHUNKS if n <= len(appended) - done)
            params: list[Any] = []
            for r in appended[done:done + size]:
                params += (r.account_id, r.seq, r.event_id, r.event_time, r.region,
                           r.event_source, r.event_name, int(r.read_only), r.event_type,
                           r.username, r.access_key_id, r.resources, r.record, r.prev_digest,
                           r.digest)
            self._run(_INSERT[size], params)
            done += size
        for account, (seq, digest) in heads.items():
            self._run("UPDATE audit_heads SET seq = ?, digest = ? WHERE account_id = ?",
                      (seq, digest, account))
        return appended

    def _locked_head(self, account: str) -> tuple[int, str]:
        """The account's chain head, locked (FOR UPDATE) for this transaction; created at
        the genesis if the account has none yet."""
        select = f"SELECT seq, digest FROM audit_heads WHERE account_id = ?{self._lock_suffix}"
        row = self._one(select, (account,))
        if row is None:
            self._run("INSERT INTO audit_heads (account_id, seq, digest) VALUES (?, 0, ?) "
                      "ON CONFLICT (account_id) DO NOTHING", (account, GENESIS))
            row = self._one(select, (account,))
            if row is None:
                raise RuntimeError("audit head vanished inside its transaction")
        return (int(row[0]), str(row[1]))

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

    # --- reading for verification, lookup, tail and export (audit.verify, audit.lookup) ---

    def audit_record_at(self, account_id: str, seq: int) -> AuditRow | None:
        row = self._one(f"SELECT {_COLUMNS} FROM audit_records WHERE account_id = ? AND seq = ?",
                        (account_id, seq))
        return _row(row) if row else None

    def audit_latest(self, account_id: str, count: int) -> list[AuditRow]:
        """One account's last `count` records, in chain order."""
        rows = self._rows(
            f"SELECT {_COLUMNS} FROM audit_records WHERE account_id = ? "
            "ORDER BY seq DESC LIMIT ?", (account_id, count))
        return [_row(r) for r in reversed(rows)]

    def audit_lookup(self, query: AuditLookupFilter, *, before_seq: int | None,
                     limit: int) -> list[AuditRow]:
        """Records of one account and region in [start, end] matching the filter, newest
        (highest seq) first, below `before_seq` when given."""
        sql = (f"SELECT {_COLUMNS} FROM audit_records WHERE account_id = ? AND region = ? "
               "AND event_time >= ? AND event_time <= ?")
        params: list[Any] = [query.account_id, query.region, query.start, query.end]
        if query.column is not None:
            if query.column not in LOOKUP_COLUMNS:
                raise ValueError(f"not a lookup column: {query.column}")
            sql += f" AND {query.column} = ?"
            params.append(query.value)
        if query.resource_like is not None:
            sql += " AND resources LIKE ? ESCAPE '\\'"
            params.append(query.resource_like)
        if before_seq is not None:
            sql += " AND seq < ?"
            params.append(before_seq)
        sql += " ORDER BY seq DESC LIMIT ?"
        params.append(limit)
        return [_row(r) for r in self._rows(sql, params)]

    # --- signed checkpoints (audit.digests) -------------------------------------------------

    def audit_signing_keys(self) -> list[AuditSigningKeyRow]:
        return [AuditSigningKeyRow(str(r[0]), bytes(r[1]), bytes(r[2]), float(r[3]))
                for r in self._rows("SELECT key_id, public_key, private_wrapped, created "
                                    "FROM audit_signing_keys ORDER BY created, key_id")]

    def insert_audit_signing_key(self, key: AuditSigningKeyRow) -> None:
        self._run("INSERT INTO audit_signing_keys (key_id, public_key, private_wrapped, created) "
                  "VALUES (?, ?, ?, ?)",
                  (key.key_id, key.public_key, key.private_wrapped, key.created))

    def audit_checkpoints(self, account_id: str) -> list[AuditCheckpointRow]:
        return [_checkpoint(r) for r in self._rows(
            f"SELECT {_CHECKPOINT_COLUMNS} FROM audit_digests WHERE account_id = ? "
            "ORDER BY seq", (account_id,))]

    def audit_checkpoint_accounts(self) -> list[str]:
        return [str(r[0]) for r in self._rows(
            "SELECT DISTINCT account_id FROM audit_digests ORDER BY account_id")]

    def last_audit_checkpoint(self, account_id: str) -> AuditCheckpointRow | None:
        row = self._one(f"SELECT {_CHECKPOINT_COLUMNS} FROM audit_digests WHERE account_id = ? "
                        "ORDER BY seq DESC LIMIT 1", (account_id,))
        return _checkpoint(row) if row else None

    def insert_audit_checkpoint(self, checkpoint: AuditCheckpointRow) -> bool:
        """False when that account already has a checkpoint at that seq (another node's)."""
        return self._run(
            f"INSERT INTO audit_digests ({_CHECKPOINT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (account_id, seq) DO NOTHING",
            (checkpoint.account_id, checkpoint.seq, checkpoint.digest, checkpoint.created,
             checkpoint.signature, checkpoint.key_id)) > 0

    # --- sinks (audit.sink) ---------------------------------------------------------------

    def audit_sink_cursor(self, sink_name: str, account_id: str) -> int:
        row = self._one("SELECT seq FROM audit_sink_cursors WHERE sink_name = ? AND account_id = ?",
                        (sink_name, account_id))
        return int(row[0]) if row else 0

    def set_audit_sink_cursor(self, sink_name: str, account_id: str, seq: int) -> None:
        self._run("INSERT INTO audit_sink_cursors (sink_name, account_id, seq) VALUES (?, ?, ?) "
                  "ON CONFLICT (sink_name, account_id) DO UPDATE SET seq = excluded.seq",
                  (sink_name, account_id, seq))
