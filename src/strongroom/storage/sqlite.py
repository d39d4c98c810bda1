"""The embedded store: one SQLite file in WAL mode, one connection per thread.

Writers take the database lock up front (BEGIN IMMEDIATE), so a write transaction
never reads a row another writer is about to change. synchronous=FULL: a reply is
sent only after the commit is on disk.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from strongroom.core.errors import StoreUnavailable
from strongroom.storage.base import UniqueViolation
from strongroom.storage.migrate import apply_migrations
from strongroom.storage.sql import SchemaTx, Tx


class SQLiteStore:
    dialect = "sqlite"

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        if not os.path.exists(self.path):  # private from the start; WAL files inherit it
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        with self._transaction("BEGIN IMMEDIATE", schema=True) as tx:
            assert isinstance(tx, SchemaTx)
            apply_migrations(tx, self.dialect)

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA busy_timeout=10000")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def _transaction(self, begin: str, *, schema: bool = False) -> Iterator[Tx]:
        active: Tx | None = getattr(self._local, "active", None)
        if active is not None:
            # A read inside an open transaction (the authorizer reading IAM while an
            # operation holds its transaction) joins it; a write may not hide in a read.
            if begin != "BEGIN" and not self._local.writing:
                raise RuntimeError("a write transaction cannot open inside a read")
            yield active
            return
        conn = self._connection()

        def execute(sql: str, params: Sequence[Any]) -> sqlite3.Cursor:
            try:
                return conn.execute(sql, params)
            except sqlite3.IntegrityError as exc:
                if "UNIQUE" in str(exc) or "PRIMARY KEY" in str(exc):
                    raise UniqueViolation(str(exc)) from exc
                raise
            except sqlite3.OperationalError as exc:
                raise StoreUnavailable("the SQLite store refused the statement") from exc

        try:
            conn.execute(begin)
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable("the SQLite store is busy") from exc
        tx_class = SchemaTx if schema else Tx
        tx = tx_class(execute, lock_suffix="", insert_returning=False)
        self._local.active, self._local.writing = tx, begin != "BEGIN"
        try:
            yield tx
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            self._local.active = None
        try:
            conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            conn.execute("ROLLBACK")
            raise StoreUnavailable("the SQLite store could not commit") from exc

    def read(self) -> Any:
        return self._transaction("BEGIN")

    def write(self) -> Any:
        return self._transaction("BEGIN IMMEDIATE")

    def in_write(self) -> bool:
        return getattr(self._local, "active", None) is not None and bool(self._local.writing)

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
