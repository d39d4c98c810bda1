"""Group commit for audit records that are not written inside their call's transaction
(reads, failed and denied calls): one thread appends queued records in batches, one
transaction (one fsync) per batch.

A batch is as large as the load allows: the server takes a `Ticket` for every request it
hands to a worker, and the writer, once it has a record, waits (up to `gather_seconds`)
while tickets are still open — requests being handled whose record will follow at once —
instead of committing a batch of one and making the others wait for the next fsync. A
lone caller's record therefore goes at once; under load, a batch holds the records of
every request in flight, and the fsync (and its CPU) is paid once for all of them.

Each caller gets a `Pending` and must not answer its client before the pending record is
durable. The writer never blocks a caller: a full queue, or a batch that has been stuck
longer than the caller's timeout (the store's write lock held elsewhere, a full disk),
makes `submit` refuse at once, so a slow store fails requests fast instead of freezing
every worker; and a record still not durable at its deadline fails its caller then (a
watchdog thread, since the writer may be the one stuck). Deadlines use the monotonic
clock: they are durations, not domain time.

Cost matters here, since every call passes through: the writer is woken once per batch
(not once per record), and the callers waiting on an event loop are told in one
`call_soon_threadsafe` per batch and loop (not one wake-up per record); a request's worker
thread may leave telling its event loop to the writer (`Pending.notify`), so that the loop
wakes once per batch rather than once per request as well. A caller may hand over a
builder instead of finished records: the writer then builds the batch's records one after
another just before storing them, which costs markedly less CPU than building each on its
own request's thread between unrelated work (README: "What the audit trail costs").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from functools import partial
from typing import TypeAlias

from strongroom.audit.chain import link
from strongroom.audit.errors import AuditUnavailable
from strongroom.storage.base import Store
from strongroom.storage.queries_audit import AuditEntry

log = logging.getLogger("strongroom.audit")

_QUEUED, _WRITING, _DURABLE, _FAILED, _ABANDONED, _EXPIRED = range(6)

# A call's records, or what builds them (on the writer's thread; raising fails the call).
Records: TypeAlias = Sequence[AuditEntry] | Callable[[], Sequence[AuditEntry]]


class Pending:
    """One record on its way to the store: durable, failed (AuditUnavailable), given up by
    its caller, or expired (not durable by its deadline: its caller was told it failed, and
    the record may still be written). Its state changes only under its writer's lock."""

    __slots__ = ("_event", "_lock", "_notify", "deadline", "records", "state")

    def __init__(self, records: Records, deadline: float, lock: threading.Lock) -> None:
        self.records = records
        self.deadline = deadline
        self.state = _QUEUED
        self._lock = lock
        self._event: threading.Event | None = None
        self._notify: tuple[asyncio.AbstractEventLoop, Callable[[bool], None]] | None = None

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def wait(self) -> bool:
        """Block until durable (True) or failed / past the deadline (False, and abandoned)."""
        with self._lock:
            if self.state == _DURABLE:
                return True
            if self.state in (_FAILED, _ABANDONED, _EXPIRED):
                return False
            if self._event is None:
                self._event = threading.Event()
            event = self._event
        event.wait(self.remaining())
        with self._lock:
            if self.state == _DURABLE:
                return True
        self.abandon()
        return False

    def notify(self, loop: asyncio.AbstractEventLoop, callback: Callable[[bool], None]
               ) -> bool:
        """Have `callback(durable)` run on `loop` once this settles: True when durable, False
        when it failed or expired; from any thread. False (and no callback) if it has
        settled already: the caller then looks itself."""
        with self._lock:
            if self.state in (_QUEUED, _WRITING):
                self._notify = (loop, callback)
                return True
        return False

    def watch(self, loop: asyncio.AbstractEventLoop) -> asyncio.Future[bool]:
        """A future of `loop` resolving to True once durable, False if it failed; call on
        `loop`'s thread. (The caller enforces the deadline and abandons.)"""
        future: asyncio.Future[bool] = loop.create_future()
        if not self.notify(loop, partial(_set_result, future)):
            future.set_result(self.state == _DURABLE)
        return future

    def abandon(self) -> None:
        """The caller gave up (and answered 503): skip the record if not written yet. One
        given up while its batch commits may still find its record written."""
        with self._lock:
            if self.state == _QUEUED:
                self.state = _ABANDONED


