"""IAM roles: create with a trust policy, read, list, update, delete, tags, boundaries.

The trust policy is parsed as a trust policy before it is stored. STS reads a
role through `get_role_by_arn` (trust policy, session limit, tags, id) without
authorization of its own: AssumeRole decides that from the trust policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from strongroom.core.errors import ValidationFailed
from strongroom.core.types import RequestContext, Tag
from strongroom.iam import tags as tag_rules
from strongroom.iam.base import IamBase, check_boundary_arn, checked_policy, tag_context
from strongroom.iam.errors import (
    DeleteConflict,
    EntityExists,
    EntityKind,
    EntityNotFound,
    QuotaExceeded,
)
from strongroom.iam.model import (
    DEFAULT_SESSION,
    MAX_SESSION,
    MIN_SESSION,
    NAME_LENGTH,
    ROLE_DESCRIPTION_LENGTH,
    TRUST_POLICY_CHARS,
    Page,
    Role,
    fingerprint,
    paginate,
)
from strongroom.iam.names import (
    ROLE_PREFIX,
    check_name,
    check_path,
    iam_arn,
    new_unique_id,
    path_matches,
)
from strongroom.storage.base import UniqueViolation
from strongroom.storage.records_iam import RoleRecord
from strongroom.storage.sql import Tx

_ROLE = EntityKind.ROLE


def _role(record: RoleRecord, tags: Sequence[tuple[str, str]] = (), *, full: bool = True
          ) -> Role:
    return Role(name=record.role_name, role_id=record.role_id, arn=record.arn,
                path=record.path, created=record.created, trust_policy=record.trust_policy,
                description=record.description,
                max_session_duration=record.max_session_duration,
                boundary_arn=record.boundary_arn if full else None,
                tags=tag_rules.as_tags(tags) if full else (),
                last_used=record.last_used, last_used_region=record.last_used_region)


def _check_session(seconds: int) -> None:
    if seconds < MIN_SESSION:
        raise ValidationFailed("maxSessionDuration",
                               f"Member must have value greater than or equal to {MIN_SESSION}",
                               str(seconds))
    if seconds > MAX_SESSION:
        raise ValidationFailed("maxSessionDuration",
                               f"Member must have value less than or equal to {MAX_SESSION}",
                               str(seconds))


def _check_description(description: str) -> None:
    if len(description) > ROLE_DESCRIPTION_LENGTH:
        raise ValidationFailed(
            "description",
            f"Member must have length less than or equal to {ROLE_DESCRIPTION_LENGTH}", None)


def _check_trust(document: str) -> None:
    if checked_policy(document, "trust") > TRUST_POLICY_CHARS:
        raise QuotaExceeded("trust_policy_size", TRUST_POLICY_CHARS)


class RolesMixin(IamBase):
    def create_role(self, ctx: RequestContext, name: str, trust_policy: str, *,
                    path: str | None = None, description: str | None = None,
                    max_session_duration: int | None = None, boundary_arn: str | None = None,
                    tags: Sequence[Tag] = ()) -> Role:
        check_name(name, "roleName", NAME_LENGTH[_ROLE])
        path = path or "/"
        check_path(path)
        if description is not None:
            _check_description(description)
        session = DEFAULT_SESSION if max_session_duration is None else max_session_duration
        _check_session(session)
        tag_rules.check_request(tags)
        _check_trust(trust_policy)
        account = ctx.principal.account_id
        arn = iam_arn(account, "role", path, name)
        context = tag_context({t.key: t.value for t in tags}) if tags else {}
        if boundary_arn is not None:
            check_boundary_arn(boundary_arn)
            context["iam:PermissionsBoundary"] = boundary_arn
        self._authorize(ctx, "CreateRole", arn, context)
        if tags:
            self._authorize(ctx, "TagRole", arn, context)
        record = RoleRecord(
            role_id=new_unique_id(ROLE_PREFIX), account_id=account, role_name=name, arn=arn,
            path=path, created=self._clock.now(), trust_policy=trust_policy,
            description=description, max_session_duration=session, boundary_arn=boundary_arn,
            last_used=None, last_used_region=None)
        try:
            with self._writing(ctx) as tx:
                if tx.find_role(account, name.lower()) is not None:
                    raise EntityExists(_ROLE, name)
                if boundary_arn is not None:
                    self._require_boundary(tx, account, boundary_arn)
                tx.insert_role(record)
                tx.replace_iam_tags(record.role_id, [(t.key, t.value) for t in tags])
        except UniqueViolation as exc:
            raise EntityExists(_ROLE, name) from exc
        return _role(record, [(t.key, t.value) for t in tags])

    def _role_record(self, tx: Tx, ctx: RequestContext, name: str, action: str,
                     context: dict[str, object] | None = None, *, lock: bool = False
                     ) -> RoleRecord:
        owner = self._owner(tx, ctx, _ROLE, name, action, context, lock=lock)
        record = tx.find_role(ctx.principal.account_id, owner.name.lower(), lock=lock)
        if record is None:
            raise EntityNotFound(_ROLE, name)
        return record

    def get_role(self, ctx: RequestContext, name: str) -> Role:
        with self._store.read() as tx:
            record = self._role_record(tx, ctx, name, "GetRole")
            return _role(record, tx.iam_tags(record.role_id))

    def list_roles(self, ctx: RequestContext, *, path_prefix: str | None = None,
                   marker: str | None = None, max_items: int | None = None) -> Page[Role]:
        account = ctx.principal.account_id
        self._authorize(ctx, "ListRoles", iam_arn(account, "role", path_prefix or "/", ""))
        with self._store.read() as tx:
            roles = [_role(r, full=False) for r in tx.list_roles(account)
                     if path_matches(r.path, path_prefix)]
        return paginate(roles, marker, max_items, fingerprint("roles", account, path_prefix))

    def update_role(self, ctx: RequestContext, name: str, *, description: str | None = None,
                    max_session_duration: int | None = None) -> None:
        if description is not None:
            _check_description(description)
        if max_session_duration is not None:
            _check_session(max_session_duration)
        with self._writing(ctx) as tx:
            role = self._role_record(tx, ctx, name, "UpdateRole", lock=True)
            changes: dict[str, object] = {}
            if description is not None:
                changes["description"] = description
            if max_session_duration is not None:
                changes["max_session_duration"] = max_session_duration
            tx.update_role(role.role_id, **changes)

    def update_trust_policy(self, ctx: RequestContext, name: str, document: str) -> None:
        _check_trust(document)
        with self._writing(ctx) as tx:
            role = self._role_record(tx, ctx, name, "UpdateAssumeRolePolicy", lock=True)
            tx.update_role(role.role_id, trust_policy=document)

    def delete_role(self, ctx: RequestContext, name: str) -> None:
        with self._writing(ctx) as tx:
            role = self._role_record(tx, ctx, name, "DeleteRole", lock=True)
            if tx.inline_policies(role.role_id):
                raise DeleteConflict("inline_policies")
            if tx.attached_policies(role.role_id):
                raise DeleteConflict("attached_policies")
            tx.delete_owned(role.role_id)
            tx.delete_role(role.role_id)

    # --- tags -----------------------------------------------------------------------

    def tag_role(self, ctx: RequestContext, name: str, tags: Sequence[Tag]) -> None:
        tag_rules.check_request(tags)
        context = tag_context({t.key: t.value for t in tags})
        with self._writing(ctx) as tx:
            role = self._role_record(tx, ctx, name, "TagRole", context, lock=True)
            merged = tag_rules.merged(tx.iam_tags(role.role_id), tags, "tags_role")
            tx.replace_iam_tags(role.role_id, merged)

    def untag_role(self, ctx: RequestContext, name: str, keys: Sequence[str]) -> None:
        with self._writing(ctx) as tx:
            role = self._role_record(tx, ctx, name, "UntagRole", {"aws:TagKeys": list(keys)},
                                     lock=True)
            tx.replace_iam_tags(role.role_id, tag_rules.without(tx.iam_tags(role.role_id), keys))

    def list_role_tags(self, ctx: RequestContext, name: str, *, marker: str | None = None,
                       max_items: int | None = None) -> Page[Tag]:
        with self._store.read() as tx:
            role = self._role_record(tx, ctx, name, "ListRoleTags")
            tags = tag_rules.as_tags(tx.iam_tags(role.role_id))
        return paginate(tags, marker, max_items, fingerprint("role-tags", role.role_id))

    # --- permissions boundary -------------------------------------------------------

    def put_role_boundary(self, ctx: RequestContext, name: str, boundary_arn: str) -> None:
        check_boundary_arn(boundary_arn)
        with self._writing(ctx) as tx:
            role = self._role_record(tx, ctx, name, "PutRolePermissionsBoundary",
                                     {"iam:PermissionsBoundary": boundary_arn}, lock=True)
            self._require_boundary(tx, role.account_id, boundary_arn)
            tx.update_role(role.role_id, boundary_arn=boundary_arn)

    def delete_role_boundary(self, ctx: RequestContext, name: str) -> None:
        with self._writing(ctx) as tx:
            role = self._role_record(tx, ctx, name, "DeleteRolePermissionsBoundary", lock=True)
            tx.update_role(role.role_id, boundary_arn=None)

    # --- for STS --------------------------------------------------------------------

    def get_role_by_arn(self, arn: str) -> RoleRecord | None:
        """The role an ARN names, with its tags; no authorization (STS decides by trust)."""
        with self._store.read() as tx:
            record = tx.find_role_by_arn(arn)
            if record is None:
                return None
            return replace(record, tags=tuple(tx.iam_tags(record.role_id)))

    def note_role_used(self, arn: str, region: str) -> None:
        """For STS after an AssumeRole: RoleLastUsed (usage changes no permission, so the
        generation stays)."""
        now = self._clock.now()
        with self._store.write() as tx:
            record = tx.find_role_by_arn(arn)
            if record is not None:
                tx.update_role(record.role_id, last_used=now, last_used_region=region)
