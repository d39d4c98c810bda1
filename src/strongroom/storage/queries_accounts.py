"""SQL for accounts, users and access keys."""

from __future__ import annotations

from strongroom.storage.queries_base import QueryBase
from strongroom.storage.records import AccessKeyRecord, AccountRecord, UserRecord


class AccountQueries(QueryBase):
    def insert_account(self, account: AccountRecord) -> None:
        self._run(
            "INSERT INTO accounts (account_id, created) VALUES (?, ?)",
            (account.account_id, account.created),
        )

    def get_account(self, account_id: str) -> AccountRecord | None:
        row = self._one(
            "SELECT account_id, created FROM accounts WHERE account_id = ?", (account_id,)
        )
        return AccountRecord(*row) if row else None

    def list_accounts(self) -> list[AccountRecord]:
        rows = self._rows("SELECT account_id, created FROM accounts ORDER BY created")
        return [AccountRecord(*r) for r in rows]

    def insert_user(self, user: UserRecord) -> None:
        self._run(
            "INSERT INTO users (account_id, user_name, user_id, arn, created, is_admin) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                user.account_id,
                user.user_name,
                user.user_id,
                user.arn,
                user.created,
                int(user.is_admin),
            ),
        )

    def get_user(self, account_id: str, user_name: str) -> UserRecord | None:
        row = self._one(
            "SELECT account_id, user_name, user_id, arn, created, is_admin FROM users "
            "WHERE account_id = ? AND user_name = ?",
            (account_id, user_name),
        )
        if row is None:
            return None
        return UserRecord(row[0], row[1], row[2], row[3], row[4], bool(row[5]))

    def insert_access_key(self, key: AccessKeyRecord) -> None:
        self._run(
            "INSERT INTO access_keys (access_key_id, account_id, user_name, secret_wrapped, "
            "status, created) VALUES (?, ?, ?, ?, ?, ?)",
            (
                key.access_key_id,
                key.account_id,
                key.user_name,
                key.secret_wrapped,
                key.status,
                key.created,
            ),
        )

    def get_access_key(self, access_key_id: str) -> AccessKeyRecord | None:
        row = self._one(
            "SELECT access_key_id, account_id, user_name, secret_wrapped, status, created "
            "FROM access_keys WHERE access_key_id = ?",
            (access_key_id,),
        )
        if row is None:
            return None
        return AccessKeyRecord(row[0], row[1], row[2], bytes(row[3]), row[4], row[5])
