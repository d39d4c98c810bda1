"""IAM users: create, read, list, rename, delete, tags and permissions boundaries.

Users live in the same table the bootstrap administrator was created in, so
access keys made here or there authenticate the same way. A user is deleted
only once nothing hangs on it, with the conflicts IAM names.
"""

from __future__ import annotations

from collections.abc import Sequence

from strongroom.core.types import RequestContext, Tag
from strongroom.iam import tags as tag_rules
from strongroom.iam.base import IamBase, check_boundary_arn, tag_context
from strongroom.iam.errors import DeleteConflict, EntityExists, EntityKind, EntityNotFound
from strongroom.iam.model import NAME_LENGTH, Page, User, fingerprint, paginate
from strongroom.iam.names import (
    USER_PREFIX,
    check_name,
    check_path,
    iam_arn,
    new_unique_id,
    path_matches,
)
from strongroom.storage.base import UniqueViolation
from strongroom.storage.records import AccessKeyRecord
from strongroom.storage.records_iam import IamUserRecord
from strongroom.storage.sql import Tx

_USER = EntityKind.USER


def _user(record: IamUserRecord, tags: Sequence[tuple[str, str]] = (), *,
          full: bool = True) -> User:
    return User(name=record.user_name, user_id=record.user_id, arn=record.arn,
                path=record.path, created=record.created,
                boundary_arn=record.boundary_arn if full else None,
                tags=tag_rules.as_tags(tags) if full else ())


