"""Events to subscribers: an account's changes reach webhooks and NATS in EventBridge's
envelope, in order, signed, and none lost while a receiver is down or a dispatcher restarts.

The live server's own dispatcher delivers in the tests that use `account`; the restart and
two-node tests run dispatchers of their own on a store of their own, so that nothing else
delivers there.
"""

from __future__ import annotations

import json
import socket
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from strongroom.audit.chain import link
from strongroom.audit.records import entry_of, event_time
from strongroom.auth.identity import Identities, new_account_id
from strongroom.core.clock import SystemClock
from strongroom.core.config import ServerConfig
from strongroom.keys.crypto import random_key
from strongroom.keys.rootkey import RootKey
from strongroom.notify.dispatcher import Dispatcher, DispatcherSettings
from strongroom.notify.errors import InvalidPattern, SubscriptionExists
from strongroom.notify.model import NatsTarget, WebhookTarget
from strongroom.notify.service import Subscriptions
from strongroom.notify.webhook import EVENT_ID_HEADER, SIGNATURE_HEADER, verify
from strongroom.secrets.events import ServiceEvent, record_event
from strongroom.server.compose import open_store
from tests.conftest import _drop_pg_database, _fresh_pg_database, free_port

NATS = ("127.0.0.1", 4222)
# --- a webhook receiver ----------------------------------------------------------------


@dataclass
class Delivery:
    path: str  # one per subscription
    event: dict[str, Any]
    body: bytes
    headers: dict[str, str]


