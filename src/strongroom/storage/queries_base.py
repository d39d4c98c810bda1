"""The base every query mixin stands on: one open transaction's cursor calls.

Statements use `?` placeholders; the PostgreSQL store rewrites them to `%s`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


class QueryBase:
    """One open transaction; `execute` is the store's cursor call with placeholders fixed up."""

    def __init__(
        self,
        execute: Callable[[str, Sequence[Any]], Any],
        *,
        lock_suffix: str,
        insert_returning: bool,
    ) -> None:
        self._execute = execute
        self._lock_suffix = lock_suffix
        self._returning = insert_returning

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Sequence[Any]]:
        return list(self._execute(sql, params).fetchall())

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Sequence[Any] | None:
        row: Sequence[Any] | None = self._execute(sql, params).fetchone()
        return row

    def _run(self, sql: str, params: Sequence[Any] = ()) -> int:
        cursor = self._execute(sql, params)
        return int(cursor.rowcount)
