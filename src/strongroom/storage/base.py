"""The store interface the services depend on, and its own failures.

Services ask a Store for a read or a write transaction and talk to the `Tx` it
yields; they never import a concrete store. Every write is one transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol

from strongroom.core.errors import StrongroomError

if TYPE_CHECKING:
    from strongroom.storage.sql import Tx


class Store(Protocol):
    """A transactional store. `write()` serializes writers on the rows they lock."""

    dialect: str

    def read(self) -> AbstractContextManager[Tx]: ...

    def write(self) -> AbstractContextManager[Tx]: ...

    def in_write(self) -> bool:
        """Whether this thread has a write transaction open (its reads may see
        uncommitted changes, which caches must not keep)."""
        ...

    def close(self) -> None: ...


class UniqueViolation(StrongroomError):
    """An insert collided with an existing row (a race the service turns into its own error)."""


def iter_statements(script: str) -> Iterator[str]:
    """Split a migration script on semicolons after dropping comment lines; our
    migrations hold no procedural code and no semicolons inside strings."""
    lines = [ln for ln in script.splitlines() if not ln.strip().startswith("--")]
    for raw in "\n".join(lines).split(";"):
        statement = raw.strip()
        if statement:
            yield statement
