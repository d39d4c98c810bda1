"""SQL for functions (the Lambda API subset) and their invocation logs.

Rows come back as the frozen records below; sealing the environment and deciding who
may see a function belong to the service, not here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from strongroom.storage.queries_base import QueryBase


@dataclass(frozen=True, repr=False)
class FunctionRecord:
    arn: str
    account_id: str
    region: str
    name: str
    runtime: str
    handler: str
    role_arn: str
    timeout: int
    memory_size: int
    description: str
    environment_sealed: bytes | None
    code_zip: bytes
    code_sha256: str
    code_size: int
    revision_id: str
    last_modified: float
    policy: str | None
    tags: str  # JSON object

    def __repr__(self) -> str:
        return f"FunctionRecord({self.arn!r})"


@dataclass(frozen=True)
class InvocationRecord:
    function_arn: str
    request_id: str
    started: float
    duration_ms: float
    ok: bool
    error_type: str | None
    log_text: str


@dataclass(frozen=True)
class LogGroupRow:
    """A function with recorded invocations (a CloudWatch Logs log group)."""

    function_name: str
    first_started: float
    stored_bytes: int


_COLUMNS = (
    "arn, account_id, region, name, runtime, handler, role_arn, timeout, memory_size, "
    "description, environment_sealed, code_zip, code_sha256, code_size, revision_id, "
    "last_modified, policy, tags"
)
_UPDATABLE = frozenset({
    "runtime", "handler", "role_arn", "timeout", "memory_size", "description",
    "environment_sealed", "code_zip", "code_sha256", "code_size", "revision_id",
    "last_modified", "policy", "tags",
})


def _function(row: Sequence[Any]) -> FunctionRecord:
    values = list(row)
    values[7], values[8], values[13] = int(values[7]), int(values[8]), int(values[13])
    values[10] = bytes(values[10]) if values[10] is not None else None
    values[11] = bytes(values[11])
    values[15] = float(values[15])
    return FunctionRecord(*values)


class LambdaQueries(QueryBase):
    def insert_function(self, f: FunctionRecord) -> None:
        self._run(
            f"INSERT INTO lambda_functions ({_COLUMNS}) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (f.arn, f.account_id, f.region, f.name, f.runtime, f.handler, f.role_arn,
             f.timeout, f.memory_size, f.description, f.environment_sealed, f.code_zip,
             f.code_sha256, f.code_size, f.revision_id, f.last_modified, f.policy, f.tags),
        )

    def get_function(self, arn: str, *, lock: bool = False) -> FunctionRecord | None:
        suffix = self._lock_suffix if lock else ""
        row = self._one(f"SELECT {_COLUMNS} FROM lambda_functions WHERE arn = ?{suffix}",
                        (arn,))
        return _function(row) if row is not None else None

    def list_functions(self, account_id: str, region: str, *, after: str, limit: int
                       ) -> list[FunctionRecord]:
        """Functions named after `after` (in name order), at most `limit`."""
        rows = self._rows(
            f"SELECT {_COLUMNS} FROM lambda_functions WHERE account_id = ? AND region = ? "
            "AND name > ? ORDER BY name LIMIT ?", (account_id, region, after, limit))
        return [_function(r) for r in rows]

    def update_function(self, arn: str, **changes: Any) -> None:
        unknown = set(changes) - _UPDATABLE
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        if not changes:
            return
        assignments = ", ".join(f"{column} = ?" for column in changes)
        self._run(f"UPDATE lambda_functions SET {assignments} WHERE arn = ?",
                  (*changes.values(), arn))

    def delete_function(self, arn: str) -> None:
        self._run("DELETE FROM lambda_invocations WHERE function_arn = ?", (arn,))
        self._run("DELETE FROM lambda_functions WHERE arn = ?", (arn,))

    def insert_invocation(self, record: InvocationRecord, *, keep: int) -> None:
        """Record one invocation and drop all but the newest `keep` of its function."""
        r = record
        self._run(
            "INSERT INTO lambda_invocations (function_arn, request_id, started, duration_ms, "
            "ok, error_type, log_text) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (r.function_arn, r.request_id, r.started, r.duration_ms, 1 if r.ok else 0,
             r.error_type, r.log_text),
        )
        self._run(
            "DELETE FROM lambda_invocations WHERE function_arn = ? AND id <= ("
            "SELECT id FROM lambda_invocations WHERE function_arn = ? "
            "ORDER BY id DESC LIMIT 1 OFFSET ?)", (r.function_arn, r.function_arn, keep))

    def recent_invocations(self, function_arn: str, limit: int) -> list[InvocationRecord]:
        rows = self._rows(
            "SELECT function_arn, request_id, started, duration_ms, ok, error_type, log_text "
            "FROM lambda_invocations WHERE function_arn = ? ORDER BY id DESC LIMIT ?",
            (function_arn, limit))
        return [InvocationRecord(r[0], r[1], float(r[2]), float(r[3]), bool(r[4]), r[5], r[6])
                for r in rows]

    def function_log_groups(self, account_id: str, region: str) -> list[LogGroupRow]:
        """Functions of an account and region that have recorded invocations, by name."""
        rows = self._rows(
            "SELECT f.name, MIN(i.started), SUM(LENGTH(i.log_text)) FROM lambda_functions f "
            "JOIN lambda_invocations i ON i.function_arn = f.arn "
            "WHERE f.account_id = ? AND f.region = ? GROUP BY f.name ORDER BY f.name",
            (account_id, region))
        return [LogGroupRow(r[0], float(r[1]), int(r[2] or 0)) for r in rows]
