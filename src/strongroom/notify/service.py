"""Managing subscriptions: subscribe, list, delete, and report how delivery is going.

A webhook's signing secret is generated here, shown once to whoever subscribed, and
stored only wrapped by the root key (as IAM secret keys are); the dispatcher unwraps it
to sign. This module neither delivers nor reads the audit trail beyond its head.
"""

from __future__ import annotations

import json
import secrets as random_source
import uuid
from dataclasses import dataclass

from strongroom.core.clock import Clock
from strongroom.keys.rekey import event_subscription_purpose
from strongroom.keys.rootkey import RootKey
from strongroom.notify.errors import InvalidTarget, SubscriptionExists, SubscriptionNotFound
from strongroom.notify.model import (
    DeliveryStatus,
    NatsTarget,
    Subscription,
    Target,
    TargetKind,
    WebhookTarget,
    check_name,
)
from strongroom.notify.patterns import parse_pattern
from strongroom.storage.base import Store, UniqueViolation
from strongroom.storage.queries_notify import SubscriptionRecord

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, as Stripe's signing secrets have


def signing_purpose(subscription_id: str) -> str:
    """The root key's associated data for a subscription's signing secret."""
    return event_subscription_purpose(subscription_id)


@dataclass(frozen=True, repr=False)
class Subscribed:
    subscription: Subscription
    signing_secret: str | None  # webhooks only; shown once, never stored in the clear


def subscription_of(record: SubscriptionRecord) -> Subscription:
    target: Target
    if record.target_kind == TargetKind.WEBHOOK:
        target = WebhookTarget(record.target, record.ca_file)
    else:
        target = NatsTarget.from_text(record.target)
    return Subscription(
        id=record.id, account_id=record.account_id, name=record.name, target=target,
        pattern=json.loads(record.pattern) if record.pattern else None,
        include_read_only=record.include_read_only, enabled=record.enabled,
        created=record.created)


class Subscriptions:
    def __init__(self, store: Store, root: RootKey, clock: Clock) -> None:
        self._store = store
        self._root = root
        self._clock = clock

    def subscribe(self, account_id: str, name: str, target: Target, *,
                  pattern: str | None = None, include_read_only: bool = False,
                  from_start: bool = False) -> Subscribed:
        """A new subscription, receiving the account's events from now on (or, with
        `from_start`, its whole audit trail). Raises InvalidPattern, InvalidTarget,
        SubscriptionExists."""
        check_name(name)
        if pattern is not None:
            pattern = json.dumps(parse_pattern(pattern), separators=(",", ":"))
        subscription_id = str(uuid.uuid4())
        secret = wrapped = None
        if isinstance(target, WebhookTarget):
            secret = SECRET_PREFIX + random_source.token_urlsafe(32)
            wrapped = self._root.wrap(secret.encode(), signing_purpose(subscription_id))
        now = self._clock.now()
        record = SubscriptionRecord(
            id=subscription_id, account_id=account_id, name=name,
            target_kind=(TargetKind.WEBHOOK if isinstance(target, WebhookTarget)
                         else TargetKind.NATS).value,
            target=target.url if isinstance(target, WebhookTarget) else target.to_text(),
            secret_wrapped=wrapped,
            ca_file=target.ca_file if isinstance(target, WebhookTarget) else None,
            pattern=pattern, include_read_only=include_read_only, enabled=True, created=now)
        try:
            with self._store.write() as tx:
                if tx.get_account(account_id) is None:
                    raise InvalidTarget(f"there is no account {account_id}")
                if tx.subscription_by_name(account_id, name) is not None:
                    raise SubscriptionExists(account_id, name)
                cursor = 0 if from_start else tx.audit_head_seq(account_id)
                tx.insert_subscription(record, cursor_seq=cursor, now=now)
        except UniqueViolation as exc:
            raise SubscriptionExists(account_id, name) from exc
        return Subscribed(subscription_of(record), secret)

    def all(self, account_id: str | None = None) -> list[Subscription]:
        with self._store.read() as tx:
            return [subscription_of(r) for r in tx.list_subscriptions(account_id)]

    def get(self, account_id: str, name: str) -> Subscription:
        with self._store.read() as tx:
            record = tx.subscription_by_name(account_id, name)
        if record is None:
            raise SubscriptionNotFound(account_id, name)
        return subscription_of(record)

    def delete(self, account_id: str, name: str) -> None:
        with self._store.write() as tx:
            record = tx.subscription_by_name(account_id, name)
            if record is None:
                raise SubscriptionNotFound(account_id, name)
            tx.delete_subscription(record.id)

    def status(self, account_id: str | None = None) -> list[DeliveryStatus]:
        found = []
        with self._store.read() as tx:
            for record in tx.list_subscriptions(account_id):
                delivery = tx.get_delivery(record.id)
                if delivery is None:
                    continue
                found.append(DeliveryStatus(
                    subscription=subscription_of(record), cursor=delivery.cursor_seq,
                    head=tx.audit_head_seq(record.account_id), attempts=delivery.attempts,
                    next_attempt=delivery.next_attempt, last_error=delivery.last_error,
                    last_delivered=delivery.last_delivered, delivered=delivery.delivered))
        return found
