"""Tamper evidence of the audit trail (`strongroom audit verify`), and shipping it as JSON
lines (`audit tail`, `audit export`, the sink), on both stores."""

from __future__ import annotations

import io
import json
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from strongroom.audit.chain import canonical, link
from strongroom.audit.records import SECRET_RESOURCE, entry_of, event_time
from strongroom.audit.sink import AuditSink, parse_sink
from strongroom.cli.main import main
from strongroom.core.clock import ManualClock
from strongroom.core.config import ServerConfig
from strongroom.server.compose import Application, build
from tests.conftest import REGIONS, _drop_pg_database, _fresh_pg_database

START = 1_790_000_000.0
ACCOUNT = "123456789012"
OTHER = "210987654321"


@dataclass
class Trail:
    app: Application
    clock: ManualClock
    data_dir: Path
    store_arg: list[str]

    def append(self, count: int, account_id: str = ACCOUNT, name: str = "CreateSecret"
               ) -> list[str]:
        """Append `count` API-call records; returns their eventIDs."""
        entries = []
        for _ in range(count):
            self.clock.advance(1)
            now = self.clock.now()
            record = {
                "eventVersion": "1.09", "eventTime": event_time(now),
                "userIdentity": {"type": "IAMUser", "accountId": account_id,
                                 "accessKeyId": "AKIAEXAMPLE", "userName": "alice"},
                "eventSource": "secretsmanager.amazonaws.com", "eventName": name,
                "awsRegion": "us-east-1", "sourceIPAddress": "127.0.0.1",
                "requestParameters": {"name": "db"}, "responseElements": None,
                "requestID": str(uuid.uuid4()), "eventID": str(uuid.uuid4()),
                "readOnly": False, "eventType": "AwsApiCall", "managementEvent": True,
                "recipientAccountId": account_id, "eventCategory": "Management",
            }
            entries.append(entry_of(record, account_id=account_id, now=now,
                                    resources=[(SECRET_RESOURCE, "db")], username="alice",
                                    access_key_id="AKIAEXAMPLE"))
        with self.app.store.write() as tx:
            tx.append_audit(entries, link)
        return [e.event_id for e in entries]

    def sql(self, statement: str, params: tuple[Any, ...] = ()) -> None:
        with self.app.store.write() as tx:
            tx._run(statement, params)

    def row(self, seq: int, account_id: str = ACCOUNT) -> Any:
        with self.app.store.read() as tx:
            return tx.audit_record_at(account_id, seq)

    def cli(self, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
        code = main(["audit", *args, "--data-dir", str(self.data_dir), *self.store_arg])
        return code, capsys.readouterr().out

    def verify(self, capsys: pytest.CaptureFixture[str], account: str | None = ACCOUNT
               ) -> tuple[int, str]:
        return self.cli(capsys, "verify", *(["--account", account] if account else []))


@pytest.fixture(params=["sqlite", "postgresql"])
def trail(request: pytest.FixtureRequest) -> Iterator[Trail]:
    clock = ManualClock(START)
    database = store = None
    if request.param == "postgresql":
        database, store = _fresh_pg_database()
    data_dir = Path(tempfile.mkdtemp(prefix="strongroom-audit-"))
    config = ServerConfig(data_dir=data_dir, store=store, regions=REGIONS,
                          account_id=ACCOUNT)
    application = build(config, clock=clock)
    yield Trail(application, clock, data_dir, ["--store", store] if store else [])
    application.store.close()
    if database:
        _drop_pg_database(database)


def _sign(trail: Trail) -> int:
    assert trail.app.audit_digests is not None
    return trail.app.audit_digests.sign_heads()


# --- verify: a clean trail -------------------------------------------------------------------


def test_a_clean_trail_verifies_with_its_signed_checkpoints(trail, capsys):
    """An untouched trail passes, counting records, accounts and signed checkpoints."""
    trail.append(5)
    trail.append(2, OTHER)
    assert _sign(trail) == 2
    assert _sign(trail) == 0  # heads did not move: nothing new to sign
    trail.append(3)
    code, out = trail.verify(capsys, None)
    assert code == 0, out
    assert "OK: 10 records in 2 accounts, 2 signed checkpoints" in out
    assert "(3 records not yet signed)" in out


def test_rotation_service_events_are_chained_and_verify(trail, capsys):
    """Service events written by the secrets layer verify like any other record."""
    from strongroom.secrets.events import ServiceEvent, record_event

    arn = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:db-abcdef"
    with trail.app.store.write() as tx:
        record_event(tx, now=trail.clock.now(), account_id=ACCOUNT, region="us-east-1",
                     event=ServiceEvent.ROTATION_STARTED, secret_arn=arn)
    trail.append(1)
    _sign(trail)
    code, out = trail.verify(capsys)
    assert code == 0, out
    assert "OK: 2 records in 1 accounts, 1 signed checkpoints" in out


# --- verify: tampering -----------------------------------------------------------------------


def test_deleting_a_middle_record_is_named(trail, capsys):
    """Deleting record 3 of 5 fails verification and names record 3 as deleted."""
    trail.append(5)
    trail.sql("DELETE FROM audit_records WHERE account_id = ? AND seq = 3", (ACCOUNT,))
    code, out = trail.verify(capsys)
    assert code == 1
    assert f"account {ACCOUNT} record 3: deleted — record 3 missing between record 2 and " \
           "record 4" in out


def test_cutting_off_the_end_is_caught_by_a_signed_checkpoint(trail, capsys):
    """Deleting the last records and rewinding the head row is caught by a checkpoint."""
    trail.append(6)
    assert _sign(trail) == 1
    fourth = trail.row(4)
    trail.sql("DELETE FROM audit_records WHERE account_id = ? AND seq > 4", (ACCOUNT,))
    trail.sql("UPDATE audit_heads SET seq = 4, digest = ? WHERE account_id = ?",
              (fourth.digest, ACCOUNT))
    code, out = trail.verify(capsys)
    assert code == 1
    assert f"account {ACCOUNT} record 6: deleted" in out
    assert "the chain ends at record 4 (records cut off its end)" in out


def test_cutting_off_the_end_without_touching_the_head_row_is_named(trail, capsys):
    """Deleting the last records (no checkpoint yet) is caught by the head row."""
    trail.append(5)
    trail.sql("DELETE FROM audit_records WHERE account_id = ? AND seq >= 4", (ACCOUNT,))
    code, out = trail.verify(capsys)
    assert code == 1
    assert f"account {ACCOUNT} record 4: deleted — records 4 to 5 missing from the end" in out


def test_editing_a_records_json_is_named(trail, capsys):
    """Editing a record's JSON makes verify name it (eventID, time) as altered."""
    ids = trail.append(4)
    row = trail.row(2)
    edited = canonical({**json.loads(row.record), "sourceIPAddress": "10.9.9.9"})
    trail.sql("UPDATE audit_records SET record = ? WHERE account_id = ? AND seq = 2",
              (edited, ACCOUNT))
    code, out = trail.verify(capsys)
    assert code == 1
    assert (f"account {ACCOUNT} record 2 (eventID {ids[1]}, {event_time(START + 2)}): "
            "altered — digest does not match its contents") in out


def test_editing_a_record_and_recomputing_its_digest_is_named(trail, capsys):
    """A record edited and re-hashed is caught by the next record's prev_digest."""
    ids = trail.append(4)
    row = trail.row(2)
    edited = canonical({**json.loads(row.record), "eventName": "GetSecretValue"})
    trail.sql("UPDATE audit_records SET record = ?, event_name = ?, digest = ? "
              "WHERE account_id = ? AND seq = 2",
              (edited, "GetSecretValue", link(row.prev_digest, edited), ACCOUNT))
    code, out = trail.verify(capsys)
    assert code == 1
    assert (f"account {ACCOUNT} record 2 (eventID {ids[1]}, {event_time(START + 2)}): "
            "altered — edited and its digest recomputed") in out


def test_rewriting_the_chain_from_a_record_on_is_caught_by_a_checkpoint(trail, capsys):
    """Re-hashing every record after an edit (and the head) still breaks the checkpoint."""
    trail.append(4)
    _sign(trail)
    prev = trail.row(2).digest
    for seq in (3, 4):
        row = trail.row(seq)
        text = canonical({**json.loads(row.record), "sourceIPAddress": "10.0.0.66"}) \
            if seq == 3 else row.record
        digest = link(prev, text)
        trail.sql("UPDATE audit_records SET record = ?, prev_digest = ?, digest = ? "
                  "WHERE account_id = ? AND seq = ?", (text, prev, digest, ACCOUNT, seq))
        prev = digest
    trail.sql("UPDATE audit_heads SET digest = ? WHERE account_id = ?", (prev, ACCOUNT))
    code, out = trail.verify(capsys)
    assert code == 1
    assert f"account {ACCOUNT} record 4: altered — its digest is not the one signed" in out


def test_swapping_two_records_is_named(trail, capsys):
    """Swapping the sequence numbers of records 2 and 3 is reported as reordering."""
    ids = trail.append(4)
    trail.sql("UPDATE audit_records SET seq = 1000 WHERE account_id = ? AND seq = 2", (ACCOUNT,))
    trail.sql("UPDATE audit_records SET seq = 2 WHERE account_id = ? AND seq = 3", (ACCOUNT,))
    trail.sql("UPDATE audit_records SET seq = 3 WHERE account_id = ? AND seq = 1000", (ACCOUNT,))
    code, out = trail.verify(capsys)
    assert code == 1
    assert (f"account {ACCOUNT} record 2 (eventID {ids[2]}, {event_time(START + 3)}): "
            "out of order — it was chained after record 3, not record 1") in out


def test_editing_the_head_row_is_named(trail, capsys):
    """A head row that no longer names the chain's last record fails verification."""
    trail.append(3)
    trail.sql("UPDATE audit_heads SET digest = ? WHERE account_id = ?", ("f" * 64, ACCOUNT))
    code, out = trail.verify(capsys)
    assert code == 1
    assert f"account {ACCOUNT}: head row altered" in out


def test_editing_a_lookup_column_is_named(trail, capsys):
    """A column LookupEvents filters on that disagrees with the hashed record is named."""
    trail.append(2)
    trail.sql("UPDATE audit_records SET event_name = 'ListSecrets' WHERE account_id = ? "
              "AND seq = 1", (ACCOUNT,))
    code, out = trail.verify(capsys)
    assert code == 1
    assert f"account {ACCOUNT} record 1 (" in out
    assert "altered — its event_name column does not match the hashed record" in out


def test_a_forged_checkpoint_is_named(trail, capsys):
    """A checkpoint whose signature does not verify is reported."""
    trail.append(2)
    _sign(trail)
    trail.sql("UPDATE audit_digests SET signature = ? WHERE account_id = ?",
              (bytes(64), ACCOUNT))
    code, out = trail.verify(capsys)
    assert code == 1
    assert f"account {ACCOUNT} record 2: checkpoint forged" in out


def test_a_broken_chain_is_not_signed(trail):
    """The signer refuses to sign over records that do not link up."""
    trail.append(3)
    trail.sql("DELETE FROM audit_records WHERE account_id = ? AND seq = 2", (ACCOUNT,))
    assert _sign(trail) == 0


def test_without_the_root_key_verify_says_signatures_were_not_authenticated(trail, capsys):
    """Verifying from a directory without a root key still checks chains, and says so."""
    trail.append(2)
    _sign(trail)
    store = trail.store_arg or ["--store", f"sqlite:{trail.data_dir / 'strongroom.db'}"]
    empty = tempfile.mkdtemp(prefix="strongroom-nokey-")
    code = main(["audit", "verify", "--data-dir", empty, *store])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "signatures not checked against the root key" in out
    assert "OK: 2 records in 1 accounts, 1 signed checkpoints" in out


def test_checkpoints_stay_verifiable_after_the_root_key_is_rotated(trail):
    """Rotating the root key rewraps the signing key: old checkpoints still verify."""
    from strongroom.audit.verify import verify_trail
    from strongroom.iam.names import access_key_purpose
    from strongroom.keys.crypto import random_key
    from strongroom.keys.rekey import rewrap_store
    from strongroom.keys.rootkey import RootKey

    trail.append(3)
    _sign(trail)
    new = RootKey(random_key())
    rewrap_store(trail.app.store, trail.app.holder.root, new, access_key_purpose)
    report = verify_trail(trail.app.store, new, ACCOUNT)
    assert report.findings == []
    assert report.checkpoints == 1
    stale = verify_trail(trail.app.store, RootKey(random_key()), ACCOUNT)
    assert [f.problem for f in stale.findings] == ["checkpoint untrusted"]


# --- tail, export, sink ----------------------------------------------------------------------


def _records(trail: Trail, account_id: str = ACCOUNT) -> list[str]:
    with trail.app.store.read() as tx:
        return [r.record for r in tx.audit_records(account_id, limit=10_000)]


def test_export_writes_json_lines_oldest_first_within_the_time_range(trail, capsys, tmp_path):
    """`audit export` writes the stored records as JSON lines, filtered by --since/--until."""
    trail.append(3)
    trail.append(2, OTHER)
    out_file = tmp_path / "trail.jsonl"
    code, _ = trail.cli(capsys, "export", "-o", str(out_file))
    assert code == 0
    lines = out_file.read_text().splitlines()
    assert len(lines) == 5
    times = [json.loads(line)["eventTime"] for line in lines]
    assert times == sorted(times)
    assert set(lines) == set(_records(trail)) | set(_records(trail, OTHER))
    code, out = trail.cli(capsys, "export", "--account", ACCOUNT,
                          "--since", event_time(START + 2), "--until", event_time(START + 3))
    assert out.splitlines() == _records(trail)[1:3]


def test_tail_prints_the_newest_records(trail, capsys):
    """`audit tail -n 2` prints the last two records as JSON lines, oldest first."""
    trail.append(4)
    code, out = trail.cli(capsys, "tail", "-n", "2", "--account", ACCOUNT)
    assert code == 0
    assert out.splitlines() == _records(trail)[2:]


def test_file_sink_ships_every_record_once_across_restarts(trail, tmp_path):
    """The file sink appends each record once and resumes from its cursor after a restart."""
    target = parse_sink(f"file:{tmp_path / 'siem.jsonl'}")
    trail.append(3)
    trail.append(1, OTHER)
    assert AuditSink(trail.app.store, target).ship_once() == 4
    trail.append(2)
    restarted = AuditSink(trail.app.store, target)  # a new server process
    assert restarted.ship_once() == 2
    assert restarted.ship_once() == 0
    lines = (tmp_path / "siem.jsonl").read_text().splitlines()
    assert sorted(lines) == sorted(_records(trail) + _records(trail, OTHER))
    assert (tmp_path / "siem.jsonl").stat().st_mode & 0o077 == 0


def test_stdout_sink_writes_json_lines(trail):
    """The stdout sink writes the records as JSON lines."""
    trail.append(2)
    stream = io.StringIO()
    assert AuditSink(trail.app.store, parse_sink("stdout"), stream=stream).ship_once() == 2
    assert stream.getvalue().splitlines() == _records(trail)


def test_a_bad_sink_spec_is_refused():
    """Only file:/path and stdout are sinks."""
    with pytest.raises(ValueError, match="file:/path"):
        parse_sink("syslog://x")


def test_a_running_server_signs_checkpoints_and_ships_to_its_sink(tmp_path):
    """With audit_sink set, the server's background work signs heads and ships records."""
    from strongroom.server.background import Background

    sink_file = tmp_path / "audit.jsonl"
    config = ServerConfig(data_dir=tmp_path / "data", regions=REGIONS, account_id=ACCOUNT,
                          audit_sink=f"file:{sink_file}", audit_sink_interval=0.05,
                          audit_digest_interval=0.05)
    application = build(config, clock=ManualClock(START))
    trail = Trail(application, ManualClock(START), config.data_dir, [])
    background = Background(application)
    background.start()
    try:
        trail.append(3)
        deadline = time.time() + 10
        while time.time() < deadline:
            with application.store.read() as tx:
                signed = tx.last_audit_checkpoint(ACCOUNT)
            if signed is not None and sink_file.exists() and \
                    len(sink_file.read_text().splitlines()) == 3:
                break
            time.sleep(0.05)
        shipped = _records(trail)
    finally:
        background.stop()
        application.store.close()
    assert signed is not None
    assert signed.seq == 3
    assert sink_file.read_text().splitlines() == shipped
