"""Access keys of IAM users: create (the secret is shown once), list, (de)activate, delete.

A secret access key is wrapped by the root key before it reaches the store,
under the same purpose label `auth.identity` unwraps with, and is never logged
or kept anywhere else. An Inactive key fails authentication at lookup.
"""

from __future__ import annotations

from strongroom.core.errors import AccessDenied, ValidationFailed
from strongroom.core.types import RequestContext
from strongroom.iam.base import IamBase
from strongroom.iam.errors import AccessKeyNotFound, ConcurrentModification, QuotaExceeded
from strongroom.iam.model import (
    KEY_ACTIVE,
    KEY_INACTIVE,
    MAX_ACCESS_KEYS,
    AccessKey,
    AccessKeyLastUsed,
    NewAccessKey,
    Page,
    fingerprint,
    paginate,
)
from strongroom.iam.names import access_key_purpose, new_access_key_id, new_secret_access_key
from strongroom.iam.users import UsersMixin
from strongroom.storage.base import UniqueViolation
from strongroom.storage.records import AccessKeyRecord
from strongroom.storage.records_iam import AccessKeyInfoRecord, IamUserRecord
from strongroom.storage.sql import Tx


def _key(info: AccessKeyInfoRecord) -> AccessKey:
    return AccessKey(info.user_name, info.access_key_id, info.status, info.created)


class AccessKeysMixin(UsersMixin, IamBase):
    def create_access_key(self, ctx: RequestContext, user_name: str | None = None
                          ) -> NewAccessKey:
        name = self._caller_user(ctx, user_name)
        key_id, secret = new_access_key_id(), new_secret_access_key()
        now = self._clock.now()
        try:
            with self._writing(ctx) as tx:
                user = self._user_record(tx, ctx, name, "CreateAccessKey", lock=True)
                if len(tx.list_access_keys(user.account_id, user.user_name)) >= MAX_ACCESS_KEYS:
                    raise QuotaExceeded("access_keys", MAX_ACCESS_KEYS)
                tx.insert_access_key(AccessKeyRecord(
                    access_key_id=key_id, account_id=user.account_id, user_name=user.user_name,
                    secret_wrapped=self._root.wrap(secret.encode(), access_key_purpose(key_id)),
                    status=KEY_ACTIVE, created=now,
                ))
        except UniqueViolation as exc:  # a key id collision: 36^16 makes it a retry
            raise ConcurrentModification() from exc
        return NewAccessKey(user.user_name, key_id, secret, KEY_ACTIVE, now)

    def list_access_keys(self, ctx: RequestContext, user_name: str | None = None, *,
                         marker: str | None = None, max_items: int | None = None
                         ) -> Page[AccessKey]:
        name = self._caller_user(ctx, user_name)
        with self._store.read() as tx:
            user = self._user_record(tx, ctx, name, "ListAccessKeys")
            keys = [_key(k) for k in tx.list_access_keys(user.account_id, user.user_name)]
        return paginate(keys, marker, max_items, fingerprint("keys", user.user_id))

    def _owned_key(self, tx: Tx, user: IamUserRecord, access_key_id: str
                   ) -> AccessKeyInfoRecord:
        key = tx.get_access_key_info(access_key_id)
        if key is None or key.account_id != user.account_id or key.user_name != user.user_name:
            raise AccessKeyNotFound(access_key_id)
        return key

    def update_access_key(self, ctx: RequestContext, access_key_id: str, status: str,
                          user_name: str | None = None) -> None:
        """Activate or deactivate a key; an Inactive key no longer authenticates."""
        if status not in (KEY_ACTIVE, KEY_INACTIVE):
            raise ValidationFailed(
                "status", "Member must satisfy enum value set: [Active, Inactive]", status)
        name = self._caller_user(ctx, user_name)
        with self._writing(ctx) as tx:
            user = self._user_record(tx, ctx, name, "UpdateAccessKey", lock=True)
            self._owned_key(tx, user, access_key_id)
            tx.set_access_key_status(access_key_id, status)

    def delete_access_key(self, ctx: RequestContext, access_key_id: str,
                          user_name: str | None = None) -> None:
        name = self._caller_user(ctx, user_name)
        with self._writing(ctx) as tx:
            user = self._user_record(tx, ctx, name, "DeleteAccessKey", lock=True)
            self._owned_key(tx, user, access_key_id)
            tx.delete_access_key(access_key_id)

    def get_access_key_last_used(self, ctx: RequestContext, access_key_id: str
                                 ) -> AccessKeyLastUsed:
        with self._store.read() as tx:
            key = tx.get_access_key_info(access_key_id)
            if key is None or key.account_id != ctx.principal.account_id:
                # AWS answers AccessDenied, not NoSuchEntity, for a key it cannot find
                # (recorded by LocalStack's parity tests, 2026-02).
                raise AccessDenied(ctx.principal.arn, "iam:GetAccessKeyLastUsed",
                                   f"access key {access_key_id}")
            user = self._user_record(tx, ctx, key.user_name, "GetAccessKeyLastUsed")
        return AccessKeyLastUsed(user.user_name, key.last_used, key.last_used_service,
                                 key.last_used_region)

    def note_access_key_used(self, access_key_id: str, service: str, region: str) -> None:
        """For the authenticator: when and where a key was last used (no generation bump;
        usage changes no permission). Writes at most once a minute per key."""
        now = self._clock.now()
        with self._store.read() as tx:
            key = tx.get_access_key_info(access_key_id)
        if key is None or (key.last_used is not None and now - key.last_used < 60
                           and key.last_used_service == service
                           and key.last_used_region == region):
            return
        with self._store.write() as tx:
            tx.note_access_key_used(access_key_id, now, service, region)
