"""Checking the audit trail: every account's hash chain, its head row and its signed
checkpoints, with a finding for each record that was deleted, reordered or altered.

Reads only; never repairs. Each finding names the account, the record's sequence number
and, where the record still exists, its eventID and eventTime, so an operator can find it
in a shipped copy (`strongroom audit export`, the sink). Deleting every checkpoint along
with the chain's tail cannot be told from a shorter trail: keep an outside copy for that.
"""

from __future__ import annotations

import calendar
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from strongroom.audit.chain import GENESIS, link
from strongroom.audit.digests import KeyTrust, chain_records, checkpoint_signed_by, trusted_keys
from strongroom.keys.rootkey import RootKey
from strongroom.storage.base import Store
from strongroom.storage.queries_audit import AuditCheckpointRow, AuditRow
from strongroom.storage.sql import Tx

# Columns LookupEvents filters on, and the record member each copies.
_COPIED = (("event_id", "eventID"), ("event_name", "eventName"),
           ("event_source", "eventSource"), ("region", "awsRegion"),
           ("event_type", "eventType"))
_TIME_SLACK = 2.0  # seconds between a record's eventTime (whole seconds) and its column


@dataclass(frozen=True)
class Finding:
    """One thing wrong with one record (or with a chain's head or checkpoints)."""

    account_id: str
    seq: int | None
    problem: str  # deleted | altered | out of order | head row altered | checkpoint ...
    detail: str
    event_id: str | None = None
    event_time: str | None = None

    def describe(self) -> str:
        where = f"account {self.account_id or '(unattributed)'}"
        if self.seq is not None:
            where += f" record {self.seq}"
        if self.event_id:
            where += f" (eventID {self.event_id}, {self.event_time})"
        return f"{where}: {self.problem} — {self.detail}"


@dataclass
class Report:
    records: int = 0
    accounts: int = 0
    checkpoints: int = 0  # checkpoints whose signature was checked and matched
    unsigned: int = 0  # records after their account's last checkpoint
    findings: list[Finding] = field(default_factory=list)
    signatures_note: str | None = None  # why signatures were not (fully) checked

    @property
    def ok(self) -> bool:
        return not self.findings


