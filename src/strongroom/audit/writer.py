"""Group commit for audit records that are not written inside their call's transaction
(reads, failed and denied calls): one thread appends queued records in batches, one
transaction (one fsync) per batch.

Each caller gets a `Pending` and must not answer its client before the pending record is
durable. The writer never blocks a caller: a full queue, or a batch that has been stuck
longer than the caller's timeout (the store's write lock held elsewhere, a full disk),
makes `submit` refuse at once, so a slow store fails requests fast instead of freezing
every worker. Deadlines use the monotonic clock: they are durations, not domain time.
"""

from __future__ import annotations

import concurrent.futures
import logging
import queue
import threading
import time
from collections.abc import Callable

from strongroom.audit.chain import link
from strongroom.audit.errors import AuditUnavailable
from strongroom.storage.base import Store
from strongroom.storage.queries_audit import AuditEntry

log = logging.getLogger("strongroom.audit")


class Pending:
    """One record on its way to the store. `future` resolves (None) once the record is
    committed, or fails with AuditUnavailable."""

    __slots__ = ("deadline", "entry", "future")

    def __init__(self, entry: AuditEntry, deadline: float) -> None:
        self.entry = entry
        self.deadline = deadline
        self.future: concurrent.futures.Future[None] = concurrent.futures.Future()

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def wait(self) -> bool:
        """Block until durable (True) or failed / past the deadline (False, and abandoned)."""
        try:
            self.future.result(timeout=self.remaining())
        except Exception:  # AuditUnavailable, TimeoutError, CancelledError
            self.abandon()
            return False
        return True

    def abandon(self) -> None:
        """The caller gave up (and answered 503): skip the record if not written yet."""
        self.future.cancel()


class GroupWriter:
    def __init__(self, store: Store, *, batch_max: int, batch_seconds: float, queue_max: int,
                 timeout: float, on_written: Callable[[int], None]) -> None:
        self._store = store
        self._batch_max = max(1, batch_max)
        self._batch_seconds = max(0.0, batch_seconds)
        self._timeout = timeout
        self._on_written = on_written
        self._queue: queue.Queue[Pending | None] = queue.Queue(maxsize=max(1, queue_max))
        self._busy_since: float | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="strongroom-audit", daemon=True)
        self._thread.start()

    def depth(self) -> int:
        return self._queue.qsize()

    def submit(self, entry: AuditEntry) -> Pending:
        """Queue a record; raises AuditUnavailable when the writer cannot take it in time."""
        if self._closed or not self._thread.is_alive():
            raise AuditUnavailable("closed")
        now = time.monotonic()
        busy = self._busy_since
        if busy is not None and now - busy > self._timeout:
            raise AuditUnavailable("stalled")
        pending = Pending(entry, now + self._timeout)
        try:
            self._queue.put_nowait(pending)
        except queue.Full:
            raise AuditUnavailable("full") from None
        return pending

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop the thread."""
        if self._closed:
            return
        self._closed = True
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            log.error("the audit writer did not drain its queue before shutdown")
            return
        self._thread.join(timeout=timeout)

    def _run(self) -> None:
        stop = False
        while not stop:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            deadline = time.monotonic() + self._batch_seconds
            while len(batch) < self._batch_max:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    try:
                        item = self._queue.get(timeout=left)
                    except queue.Empty:
                        break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._write(batch)

    def _write(self, batch: list[Pending]) -> None:
        self._busy_since = time.monotonic()
        written = 0
        try:
            with self._store.write() as tx:
                # Callers that already gave up (and answered 503) are skipped; one that
                # gives up from here on may still find its record written.
                live = [p for p in batch if p.future.set_running_or_notify_cancel()]
                if live:
                    tx.append_audit([p.entry for p in live], link)
                written = len(live)
        except Exception as exc:
            log.error("audit records could not be written (%s): %d calls refused",
                      type(exc).__name__, len(batch))
            failure = AuditUnavailable("failed")
            for p in batch:
                _settle(p.future, failure)
        else:
            for p in batch:
                _settle(p.future, None)
            self._on_written(written)
        finally:
            self._busy_since = None


def _settle(future: concurrent.futures.Future[None], failure: Exception | None) -> None:
    if future.done():
        return
    try:
        if failure is None:
            future.set_result(None)
        else:
            future.set_exception(failure)
    except concurrent.futures.InvalidStateError:
        pass  # cancelled meanwhile

