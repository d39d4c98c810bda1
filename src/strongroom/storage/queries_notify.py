"""SQL for event subscriptions and their delivery state (the outbox's cursors and leases).

A subscription's delivery row says how far into its account's audit trail it has got
(`cursor_seq`) and who may deliver for it now: a worker delivers only while it holds the
row's lease, and every change it makes is conditioned on still holding it, so two nodes
never deliver for one subscription at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from strongroom.storage.queries_base import QueryBase

_SUBSCRIPTION = (
    "id, account_id, name, target_kind, target, secret_wrapped, ca_file, pattern, "
    "include_read_only, enabled, created"
)
_DELIVERY = (
    "subscription_id, account_id, cursor_seq, attempts, next_attempt, last_error, "
    "last_delivered, delivered, lease_owner, lease_until"
)


@dataclass(frozen=True, repr=False)
class SubscriptionRecord:
    id: str
    account_id: str
    name: str
    target_kind: str  # "webhook" or "nats"
    target: str  # the webhook URL, or "<nats url> <subject>"
    secret_wrapped: bytes | None  # the webhook's HMAC key, wrapped by the root key
    ca_file: str | None
    pattern: str | None  # EventBridge event pattern (JSON text); None: every event
    include_read_only: bool
    enabled: bool
    created: float

    def __repr__(self) -> str:  # never print the wrapped key, even wrapped
        return f"SubscriptionRecord({self.id!r}, {self.account_id!r}, {self.name!r})"


@dataclass(frozen=True)
class DeliveryRecord:
    subscription_id: str
    account_id: str
    cursor_seq: int  # last audit seq done with (delivered, or not matched)
    attempts: int  # failed attempts at the event after the cursor
    next_attempt: float
    last_error: str | None
    last_delivered: float | None
    delivered: int  # events delivered so far
    lease_owner: str | None
    lease_until: float | None


def _subscription(r: Sequence[Any]) -> SubscriptionRecord:
    return SubscriptionRecord(
        str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]),
        bytes(r[5]) if r[5] is not None else None, r[6], r[7], bool(r[8]), bool(r[9]),
        float(r[10]))


def _delivery(r: Sequence[Any]) -> DeliveryRecord:
    return DeliveryRecord(
        str(r[0]), str(r[1]), int(r[2]), int(r[3]), float(r[4]), r[5],
        float(r[6]) if r[6] is not None else None, int(r[7]), r[8],
        float(r[9]) if r[9] is not None else None)


class NotifyQueries(QueryBase):
    def insert_subscription(self, s: SubscriptionRecord, *, cursor_seq: int, now: float) -> None:
        self._run(
            f"INSERT INTO event_subscriptions ({_SUBSCRIPTION}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (s.id, s.account_id, s.name, s.target_kind, s.target, s.secret_wrapped, s.ca_file,
             s.pattern, int(s.include_read_only), int(s.enabled), s.created),
        )
        self._run(
            f"INSERT INTO event_deliveries ({_DELIVERY}) "
            "VALUES (?, ?, ?, 0, ?, NULL, NULL, 0, NULL, NULL)",
            (s.id, s.account_id, cursor_seq, now),
        )

    def get_subscription(self, subscription_id: str) -> SubscriptionRecord | None:
        row = self._one(f"SELECT {_SUBSCRIPTION} FROM event_subscriptions WHERE id = ?",
                        (subscription_id,))
        return _subscription(row) if row else None

    def subscription_by_name(self, account_id: str, name: str) -> SubscriptionRecord | None:
        row = self._one(f"SELECT {_SUBSCRIPTION} FROM event_subscriptions "
                        "WHERE account_id = ? AND name = ?", (account_id, name))
        return _subscription(row) if row else None

    def list_subscriptions(self, account_id: str | None = None) -> list[SubscriptionRecord]:
        if account_id is None:
            rows = self._rows(f"SELECT {_SUBSCRIPTION} FROM event_subscriptions "
                              "ORDER BY account_id, name")
        else:
            rows = self._rows(f"SELECT {_SUBSCRIPTION} FROM event_subscriptions "
                              "WHERE account_id = ? ORDER BY name", (account_id,))
        return [_subscription(r) for r in rows]

    def delete_subscription(self, subscription_id: str) -> bool:
        self._run("DELETE FROM event_deliveries WHERE subscription_id = ?", (subscription_id,))
        return self._run("DELETE FROM event_subscriptions WHERE id = ?", (subscription_id,)) > 0

    def get_delivery(self, subscription_id: str) -> DeliveryRecord | None:
        row = self._one(f"SELECT {_DELIVERY} FROM event_deliveries WHERE subscription_id = ?",
                        (subscription_id,))
        return _delivery(row) if row else None

    def deliverable_subscriptions(self, now: float, limit: int) -> list[str]:
        """Enabled subscriptions whose account's trail has records past their cursor, whose
        retry is due, and that nobody holds a live lease on; the longest waiting first."""
        rows = self._rows(
            "SELECT d.subscription_id FROM event_deliveries d "
            "JOIN event_subscriptions s ON s.id = d.subscription_id "
            "JOIN audit_heads h ON h.account_id = d.account_id "
            "WHERE s.enabled = 1 AND h.seq > d.cursor_seq AND d.next_attempt <= ? "
            "AND (d.lease_until IS NULL OR d.lease_until < ?) "
            "ORDER BY d.next_attempt LIMIT ?",
            (now, now, limit),
        )
        return [str(r[0]) for r in rows]

    def claim_delivery(self, subscription_id: str, owner: str, now: float, until: float) -> bool:
        """Take the lease if nobody holds a live one; of racing workers exactly one wins
        (the UPDATE re-checks its condition on the row it locks)."""
        return self._run(
            "UPDATE event_deliveries SET lease_owner = ?, lease_until = ? "
            "WHERE subscription_id = ? AND next_attempt <= ? "
            "AND (lease_until IS NULL OR lease_until < ?)",
            (owner, until, subscription_id, now, now),
        ) > 0

    def advance_delivery(self, subscription_id: str, owner: str, *, cursor_seq: int,
                         delivered: int, now: float, until: float | None) -> bool:
        """Move the cursor forward after success (`delivered` > 0 also clears the failure
        count and error) or past records that did not match; extend the lease to `until`
        when given. Only while `owner` holds the lease: False when it was lost."""
        return self._run(
            "UPDATE event_deliveries SET cursor_seq = ?, delivered = delivered + ?, "
            "attempts = CASE WHEN ? > 0 THEN 0 ELSE attempts END, "
            "last_error = CASE WHEN ? > 0 THEN NULL ELSE last_error END, "
            "last_delivered = CASE WHEN ? > 0 THEN ? ELSE last_delivered END, "
            "lease_until = COALESCE(?, lease_until) "
            "WHERE subscription_id = ? AND lease_owner = ? AND cursor_seq <= ?",
            (cursor_seq, delivered, delivered, delivered, delivered, now, until,
             subscription_id, owner, cursor_seq),
        ) > 0

    def delivery_failed(self, subscription_id: str, owner: str, *, cursor_seq: int,
                        next_attempt: float, error: str) -> bool:
        """Record a failed attempt at the event after `cursor_seq` (the cursor moves past
        unmatched records before it) and give the lease up until `next_attempt`."""
        return self._run(
            "UPDATE event_deliveries SET cursor_seq = ?, attempts = attempts + 1, "
            "next_attempt = ?, last_error = ?, lease_owner = NULL, lease_until = NULL "
            "WHERE subscription_id = ? AND lease_owner = ?",
            (cursor_seq, next_attempt, error[:1000], subscription_id, owner),
        ) > 0

    def release_delivery(self, subscription_id: str, owner: str) -> None:
        self._run(
            "UPDATE event_deliveries SET lease_owner = NULL, lease_until = NULL "
            "WHERE subscription_id = ? AND lease_owner = ?",
            (subscription_id, owner),
        )

    def audit_head_seq(self, account_id: str) -> int:
        row = self._one("SELECT seq FROM audit_heads WHERE account_id = ?", (account_id,))
        return int(row[0]) if row else 0