def _time_text(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _parse(row: AuditRow) -> Mapping[str, Any] | None:
    try:
        record = json.loads(row.record)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def _finding(row: AuditRow, problem: str, detail: str) -> Finding:
    record = _parse(row) or {}
    event_time = record.get("eventTime")
    return Finding(row.account_id, row.seq, problem, detail, row.event_id,
                   event_time if isinstance(event_time, str) else _time_text(row.event_time))


def _column_problems(row: AuditRow, record: Mapping[str, Any]) -> list[str]:
    """Columns (what LookupEvents filters on) that disagree with the hashed record."""
    wrong = [column for column, member in _COPIED
             if getattr(row, column) != record.get(member)]
    if row.read_only != bool(record.get("readOnly")):
        wrong.append("read_only")
    try:
        stamped = calendar.timegm(time.strptime(str(record.get("eventTime")),
                                                "%Y-%m-%dT%H:%M:%SZ"))
        if abs(stamped - row.event_time) > _TIME_SLACK:
            wrong.append("event_time")
    except ValueError:
        wrong.append("event_time")
    identity = record.get("userIdentity")
    key = identity.get("accessKeyId") if isinstance(identity, dict) else None
    if key and row.access_key_id and key != row.access_key_id:
        wrong.append("access_key_id")
    return wrong


class _Chain:
    """One account's records as stored: seq -> digest and digest -> seq, for placing a
    record that was chained after some other one."""

    def __init__(self, tx: Tx, account_id: str) -> None:
        self.digest_at: dict[int, str] = {}
        self.seq_of: dict[str, int] = {}
        for row in chain_records(tx, account_id):
            self.digest_at[row.seq] = row.digest
            self.seq_of.setdefault(row.digest, row.seq)
        self.last = max(self.digest_at, default=0)


def _walk(tx: Tx, account_id: str, chain: _Chain, report: Report) -> None:
    expected, prev = 1, GENESIS
    before: AuditRow | None = None
    before_consistent = True
    for row in chain_records(tx, account_id):
        report.records += 1
        gap = row.seq != expected
        if gap:
            missing = (f"record {expected}" if row.seq == expected + 1
                       else f"records {expected} to {row.seq - 1}")
            report.findings.append(Finding(
                account_id, expected, "deleted",
                f"{missing} missing between record {expected - 1} and record {row.seq}"))
        record = _parse(row)
        consistent = link(row.prev_digest, row.record) == row.digest
        if record is None or not consistent:
            report.findings.append(_finding(row, "altered", "digest does not match its contents"))
        elif wrong := _column_problems(row, record):
            report.findings.append(_finding(
                row, "altered", f"its {', '.join(wrong)} column does not match the hashed "
                "record (LookupEvents would show another value)"))
        if row.prev_digest != prev and not gap:
            after = chain.seq_of.get(row.prev_digest)
            if after is not None and after != row.seq - 1:
                report.findings.append(_finding(
                    row, "out of order", f"it was chained after record {after}, not record "
                    f"{row.seq - 1} (records reordered)"))
            elif after is None and before is not None and before_consistent:
                report.findings.append(_finding(
                    before, "altered", f"edited and its digest recomputed: record {row.seq} "
                    "was chained to a different digest"))
            else:
                report.findings.append(_finding(
                    row, "chain broken", f"its prev_digest is not the digest of record "
                    f"{row.seq - 1}"))
        expected, prev, before, before_consistent = row.seq + 1, row.digest, row, consistent
    head = tx.audit_head(account_id)
    if head is None:
        if chain.last:
            report.findings.append(Finding(account_id, None, "head row missing",
                                           f"the chain has {chain.last} records"))
        return
    seq, digest = head
    if seq > chain.last:
        report.findings.append(Finding(
            account_id, chain.last + 1, "deleted",
            (f"record {seq}" if seq == chain.last + 1 else f"records {chain.last + 1} to {seq}")
            + " missing from the end of the chain (its head row still counts them)"))
    elif seq < chain.last or digest != chain.digest_at.get(seq, GENESIS):
        report.findings.append(Finding(
            account_id, None, "head row altered",
            f"it says record {seq} with digest {digest[:16]}…, the chain ends at record "
            f"{chain.last}"))


def _checkpoints(account_id: str, checkpoints: list[AuditCheckpointRow], chain: _Chain,
                 keys: Mapping[str, KeyTrust | bytes], report: Report) -> None:
    signed_up_to = 0
    for checkpoint in checkpoints:
        key = keys.get(checkpoint.key_id)
        when = _time_text(checkpoint.created)
        if isinstance(key, KeyTrust) and key.public_key is None:
            report.findings.append(Finding(
                account_id, checkpoint.seq, "checkpoint untrusted",
                f"signed by key {checkpoint.key_id}, but {key.problem}"))
            continue
        public = key.public_key if isinstance(key, KeyTrust) else key
        if public is None or not checkpoint_signed_by(checkpoint, public):
            report.findings.append(Finding(
                account_id, checkpoint.seq, "checkpoint forged",
                f"the checkpoint of {when} does not carry a valid signature"))
            continue
        report.checkpoints += 1
        signed_up_to = max(signed_up_to, checkpoint.seq)
        stored = chain.digest_at.get(checkpoint.seq)
        if stored is None and checkpoint.seq > chain.last:
            report.findings.append(Finding(
                account_id, checkpoint.seq, "deleted",
                f"the checkpoint signed {when} covers record {checkpoint.seq}, but the chain "
                f"ends at record {chain.last} (records cut off its end)"))
        elif stored is not None and stored != checkpoint.digest:
            report.findings.append(Finding(
                account_id, checkpoint.seq, "altered",
                f"its digest is not the one signed in the checkpoint of {when} (the chain was "
                "rewritten up to here)"))
    report.unsigned += max(0, chain.last - signed_up_to)


def verify_trail(store: Store, root: RootKey | None, account_id: str | None = None) -> Report:
    """Check one account's trail, or every account's. With an unsealed root key the signing
    keys are authenticated; without, checkpoints are checked against the stored public keys
    only, and the report says so."""
    report = Report()
    with store.read() as tx:
        keys: dict[str, KeyTrust | bytes]
        stored_keys = tx.audit_signing_keys()
        if root is not None and not root.sealed:
            keys = dict(trusted_keys(stored_keys, root))
        else:
            keys = {k.key_id: k.public_key for k in stored_keys}
            report.signatures_note = ("signatures checked against the stored public keys only: "
                                      "the root key is sealed, so those keys are not "
                                      "authenticated")
        accounts = sorted(set(tx.audit_accounts()) | set(tx.audit_checkpoint_accounts()))
        if account_id is not None:
            accounts = [account_id]
        for account in accounts:
            chain = _Chain(tx, account)
            _walk(tx, account, chain, report)
            _checkpoints(account, tx.audit_checkpoints(account), chain, keys, report)
            if chain.last or tx.audit_head(account) is not None:
                report.accounts += 1
    return report
