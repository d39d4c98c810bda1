"""Accounts, administrators and their access keys: creation and lookup.

Secret access keys are stored wrapped by the root key and unwrapped only to
verify a signature. The IAM service (`strongroom.iam`) manages users, keys,
roles and policies on these same tables; a new account's administrator gets
the AdministratorAccess managed policy attached, as in a fresh AWS account.
"""

from __future__ import annotations

import secrets as random_source
from dataclasses import dataclass

from strongroom.auth.errors import UnrecognizedClient
from strongroom.core.clock import Clock
from strongroom.core.types import Principal
from strongroom.iam.managed import ADMINISTRATOR_ACCESS
from strongroom.iam.names import (
    AWS_ACCOUNT,
    USER_PREFIX,
    access_key_purpose,
    iam_arn,
    new_access_key_id,
    new_secret_access_key,
    new_unique_id,
)
from strongroom.keys.crypto import CiphertextInvalid
from strongroom.keys.rootkey import RootKey
from strongroom.storage.base import Store
from strongroom.storage.records import AccessKeyRecord, AccountRecord, UserRecord

ADMIN_USER = "admin"
__all__ = ["ADMIN_USER", "Credentials", "Identities", "new_access_key_id", "new_account_id",
           "new_secret_access_key"]


@dataclass(frozen=True, repr=False)
class Credentials:
    access_key_id: str
    secret_access_key: str

    def __repr__(self) -> str:
        return f"Credentials({self.access_key_id!r}, <secret redacted>)"


def new_account_id() -> str:
    return str(random_source.randbelow(9 * 10**11) + 10**11)


class Identities:
    def __init__(self, store: Store, root: RootKey, clock: Clock) -> None:
        self._store = store
        self._root = root
        self._clock = clock

    def account_exists(self, account_id: str) -> bool:
        with self._store.read() as tx:
            return tx.get_account(account_id) is not None

    def accounts(self) -> list[str]:
        with self._store.read() as tx:
            return [a.account_id for a in tx.list_accounts()]

    def create_account(
        self, account_id: str, credentials: Credentials | None = None
    ) -> Credentials:
        """A new account with its administrator and one access key pair."""
        if not (len(account_id) == 12 and account_id.isdigit()):
            raise ValueError("an account id is 12 digits")
        credentials = credentials or Credentials(new_access_key_id(), new_secret_access_key())
        now = self._clock.now()
        admin = UserRecord(
            account_id=account_id, user_name=ADMIN_USER, user_id=new_unique_id(USER_PREFIX),
            arn=iam_arn(account_id, "user", "/", ADMIN_USER), created=now, is_admin=True,
        )
        with self._store.write() as tx:
            tx.insert_account(AccountRecord(account_id, now))
            tx.bump_generation(account_id)
            tx.insert_user(admin)
            tx.insert_access_key(AccessKeyRecord(
                access_key_id=credentials.access_key_id, account_id=account_id,
                user_name=ADMIN_USER,
                secret_wrapped=self._root.wrap(credentials.secret_access_key.encode(),
                                               access_key_purpose(credentials.access_key_id)),
                status="Active", created=now,
            ))
            tx.attach_policy(account_id, admin.user_id, ADMINISTRATOR_ACCESS.arn)
        return credentials

    def lookup(self, access_key_id: str) -> tuple[Principal, str]:
        """The principal behind an access key and its secret, or UnrecognizedClient."""
        principal, secret, _ = self.lookup_at_generation(access_key_id)
        return principal, secret

    def lookup_at_generation(self, access_key_id: str) -> tuple[Principal, str, int]:
        """As `lookup`, plus the account's IAM generation read in the same transaction,
        so a cache can tell when the answer may have changed."""
        with self._store.read() as tx:
            key = tx.get_access_key(access_key_id)
            user = tx.get_user(key.account_id, key.user_name) if key else None
            generation = tx.generation_sum((key.account_id, AWS_ACCOUNT)) if key else 0
        if key is None or user is None or key.status != "Active":
            raise UnrecognizedClient()
        try:
            purpose = access_key_purpose(access_key_id)
            secret = self._root.unwrap(key.secret_wrapped, purpose).decode()
        except CiphertextInvalid as exc:
            raise UnrecognizedClient() from exc
        principal = Principal(
            account_id=user.account_id, arn=user.arn, user_id=user.user_id,
            name=user.user_name, kind="IAMUser", access_key_id=access_key_id,
            is_admin=user.is_admin,
        )
        return principal, secret, generation