class UsersMixin(IamBase):
    def create_user(self, ctx: RequestContext, name: str, *, path: str | None = None,
                    boundary_arn: str | None = None, tags: Sequence[Tag] = ()) -> User:
        check_name(name, "userName", NAME_LENGTH[_USER])
        path = path or "/"
        check_path(path)
        tag_rules.check_request(tags)
        account = ctx.principal.account_id
        arn = iam_arn(account, "user", path, name)
        context = tag_context({t.key: t.value for t in tags}) if tags else {}
        if boundary_arn is not None:
            check_boundary_arn(boundary_arn)
            context["iam:PermissionsBoundary"] = boundary_arn
        self._authorize(ctx, "CreateUser", arn, context)
        if tags:
            self._authorize(ctx, "TagUser", arn, context)
        record = IamUserRecord(account, name, new_unique_id(USER_PREFIX), arn, path,
                               self._clock.now(), False, boundary_arn)
        try:
            with self._writing(ctx) as tx:
                if tx.find_iam_user(account, name.lower()) is not None:
                    raise EntityExists(_USER, name)
                if boundary_arn is not None:
                    self._require_boundary(tx, account, boundary_arn)
                tx.insert_iam_user(record)
                tx.replace_iam_tags(record.user_id, [(t.key, t.value) for t in tags])
        except UniqueViolation as exc:  # a concurrent create of the same name won
            raise EntityExists(_USER, name) from exc
        return _user(record, [(t.key, t.value) for t in tags])

    def _user_record(self, tx: Tx, ctx: RequestContext, name: str, action: str,
                     context: dict[str, object] | None = None, *, lock: bool = False
                     ) -> IamUserRecord:
        owner = self._owner(tx, ctx, _USER, name, action, context, lock=lock)
        record = tx.find_iam_user(ctx.principal.account_id, owner.name.lower(), lock=lock)
        if record is None:  # gone between two reads of one transaction: cannot happen
            raise EntityNotFound(_USER, name)
        return record

    def get_user(self, ctx: RequestContext, name: str | None = None) -> User:
        """The named user, or the calling user when no name is given."""
        name = self._caller_user(ctx, name)
        with self._store.read() as tx:
            record = self._user_record(tx, ctx, name, "GetUser")
            return _user(record, tx.iam_tags(record.user_id))

    def list_users(self, ctx: RequestContext, *, path_prefix: str | None = None,
                   marker: str | None = None, max_items: int | None = None) -> Page[User]:
        account = ctx.principal.account_id
        self._authorize(ctx, "ListUsers", iam_arn(account, "user", path_prefix or "/", ""))
        with self._store.read() as tx:
            users = [_user(u, full=False) for u in tx.list_iam_users(account)
                     if path_matches(u.path, path_prefix)]
        return paginate(users, marker, max_items, fingerprint("users", account, path_prefix))

    def update_user(self, ctx: RequestContext, name: str, *, new_name: str | None = None,
                    new_path: str | None = None) -> None:
        """Rename and/or move a user; its id, keys, groups and policies stay with it."""
        if new_name is not None:
            check_name(new_name, "newUserName", NAME_LENGTH[_USER])
        if new_path is not None:
            check_path(new_path, "newPath")
        account = ctx.principal.account_id
        try:
            with self._writing(ctx) as tx:
                user = self._user_record(tx, ctx, name, "UpdateUser", lock=True)
                target = new_name or user.user_name
                path = new_path or user.path
                arn = iam_arn(account, "user", path, target)
                if target != user.user_name:
                    self._authorize(ctx, "UpdateUser", arn)
                    other = tx.find_iam_user(account, target.lower())
                    if other is not None and other.user_id != user.user_id:
                        raise EntityExists(_USER, target)
                self._rename(tx, user, target, path, arn)
        except UniqueViolation as exc:
            raise EntityExists(_USER, new_name or name) from exc

    @staticmethod
    def _rename(tx: Tx, user: IamUserRecord, name: str, path: str, arn: str) -> None:
        """Access keys name their user, and that reference cannot change in place: move
        them off, rename, and put them back unchanged (same ids, wrapped secrets)."""
        if name == user.user_name:
            tx.rename_iam_user(user.user_id, user_name=name, path=path, arn=arn)
            return
        keys = tx.access_key_rows(user.account_id, user.user_name)
        usage = {k.access_key_id: k for k in tx.list_access_keys(user.account_id,
                                                                  user.user_name)}
        for key in keys:
            tx.delete_access_key(key.access_key_id)
        tx.rename_iam_user(user.user_id, user_name=name, path=path, arn=arn)
        for key in keys:
            tx.insert_access_key(AccessKeyRecord(key.access_key_id, key.account_id, name,
                                           key.secret_wrapped, key.status, key.created))
            used = usage[key.access_key_id]
            tx.note_access_key_used(key.access_key_id, used.last_used,
                                    used.last_used_service, used.last_used_region)

    def delete_user(self, ctx: RequestContext, name: str) -> None:
        with self._writing(ctx) as tx:
            user = self._user_record(tx, ctx, name, "DeleteUser", lock=True)
            if tx.list_access_keys(user.account_id, user.user_name):
                raise DeleteConflict("access_keys")
            if tx.groups_of_user(user.user_id):
                raise DeleteConflict("user_groups")
            if tx.inline_policies(user.user_id):
                raise DeleteConflict("inline_policies")
            if tx.attached_policies(user.user_id):
                raise DeleteConflict("attached_policies")
            tx.delete_owned(user.user_id)
            tx.delete_iam_user(user.user_id)

    # --- tags -----------------------------------------------------------------------

    def tag_user(self, ctx: RequestContext, name: str, tags: Sequence[Tag]) -> None:
        tag_rules.check_request(tags)
        context = tag_context({t.key: t.value for t in tags})
        with self._writing(ctx) as tx:
            user = self._user_record(tx, ctx, name, "TagUser", context, lock=True)
            merged = tag_rules.merged(tx.iam_tags(user.user_id), tags, "tags_user")
            tx.replace_iam_tags(user.user_id, merged)

    def untag_user(self, ctx: RequestContext, name: str, keys: Sequence[str]) -> None:
        with self._writing(ctx) as tx:
            user = self._user_record(tx, ctx, name, "UntagUser", {"aws:TagKeys": list(keys)},
                                     lock=True)
            tx.replace_iam_tags(user.user_id, tag_rules.without(tx.iam_tags(user.user_id), keys))

    def list_user_tags(self, ctx: RequestContext, name: str, *, marker: str | None = None,
                       max_items: int | None = None) -> Page[Tag]:
        with self._store.read() as tx:
            user = self._user_record(tx, ctx, name, "ListUserTags")
            tags = tag_rules.as_tags(tx.iam_tags(user.user_id))
        return paginate(tags, marker, max_items, fingerprint("user-tags", user.user_id))

    # --- permissions boundary -------------------------------------------------------

    def put_user_boundary(self, ctx: RequestContext, name: str, boundary_arn: str) -> None:
        check_boundary_arn(boundary_arn)
        with self._writing(ctx) as tx:
            user = self._user_record(tx, ctx, name, "PutUserPermissionsBoundary",
                                     {"iam:PermissionsBoundary": boundary_arn}, lock=True)
            self._require_boundary(tx, user.account_id, boundary_arn)
            tx.set_user_boundary(user.user_id, boundary_arn)

    def delete_user_boundary(self, ctx: RequestContext, name: str) -> None:
        with self._writing(ctx) as tx:
            user = self._user_record(tx, ctx, name, "DeleteUserPermissionsBoundary", lock=True)
            tx.set_user_boundary(user.user_id, None)
