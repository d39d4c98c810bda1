"""What storing an audit record costs in the SQLite store, by eventID kind and batch size.

Appends records through the store's own `append_audit` (the chain head, the multi-row
insert, the WAL commit with synchronous=FULL) into a trail prefilled with `--prefill`
records, once with random (version 4) eventIDs as CloudTrail's look and once with the
time-ordered (version 7) ones strongroom makes, alternating in rounds. Prints the CPU
time of the appending thread per record.

    .venv/bin/python bench/audit_insert_cost.py [--prefill 100000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from strongroom.audit.chain import link
from strongroom.audit.records import entry_of, event_time, new_event_id
from strongroom.storage.queries_audit import AuditEntry
from strongroom.storage.sqlite import SQLiteStore

ACCOUNT = "123456789012"
ARN = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:bench/secret-AbCdEf"
KINDS: dict[str, Callable[[], str]] = {"random (v4)": lambda: str(uuid.uuid4()),
                                       "time-ordered (v7)": new_event_id}


def entry(event_id: str) -> AuditEntry:
    """A GetSecretValue record of a realistic size (~1 KB)."""
    now = time.time()
    record = {
        "eventVersion": "1.09", "eventTime": event_time(now),
        "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLEEXAMPLE01",
                         "arn": f"arn:aws:iam::{ACCOUNT}:user/app", "accountId": ACCOUNT,
                         "accessKeyId": "AKIAEXAMPLEEXAMPLE01", "userName": "app"},
        "eventSource": "secretsmanager.amazonaws.com", "eventName": "GetSecretValue",
        "awsRegion": "us-east-1", "sourceIPAddress": "10.0.0.1",
        "userAgent": "Boto3/1.35.0 md/Botocore#1.35.0 ua/2.0 os/linux#6.1 md/arch#x86_64 "
                     "lang/python#3.11.7 md/pyimpl#CPython cfg/retry-mode#legacy",
        "requestParameters": {"secretId": "bench/secret"}, "responseElements": None,
        "requestID": str(uuid.uuid4()), "eventID": event_id, "readOnly": True,
        "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
        "resources": [{"ARN": ARN, "accountId": ACCOUNT,
                       "type": "AWS::SecretsManager::Secret"}]}
    return entry_of(json.loads(json.dumps(record)), account_id=ACCOUNT, now=now,
                    resources=[("AWS::SecretsManager::Secret", ARN)], username="app",
                    access_key_id="AKIAEXAMPLEEXAMPLE01")


def prepared(kind: Callable[[], str], prefill: int, workdir: Path) -> SQLiteStore:
    store = SQLiteStore(workdir / f"trail-{uuid.uuid4().hex}.db")
    for _ in range(0, prefill, 256):
        with store.write() as tx:
            tx.append_audit([entry(kind()) for _ in range(256)], link)
    return store


def per_record(store: SQLiteStore, kind: Callable[[], str], batch: int, records: int) -> float:
    """CPU µs of this thread per record, appending `records` in batches of `batch`."""
    batches = [[entry(kind()) for _ in range(batch)] for _ in range(max(1, records // batch))]
    started = time.thread_time()
    for rows in batches:
        with store.write() as tx:
            tx.append_audit(rows, link)
    return 1e6 * (time.thread_time() - started) / (len(batches) * batch)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--prefill", type=int, default=100_000)
    p.add_argument("--records", type=int, default=2000, help="records appended per measure")
    p.add_argument("--batches", default="1,16", type=lambda s: [int(b) for b in s.split(",")])
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="strongroom-audit-insert-") as tmp:
        stores = {name: prepared(kind, args.prefill, Path(tmp)) for name, kind in KINDS.items()}
        results: dict[tuple[str, int], list[float]] = {}
        for round_no in range(args.rounds):
            for batch in args.batches:
                order = list(KINDS) if round_no % 2 == 0 else list(KINDS)[::-1]
                for name in order:
                    results.setdefault((name, batch), []).append(
                        per_record(stores[name], KINDS[name], batch, args.records))
        for store in stores.values():
            store.close()
    print(f"\nCPU µs per stored record ({args.prefill} records already in the trail, "
          f"median of {args.rounds} rounds)\n")
    print("| eventID | " + " | ".join(f"batch of {b}" for b in args.batches) + " |")
    print("|---|" + "---|" * len(args.batches))
    for name in KINDS:
        cells = [f"{statistics.median(results[(name, b)]):.0f}" for b in args.batches]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
