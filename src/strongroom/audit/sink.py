"""Shipping the audit trail to a SIEM: every account's records, as JSON lines (the stored
canonical CloudTrail JSON), appended to a file or written to stdout.

A cursor per (sink, account) in the store says how far each chain has been shipped. A
batch is written and fsynced before its cursor moves, so after a crash a restart resumes
without losing records; at worst it writes the last batch again. Run one sink per name:
two servers shipping under the same name to the same file would duplicate lines.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from strongroom.storage.base import Store

log = logging.getLogger("strongroom.audit")

BATCH = 500


@dataclass(frozen=True)
class SinkTarget:
    """`file:/path` appends to a file (created mode 0600); `stdout` writes to stdout. The
    spec is also the sink's name, under which its cursors are kept."""

    name: str
    path: Path | None  # None: stdout


def parse_sink(spec: str) -> SinkTarget:
    if spec == "stdout":
        return SinkTarget(spec, None)
    if spec.startswith("file:") and len(spec) > len("file:"):
        return SinkTarget(spec, Path(spec[len("file:"):]))
    raise ValueError(f"audit sink {spec!r}: use file:/path/audit.jsonl or stdout")


class AuditSink:
    """Follows every account's chain from its cursor; `ship_once` is one pass."""

    def __init__(self, store: Store, target: SinkTarget, *, interval: float = 1.0,
                 stream: TextIO | None = None) -> None:
        self._store = store
        self._target = target
        self._interval = interval
        self._stream = stream  # stdout sinks: where to write (tests pass their own)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def name(self) -> str:
        return self._target.name

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="strongroom-audit-sink",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            self.ship_once()  # what was appended before shutdown
        except Exception:
            log.exception("audit sink %s: final pass failed", self.name)

    def ship_once(self) -> int:
        """Ship what is new; returns how many records were written."""
        with self._store.read() as tx:
            accounts = tx.audit_accounts()
        shipped = 0
        for account_id in accounts:
            while True:
                with self._store.read() as tx:
                    after = tx.audit_sink_cursor(self.name, account_id)
                    rows = tx.audit_records(account_id, after_seq=after, limit=BATCH)
                if not rows:
                    break
                self._write([row.record for row in rows])
                with self._store.write() as tx:
                    tx.set_audit_sink_cursor(self.name, account_id, rows[-1].seq)
                shipped += len(rows)
                if len(rows) < BATCH:
                    break
        return shipped

    def _write(self, lines: list[str]) -> None:
        text = "".join(line + "\n" for line in lines)
        if self._target.path is None:
            stream = self._stream or sys.stdout
            stream.write(text)
            stream.flush()
            return
        fd = os.open(self._target.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            data = text.encode()
            while data:
                written = os.write(fd, data)
                data = data[written:]
            os.fsync(fd)
        finally:
            os.close(fd)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.ship_once()
            except Exception:
                log.exception("audit sink %s failed; will retry", self.name)
            self._stop.wait(self._interval)
