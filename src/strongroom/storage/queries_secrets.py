"""SQL for secrets, their tags, versions and staging labels."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from strongroom.storage.queries_base import QueryBase
from strongroom.storage.records import SecretRecord, VersionRecord

_ENTRY_COLUMNS = (
    "pk, account_id, region, name, arn, description, kms_key_id, created, last_changed, "
    "last_accessed, deleted_date, purge_after, owning_service, primary_region, secret_type, "
    "resource_policy, rotation_enabled, rotation_lambda_arn, rotation_rules, last_rotated, "
    "next_rotation, rotation_window_end"
)
_VERSION_COLUMNS = (
    "secret_pk, version_id, seq, created, last_accessed, kms_key_id, value_kind, wrapped_key, "
    "ciphertext"
)


def _secret(row: Sequence[Any]) -> SecretRecord:
    enabled = row[16]
    fields = [*row[:16], None if enabled is None else bool(enabled), *row[17:]]
    return SecretRecord(*fields)


def _version(row: Sequence[Any]) -> VersionRecord:
    return VersionRecord(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        row[5],
        row[6],
        bytes(row[7]) if row[7] is not None else None,
        bytes(row[8]) if row[8] is not None else None,
    )


class SecretQueries(QueryBase):
    def insert_secret(self, s: SecretRecord) -> int:
        """Insert and return the new primary key (the record's `pk` is ignored)."""
        sql = (
            "INSERT INTO secrets (account_id, region, name, arn, description, kms_key_id, "
            "created, last_changed, last_accessed, deleted_date, purge_after, owning_service, "
            "primary_region, secret_type, resource_policy) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        )
        params = (
            s.account_id,
            s.region,
            s.name,
            s.arn,
            s.description,
            s.kms_key_id,
            s.created,
            s.last_changed,
            s.last_accessed,
            s.deleted_date,
            s.purge_after,
            s.owning_service,
            s.primary_region,
            s.secret_type,
            s.resource_policy,
        )
        if self._returning:
            row = self._execute(sql + " RETURNING pk", params).fetchone()
            return int(row[0])
        cursor = self._execute(sql, params)
        return int(cursor.lastrowid)

    def get_secret_by_name(
        self, account_id: str, region: str, name: str, *, lock: bool = False
    ) -> SecretRecord | None:
        row = self._one(
            f"SELECT {_ENTRY_COLUMNS} FROM secrets WHERE account_id = ? AND region = ? "
            f"AND name = ?{self._lock_suffix if lock else ''}",
            (account_id, region, name),
        )
        return _secret(row) if row else None

    def get_secret_by_arn(self, arn: str, *, lock: bool = False) -> SecretRecord | None:
        row = self._one(
            f"SELECT {_ENTRY_COLUMNS} FROM secrets WHERE arn = ?"
            f"{self._lock_suffix if lock else ''}",
            (arn,),
        )
        return _secret(row) if row else None

    def get_secret_by_pk(self, pk: int, *, lock: bool = False) -> SecretRecord | None:
        row = self._one(
            f"SELECT {_ENTRY_COLUMNS} FROM secrets WHERE pk = ?"
            f"{self._lock_suffix if lock else ''}",
            (pk,),
        )
        return _secret(row) if row else None

    def list_secrets(self, account_id: str, region: str) -> list[SecretRecord]:
        rows = self._rows(
            f"SELECT {_ENTRY_COLUMNS} FROM secrets WHERE account_id = ? AND region = ? "
            "ORDER BY created, pk",
            (account_id, region),
        )
        return [_secret(r) for r in rows]

    def update_secret(self, pk: int, **fields: Any) -> None:
        """Set the named columns; names come from code, never from requests."""
        allowed = {
            "description",
            "kms_key_id",
            "last_changed",
            "last_accessed",
            "deleted_date",
            "purge_after",
            "resource_policy",
            "secret_type",
            "rotation_enabled",
            "rotation_lambda_arn",
            "rotation_rules",
            "last_rotated",
            "next_rotation",
            "rotation_window_end",
            "primary_region",
        }
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        assignments = ", ".join(f"{name} = ?" for name in fields)
        values = [int(v) if isinstance(v, bool) else v for v in fields.values()]
        self._run(f"UPDATE secrets SET {assignments} WHERE pk = ?", (*values, pk))

    def delete_secret(self, pk: int) -> None:
        """Remove a secret and everything under it; its ciphertexts are gone for good."""
        for table in ("rotations", "secret_stages", "secret_tags", "secret_versions"):
            self._run(f"DELETE FROM {table} WHERE secret_pk = ?", (pk,))
        self._run("DELETE FROM secret_replicas WHERE primary_pk = ?", (pk,))
        self._run("DELETE FROM secrets WHERE pk = ?", (pk,))

    def secrets_due_for_purge(self, now: float, limit: int) -> list[int]:
        rows = self._rows(
            "SELECT pk FROM secrets WHERE purge_after IS NOT NULL AND purge_after <= ? "
            "ORDER BY purge_after LIMIT ?",
            (now, limit),
        )
        return [int(r[0]) for r in rows]

    # --- tags ------------------------------------------------------------------

    def get_tags(self, pk: int) -> list[tuple[str, str]]:
        rows = self._rows(
            "SELECT tag_key, tag_value FROM secret_tags WHERE secret_pk = ? ORDER BY position",
            (pk,),
        )
        return [(r[0], r[1]) for r in rows]

    def tags_for(self, pks: Iterable[int]) -> dict[int, list[tuple[str, str]]]:
        wanted = list(pks)
        result: dict[int, list[tuple[str, str]]] = {pk: [] for pk in wanted}
        for chunk_start in range(0, len(wanted), 500):
            chunk = wanted[chunk_start : chunk_start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = self._rows(
                f"SELECT secret_pk, tag_key, tag_value FROM secret_tags "
                f"WHERE secret_pk IN ({marks}) ORDER BY secret_pk, position",
                chunk,
            )
            for pk, key, value in rows:
                result[int(pk)].append((key, value))
        return result

    def replace_tags(self, pk: int, tags: Sequence[tuple[str, str]]) -> None:
        self._run("DELETE FROM secret_tags WHERE secret_pk = ?", (pk,))
        for position, (key, value) in enumerate(tags):
            self._run(
                "INSERT INTO secret_tags (secret_pk, position, tag_key, tag_value) "
                "VALUES (?, ?, ?, ?)",
                (pk, position, key, value),
            )

    # --- versions and stages ---------------------------------------------------

    def insert_version(self, v: VersionRecord) -> None:
        self._run(
            f"INSERT INTO secret_versions ({_VERSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                v.secret_pk,
                v.version_id,
                v.seq,
                v.created,
                v.last_accessed,
                v.kms_key_id,
                v.value_kind,
                v.wrapped_key,
                v.ciphertext,
            ),
        )

    def fill_version(self, v: VersionRecord) -> None:
        """Give a value to a placeholder version (the rotation's AWSPENDING)."""
        self._run(
            "UPDATE secret_versions SET kms_key_id = ?, value_kind = ?, wrapped_key = ?, "
            "ciphertext = ? WHERE secret_pk = ? AND version_id = ?",
            (v.kms_key_id, v.value_kind, v.wrapped_key, v.ciphertext, v.secret_pk, v.version_id),
        )

    def get_version(self, pk: int, version_id: str) -> VersionRecord | None:
        row = self._one(
            f"SELECT {_VERSION_COLUMNS} FROM secret_versions "
            "WHERE secret_pk = ? AND version_id = ?",
            (pk, version_id),
        )
        return _version(row) if row else None

    def list_versions(self, pk: int) -> list[VersionRecord]:
        rows = self._rows(
            f"SELECT {_VERSION_COLUMNS} FROM secret_versions WHERE secret_pk = ? ORDER BY seq DESC",
            (pk,),
        )
        return [_version(r) for r in rows]

    def next_version_seq(self, pk: int) -> int:
        row = self._one("SELECT MAX(seq) FROM secret_versions WHERE secret_pk = ?", (pk,))
        return 1 if row is None or row[0] is None else int(row[0]) + 1

    def delete_version(self, pk: int, version_id: str) -> None:
        self._run(
            "DELETE FROM secret_stages WHERE secret_pk = ? AND version_id = ?", (pk, version_id)
        )
        self._run(
            "DELETE FROM secret_versions WHERE secret_pk = ? AND version_id = ?", (pk, version_id)
        )

    def update_version_access(self, pk: int, version_id: str, day: float) -> None:
        self._run(
            "UPDATE secret_versions SET last_accessed = ? WHERE secret_pk = ? AND version_id = ?",
            (day, pk, version_id),
        )

    def get_tags_and_stages(self, pk: int) -> tuple[list[tuple[str, str]], dict[str, str]]:
        """Tags (in order) and stage → version id of one secret, in one statement."""
        rows = self._rows(
            "SELECT 0, position, tag_key, tag_value FROM secret_tags WHERE secret_pk = ? "
            "UNION ALL SELECT 1, 0, stage, version_id FROM secret_stages WHERE secret_pk = ? "
            "ORDER BY 1, 2",
            (pk, pk),
        )
        tags = [(r[2], r[3]) for r in rows if r[0] == 0]
        return tags, {r[2]: r[3] for r in rows if r[0] == 1}

    def get_stages(self, pk: int) -> dict[str, str]:
        """stage → version id for one secret."""
        rows = self._rows("SELECT stage, version_id FROM secret_stages WHERE secret_pk = ?", (pk,))
        return {r[0]: r[1] for r in rows}

    def stages_for(self, pks: Iterable[int]) -> dict[int, dict[str, str]]:
        wanted = list(pks)
        result: dict[int, dict[str, str]] = {pk: {} for pk in wanted}
        for chunk_start in range(0, len(wanted), 500):
            chunk = wanted[chunk_start : chunk_start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = self._rows(
                f"SELECT secret_pk, stage, version_id FROM secret_stages "
                f"WHERE secret_pk IN ({marks})",
                chunk,
            )
            for pk, stage, version_id in rows:
                result[int(pk)][stage] = version_id
        return result

    def set_stage(self, pk: int, stage: str, version_id: str) -> None:
        self._run("DELETE FROM secret_stages WHERE secret_pk = ? AND stage = ?", (pk, stage))
        self._run(
            "INSERT INTO secret_stages (secret_pk, stage, version_id) VALUES (?, ?, ?)",
            (pk, stage, version_id),
        )

    def change_stages(self, pk: int, before: Mapping[str, str],
                      after: Mapping[str, str]) -> None:
        """Write only the differences between two stage → version id maps."""
        for stage in before:
            if stage not in after:
                self.remove_stage(pk, stage)
        for stage, version_id in after.items():
            if before.get(stage) != version_id:
                self.set_stage(pk, stage, version_id)

    def remove_stage(self, pk: int, stage: str) -> None:
        self._run("DELETE FROM secret_stages WHERE secret_pk = ? AND stage = ?", (pk, stage))
