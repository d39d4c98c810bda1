"""Key tags and the key policy: reading and changing the two pieces of metadata a key
owner manages besides its state.

Tag rules follow AWS's recorded TagException cases (duplicate keys, too many, the
reserved `aws:` prefix). Key policies are parsed by the policy language and pass the
lockout safety check in `access`; AWS managed keys keep their fixed policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from strongroom.core.types import RequestContext, Tag
from strongroom.kms.access import KmsBase, policy_of
from strongroom.kms.errors import KeyPolicyNotFound, KmsTagError
from strongroom.kms.model import MAX_TAGS, POLICY_NAME


@dataclass(frozen=True)
class TagPage:
    tags: tuple[Tag, ...]
    next_marker: str | None


def check_new_tags(existing: Sequence[str], tags: Sequence[Tag]) -> None:
    keys = [t.key for t in tags]
    if len(set(keys)) != len(keys):
        raise KmsTagError("duplicate")
    if any(k.startswith("aws:") for k in keys):
        raise KmsTagError("reserved")
    if len(set(existing) | set(keys)) > MAX_TAGS:
        raise KmsTagError("too_many")


def _policy_name(name: str | None) -> None:
    if name not in (None, POLICY_NAME):
        raise KeyPolicyNotFound(name or "")


class KeySettings(KmsBase):
    # --- tags ---------------------------------------------------------------------------

    def tag_resource(self, ctx: RequestContext, key_ref: str, tags: Sequence[Tag]) -> None:
        with self._key(ctx, key_ref, write=True) as (tx, record):
            self._authorize(ctx, "TagResource", record)
            self._not_pending(record)
            check_new_tags([k for k, _ in tx.list_kms_key_tags(record.key_id)], tags)
            for tag in tags:
                tx.put_kms_key_tag(record.key_id, tag.key, tag.value)

    def untag_resource(self, ctx: RequestContext, key_ref: str,
                       tag_keys: Sequence[str]) -> None:
        with self._key(ctx, key_ref, write=True) as (tx, record):
            self._authorize(ctx, "UntagResource", record)
            self._not_pending(record)
            for key in tag_keys:
                tx.delete_kms_key_tag(record.key_id, key)

    def list_resource_tags(self, ctx: RequestContext, key_ref: str, *,
                           limit: int | None = None, marker: str | None = None) -> TagPage:
        with self._key(ctx, key_ref) as (tx, record):
            self._authorize(ctx, "ListResourceTags", record)
            tags = [Tag(k, v) for k, v in tx.list_kms_key_tags(record.key_id)
                    if marker is None or k > marker]
        size = limit or MAX_TAGS
        page = tuple(tags[:size])
        return TagPage(page, page[-1].key if len(tags) > size else None)

    # --- key policy ---------------------------------------------------------------------

    def get_key_policy(self, ctx: RequestContext, key_ref: str,
                       policy_name: str | None = None) -> str:
        with self._key(ctx, key_ref) as (_tx, record):
            self._authorize(ctx, "GetKeyPolicy", record)
            _policy_name(policy_name)
            return policy_of(record)

    def put_key_policy(self, ctx: RequestContext, key_ref: str, policy: str, *,
                       policy_name: str | None = None, bypass_lockout: bool = False) -> None:
        with self._key(ctx, key_ref, write=True) as (tx, record):
            self._authorize(ctx, "PutKeyPolicy", record)
            _policy_name(policy_name)
            self._customer_managed(record, "PutKeyPolicy")
            self._check_policy(ctx, record.arn, policy, bypass_lockout)
            tx.set_kms_key_policy(record.key_id, policy)

    def list_key_policies(self, ctx: RequestContext, key_ref: str) -> list[str]:
        with self._key(ctx, key_ref) as (_tx, record):
            self._authorize(ctx, "ListKeyPolicies", record)
            return [POLICY_NAME]
