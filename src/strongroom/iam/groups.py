"""IAM groups: create, read with members, list, delete, membership.

A group's policies reach its members: `policies_for_user` folds them in. A
group is deleted only when it has no members and no policies.
"""

from __future__ import annotations

from strongroom.core.types import RequestContext
from strongroom.iam.base import IamBase
from strongroom.iam.errors import (
    DeleteConflict,
    EntityExists,
    EntityKind,
    EntityNotFound,
    QuotaExceeded,
)
from strongroom.iam.model import (
    MAX_GROUPS_PER_USER,
    NAME_LENGTH,
    Group,
    Page,
    User,
    fingerprint,
    paginate,
)
from strongroom.iam.names import (
    GROUP_PREFIX,
    check_name,
    check_path,
    iam_arn,
    new_unique_id,
    path_matches,
)
from strongroom.storage.base import UniqueViolation
from strongroom.storage.records_iam import GroupRecord, IamUserRecord
from strongroom.storage.sql import Tx

_GROUP = EntityKind.GROUP


def _group(record: GroupRecord) -> Group:
    return Group(record.group_name, record.group_id, record.arn, record.path, record.created)


def _member(record: IamUserRecord) -> User:
    return User(record.user_name, record.user_id, record.arn, record.path, record.created)


class GroupsMixin(IamBase):
    def create_group(self, ctx: RequestContext, name: str, *, path: str | None = None
                     ) -> Group:
        check_name(name, "groupName", NAME_LENGTH[_GROUP])
        path = path or "/"
        check_path(path)
        account = ctx.principal.account_id
        arn = iam_arn(account, "group", path, name)
        self._authorize(ctx, "CreateGroup", arn)
        record = GroupRecord(new_unique_id(GROUP_PREFIX), account, name, arn, path,
                             self._clock.now())
        try:
            with self._writing(ctx) as tx:
                if tx.find_group(account, name.lower()) is not None:
                    raise EntityExists(_GROUP, name)
                tx.insert_group(record)
        except UniqueViolation as exc:
            raise EntityExists(_GROUP, name) from exc
        return _group(record)

    def _group_record(self, tx: Tx, ctx: RequestContext, name: str, action: str, *,
                      lock: bool = False) -> GroupRecord:
        owner = self._owner(tx, ctx, _GROUP, name, action, lock=lock)
        record = tx.find_group(ctx.principal.account_id, owner.name.lower(), lock=lock)
        if record is None:
            raise EntityNotFound(_GROUP, name)
        return record

    def get_group(self, ctx: RequestContext, name: str, *, marker: str | None = None,
                  max_items: int | None = None) -> tuple[Group, Page[User]]:
        """The group and (a page of) its members."""
        with self._store.read() as tx:
            group = self._group_record(tx, ctx, name, "GetGroup")
            members = [_member(u) for u in tx.group_members(group.group_id)]
        return _group(group), paginate(members, marker, max_items,
                                       fingerprint("members", group.group_id))

    def list_groups(self, ctx: RequestContext, *, path_prefix: str | None = None,
                    marker: str | None = None, max_items: int | None = None) -> Page[Group]:
        account = ctx.principal.account_id
        self._authorize(ctx, "ListGroups", iam_arn(account, "group", path_prefix or "/", ""))
        with self._store.read() as tx:
            groups = [_group(g) for g in tx.list_groups(account)
                      if path_matches(g.path, path_prefix)]
        return paginate(groups, marker, max_items, fingerprint("groups", account, path_prefix))

    def delete_group(self, ctx: RequestContext, name: str) -> None:
        with self._writing(ctx) as tx:
            group = self._group_record(tx, ctx, name, "DeleteGroup", lock=True)
            if tx.group_members(group.group_id):
                raise DeleteConflict("group_members")
            if tx.inline_policies(group.group_id):
                raise DeleteConflict("inline_policies")
            if tx.attached_policies(group.group_id):
                raise DeleteConflict("attached_policies")
            tx.delete_owned(group.group_id)
            tx.delete_group(group.group_id)

    def _membership(self, tx: Tx, ctx: RequestContext, group_name: str, user_name: str,
                    action: str) -> tuple[GroupRecord, IamUserRecord]:
        """Authorize on the group, then name the missing user before the missing group,
        as AWS does (recorded by LocalStack's parity tests, 2026-02)."""
        account = ctx.principal.account_id
        group = tx.find_group(account, group_name.lower(), lock=True)
        self._authorize(ctx, action, group.arn if group else
                        iam_arn(account, "group", "/", group_name))
        user = tx.find_iam_user(account, user_name.lower(), lock=True)
        if user is None:
            raise EntityNotFound(EntityKind.USER, user_name)
        if group is None:
            raise EntityNotFound(_GROUP, group_name)
        return group, user

    def add_user_to_group(self, ctx: RequestContext, group_name: str, user_name: str) -> None:
        with self._writing(ctx) as tx:
            group, user = self._membership(tx, ctx, group_name, user_name, "AddUserToGroup")
            current = [g.group_id for g in tx.groups_of_user(user.user_id)]
            if group.group_id in current:
                return
            if len(current) >= MAX_GROUPS_PER_USER:
                raise QuotaExceeded("groups_per_user", MAX_GROUPS_PER_USER)
            tx.add_member(group.group_id, user.user_id, self._clock.now())

    def remove_user_from_group(self, ctx: RequestContext, group_name: str, user_name: str
                               ) -> None:
        """Removing a user who is not a member succeeds, as it does in AWS."""
        with self._writing(ctx) as tx:
            group, user = self._membership(tx, ctx, group_name, user_name,
                                           "RemoveUserFromGroup")
            tx.remove_member(group.group_id, user.user_id)

    def list_groups_for_user(self, ctx: RequestContext, user_name: str, *,
                             marker: str | None = None, max_items: int | None = None
                             ) -> Page[Group]:
        with self._store.read() as tx:
            owner = self._owner(tx, ctx, EntityKind.USER, user_name, "ListGroupsForUser")
            groups = [_group(g) for g in tx.groups_of_user(owner.owner_id)]
        return paginate(groups, marker, max_items, fingerprint("user-groups", owner.owner_id))
