"""Managed policies and their versions: create, read, list, delete, v1..vN, the default.

A policy keeps at most five versions; the default one is what attached
principals get. AWS managed policies are shared by every account and only
seeding changes them. AttachmentCount and PermissionsBoundaryUsageCount are
counted in the caller's account, as AWS reports them.
"""

from __future__ import annotations

from collections.abc import Sequence

from strongroom.core.types import RequestContext, Tag
from strongroom.iam import tags as tag_rules
from strongroom.iam.base import IamBase, checked_policy, tag_context
from strongroom.iam.errors import (
    DeleteConflict,
    PolicyExists,
    PolicyNotFound,
    PolicyVersionNotFound,
    QuotaExceeded,
    UnmodifiableEntity,
)
from strongroom.iam.model import (
    MANAGED_POLICY_CHARS,
    MAX_POLICY_VERSIONS,
    POLICY_NAME_LENGTH,
    ManagedPolicy,
    Page,
    PolicyVersion,
    fingerprint,
    paginate,
)
from strongroom.iam.names import (
    AWS_ACCOUNT,
    POLICY_PREFIX,
    check_name,
    check_policy_path,
    iam_arn,
    new_unique_id,
    path_matches,
)
from strongroom.storage.base import UniqueViolation
from strongroom.storage.records_iam import ManagedPolicyRecord, PolicyVersionRecord
from strongroom.storage.sql import Tx

SCOPES = ("All", "AWS", "Local")


def _describe(record: ManagedPolicyRecord, attachments: int, boundaries: int,
              tags: Sequence[tuple[str, str]] = ()) -> ManagedPolicy:
    return ManagedPolicy(
        name=record.policy_name, policy_id=record.policy_id, arn=record.arn, path=record.path,
        default_version=record.default_version, attachment_count=attachments,
        boundary_usage_count=boundaries, attachable=record.attachable,
        description=record.description, created=record.created, updated=record.updated,
        tags=tag_rules.as_tags(tags))


def _version(version: PolicyVersionRecord, default: str, *, document: bool) -> PolicyVersion:
    return PolicyVersion(version.version_id, version.version_id == default, version.created,
                         version.document if document else None)


def _checked_document(document: str) -> None:
    if checked_policy(document, "identity") > MANAGED_POLICY_CHARS:
        raise QuotaExceeded("policy_size", MANAGED_POLICY_CHARS)


