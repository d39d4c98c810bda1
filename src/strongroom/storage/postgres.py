"""The shared store: PostgreSQL through a connection pool, for several nodes.

Write transactions lock the rows they change (SELECT ... FOR UPDATE); migrations
take an advisory lock so nodes starting together apply each one once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from strongroom.core.errors import StoreUnavailable
from strongroom.storage.base import UniqueViolation
from strongroom.storage.migrate import apply_migrations
from strongroom.storage.sql import SchemaTx, Tx

_MIGRATION_LOCK = 0x5354524F  # "STRO"


class PostgresStore:
    dialect = "postgresql"

    def __init__(self, dsn: str, *, pool_size: int = 16) -> None:
        self._sql_cache: dict[str, str] = {}
        self._local = threading.local()
        try:
            self._pool = ConnectionPool(
                dsn, min_size=1, max_size=pool_size, open=True, timeout=10,
                kwargs={"autocommit": False},
            )
            self._pool.wait(timeout=10)
        except (psycopg.Error, Exception) as exc:
            raise StoreUnavailable("cannot connect to the PostgreSQL store") from exc
        with self._transaction(schema=True) as tx:
            assert isinstance(tx, SchemaTx)
            tx.ddl(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
            apply_migrations(tx, self.dialect)

    def _translate(self, sql: str) -> str:
        fixed = self._sql_cache.get(sql)
        if fixed is None:
            fixed = sql.replace("?", "%s")
            self._sql_cache[sql] = fixed
        return fixed

    @contextmanager
    def _transaction(self, *, schema: bool = False, write: bool = True) -> Iterator[Tx]:
        active: Tx | None = getattr(self._local, "active", None)
        if active is not None:
            # A read inside an open transaction joins it (one connection per request,
            # so a full pool can never deadlock); a write may not hide in a read.
            if write and not self._local.writing:
                raise RuntimeError("a write transaction cannot open inside a read")
            yield active
            return
        try:
            with self._pool.connection() as conn:

                def execute(sql: str, params: Sequence[Any]) -> psycopg.Cursor[Any]:
                    try:
                        return conn.execute(self._translate(sql), params, prepare=True)
                    except psycopg.errors.UniqueViolation as exc:
                        raise UniqueViolation(str(exc)) from exc

                tx_class = SchemaTx if schema else Tx
                tx = tx_class(execute, lock_suffix=" FOR UPDATE", insert_returning=True)
                self._local.active, self._local.writing = tx, write
                try:
                    yield tx
                finally:
                    self._local.active = None
        except psycopg.OperationalError as exc:
            raise StoreUnavailable("the PostgreSQL store is unavailable") from exc

    def read(self) -> Any:
        return self._transaction(write=False)

    def write(self) -> Any:
        return self._transaction()

    def in_write(self) -> bool:
        return getattr(self._local, "active", None) is not None and bool(self._local.writing)

    def close(self) -> None:
        self._pool.close()
