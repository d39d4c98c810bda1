"""SQL for key-encryption keys and their aliases."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from strongroom.storage.queries_base import QueryBase
from strongroom.storage.records import KeyRecord

_KEY_COLUMNS = (
    "key_id, account_id, region, arn, material_wrapped, state, description, managed, created"
)


class KeyQueries(QueryBase):
    def insert_key(self, key: KeyRecord) -> None:
        self._run(
            f"INSERT INTO kms_keys ({_KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key.key_id,
                key.account_id,
                key.region,
                key.arn,
                key.material_wrapped,
                key.state,
                key.description,
                int(key.managed),
                key.created,
            ),
        )

    def get_key(self, key_id: str) -> KeyRecord | None:
        row = self._one(f"SELECT {_KEY_COLUMNS} FROM kms_keys WHERE key_id = ?", (key_id,))
        return _key(row) if row else None

    def insert_alias(self, account_id: str, region: str, alias_name: str, key_id: str) -> None:
        self._run(
            "INSERT INTO kms_aliases (account_id, region, alias_name, key_id) VALUES (?, ?, ?, ?)",
            (account_id, region, alias_name, key_id),
        )

    def get_alias(self, account_id: str, region: str, alias_name: str) -> str | None:
        row = self._one(
            "SELECT key_id FROM kms_aliases WHERE account_id = ? AND region = ? AND alias_name = ?",
            (account_id, region, alias_name),
        )
        return str(row[0]) if row else None


def _key(row: Sequence[Any]) -> KeyRecord:
    return KeyRecord(
        row[0], row[1], row[2], row[3], bytes(row[4]), row[5], row[6], bool(row[7]), row[8]
    )
