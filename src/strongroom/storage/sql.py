"""Every SQL statement strongroom runs, written once for both dialects.

`Tx` is one open transaction: the union of the query mixins, one per area
(accounts, keys, kms, secrets, iam, sts). A new area adds its own `queries_*.py` module and a
base here. `Tx` neither commits nor decides policy.
"""

from __future__ import annotations

from strongroom.storage.queries_accounts import AccountQueries
from strongroom.storage.queries_audit import AuditQueries
from strongroom.storage.queries_iam import IamQueries
from strongroom.storage.queries_keys import KeyQueries
from strongroom.storage.queries_kms import KmsQueries
from strongroom.storage.queries_lambda import LambdaQueries
from strongroom.storage.queries_notify import NotifyQueries
from strongroom.storage.queries_replication import ReplicationQueries
from strongroom.storage.queries_rotation import RotationQueries
from strongroom.storage.queries_secrets import SecretQueries
from strongroom.storage.queries_sts import SessionQueries


class Tx(AccountQueries, KeyQueries, KmsQueries, SecretQueries, IamQueries, SessionQueries,
         RotationQueries, LambdaQueries, AuditQueries, ReplicationQueries, NotifyQueries):
    """One open transaction with every query strongroom runs."""


class SchemaTx(Tx):
    """A transaction that may also change the schema; only migrations get one."""

    def ddl(self, statement: str) -> None:
        self._run(statement)

    def applied_migrations(self) -> set[int]:
        self._run(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, applied REAL NOT NULL)"
        )
        return {int(r[0]) for r in self._rows("SELECT version FROM schema_migrations")}

    def record_migration(self, version: int, now: float) -> None:
        self._run("INSERT INTO schema_migrations (version, applied) VALUES (?, ?)", (version, now))