class PoliciesMixin(IamBase):
    def create_policy(self, ctx: RequestContext, name: str, document: str, *,
                      path: str | None = None, description: str | None = None,
                      tags: Sequence[Tag] = ()) -> ManagedPolicy:
        check_name(name, "policyName", POLICY_NAME_LENGTH)
        path = path or "/"
        check_policy_path(path)
        tag_rules.check_request(tags, case_insensitive=False)
        _checked_document(document)
        account = ctx.principal.account_id
        arn = iam_arn(account, "policy", path, name)
        context = tag_context({t.key: t.value for t in tags}) if tags else {}
        self._authorize(ctx, "CreatePolicy", arn, context)
        if tags:
            self._authorize(ctx, "TagPolicy", arn, context)
        now = self._clock.now()
        record = ManagedPolicyRecord(new_unique_id(POLICY_PREFIX), account, name, arn, path,
                                     description, "v1", 2, True, now, now)
        try:
            with self._writing(ctx) as tx:
                tx.insert_policy(record)
                tx.insert_policy_version(PolicyVersionRecord(record.policy_id, "v1", 1,
                                                             document, now))
                tx.replace_iam_tags(record.policy_id, [(t.key, t.value) for t in tags])
        except UniqueViolation as exc:  # names are unique per account, whatever the path
            raise PolicyExists(name) from exc
        return _describe(record, 0, 0, [(t.key, t.value) for t in tags])

    def _policy_record(self, tx: Tx, ctx: RequestContext, arn: str, action: str, *,
                       lock: bool = False) -> ManagedPolicyRecord:
        record = self._managed_policy(tx, ctx, arn, action, lock=lock)
        if record is None:
            raise PolicyNotFound(arn)
        return record

    @staticmethod
    def _local(record: ManagedPolicyRecord) -> None:
        if record.account_id == AWS_ACCOUNT:
            raise UnmodifiableEntity(record.arn)

    def get_policy(self, ctx: RequestContext, arn: str) -> ManagedPolicy:
        account = ctx.principal.account_id
        with self._store.read() as tx:
            record = self._policy_record(tx, ctx, arn, "GetPolicy")
            return _describe(record, tx.attachment_counts(account).get(arn, 0),
                             tx.boundary_counts(account).get(arn, 0),
                             tx.iam_tags(record.policy_id))

    def list_policies(self, ctx: RequestContext, *, scope: str | None = None,
                      only_attached: bool = False, path_prefix: str | None = None,
                      usage: str | None = None, marker: str | None = None,
                      max_items: int | None = None) -> Page[ManagedPolicy]:
        """`scope` All|AWS|Local; `usage` PermissionsPolicy|PermissionsBoundary narrows
        `only_attached` to one kind of use."""
        account = ctx.principal.account_id
        self._authorize(ctx, "ListPolicies", "*")
        owners = {"AWS": (AWS_ACCOUNT,), "Local": (account,)}.get(scope or "All",
                                                                  (account, AWS_ACCOUNT))
        with self._store.read() as tx:
            records = tx.list_policies(owners)
            attachments = tx.attachment_counts(account)
            boundaries = tx.boundary_counts(account)
        found = []
        for record in records:
            policy = _describe(record, attachments.get(record.arn, 0),
                               boundaries.get(record.arn, 0))
            if not path_matches(policy.path, path_prefix):
                continue
            used = {"PermissionsPolicy": policy.attachment_count > 0,
                    "PermissionsBoundary": policy.boundary_usage_count > 0}
            if only_attached and not used.get(usage or "", any(used.values())):
                continue
            found.append(policy)
        return paginate(found, marker, max_items, fingerprint(
            "policies", account, scope, only_attached, path_prefix, usage))

    def delete_policy(self, ctx: RequestContext, arn: str) -> None:
        account = ctx.principal.account_id
        with self._writing(ctx) as tx:
            record = self._policy_record(tx, ctx, arn, "DeletePolicy", lock=True)
            self._local(record)
            if tx.attachment_counts(account).get(arn) or tx.boundary_counts(account).get(arn):
                raise DeleteConflict("policy_attached")
            if len(tx.list_policy_versions(record.policy_id)) > 1:
                raise DeleteConflict("policy_versions")
            tx.delete_policy(record.policy_id)

    # --- versions -------------------------------------------------------------------

    def create_policy_version(self, ctx: RequestContext, arn: str, document: str, *,
                              set_as_default: bool = False) -> PolicyVersion:
        _checked_document(document)
        now = self._clock.now()
        with self._writing(ctx) as tx:
            record = self._policy_record(tx, ctx, arn, "CreatePolicyVersion", lock=True)
            self._local(record)
            if len(tx.list_policy_versions(record.policy_id)) >= MAX_POLICY_VERSIONS:
                raise QuotaExceeded("policy_versions", MAX_POLICY_VERSIONS)
            version = PolicyVersionRecord(record.policy_id, f"v{record.next_version}",
                                          record.next_version, document, now)
            tx.insert_policy_version(version)
            default = version.version_id if set_as_default else record.default_version
            tx.update_policy(record.policy_id, default_version=default,
                             next_version=record.next_version + 1, updated=now)
        return _version(version, default, document=False)

    def _version_of(self, tx: Tx, ctx: RequestContext, arn: str, version_id: str, action: str,
                    *, lock: bool = False) -> tuple[ManagedPolicyRecord, PolicyVersionRecord]:
        record = self._managed_policy(tx, ctx, arn, action, lock=lock)
        version = tx.get_policy_version(record.policy_id, version_id) if record else None
        if record is None or version is None:
            raise PolicyVersionNotFound(arn, version_id)
        return record, version

    def get_policy_version(self, ctx: RequestContext, arn: str, version_id: str
                           ) -> PolicyVersion:
        with self._store.read() as tx:
            record, version = self._version_of(tx, ctx, arn, version_id, "GetPolicyVersion")
        return _version(version, record.default_version, document=True)

    def list_policy_versions(self, ctx: RequestContext, arn: str, *, marker: str | None = None,
                             max_items: int | None = None) -> Page[PolicyVersion]:
        with self._store.read() as tx:
            record = self._policy_record(tx, ctx, arn, "ListPolicyVersions")
            versions = [_version(v, record.default_version, document=False)
                        for v in tx.list_policy_versions(record.policy_id)]
        return paginate(versions, marker, max_items, fingerprint("versions", record.policy_id))

    def delete_policy_version(self, ctx: RequestContext, arn: str, version_id: str) -> None:
        with self._writing(ctx) as tx:
            record, version = self._version_of(tx, ctx, arn, version_id, "DeletePolicyVersion",
                                               lock=True)
            self._local(record)
            if version.version_id == record.default_version:
                raise DeleteConflict("default_version")
            tx.delete_policy_version(record.policy_id, version_id)

    def set_default_policy_version(self, ctx: RequestContext, arn: str, version_id: str
                                   ) -> None:
        with self._writing(ctx) as tx:
            record, version = self._version_of(tx, ctx, arn, version_id,
                                               "SetDefaultPolicyVersion", lock=True)
            self._local(record)
            tx.update_policy(record.policy_id, default_version=version.version_id,
                             next_version=record.next_version, updated=self._clock.now())
