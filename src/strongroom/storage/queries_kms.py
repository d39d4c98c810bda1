"""SQL for the KMS service: key metadata, material versions, key tags and alias listing.

The rows the envelope-encryption path already used (`kms_keys`, `kms_aliases`) keep
their queries in `queries_keys`; this module adds what key management needs. It
holds no policy: which state may change to which is the KMS service's business.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from strongroom.storage.queries_base import QueryBase


@dataclass(frozen=True)
class KmsKeyRecord:
    """Everything KMS knows about one key, without its material."""

    key_id: str
    account_id: str
    region: str
    arn: str
    state: str
    description: str
    managed: bool
    created: float
    key_usage: str
    key_spec: str
    origin: str
    policy: str | None
    deletion_date: float | None
    pending_window_days: int | None
    rotation_enabled: bool
    rotation_period_days: int | None
    next_rotation: float | None
    current_version: int


@dataclass(frozen=True)
class AliasRecord:
    account_id: str
    region: str
    alias_name: str
    key_id: str
    created: float | None
    last_updated: float | None


_KMS_COLUMNS = (
    "key_id, account_id, region, arn, state, description, managed, created, key_usage, "
    "key_spec, origin, policy, deletion_date, pending_window_days, rotation_enabled, "
    "rotation_period_days, next_rotation, current_version"
)
_ALIAS_COLUMNS = "account_id, region, alias_name, key_id, created, last_updated"


class KmsQueries(QueryBase):
    # --- keys -------------------------------------------------------------------------

    def get_kms_key(self, key_id: str, *, lock: bool = False) -> KmsKeyRecord | None:
        row = self._one(
            f"SELECT {_KMS_COLUMNS} FROM kms_keys WHERE key_id = ?"
            f"{self._lock_suffix if lock else ''}", (key_id,))
        return _kms_key(row) if row else None

    def list_kms_keys(self, account_id: str, region: str, after: str | None,
                      limit: int) -> list[KmsKeyRecord]:
        rows = self._rows(
            f"SELECT {_KMS_COLUMNS} FROM kms_keys WHERE account_id = ? AND region = ? "
            "AND key_id > ? ORDER BY key_id LIMIT ?",
            (account_id, region, after or "", limit))
        return [_kms_key(r) for r in rows]

    def set_kms_key_meta(self, key_id: str, *, key_usage: str, key_spec: str, origin: str,
                         policy: str | None) -> None:
        self._run(
            "UPDATE kms_keys SET key_usage = ?, key_spec = ?, origin = ?, policy = ? "
            "WHERE key_id = ?", (key_usage, key_spec, origin, policy, key_id))

    def set_kms_key_state(self, key_id: str, state: str, deletion_date: float | None,
                          pending_window_days: int | None) -> None:
        self._run(
            "UPDATE kms_keys SET state = ?, deletion_date = ?, pending_window_days = ? "
            "WHERE key_id = ?", (state, deletion_date, pending_window_days, key_id))

    def set_kms_key_policy(self, key_id: str, policy: str) -> None:
        self._run("UPDATE kms_keys SET policy = ? WHERE key_id = ?", (policy, key_id))

    def set_kms_key_rotation(self, key_id: str, enabled: bool, period_days: int | None,
                             next_rotation: float | None) -> None:
        self._run(
            "UPDATE kms_keys SET rotation_enabled = ?, rotation_period_days = ?, "
            "next_rotation = ? WHERE key_id = ?",
            (int(enabled), period_days, next_rotation, key_id))

    def kms_keys_due_for_deletion(self, now: float) -> list[str]:
        rows = self._rows(
            "SELECT key_id FROM kms_keys WHERE state = 'PendingDeletion' AND deletion_date <= ? "
            "ORDER BY key_id", (now,))
        return [str(r[0]) for r in rows]

    def kms_keys_due_for_rotation(self, now: float) -> list[str]:
        rows = self._rows(
            "SELECT key_id FROM kms_keys WHERE rotation_enabled = 1 AND state = 'Enabled' "
            "AND next_rotation <= ? ORDER BY key_id", (now,))
        return [str(r[0]) for r in rows]

    def delete_kms_key(self, key_id: str) -> None:
        """Remove a key with its material, tags and aliases: what it encrypted is lost."""
        self._run("DELETE FROM kms_aliases WHERE key_id = ?", (key_id,))
        self._run("DELETE FROM kms_key_tags WHERE key_id = ?", (key_id,))
        self._run("DELETE FROM kms_key_versions WHERE key_id = ?", (key_id,))
        self._run("DELETE FROM kms_keys WHERE key_id = ?", (key_id,))

    # --- material versions --------------------------------------------------------------

    def insert_key_version(self, key_id: str, version: int, material_wrapped: bytes,
                           created: float) -> None:
        self._run(
            "INSERT INTO kms_key_versions (key_id, version, material_wrapped, created) "
            "VALUES (?, ?, ?, ?)", (key_id, version, material_wrapped, created))

    def get_key_version(self, key_id: str, version: int) -> bytes | None:
        row = self._one(
            "SELECT material_wrapped FROM kms_key_versions WHERE key_id = ? AND version = ?",
            (key_id, version))
        return bytes(row[0]) if row else None

    def current_key_version(self, key_id: str) -> int | None:
        row = self._one("SELECT current_version FROM kms_keys WHERE key_id = ?", (key_id,))
        return int(row[0]) if row else None

    def set_current_key_version(self, key_id: str, version: int) -> None:
        self._run("UPDATE kms_keys SET current_version = ? WHERE key_id = ?", (version, key_id))

    # --- tags ---------------------------------------------------------------------------

    def list_kms_key_tags(self, key_id: str) -> list[tuple[str, str]]:
        rows = self._rows(
            "SELECT tag_key, tag_value FROM kms_key_tags WHERE key_id = ? ORDER BY tag_key",
            (key_id,))
        return [(str(r[0]), str(r[1])) for r in rows]

    def put_kms_key_tag(self, key_id: str, tag_key: str, tag_value: str) -> None:
        self._run("DELETE FROM kms_key_tags WHERE key_id = ? AND tag_key = ?", (key_id, tag_key))
        self._run("INSERT INTO kms_key_tags (key_id, tag_key, tag_value) VALUES (?, ?, ?)",
                  (key_id, tag_key, tag_value))

    def delete_kms_key_tag(self, key_id: str, tag_key: str) -> None:
        self._run("DELETE FROM kms_key_tags WHERE key_id = ? AND tag_key = ?", (key_id, tag_key))

    # --- aliases ------------------------------------------------------------------------

    def get_alias_record(self, account_id: str, region: str, alias_name: str,
                         ) -> AliasRecord | None:
        row = self._one(
            f"SELECT {_ALIAS_COLUMNS} FROM kms_aliases WHERE account_id = ? AND region = ? "
            "AND alias_name = ?", (account_id, region, alias_name))
        return _alias(row) if row else None

    def list_alias_records(self, account_id: str, region: str,
                           key_id: str | None = None) -> list[AliasRecord]:
        sql = (f"SELECT {_ALIAS_COLUMNS} FROM kms_aliases WHERE account_id = ? "
               "AND region = ?")
        params: list[Any] = [account_id, region]
        if key_id is not None:
            sql += " AND key_id = ?"
            params.append(key_id)
        return [_alias(r) for r in self._rows(sql + " ORDER BY alias_name", params)]

    def insert_alias_record(self, alias: AliasRecord) -> None:
        self._run(
            f"INSERT INTO kms_aliases ({_ALIAS_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
            (alias.account_id, alias.region, alias.alias_name, alias.key_id, alias.created,
             alias.last_updated))

    def retarget_alias(self, account_id: str, region: str, alias_name: str, key_id: str,
                       now: float) -> None:
        self._run(
            "UPDATE kms_aliases SET key_id = ?, last_updated = ? WHERE account_id = ? "
            "AND region = ? AND alias_name = ?", (key_id, now, account_id, region, alias_name))

    def delete_alias(self, account_id: str, region: str, alias_name: str) -> None:
        self._run(
            "DELETE FROM kms_aliases WHERE account_id = ? AND region = ? AND alias_name = ?",
            (account_id, region, alias_name))


def _kms_key(row: Sequence[Any]) -> KmsKeyRecord:
    return KmsKeyRecord(
        key_id=row[0], account_id=row[1], region=row[2], arn=row[3], state=row[4],
        description=row[5], managed=bool(row[6]), created=float(row[7]), key_usage=row[8],
        key_spec=row[9], origin=row[10], policy=row[11],
        deletion_date=None if row[12] is None else float(row[12]),
        pending_window_days=None if row[13] is None else int(row[13]),
        rotation_enabled=bool(row[14]),
        rotation_period_days=None if row[15] is None else int(row[15]),
        next_rotation=None if row[16] is None else float(row[16]),
        current_version=int(row[17]),
    )


def _alias(row: Sequence[Any]) -> AliasRecord:
    return AliasRecord(
        account_id=row[0], region=row[1], alias_name=row[2], key_id=row[3],
        created=None if row[4] is None else float(row[4]),
        last_updated=None if row[5] is None else float(row[5]),
    )