@dataclass
class Receiver:
    """An HTTP receiver on a fixed port that can answer 500, be stopped and come back."""

    port: int = field(default_factory=free_port)
    status: int = 200
    delay: float = 0.0
    deliveries: list[Delivery] = field(default_factory=list)
    in_flight: dict[str, int] = field(default_factory=dict)  # per URL path
    max_in_flight: int = 0
    refused: int = 0
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver._lock:
                    count = receiver.in_flight.get(self.path, 0) + 1
                    receiver.in_flight[self.path] = count
                    receiver.max_in_flight = max(receiver.max_in_flight, count)
                try:
                    time.sleep(receiver.delay)
                    status = receiver.status
                    if status == 200:
                        with receiver._lock:
                            receiver.deliveries.append(Delivery(
                                self.path, json.loads(body), body, dict(self.headers.items())))
                    else:
                        receiver.refused += 1
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                finally:
                    with receiver._lock:
                        receiver.in_flight[self.path] -= 1

            def log_message(self, format: str, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def events(self, path: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [d.event for d in self.deliveries if path is None or d.path == path]

    def wait_for(self, count: int, *, path: str | None = None, timeout: float = 30.0
                 ) -> list[dict[str, Any]]:
        """The events received (at `path`) once there are at least `count`."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = self.events(path)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"got {len(self.events(path))} of {count} events")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.start()
    yield r
    r.stop()


# --- records in the audit trail ----------------------------------------------------------


def api_call(store: Any, account_id: str, name: str, secret_arn: str, *,
             read_only: bool = False, error_code: str | None = None) -> str:
    """Append a CloudTrail record of an API call, as the per-call audit does, and return its
    event id. (Used where the test needs records without making the calls.)"""
    now = time.time()
    record: dict[str, Any] = {
        "eventVersion": "1.09", "eventTime": event_time(now),
        "userIdentity": {"type": "Root", "accountId": account_id},
        "eventSource": "secretsmanager.amazonaws.com", "eventName": name,
        "awsRegion": "us-east-1", "sourceIPAddress": "127.0.0.1", "userAgent": "test",
        "requestParameters": {"secretId": secret_arn},
        "responseElements": None if read_only else {"arn": secret_arn},
        "requestID": str(uuid.uuid4()), "eventID": str(uuid.uuid4()), "readOnly": read_only,
        "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": account_id,
        "eventCategory": "Management",
    }
    if error_code is not None:
        record["errorCode"] = error_code
    with store.write() as tx:
        tx.append_audit([entry_of(record, account_id=account_id, now=now)], link)
    return str(record["eventID"])


def secret_of(event: dict[str, Any]) -> str | None:
    detail = event["detail"]
    return ((detail.get("additionalEventData") or {}).get("SecretId")
            or (detail.get("requestParameters") or {}).get("secretId")
            or (detail.get("responseElements") or {}).get("arn"))


def trail_ids(store: Any, account_id: str, *, after: int = 0) -> list[str]:
    """Event ids of the account's non-read-only records, in chain order."""
    with store.read() as tx:
        return [r.event_id for r in tx.audit_records(account_id, after_seq=after, limit=100_000)
                if not r.read_only]


def head(store: Any, account_id: str) -> int:
    with store.read() as tx:
        return tx.audit_head_seq(account_id)


def assert_complete_in_order(got: list[dict[str, Any]], expected_ids: list[str]) -> None:
    """Every expected event arrived; per secret in trail order; duplicates only as copies."""
    by_id: dict[str, dict[str, Any]] = {}
    for event in got:
        if event["id"] in by_id:
            assert by_id[event["id"]] == event, "a duplicate must be the same event"
        by_id[event["id"]] = event
    assert set(by_id) == set(expected_ids)
    first_seen = list(dict.fromkeys(e["id"] for e in got))
    for secret in {secret_of(by_id[i]) for i in expected_ids}:
        want = [i for i in expected_ids if secret_of(by_id[i]) == secret]
        assert [i for i in first_seen if i in want] == want


# --- through the live server ---------------------------------------------------------------


def subscribe_webhook(account: Any, receiver: Receiver, name: str = "hook",
                      **kwargs: Any) -> bytes:
    done = account.server.app.subscriptions.subscribe(
        account.account_id, name, WebhookTarget.parse(receiver.url(f"/{name}")), **kwargs)
    return str(done.signing_secret).encode()


def test_changes_arrive_in_the_eventbridge_envelope_signed(account: Any, receiver: Receiver
                                                           ) -> None:
    """Secret created, value put, label moved, deleted, restored and rotation events reach a
    webhook as EventBridge events with a valid signature, in order."""
    store = account.server.app.store
    key = subscribe_webhook(account, receiver)
    sm = account.client()
    before = head(store, account.account_id)
    arn = sm.create_secret(Name="events/db", SecretString="first")["ARN"]
    put = sm.put_secret_value(SecretId=arn, SecretString="second")
    sm.update_secret_version_stage(SecretId=arn, VersionStage="custom",
                                   MoveToVersionId=put["VersionId"])
    sm.get_secret_value(SecretId=arn)  # read-only: not delivered by default
    sm.delete_secret(SecretId=arn, RecoveryWindowInDays=7)
    sm.restore_secret(SecretId=arn)
    with store.write() as tx:
        for event in (ServiceEvent.ROTATION_STARTED, ServiceEvent.ROTATION_SUCCEEDED):
            record_event(tx, now=time.time(), account_id=account.account_id,
                         region="us-east-1", event=event, secret_arn=arn)
    expected = trail_ids(store, account.account_id, after=before)
    got = receiver.wait_for(len(expected))
    # each version's deletion events come with DeleteSecret and RestoreSecret, in their
    # transaction (two versions)
    assert [e["detail"]["eventName"] for e in got] == [
        "CreateSecret", "PutSecretValue", "UpdateSecretVersionStage",
        "StartSecretVersionDelete", "StartSecretVersionDelete", "DeleteSecret",
        "CancelSecretVersionDelete", "CancelSecretVersionDelete", "RestoreSecret",
        "RotationStarted", "RotationSucceeded"]
    assert_complete_in_order(got, expected)
    first, last = got[0], got[-1]
    assert first["version"] == "0"
    assert first["source"] == "aws.secretsmanager"
    assert first["detail-type"] == "AWS API Call via CloudTrail"
    assert last["detail-type"] == "AWS Service Event via CloudTrail"
    assert first["account"] == account.account_id
    assert first["region"] == "us-east-1"
    assert first["resources"] == []
    assert first["time"] == first["detail"]["eventTime"]
    assert first["id"] == first["detail"]["eventID"]
    for delivery in receiver.deliveries:
        assert delivery.headers["Content-Type"] == "application/json"
        assert delivery.headers[EVENT_ID_HEADER] == delivery.event["id"]
        assert verify(key, delivery.headers[SIGNATURE_HEADER], delivery.body, now=time.time())
        assert not verify(b"another key", delivery.headers[SIGNATURE_HEADER], delivery.body,
                          now=time.time())
        assert b"first" not in delivery.body
        assert b"second" not in delivery.body


def test_a_pattern_selects_the_events_delivered(account: Any, receiver: Receiver) -> None:
    """A subscription with a pattern gets only rotation outcomes; another only one secret;
    with all management events, read-only calls too; failed calls are events as well."""
    store = account.server.app.store
    rotations = json.dumps({"detail-type": ["AWS Service Event via CloudTrail"],
                            "detail": {"eventName": ["RotationSucceeded", "RotationFailed"]}})
    subscribe_webhook(account, receiver, "rotations", pattern=rotations)
    a, b = (f"arn:aws:secretsmanager:us-east-1:{account.account_id}:secret:{n}-AbCdEf"
            for n in ("a", "b"))
    one = json.dumps({"detail": {"requestParameters": {"secretId": [a]},
                                 "errorCode": [{"exists": False}]}})
    subscribe_webhook(account, receiver, "one", pattern=one)
    subscribe_webhook(account, receiver, "everything", include_read_only=True)
    ids = [api_call(store, account.account_id, "PutSecretValue", a),
           api_call(store, account.account_id, "PutSecretValue", b),
           api_call(store, account.account_id, "GetSecretValue", a, read_only=True),
           api_call(store, account.account_id, "PutSecretValue", a, error_code="AccessDenied")]
    with store.write() as tx:
        for event, arn in ((ServiceEvent.ROTATION_STARTED, a),
                           (ServiceEvent.ROTATION_FAILED, a),
                           (ServiceEvent.ROTATION_SUCCEEDED, b)):
            record_event(tx, now=time.time(), account_id=account.account_id,
                         region="us-east-1", event=event, secret_arn=arn)
    receiver.wait_for(len(ids) + 3, path="/everything")
    receiver.wait_for(2, path="/rotations")
    receiver.wait_for(1, path="/one")
    time.sleep(1.5)  # time enough to over-deliver, if it were going to
    names = {path: [e["detail"]["eventName"] for e in receiver.events(f"/{path}")]
             for path in ("rotations", "one", "everything")}
    assert names["rotations"] == ["RotationFailed", "RotationSucceeded"]
    assert names["one"] == ["PutSecretValue"]
    assert names["everything"] == ["PutSecretValue", "PutSecretValue", "GetSecretValue",
                                   "PutSecretValue", "RotationStarted", "RotationFailed",
                                   "RotationSucceeded"]
    assert [e["id"] for e in receiver.events("/one")] == ids[:1]
    with urllib.request.urlopen(f"{account.server.endpoint}/metrics") as response:
        metrics = response.read().decode()
    assert 'strongroom_event_deliveries_total{outcome="delivered"}' in metrics


def test_subscribing_refuses_bad_patterns_and_duplicate_names(account: Any,
                                                             receiver: Receiver) -> None:
    """A malformed pattern or a taken name is refused with a clear error."""
    with pytest.raises(InvalidPattern, match=r"detail\.eventName"):
        subscribe_webhook(account, receiver, pattern='{"detail": {"eventName": "x"}}')
    subscribe_webhook(account, receiver)
    with pytest.raises(SubscriptionExists):
        subscribe_webhook(account, receiver)


@pytest.mark.slow
def test_a_receiver_down_for_a_while_gets_every_event_in_order(account: Any,
                                                               receiver: Receiver) -> None:
    """A webhook receiver that answers 500, then is down, gets every event once it comes
    back, in order per secret, with no gaps."""
    store = account.server.app.store
    subscribe_webhook(account, receiver)
    secrets = [f"arn:aws:secretsmanager:us-east-1:{account.account_id}:secret:s{i}-AbCdEf"
               for i in range(3)]
    before = head(store, account.account_id)
    receiver.status = 500
    for i in range(6):
        api_call(store, account.account_id, "PutSecretValue", secrets[i % 3])
    time.sleep(1.5)
    assert receiver.refused >= 1
    assert not receiver.deliveries
    receiver.stop()
    for i in range(6):
        api_call(store, account.account_id, "UpdateSecretVersionStage", secrets[i % 3])
    time.sleep(2.0)
    receiver.status = 200
    receiver.start()
    expected = trail_ids(store, account.account_id, after=before)
    got = receiver.wait_for(len(expected), timeout=60)
    assert_complete_in_order(got, expected)
    status = account.server.app.subscriptions.status(account.account_id)[0]
    assert status.attempts == 0
    assert status.backlog == 0


def test_events_reach_a_nats_subject(account: Any) -> None:
    """A NATS subscriber on the subject receives the envelope."""
    store = account.server.app.store
    subject = f"strongroom.test.{uuid.uuid4().hex}"
    with socket.create_connection(NATS, timeout=10) as sock:
        sock.recv(4096)  # INFO
        sock.sendall(f'CONNECT {{"verbose":false}}\r\nSUB {subject} 1\r\nPING\r\n'.encode())
        _read_until(sock, b"PONG")
        account.server.app.subscriptions.subscribe(
            account.account_id, "nats", NatsTarget.parse(subject))
        arn = f"arn:aws:secretsmanager:us-east-1:{account.account_id}:secret:n-AbCdEf"
        event_id = api_call(store, account.account_id, "PutSecretValue", arn)
        data = _read_until(sock, b"}\r\n", timeout=15)
    header, _, payload = data[data.index(b"MSG "):].partition(b"\r\n")
    assert header.split()[1].decode() == subject
    event = json.loads(payload.rstrip(b"\r\n"))
    assert event["id"] == event_id
    assert event["source"] == "aws.secretsmanager"
    assert event["detail"]["eventName"] == "PutSecretValue"


def _read_until(sock: socket.socket, marker: bytes, timeout: float = 10.0) -> bytes:
    sock.settimeout(timeout)
    data = b""
    while marker not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError("NATS closed the connection")
        data += chunk
        if b"PING\r\n" in chunk:
            sock.sendall(b"PONG\r\n")
    return data


# --- dispatchers of our own on a store of our own ------------------------------------------


@dataclass
class Rig:
    store: Any
    root: RootKey
    account_id: str
    subscriptions: Subscriptions
    dsn: str | None
    data_dir: Path

    def dispatcher(self, store: Any = None, **settings: Any) -> Dispatcher:
        defaults = {"poll_interval": 0.05, "retry_base": 0.1, "retry_cap": 0.5,
                    "lease_seconds": 5.0, "timeout": 2.0}
        return Dispatcher(store or self.store, self.root, SystemClock(),
                          DispatcherSettings(**{**defaults, **settings}))

    def another_store(self) -> Any:
        return open_store(ServerConfig(data_dir=self.data_dir, store=self.dsn,
                                       regions=frozenset()))


@pytest.fixture(params=["sqlite", "postgresql"])
def rig(request: pytest.FixtureRequest) -> Iterator[Rig]:
    database = dsn = None
    if request.param == "postgresql":
        database, dsn = _fresh_pg_database()
    data_dir = Path(tempfile.mkdtemp(prefix="strongroom-events-"))
    store = open_store(ServerConfig(data_dir=data_dir, store=dsn, regions=frozenset()))
    root = RootKey(random_key())
    account_id = new_account_id()
    Identities(store, root, SystemClock()).create_account(account_id)
    try:
        yield Rig(store, root, account_id, Subscriptions(store, root, SystemClock()), dsn,
                  data_dir)
    finally:
        store.close()
        if database:
            _drop_pg_database(database)


def test_a_restarted_dispatcher_loses_nothing(rig: Rig, receiver: Receiver) -> None:
    """Stopping the dispatcher mid-stream and starting a new one on the same store delivers
    every event, in order."""
    rig.subscriptions.subscribe(rig.account_id, "hook", WebhookTarget.parse(receiver.url()))
    receiver.delay = 0.02
    arns = [f"arn:aws:secretsmanager:us-east-1:{rig.account_id}:secret:r{i}" for i in range(2)]
    ids = [api_call(rig.store, rig.account_id, "PutSecretValue", arns[i % 2]) for i in range(20)]
    first = rig.dispatcher()
    first.start()
    receiver.wait_for(5)
    first.stop()
    ids += [api_call(rig.store, rig.account_id, "PutSecretValue", arns[i % 2])
            for i in range(10)]
    second = rig.dispatcher()
    second.start()
    try:
        got = receiver.wait_for(len(ids))
    finally:
        second.stop()
    assert_complete_in_order(got, ids)
    assert len(got) == len(ids)  # clean stops leave nothing to deliver twice


def test_failures_back_off_and_record_the_error(rig: Rig, receiver: Receiver) -> None:
    """A failing receiver is retried with growing delays, and status shows the last error."""
    rig.subscriptions.subscribe(rig.account_id, "hook", WebhookTarget.parse(receiver.url()))
    receiver.status = 503
    api_call(rig.store, rig.account_id, "PutSecretValue", "arn:x")
    dispatcher = rig.dispatcher(retry_base=0.2, retry_cap=10)
    assert dispatcher.run_pending() == 0
    status = rig.subscriptions.status()[0]
    assert status.attempts == 1
    assert status.last_error == f"HTTP 503 from {receiver.url()}"
    assert dispatcher.run_pending() == 0  # not due yet: nothing claimed
    time.sleep(0.25)
    assert dispatcher.run_pending() == 0
    status = rig.subscriptions.status()[0]
    assert status.attempts == 2
    assert status.next_attempt - time.time() > 0.2
    receiver.status = 200
    time.sleep(0.45)
    assert dispatcher.run_pending() == 1
    status = rig.subscriptions.status()[0]
    assert (status.attempts, status.last_error, status.backlog, status.delivered) == (
        0, None, 0, 1)


def test_two_dispatchers_never_deliver_concurrently_for_one_subscription(
        rig: Rig, receiver: Receiver) -> None:
    """Two nodes on one store share the work, but one subscription's events are never sent
    by both at once, and each arrives once, in order."""
    names = ["a", "b", "c"]
    for name in names:
        rig.subscriptions.subscribe(rig.account_id, name,
                                    WebhookTarget.parse(receiver.url(f"/{name}")))
    receiver.delay = 0.01
    ids = [api_call(rig.store, rig.account_id, "PutSecretValue", f"arn:s{i % 3}")
           for i in range(30)]
    other = rig.another_store()
    nodes = [rig.dispatcher(), rig.dispatcher(store=other)]
    for node in nodes:
        node.start()
    try:
        receiver.wait_for(len(ids) * len(names))
    finally:
        for node in nodes:
            node.stop()
        other.close()
    assert receiver.max_in_flight == 1
    for name in names:
        assert [e["id"] for e in receiver.events(f"/{name}")] == ids


# --- the CLI -------------------------------------------------------------------------------


def test_cli_subscribes_lists_reports_and_deletes(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """`strongroom events` subscribes a webhook (printing its secret once) and a NATS
    subject, lists them, reports their status, refuses a bad pattern and deletes."""
    from strongroom.cli.main import main
    from strongroom.server.compose import build

    data = tmp_path / "data"
    account_id = "123456789012"
    build(ServerConfig(data_dir=data, regions=frozenset({"us-east-1"}),
                       account_id=account_id)).store.close()
    common = ["--account-id", account_id, "--data-dir", str(data)]
    assert main(["events", "subscribe", *common, "--name", "hook", "--webhook",
                 "https://example.com/hook?token=abc", "--pattern",
                 '{"detail": {"eventName": ["RotationFailed"]}}']) == 0
    out = capsys.readouterr().out
    assert "whsec_" in out
    assert "token=abc" not in out
    assert main(["events", "subscribe", *common, "--name", "bus", "--nats", "secrets.events",
                 "--all-management-events"]) == 0
    assert "whsec_" not in capsys.readouterr().out
    assert main(["events", "subscribe", *common, "--name", "bad", "--nats", "x",
                 "--pattern", '{"source": "aws.secretsmanager"}']) == 1
    assert "invalid event pattern at source" in capsys.readouterr().err
    assert main(["events", "list", "--data-dir", str(data)]) == 0
    listed = capsys.readouterr().out
    assert f"{account_id} bus: nats nats://127.0.0.1:4222 secrets.events" in listed
    assert "all management events" in listed
    assert f"{account_id} hook: webhook https://example.com/hook;" in listed
    assert main(["events", "status", *common]) == 0
    assert "cursor" in capsys.readouterr().out
    assert main(["events", "delete", *common, "--name", "hook"]) == 0
    capsys.readouterr()
    assert main(["events", "list", *common]) == 0
    assert "hook" not in capsys.readouterr().out


def _nats_request(subject: str, body: dict[str, Any]) -> dict[str, Any]:
    """One request-reply over a raw NATS connection (JetStream's API)."""
    inbox = f"_INBOX.test.{uuid.uuid4().hex}"
    payload = json.dumps(body).encode()
    with socket.create_connection(NATS, timeout=10) as sock:
        sock.recv(4096)
        sock.sendall(f'CONNECT {{"verbose":false}}\r\nSUB {inbox} 1\r\n'
                     f"PUB {subject} {inbox} {len(payload)}\r\n".encode() + payload + b"\r\n")
        data = _read_until(sock, b"}\r\n")
    header, _, rest = data[data.index(b"MSG "):].partition(b"\r\n")
    answer: dict[str, Any] = json.loads(rest[:int(header.split()[-1])])
    return answer


def test_jetstream_targets_need_the_stream_to_acknowledge(rig: Rig) -> None:
    """With --nats-jetstream an event counts as delivered only when a stream stored it."""
    stream = f"STRONGROOM_TEST_{uuid.uuid4().hex[:8].upper()}"
    subject = f"strongroom.js.{uuid.uuid4().hex}"
    rig.subscriptions.subscribe(rig.account_id, "js",
                                NatsTarget.parse(subject, jetstream=True))
    api_call(rig.store, rig.account_id, "PutSecretValue", "arn:js")
    dispatcher = rig.dispatcher()
    assert dispatcher.run_pending() == 0  # no stream captures the subject yet
    assert "no JetStream stream" in str(rig.subscriptions.status()[0].last_error)
    created = _nats_request(f"$JS.API.STREAM.CREATE.{stream}",
                            {"name": stream, "subjects": [subject], "storage": "memory"})
    assert "error" not in created
    try:
        api_call(rig.store, rig.account_id, "PutSecretValue", "arn:js")
        time.sleep(0.15)  # past the retry delay
        assert dispatcher.run_pending() == 2
        info = _nats_request(f"$JS.API.STREAM.INFO.{stream}", {})
        assert info["state"]["messages"] == 2
    finally:
        _nats_request(f"$JS.API.STREAM.DELETE.{stream}", {})
