"""Schema migrations: numbered SQL files applied once each, in order, in one transaction.

Placeholders in the files ({blob}, {real}, {serial}) take each dialect's types, so
one file serves both stores.
"""

from __future__ import annotations

import time
from importlib import resources

from strongroom.storage.base import iter_statements
from strongroom.storage.sql import SchemaTx

DIALECT_TYPES = {
    "sqlite": {"blob": "BLOB", "real": "REAL", "serial": "INTEGER PRIMARY KEY AUTOINCREMENT"},
    "postgresql": {"blob": "BYTEA", "real": "DOUBLE PRECISION", "serial": "BIGSERIAL PRIMARY KEY"},
}


def migration_scripts() -> list[tuple[int, str]]:
    folder = resources.files("strongroom.storage") / "migrations"
    scripts = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            scripts.append((int(entry.name.split("_", 1)[0]), entry.read_text()))
    return sorted(scripts)


def apply_migrations(tx: SchemaTx, dialect: str) -> list[int]:
    """Apply what is missing; returns the versions applied now."""
    applied = tx.applied_migrations()
    done = []
    for version, script in migration_scripts():
        if version in applied:
            continue
        for statement in iter_statements(script.format(**DIALECT_TYPES[dialect])):
            tx.ddl(statement)
        tx.record_migration(version, time.time())
        done.append(version)
    return done
