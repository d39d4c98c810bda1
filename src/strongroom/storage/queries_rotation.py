"""SQL for rotations in progress, secrets due for rotation, and service events.

A rotation row exists while a rotation (or a rotation test) of its secret is under
way or has failed and awaits a retry; its primary key is the secret, so two nodes
can never both start one. The worker running it holds a lease (`lease_owner`,
`lease_until`) and renews it; a lease that ran out means its worker died, and any
worker may take the rotation over from the step it had reached.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from strongroom.storage.queries_base import QueryBase

_COLUMNS = (
    "secret_pk, token, kind, function_arn, step, state, attempts, started, due, window_end, "
    "lease_owner, lease_until, rotation_token_hash, last_error"
)


@dataclass(frozen=True)
class RotationRecord:
    secret_pk: int
    token: str  # the VersionId of the AWSPENDING version
    kind: str  # "rotate" or "test"
    function_arn: str
    step: str  # the step to run next
    state: str  # "running" or "failed"
    attempts: int
    started: float
    due: float  # a worker may pick it up from then on
    window_end: float | None
    lease_owner: str | None
    lease_until: float | None
    rotation_token_hash: str | None
    last_error: str | None


def _rotation(row: Sequence[Any]) -> RotationRecord:
    return RotationRecord(*row)


class RotationQueries(QueryBase):
    def insert_rotation(self, r: RotationRecord) -> None:
        self._run(
            f"INSERT INTO rotations ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (r.secret_pk, r.token, r.kind, r.function_arn, r.step, r.state, r.attempts,
             r.started, r.due, r.window_end, r.lease_owner, r.lease_until,
             r.rotation_token_hash, r.last_error),
        )

    def get_rotation(self, secret_pk: int, *, lock: bool = False) -> RotationRecord | None:
        row = self._one(
            f"SELECT {_COLUMNS} FROM rotations WHERE secret_pk = ?"
            f"{self._lock_suffix if lock else ''}",
            (secret_pk,),
        )
        return _rotation(row) if row else None

    def delete_rotation(self, secret_pk: int) -> None:
        self._run("DELETE FROM rotations WHERE secret_pk = ?", (secret_pk,))

    def update_rotation(self, secret_pk: int, *, owner: str | None = None, **fields: Any) -> bool:
        """Set the named columns; with `owner`, only while that worker holds the lease.
        Returns whether a row changed (False: gone, or the lease was lost)."""
        allowed = {"step", "state", "attempts", "due", "lease_owner", "lease_until",
                   "rotation_token_hash", "last_error", "token", "window_end"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        assignments = ", ".join(f"{name} = ?" for name in fields)
        sql = f"UPDATE rotations SET {assignments} WHERE secret_pk = ?"
        params: list[Any] = [*fields.values(), secret_pk]
        if owner is not None:
            sql += " AND lease_owner = ?"
            params.append(owner)
        return self._run(sql, params) > 0

    def claim_rotation(self, secret_pk: int, owner: str, now: float, until: float) -> bool:
        """Take the lease if nobody holds a live one; exactly one of racing workers wins
        (the UPDATE re-checks its condition on the locked row)."""
        return self._run(
            "UPDATE rotations SET lease_owner = ?, lease_until = ? WHERE secret_pk = ? "
            "AND state = 'running' AND due <= ? AND (lease_until IS NULL OR lease_until < ?)",
            (owner, until, secret_pk, now, now),
        ) > 0

    def claimable_rotations(self, now: float, limit: int) -> list[RotationRecord]:
        """Rotations due and not leased (or whose lease ran out), oldest first; a secret
        scheduled for deletion keeps its rotation waiting until it is restored."""
        columns = ", ".join(f"r.{c.strip()}" for c in _COLUMNS.split(","))
        rows = self._rows(
            f"SELECT {columns} FROM rotations r JOIN secrets s ON s.pk = r.secret_pk "
            "WHERE r.state = 'running' AND r.due <= ? AND s.deleted_date IS NULL "
            "AND (r.lease_until IS NULL OR r.lease_until < ?) ORDER BY r.due LIMIT ?",
            (now, now, limit),
        )
        return [_rotation(r) for r in rows]

    def secrets_due_for_rotation(self, now: float, limit: int) -> list[int]:
        """Secrets whose rotation window has opened and that have no rotation row yet,
        or whose failed rotation waits for this window to be retried."""
        rows = self._rows(
            "SELECT s.pk FROM secrets s LEFT JOIN rotations r ON r.secret_pk = s.pk "
            "WHERE s.rotation_enabled = 1 AND s.next_rotation IS NOT NULL "
            "AND s.next_rotation <= ? AND s.deleted_date IS NULL "
            "AND (r.secret_pk IS NULL OR (r.state = 'failed' AND r.due <= ?)) "
            "ORDER BY s.next_rotation LIMIT ?",
            (now, now, limit),
        )
        return [int(r[0]) for r in rows]

    def renew_leases(self, owner: str, until: float) -> int:
        return self._run("UPDATE rotations SET lease_until = ? WHERE lease_owner = ?",
                         (until, owner))
