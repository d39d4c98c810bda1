"""Inline policies of users, roles and groups: put, get, list, delete.

A document is parsed as an identity policy before it is stored, and stored as
given (GetUserPolicy returns the caller's own text). IAM limits the total size
of an owner's inline policies, whitespace not counted.
"""

from __future__ import annotations

from strongroom.core.types import RequestContext
from strongroom.iam.base import IamBase, checked_policy, policy_chars
from strongroom.iam.errors import EntityKind, InlinePolicyNotFound, QuotaExceeded
from strongroom.iam.model import (
    INLINE_POLICY_CHARS,
    POLICY_NAME_LENGTH,
    Page,
    fingerprint,
    paginate,
)
from strongroom.iam.names import check_name

_ACTION = {EntityKind.USER: "User", EntityKind.ROLE: "Role", EntityKind.GROUP: "Group"}


class InlinePoliciesMixin(IamBase):
    def put_inline_policy(self, ctx: RequestContext, kind: EntityKind, owner_name: str,
                          policy_name: str, document: str) -> None:
        check_name(policy_name, "policyName", POLICY_NAME_LENGTH)
        size = checked_policy(document, "identity")
        with self._writing(ctx) as tx:
            owner = self._owner(tx, ctx, kind, owner_name, f"Put{_ACTION[kind]}Policy",
                                lock=True)
            total = size + sum(policy_chars(text)
                               for name, text in tx.inline_policies(owner.owner_id)
                               if name != policy_name)
            if total > INLINE_POLICY_CHARS[kind]:
                raise QuotaExceeded(f"inline_size_{kind.value}", INLINE_POLICY_CHARS[kind],
                                    owner.name)
            tx.put_inline_policy(owner.owner_id, policy_name, document)

    def get_inline_policy(self, ctx: RequestContext, kind: EntityKind, owner_name: str,
                          policy_name: str) -> tuple[str, str]:
        """(owner's name as stored, document)."""
        with self._store.read() as tx:
            owner = self._owner(tx, ctx, kind, owner_name, f"Get{_ACTION[kind]}Policy")
            documents = dict(tx.inline_policies(owner.owner_id))
        if policy_name not in documents:
            raise InlinePolicyNotFound(kind, policy_name)
        return owner.name, documents[policy_name]

    def list_inline_policies(self, ctx: RequestContext, kind: EntityKind, owner_name: str, *,
                             marker: str | None = None, max_items: int | None = None
                             ) -> Page[str]:
        with self._store.read() as tx:
            owner = self._owner(tx, ctx, kind, owner_name, f"List{_ACTION[kind]}Policies")
            names = [name for name, _ in tx.inline_policies(owner.owner_id)]
        return paginate(names, marker, max_items, fingerprint("inline", owner.owner_id))

    def delete_inline_policy(self, ctx: RequestContext, kind: EntityKind, owner_name: str,
                             policy_name: str) -> None:
        with self._writing(ctx) as tx:
            owner = self._owner(tx, ctx, kind, owner_name, f"Delete{_ACTION[kind]}Policy",
                                lock=True)
            if not tx.delete_inline_policy(owner.owner_id, policy_name):
                raise InlinePolicyNotFound(kind, policy_name)
