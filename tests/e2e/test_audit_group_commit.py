"""The group commit of audit records (reads, failed and denied calls), on a real store.

A record goes at once when nothing else is on its way; the records of requests still
being handled (open tickets) share its commit; waiting for them is bounded, and a request
that ends without a record releases the batch. Records handed over as a builder are built
by the writer, in order with the rest of their batch; one that cannot be built fails its
own call only. A record not durable by its deadline fails its caller then, even while the
writer is stuck; an event loop waiting for it is told with the rest of its batch.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from strongroom.audit.errors import AuditUnavailable
from strongroom.audit.records import entry_of, event_time
from strongroom.audit.trail import AuditSettings, AuditTrail
from strongroom.audit.writer import GroupWriter, Pending
from strongroom.core.clock import SystemClock
from strongroom.storage.queries_audit import AuditEntry
from strongroom.storage.sqlite import SQLiteStore

ACCOUNT = "123456789012"
LONG = 60.0  # a wait that, if it happened, would fail the test by its timeout


def _entry(name: str = "GetSecretValue") -> AuditEntry:
    now = time.time()
    record = {"eventVersion": "1.09", "eventTime": event_time(now),
              "userIdentity": {"type": "Root", "accountId": ACCOUNT},
              "eventSource": "secretsmanager.amazonaws.com", "eventName": name,
              "awsRegion": "us-east-1", "requestID": str(uuid.uuid4()),
              "eventID": str(uuid.uuid4()), "readOnly": True, "eventType": "AwsApiCall",
              "recipientAccountId": ACCOUNT}
    return entry_of(record, account_id=ACCOUNT, now=now)


class Commits:
    """What the writer reports: the size of each batch it committed."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def __call__(self, count: int) -> None:
        self.sizes.append(count)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    store = SQLiteStore(tmp_path / "audit.db")
    yield store
    store.close()


@pytest.fixture
def writer(store: SQLiteStore) -> Iterator[Callable[..., tuple[GroupWriter, Commits]]]:
    """Start a writer on the store (and the batch sizes it reports); closed at the end."""
    started: list[GroupWriter] = []

    def start(*, gather: float) -> tuple[GroupWriter, Commits]:
        commits = Commits()
        started.append(GroupWriter(store, batch_max=256, gather_seconds=gather,
                                   queue_max=100, timeout=LONG, on_written=commits))
        return started[-1], commits

    yield start
    for each in started:
        each.close()


def _durable_soon(pending: Pending, seconds: float = 10.0) -> bool:
    done: list[bool] = []
    waiter = threading.Thread(target=lambda: done.append(pending.wait()))
    waiter.start()
    waiter.join(seconds)
    return done == [True]


def _stored(store: SQLiteStore) -> list[str]:
    with store.read() as tx:
        return [row.event_name for row in tx.audit_records(ACCOUNT)]


def test_a_lone_record_is_committed_at_once(writer):
    group, commits = writer(gather=LONG)
    assert _durable_soon(group.submit([_entry()]))
    assert commits.sizes == [1]


def test_records_of_requests_still_being_handled_share_one_commit(store, writer):
    group, commits = writer(gather=LONG)
    first, second = group.ticket(), group.ticket()
    pending = group.submit([_entry("GetSecretValue")], ticket=first)
    time.sleep(0.2)
    assert _stored(store) == []  # the second request's record is on its way
    other = group.submit([_entry("DescribeSecret")], ticket=second)
    assert _durable_soon(pending)
    assert _durable_soon(other)
    assert commits.sizes == [2]
    assert _stored(store) == ["GetSecretValue", "DescribeSecret"]


def test_a_request_that_ends_without_a_record_releases_the_batch(writer):
    group, commits = writer(gather=LONG)
    first, second = group.ticket(), group.ticket()
    pending = group.submit([_entry()], ticket=first)
    second.close()  # e.g. a write, whose record committed with it
    second.close()  # closing twice counts once
    assert _durable_soon(pending)
    third = group.ticket()
    assert _durable_soon(group.submit([_entry()], ticket=third))
    assert commits.sizes == [1, 1]


def test_waiting_for_records_on_their_way_is_bounded(writer):
    group, _ = writer(gather=0.05)
    group.ticket()  # a request that never finishes
    assert _durable_soon(group.submit([_entry()]))


def test_records_handed_over_as_builders_are_built_by_the_writer_in_order(store, writer):
    group, commits = writer(gather=LONG)
    first, second = group.ticket(), group.ticket()
    built_on: list[str] = []

    def build() -> list[AuditEntry]:
        built_on.append(threading.current_thread().name)
        return [_entry("BatchGetSecretValue"), _entry("GetSecretValue")]

    pending = group.submit(build, ticket=first)
    other = group.submit([_entry("DescribeSecret")], ticket=second)
    assert _durable_soon(pending)
    assert _durable_soon(other)
    assert built_on == ["strongroom-audit"]
    assert commits.sizes == [2]  # two calls
    assert _stored(store) == ["BatchGetSecretValue", "GetSecretValue", "DescribeSecret"]


def test_a_record_that_cannot_be_built_fails_its_call_alone(store, writer):
    group, commits = writer(gather=LONG)
    first, second = group.ticket(), group.ticket()

    def broken() -> list[AuditEntry]:
        raise ValueError("cannot build")

    failing = group.submit(broken, ticket=first)
    other = group.submit([_entry("DescribeSecret")], ticket=second)
    assert _durable_soon(other)
    assert not failing.wait()
    assert commits.sizes == [1]
    assert _stored(store) == ["DescribeSecret"]


def test_a_waiting_event_loop_is_told_once_the_record_is_durable(writer):
    group, _ = writer(gather=0)

    async def told() -> bool:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[bool] = loop.create_future()
        pending = group.submit([_entry()])
        if not pending.notify(loop, answer.set_result):
            return pending.wait()  # durable already: nothing left to tell
        return await asyncio.wait_for(answer, 10)

    assert asyncio.run(told()) is True
    settled = group.submit([_entry()])
    assert _durable_soon(settled)
    loop = asyncio.new_event_loop()
    try:
        assert not settled.notify(loop, lambda durable: None)
    finally:
        loop.close()


def test_a_record_not_durable_by_its_deadline_fails_its_caller_while_the_writer_is_stuck(
        store, tmp_path):
    group = GroupWriter(store, batch_max=256, gather_seconds=0, queue_max=100, timeout=0.3,
                        on_written=Commits())
    blocker = sqlite3.connect(tmp_path / "audit.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # the writer cannot commit

    async def told() -> bool:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[bool] = loop.create_future()
        assert group.submit([_entry()]).notify(loop, answer.set_result)
        return await asyncio.wait_for(answer, 10)

    try:
        started = time.monotonic()
        assert asyncio.run(told()) is False
        assert time.monotonic() - started < 2.0
        with pytest.raises(AuditUnavailable, match="stalled"):
            group.submit([_entry()])  # known to be stuck: refused at once
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        group.close()


def test_the_trail_closes_a_requests_ticket_whatever_its_handler_does(store):
    trail = AuditTrail(store, SystemClock(), AuditSettings(batch_ms=LONG * 1000), {})
    try:
        def fails() -> None:
            raise ValueError("the handler failed")

        with pytest.raises(ValueError, match="handler failed"):
            trail.handle(trail.ticket(), fails)
        assert trail.handle(trail.ticket(), lambda: "done") == "done"
        assert _durable_soon(trail.submit([_entry()]))  # no ticket left open to wait for
        stats = trail.stats()
        assert (stats.group_commits, stats.grouped_records) == (1, 1)
    finally:
        trail.close()
