"""`strongroom audit`: verify the audit trail, tail it, export it — straight from the store,
with or without a server running.

`verify` walks every account's hash chain and signed checkpoints and exits 1 if anything
was deleted, reordered or altered. The signatures' keys are authenticated with the root
key: a file-mode data directory opens it itself; a sealed one needs `--unseal` (prompts),
`--passphrase-env` or `--share`, else the signatures are checked against the stored keys
only and the output says so. `tail` and `export` print the CloudTrail records as JSON
lines, oldest first, and need only the store.
"""

from __future__ import annotations

import argparse
import heapq
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from strongroom.core.config import ServerConfig
from strongroom.keys.rootkey import RootKey
from strongroom.storage.base import Store
from strongroom.storage.queries_audit import AuditRow

_PAGE = 1000


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("audit", help="verify, tail and export the audit trail")
    actions = p.add_subparsers(dest="action", required=True)
    verify = actions.add_parser(
        "verify", help="check the hash chains and signed checkpoints; exit 1 on tampering")
    tail = actions.add_parser("tail", help="print the newest records as JSON lines")
    export = actions.add_parser("export", help="write records as JSON lines, oldest first")
    for a in (verify, tail, export):
        a.add_argument("--account", default=None, help="one account's trail (default: all)")
        a.add_argument("--data-dir", default="./strongroom-data", type=Path,
                       help="the server's data directory (root key, SQLite store)")
        a.add_argument("--store", default=None, help="the server's --store, if it has one")
    verify.add_argument("--unseal", action="store_true",
                        help="a sealed data directory: prompt for the passphrase or shares")
    verify.add_argument("--passphrase-env", default=None,
                        help="environment variable holding the passphrase (passphrase mode)")
    verify.add_argument("--share", action="append", default=[],
                        help="an unseal share (shamir mode; repeatable)")
    tail.add_argument("-n", "--lines", type=int, default=10,
                      help="how many of the newest records to print (default 10)")
    tail.add_argument("-f", "--follow", action="store_true",
                      help="keep printing records as they are appended")
    tail.add_argument("--interval", type=float, default=1.0,
                      help="seconds between looks for new records with --follow")
    export.add_argument("--since", default=None, help="ISO 8601 time (UTC if no offset)")
    export.add_argument("--until", default=None, help="ISO 8601 time (UTC if no offset)")
    export.add_argument("-o", "--output", type=Path, default=None,
                        help="file to write (default stdout)")


class AuditCliError(Exception):
    """A failure to report in one line; exit status 1."""


def run(args: argparse.Namespace) -> int:
    try:
        with _store(args) as store:
            if args.action == "verify":
                return _verify(args, store)
            if args.action == "tail":
                return _tail(args, store, sys.stdout)
            return _export(args, store)
    except AuditCliError as exc:
        print(f"strongroom: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


@contextmanager
def _store(args: argparse.Namespace) -> Iterator[Store]:
    from strongroom.server.compose import SQLITE_FILE, open_store

    if args.store is None and not (args.data_dir / SQLITE_FILE).is_file():
        raise AuditCliError(f"no store in {args.data_dir}")
    store = open_store(ServerConfig(data_dir=args.data_dir, store=args.store,
                                    regions=frozenset()))
    try:
        yield store
    finally:
        store.close()


# --- verify ---------------------------------------------------------------------------------


def _verify(args: argparse.Namespace, store: Store) -> int:
    from strongroom.audit.verify import verify_trail

    root, note = _root_key(args)
    report = verify_trail(store, root, args.account)
    for finding in report.findings:
        print(finding.describe())
    note = note or report.signatures_note
    if note:
        print(f"note: {note}")
    if report.findings:
        print(f"FAILED: {len(report.findings)} problem(s) in {report.records} records of "
              f"{report.accounts} accounts")
        return 1
    print(f"OK: {report.records} records in {report.accounts} accounts, {report.checkpoints} "
          f"signed checkpoints ({report.unsigned} records not yet signed)")
    return 0


def _root_key(args: argparse.Namespace) -> tuple[RootKey | None, str | None]:
    """The data directory's root key when it can be opened without a server, and, when it
    cannot, why (the signatures are then checked against the stored keys only)."""
    from strongroom.cli import operator
    from strongroom.keys.seal import RootKeyHolder, is_initialized

    if not is_initialized(args.data_dir):
        return None, f"signatures not checked against the root key: {args.data_dir} holds none"
    holder = RootKeyHolder.open(args.data_dir)
    if holder.sealed and (args.unseal or args.share or args.passphrase_env):
        try:
            root, _ = operator.unseal_offline(args.data_dir, list(args.share),
                                              args.passphrase_env)
        except operator.OperatorError as exc:
            raise AuditCliError(str(exc)) from exc
        return root, None
    if holder.sealed:
        return None, ("signatures not checked against the root key: root key sealed (use "
                      "--unseal, --passphrase-env or --share)")
    return holder.root, None


# --- tail and export ------------------------------------------------------------------------


def _accounts(store: Store, account: str | None) -> list[str]:
    if account is not None:
        return [account]
    with store.read() as tx:
        return tx.audit_accounts()


def _chain(store: Store, account_id: str, after_seq: int = 0) -> Iterator[AuditRow]:
    while True:
        with store.read() as tx:
            rows = tx.audit_records(account_id, after_seq=after_seq, limit=_PAGE)
        yield from rows
        if len(rows) < _PAGE:
            return
        after_seq = rows[-1].seq


def _order(row: AuditRow) -> tuple[float, str, int]:
    return (row.event_time, row.account_id, row.seq)


def _tail(args: argparse.Namespace, store: Store, out: TextIO) -> int:
    accounts = _accounts(store, args.account)
    newest: list[AuditRow] = []
    with store.read() as tx:
        for account_id in accounts:
            newest += tx.audit_latest(account_id, max(0, args.lines))
    newest.sort(key=_order)
    shown = newest[-args.lines:] if args.lines > 0 else []
    for row in shown:
        out.write(row.record + "\n")
    out.flush()
    if not args.follow:
        return 0
    cursors = {row.account_id: row.seq for row in newest}  # may be past what was shown
    with store.read() as tx:
        for account_id in accounts:
            head = tx.audit_head(account_id)
            cursors[account_id] = max(cursors.get(account_id, 0), head[0] if head else 0)
    while True:
        time.sleep(args.interval)
        fresh: list[AuditRow] = []
        for account_id in _accounts(store, args.account):
            fresh += list(_chain(store, account_id, cursors.get(account_id, 0)))
        for row in sorted(fresh, key=_order):
            out.write(row.record + "\n")
            cursors[row.account_id] = max(cursors.get(row.account_id, 0), row.seq)
        out.flush()


def _when(text: str | None, option: str) -> float | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise AuditCliError(f"{option}: not an ISO 8601 time: {text}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _export(args: argparse.Namespace, store: Store) -> int:
    since, until = _when(args.since, "--since"), _when(args.until, "--until")
    chains = [(row for row in _chain(store, account_id)
               if (since is None or row.event_time >= since)
               and (until is None or row.event_time <= until))
              for account_id in _accounts(store, args.account)]
    out: TextIO = sys.stdout
    handle = None
    if args.output is not None:
        handle = args.output.open("w", encoding="utf-8")
        out = handle
    count = 0
    try:
        for row in heapq.merge(*chains, key=_order):
            out.write(row.record + "\n")
            count += 1
    finally:
        if handle is not None:
            handle.close()
    if args.output is not None:
        print(f"strongroom: wrote {count} records to {args.output}", file=sys.stderr)
    return 0
