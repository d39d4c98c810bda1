"""Attaching managed policies to users, roles and groups, and listing what is attached.

Only the caller's own managed policies and AWS managed policies can be
attached. Attaching twice is not an error (IAM ignores it); detaching what is
not attached is NoSuchEntity. AttachmentCount is derived from these rows, so it
is always right.
"""

from __future__ import annotations

from strongroom.core.types import RequestContext
from strongroom.iam.base import IamBase
from strongroom.iam.errors import (
    EntityKind,
    InvalidPolicyArn,
    PolicyNotAttachable,
    PolicyNotAttachableOrMissing,
    PolicyNotFound,
    QuotaExceeded,
)
from strongroom.iam.model import MAX_ATTACHED_POLICIES, AttachedPolicy, Page, fingerprint, paginate
from strongroom.iam.names import AWS_ACCOUNT, parse_policy_arn, path_matches

_ACTION = {EntityKind.USER: "User", EntityKind.ROLE: "Role", EntityKind.GROUP: "Group"}


def _checked_arn(arn: str) -> tuple[str, str, str]:
    parsed = parse_policy_arn(arn)
    if parsed is None:
        raise InvalidPolicyArn(arn)
    return parsed


class AttachmentsMixin(IamBase):
    def attach_policy(self, ctx: RequestContext, kind: EntityKind, owner_name: str,
                      policy_arn: str) -> None:
        account_of_policy = _checked_arn(policy_arn)[0]
        account = ctx.principal.account_id
        with self._writing(ctx) as tx:
            owner = self._owner(tx, ctx, kind, owner_name, f"Attach{_ACTION[kind]}Policy",
                                {"iam:PolicyARN": policy_arn}, lock=True)
            policy = (tx.find_policy(policy_arn)
                      if account_of_policy in (account, AWS_ACCOUNT) else None)
            if policy is None:
                raise PolicyNotAttachableOrMissing(policy_arn)
            if not policy.attachable:
                raise PolicyNotAttachable(policy_arn)
            attached = tx.attached_policies(owner.owner_id)
            if policy_arn in attached:
                return
            if len(attached) >= MAX_ATTACHED_POLICIES:
                raise QuotaExceeded(f"attached_{kind.value}", MAX_ATTACHED_POLICIES)
            tx.attach_policy(account, owner.owner_id, policy_arn)

    def detach_policy(self, ctx: RequestContext, kind: EntityKind, owner_name: str,
                      policy_arn: str) -> None:
        _checked_arn(policy_arn)
        with self._writing(ctx) as tx:
            owner = self._owner(tx, ctx, kind, owner_name, f"Detach{_ACTION[kind]}Policy",
                                {"iam:PolicyARN": policy_arn}, lock=True)
            if not tx.detach_policy(owner.owner_id, policy_arn):
                raise PolicyNotFound(policy_arn)

    def list_attached_policies(self, ctx: RequestContext, kind: EntityKind, owner_name: str,
                               *, path_prefix: str | None = None, marker: str | None = None,
                               max_items: int | None = None) -> Page[AttachedPolicy]:
        with self._store.read() as tx:
            owner = self._owner(tx, ctx, kind, owner_name,
                                f"ListAttached{_ACTION[kind]}Policies")
            arns = tx.attached_policies(owner.owner_id)
        attached = []
        for arn in arns:
            _, path, name = _checked_arn(arn)
            if path_matches(path, path_prefix):
                attached.append(AttachedPolicy(name, arn))
        return paginate(attached, marker, max_items,
                        fingerprint("attached", owner.owner_id, path_prefix))
