"""The dispatcher: delivers each subscription's events from the audit trail, in order.

The audit trail is the outbox (every change appends its record in its own transaction),
so the dispatcher keeps no queue of its own, only a cursor per subscription in the store:

- A worker delivers for a subscription only while it holds that subscription's lease;
  before each send it makes sure the lease outlives the send's timeout, and every write
  it makes is conditioned on still holding it. Two nodes on one store therefore never
  deliver for one subscription at once, and a dead node's lease simply runs out.
- Records are read after the cursor in chain order; those the subscription does not want
  (read-only calls, a pattern that does not match) are stepped over. The cursor moves
  past an event only after the target took it, so an account's events — and therefore
  each secret's — arrive in order, none skipped, across restarts. A failed send is tried
  again, the same event with the same id, after 1 s doubling up to 5 minutes, forever:
  at-least-once, and subscribers de-duplicate on the id.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from strongroom.core.clock import Clock
from strongroom.keys.rootkey import RootKey, Sealed
from strongroom.notify import nats, webhook
from strongroom.notify.envelope import body_of, envelope
from strongroom.notify.errors import DeliveryFailed
from strongroom.notify.model import NatsTarget, Subscription, WebhookTarget
from strongroom.notify.patterns import matches
from strongroom.notify.service import signing_purpose, subscription_of
from strongroom.notify.stats import DeliveryStats
from strongroom.storage.base import Store
from strongroom.storage.queries_audit import AuditRow

log = logging.getLogger("strongroom.events")


@dataclass(frozen=True)
class DispatcherSettings:
    poll_interval: float = 1.0  # how often subscriptions with new records are looked for
    lease_seconds: float = 30.0  # must exceed `timeout` by a margin
    retry_base: float = 1.0  # first retry after this; doubles per failed attempt
    retry_cap: float = 300.0  # retries never wait longer than this
    timeout: float = 10.0  # one send (HTTP request, NATS confirmation)
    workers: int = 4  # subscriptions served at once by this dispatcher
    batch: int = 200  # records read per query
    turn_seconds: float = 10.0  # a worker moves on to other subscriptions after this


Send = Callable[[Subscription, dict[str, Any], bytes | None], None]


class Dispatcher:
    def __init__(self, store: Store, root: RootKey, clock: Clock,
                 settings: DispatcherSettings | None = None, *,
                 paused: Callable[[], bool] = lambda: False,
                 stats: DeliveryStats | None = None) -> None:
        self._store = store
        self._root = root
        self._clock = clock
        self.settings = settings or DispatcherSettings()
        if self.settings.lease_seconds <= self.settings.timeout:
            raise ValueError("the delivery lease must outlast one send's timeout")
        self._paused = paused
        self.stats = stats or DeliveryStats()
        self.owner = f"dispatcher-{uuid.uuid4()}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._running: set[str] = set()
        self._lock = threading.Lock()

    # --- lifecycle -------------------------------------------------------------

    def start(self) -> None:
        self._stop.clear()
        self._pool = ThreadPoolExecutor(max_workers=self.settings.workers,
                                        thread_name_prefix="strongroom-events")
        self._thread = threading.Thread(target=self._loop, name="strongroom-events",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop: sends under way finish (bounded by their timeout); the leases held are
        given up, so another dispatcher carries on at once from the stored cursors."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if not self._paused():
                    self._dispatch()
                    self._refresh_backlog()
            except Exception:
                log.exception("event dispatch pass failed; will retry")
            self._wake.wait(self.settings.poll_interval)
            self._wake.clear()

    def _dispatch(self) -> None:
        if self._pool is None:
            raise RuntimeError("the dispatcher was not started")
        with self._lock:
            free = self.settings.workers - len(self._running)
        if free <= 0:
            return
        for subscription_id in self.claim(free):
            with self._lock:
                self._running.add(subscription_id)
            self._pool.submit(self._serve_and_release, subscription_id)

    def _serve_and_release(self, subscription_id: str) -> None:
        try:
            self.serve(subscription_id)
        except Exception:
            log.exception("delivering events of subscription %s failed unexpectedly",
                          subscription_id)
            self._release(subscription_id)
        finally:
            with self._lock:
                self._running.discard(subscription_id)

    def _refresh_backlog(self) -> None:
        with self._store.read() as tx:
            backlog = {}
            for record in tx.list_subscriptions():
                delivery = tx.get_delivery(record.id)
                if delivery is not None:
                    backlog[record.id] = max(
                        0, tx.audit_head_seq(record.account_id) - delivery.cursor_seq)
        self.stats.set_backlog(backlog)

    # --- one pass, callable directly (tests) ---------------------------------------

    def run_pending(self) -> int:
        """Serve every subscription that has something due, on this thread; returns the
        events delivered."""
        delivered = 0
        while claimed := self.claim(self.settings.workers):
            for subscription_id in claimed:
                delivered += self.serve(subscription_id)
        return delivered

    def claim(self, limit: int) -> list[str]:
        now = self._clock.now()
        claimed = []
        with self._store.write() as tx:
            for subscription_id in tx.deliverable_subscriptions(now, limit):
                if tx.claim_delivery(subscription_id, self.owner, now,
                                     now + self.settings.lease_seconds):
                    claimed.append(subscription_id)
        return claimed

    def _release(self, subscription_id: str) -> None:
        try:
            with self._store.write() as tx:
                tx.release_delivery(subscription_id, self.owner)
        except Exception:
            log.exception("could not give up the lease of subscription %s", subscription_id)

    # --- serving one subscription (its lease held) --------------------------------

    def serve(self, subscription_id: str) -> int:
        """Deliver what is due for one claimed subscription, for one turn; returns the
        events delivered. Gives the lease up at the end (a failure schedules the retry)."""
        with self._store.read() as tx:
            record = tx.get_subscription(subscription_id)
            delivery = tx.get_delivery(subscription_id)
        if record is None or delivery is None or not record.enabled:
            self._release(subscription_id)
            return 0
        subscription = subscription_of(record)
        try:
            key = (self._root.unwrap(record.secret_wrapped, signing_purpose(record.id))
                   if record.secret_wrapped is not None else None)
        except Sealed:
            self._release(subscription_id)
            return 0
        turn = _Turn(subscription, delivery.cursor_seq, delivery.attempts,
                     held_until=delivery.lease_until or 0.0)
        started = self._clock.now()
        while not self._stop.is_set() and self._clock.now() - started < self.settings.turn_seconds:
            with self._store.read() as tx:
                rows = tx.audit_records(subscription.account_id, after_seq=turn.cursor,
                                        limit=self.settings.batch)
            if not rows:
                break
            if not self._deliver_rows(turn, rows, key):
                return turn.delivered  # failed (retry scheduled) or the lease was lost
        with self._store.write() as tx:
            tx.advance_delivery(subscription_id, self.owner, cursor_seq=turn.cursor,
                                delivered=0, now=self._clock.now(), until=None)
            tx.release_delivery(subscription_id, self.owner)
        return turn.delivered

    def _deliver_rows(self, turn: _Turn, rows: list[AuditRow], key: bytes | None) -> bool:
        """Deliver `rows` in order; False when the turn must end (failure, lost lease)."""
        subscription = turn.subscription
        for row in rows:
            if self._stop.is_set():
                return True
            event = self.wanted(subscription, row)
            if event is None:
                turn.cursor = row.seq
                self.stats.skipped()
                continue
            if not self._hold_lease(turn):
                log.info("lost the lease of subscription %s; another node carries on",
                         subscription.id)
                return False
            try:
                self.send(subscription, event, key)
            except DeliveryFailed as exc:
                self._failed(turn, exc.reason)
                return False
            turn.cursor = row.seq
            turn.attempts = 0
            turn.delivered += 1
            self.stats.delivered()
            now = self._clock.now()
            with self._store.write() as tx:
                if not tx.advance_delivery(subscription.id, self.owner, cursor_seq=row.seq,
                                           delivered=1, now=now,
                                           until=now + self.settings.lease_seconds):
                    return False
            turn.held_until = now + self.settings.lease_seconds
        return True

    def _hold_lease(self, turn: _Turn) -> bool:
        """Make sure the lease outlives one send (storing the cursor moved past skipped
        records on the way); False when the lease was lost."""
        now = self._clock.now()
        if turn.held_until - now > self.settings.timeout + 5:
            return True
        until = now + self.settings.lease_seconds
        with self._store.write() as tx:
            if not tx.advance_delivery(turn.subscription.id, self.owner,
                                       cursor_seq=turn.cursor, delivered=0, now=now,
                                       until=until):
                return False
        turn.held_until = until
        return True

    def _failed(self, turn: _Turn, reason: str) -> None:
        delay = min(self.settings.retry_cap, self.settings.retry_base * 2 ** turn.attempts)
        log.warning("event delivery for subscription %s (%s) failed, attempt %d; retrying "
                    "in %.1f s: %s", turn.subscription.name, turn.subscription.account_id,
                    turn.attempts + 1, delay, reason)
        self.stats.failed()
        with self._store.write() as tx:
            tx.delivery_failed(turn.subscription.id, self.owner, cursor_seq=turn.cursor,
                               next_attempt=self._clock.now() + delay, error=reason)

    @staticmethod
    def wanted(subscription: Subscription, row: AuditRow) -> dict[str, Any] | None:
        """The event for this record if the subscription wants it, else None."""
        if row.read_only and not subscription.include_read_only:
            return None
        event = envelope(row)
        if subscription.pattern is not None and not matches(subscription.pattern, event):
            return None
        return event

    def send(self, subscription: Subscription, event: dict[str, Any], key: bytes | None
             ) -> None:
        body = body_of(event)
        target = subscription.target
        if isinstance(target, WebhookTarget):
            if key is None:
                raise DeliveryFailed("the subscription has no signing key")
            webhook.post(target, body, event_id=event["id"], key=key, now=self._clock.now(),
                         timeout=self.settings.timeout)
        elif isinstance(target, NatsTarget):
            nats.publish(target, body, event_id=event["id"], timeout=self.settings.timeout)


@dataclass
class _Turn:
    """Where one worker's turn at one subscription has got."""

    subscription: Subscription
    cursor: int
    attempts: int
    held_until: float
    delivered: int = 0