class Ticket:
    """A request being handled, whose record (if any) the writer may wait for. Closed once
    by whichever comes first: its record submitted, its write committed with its record,
    or its handler done."""

    __slots__ = ("_open", "_writer")

    def __init__(self, writer: GroupWriter) -> None:
        self._writer = writer
        self._open = True

    def close(self) -> None:
        with self._writer._lock:
            self._close_locked()
            self._writer._wake_if_gathering()

    def _close_locked(self) -> None:  # under its writer's lock
        if self._open:
            self._open = False
            self._writer._arriving -= 1


class GroupWriter:
    def __init__(self, store: Store, *, batch_max: int, gather_seconds: float, queue_max: int,
                 timeout: float, on_written: Callable[[int], None]) -> None:
        self._store = store
        self._batch_max = max(1, batch_max)
        self._gather_seconds = max(0.0, gather_seconds)
        self._queue_max = max(1, queue_max)
        self._timeout = timeout
        self._on_written = on_written
        self._lock = threading.Lock()  # the queue and every Pending's state
        self._wake = threading.Condition(self._lock)
        self._queue: deque[Pending] = deque()
        self._idle = False  # the writer waits for a first record: the next submit wakes it
        self._arriving = 0  # open tickets
        self._gathering = False  # the writer waits for open tickets: the last one wakes it
        self._busy_since: float | None = None
        self._writing: list[Pending] = []  # the batch being written
        self._closed = False
        self._stop_watchdog = threading.Event()
        self._thread = threading.Thread(target=self._run, name="strongroom-audit", daemon=True)
        self._thread.start()
        self._watchdog = threading.Thread(target=self._expire_late, daemon=True,
                                          name="strongroom-audit-deadlines")
        self._watchdog.start()

    def depth(self) -> int:
        return len(self._queue)

    def ticket(self) -> Ticket:
        """Open a ticket for a request about to be handled; close it when its record is
        submitted or known not to come."""
        with self._lock:
            self._arriving += 1
        return Ticket(self)

    def submit(self, records: Records, *, ticket: Ticket | None = None) -> Pending:
        """Queue a call's records (and close its request's ticket); raises AuditUnavailable
        when the writer cannot take them in time."""
        if self._closed or not self._thread.is_alive() or not self._watchdog.is_alive():
            raise AuditUnavailable("closed")  # (without the watchdog no deadline holds)
        now = time.monotonic()
        busy = self._busy_since
        if busy is not None and now - busy > self._timeout:
            raise AuditUnavailable("stalled")
        pending = Pending(records, now + self._timeout, self._lock)
        with self._lock:
            if ticket is not None:
                ticket._close_locked()
            if len(self._queue) >= self._queue_max:
                self._wake_if_gathering()
                raise AuditUnavailable("full")
            self._queue.append(pending)
            if self._idle or len(self._queue) == self._batch_max:
                self._wake.notify()
            else:
                self._wake_if_gathering()
        return pending

    def _wake_if_gathering(self) -> None:  # under self._lock
        if self._gathering and self._arriving <= 0:
            self._wake.notify()

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop the thread."""
        if self._closed:
            return
        with self._lock:
            self._closed = True
            self._wake.notify()
        self._thread.join(timeout=timeout)
        self._stop_watchdog.set()
        self._watchdog.join(timeout=timeout)
        if self._thread.is_alive():
            log.error("the audit writer did not drain its queue before shutdown")

    def _expire_late(self) -> None:
        """Fail the callers of records past their deadline (the oldest first: deadlines
        follow the queue's order), whatever the writer is stuck on. Wakes a few times per
        timeout, not per record."""
        tick = max(0.01, min(self._timeout / 4, 0.25))
        while not self._stop_watchdog.wait(tick):
            now = time.monotonic()
            expired: list[Pending] = []
            with self._lock:
                for source in (self._writing, self._queue):
                    for p in source:
                        if p.deadline > now:
                            break
                        if p.state in (_QUEUED, _WRITING):
                            p.state = _EXPIRED
                            expired.append(p)
            if expired:
                log.error("audit records not durable within %.1fs: %d calls refused",
                          self._timeout, len(expired))
                self._tell(expired, durable=False)

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._queue and not self._closed:
                    self._idle = True
                    self._wake.wait()
                self._idle = False
                if not self._queue:
                    return  # closed and drained
                self._gather()
                take = min(len(self._queue), self._batch_max)
                batch = [self._queue.popleft() for _ in range(take)]
                live = []
                for p in batch:  # callers that already gave up (and answered 503) are skipped
                    if p.state == _QUEUED:
                        p.state = _WRITING
                        live.append(p)
                self._writing = live
            try:
                self._write(live)
            finally:
                with self._lock:
                    self._writing = []

    def _gather(self) -> None:  # under self._lock
        """Wait while requests being handled may still add their records to this batch:
        until no ticket is open, the batch is full, the server closes, or the oldest
        record has waited gather_seconds. Submits wake us only for the last of these
        (or a full batch), so the records arriving meanwhile cost no thread switch each."""
        if not self._gather_seconds:
            return
        until = self._queue[0].deadline - self._timeout + self._gather_seconds
        self._gathering = True
        try:
            while self._arriving > 0 and len(self._queue) < self._batch_max \
                    and not self._closed:
                left = until - time.monotonic()
                if left <= 0:
                    return
                self._wake.wait(left)
        finally:
            self._gathering = False

    def _write(self, live: list[Pending]) -> None:
        if not live:
            return
        self._busy_since = time.monotonic()
        try:
            live, entries = self._build(live)
            if not live:
                return
            with self._store.write() as tx:
                tx.append_audit(entries, link)
        except Exception as exc:
            log.error("audit records could not be written (%s): %d calls refused",
                      type(exc).__name__, len(live))
            self._settle(live, durable=False)
        else:
            self._settle(live, durable=True)
            self._on_written(len(live))
        finally:
            self._busy_since = None

    def _build(self, live: list[Pending]) -> tuple[list[Pending], list[AuditEntry]]:
        """The batch's records, in order; a call whose builder raises fails alone (its
        builder logs why)."""
        built: list[Pending] = []
        entries: list[AuditEntry] = []
        failed: list[Pending] = []
        for p in live:
            records = p.records
            if callable(records):
                try:
                    # the builder (and the call it holds) is not kept past this
                    p.records = records = records()
                except Exception:
                    failed.append(p)
                    continue
            built.append(p)
            entries.extend(records)
        if failed:
            self._settle(failed, durable=False)
        return built, entries

    def _settle(self, live: list[Pending], *, durable: bool) -> None:
        settled = []
        with self._lock:
            for p in live:
                if p.state == _EXPIRED:  # its caller has been told already
                    continue
                p.state = _DURABLE if durable else _FAILED
                settled.append(p)
        self._tell(settled, durable=durable)

    def _tell(self, settled: list[Pending], *, durable: bool) -> None:
        """Wake whoever waits on `settled` (whose state is final): threads at once, event
        loops with one call each."""
        by_loop: dict[asyncio.AbstractEventLoop, list[Callable[[bool], None]]] = {}
        with self._lock:
            for p in settled:
                if p._event is not None:
                    p._event.set()
                if p._notify is not None:
                    loop, callback = p._notify
                    p._notify = None
                    by_loop.setdefault(loop, []).append(callback)
        for loop, callbacks in by_loop.items():
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                loop.call_soon_threadsafe(_call_each, callbacks, durable)


def _call_each(callbacks: list[Callable[[bool], None]], durable: bool) -> None:
    for callback in callbacks:
        try:
            callback(durable)
        except Exception:
            log.exception("a caller waiting for its audit record could not be told")


def _set_result(future: asyncio.Future[bool], durable: bool) -> None:
    if not future.done():  # cancelled: its caller timed out
        future.set_result(durable)
