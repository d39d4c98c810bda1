"""What every IAM operation shares: transactions, authorization, resolving owners.

A write transaction first counts the change in the account's generation (which
also serializes the account's IAM writers), so a refused or failed operation
leaves nothing behind, not even the count. A caller who may not act on an
entity is refused whether or not it exists, so existence does not leak.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from strongroom.core.clock import Clock
from strongroom.core.types import RequestContext
from strongroom.iam.errors import (
    BoundaryNotFound,
    EntityKind,
    EntityNotFound,
    InvalidInput,
    InvalidPolicyArn,
    MalformedPolicyDocument,
    UserNameRequired,
)
from strongroom.iam.names import AWS_ACCOUNT, iam_arn, parse_policy_arn
from strongroom.keys.rootkey import RootKey
from strongroom.policy.authorizer import Authorizer, require
from strongroom.policy.document import PolicyKind, parse_policy
from strongroom.policy.errors import MalformedPolicy
from strongroom.storage.base import Store
from strongroom.storage.records_iam import ManagedPolicyRecord
from strongroom.storage.sql import Tx


@dataclass(frozen=True)
class Owner:
    """A user, role or group as something that holds policies and tags."""

    kind: EntityKind
    owner_id: str
    name: str
    arn: str


def checked_policy(text: str, kind: PolicyKind) -> int:
    """Parse `text` as a policy of `kind`; return its size as IAM counts it."""
    try:
        parse_policy(text, kind=kind)
    except MalformedPolicy as exc:
        raise MalformedPolicyDocument(exc.detail) from exc
    return policy_chars(text)


def policy_chars(text: str) -> int:
    """The size of a well-formed policy text without its whitespace, as IAM counts it."""
    return len(json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False))


def check_boundary_arn(arn: str) -> None:
    if parse_policy_arn(arn) is None:
        raise InvalidInput("invalid_arn", arn=arn)


def tag_context(tags: Mapping[str, str]) -> dict[str, object]:
    return {"aws:RequestTag": dict(tags), "aws:TagKeys": list(tags)}


class IamBase:
    def __init__(self, store: Store, root: RootKey, clock: Clock, authorizer: Authorizer
                 ) -> None:
        self._store = store
        self._root = root
        self._clock = clock
        self._authz = authorizer
        self._listeners: list[Callable[[str], None]] = []

    @property
    def store(self) -> Store:
        return self._store

    def on_change(self, listener: Callable[[str], None]) -> None:
        """Call `listener(account_id)` after each committed IAM write of that account, so
        caches on this node drop what changed at once (other nodes see the generation)."""
        self._listeners.append(listener)

    # --- transactions and authorization -----------------------------------------

    @contextmanager
    def _writing(self, ctx: RequestContext) -> Iterator[Tx]:
        with self._store.write() as tx:
            tx.bump_generation(ctx.principal.account_id)
            yield tx
        for listener in self._listeners:
            listener(ctx.principal.account_id)

    def _authorize(self, ctx: RequestContext, action: str, resource: str,
                   context: Mapping[str, object] | None = None) -> None:
        require(self._authz, ctx, f"iam:{action}", resource, context)

    @staticmethod
    def _caller_user(ctx: RequestContext, user_name: str | None) -> str:
        """UserName, or the calling IAM user's own name when it is left out."""
        if user_name:
            return user_name
        if ctx.principal.kind != "IAMUser":
            raise UserNameRequired()
        return ctx.principal.name

    # --- owners: users, roles, groups -----------------------------------------------

    def _owner(self, tx: Tx, ctx: RequestContext, kind: EntityKind, name: str, action: str,
               context: Mapping[str, object] | None = None, *, lock: bool = False) -> Owner:
        """Find and authorize; EntityNotFound (after authorizing) when it does not exist."""
        account = ctx.principal.account_id
        found: Owner | None = None
        if kind is EntityKind.USER:
            user = tx.find_iam_user(account, name.lower(), lock=lock)
            if user is not None:
                found = Owner(kind, user.user_id, user.user_name, user.arn)
        elif kind is EntityKind.ROLE:
            role = tx.find_role(account, name.lower(), lock=lock)
            if role is not None:
                found = Owner(kind, role.role_id, role.role_name, role.arn)
        else:
            group = tx.find_group(account, name.lower(), lock=lock)
            if group is not None:
                found = Owner(kind, group.group_id, group.group_name, group.arn)
        if found is None:
            self._authorize(ctx, action, iam_arn(account, kind.value, "/", name), context)
            raise EntityNotFound(kind, name)
        facts = dict(context or {})
        if kind is not EntityKind.GROUP:
            facts["aws:ResourceTag"] = dict(tx.iam_tags(found.owner_id))
        self._authorize(ctx, action, found.arn, facts)
        return found

    # --- managed policies -----------------------------------------------------------

    def _managed_policy(self, tx: Tx, ctx: RequestContext, arn: str, action: str,
                        context: Mapping[str, object] | None = None, *, lock: bool = False
                        ) -> ManagedPolicyRecord | None:
        """Authorize, then the caller's (or an AWS managed) policy of that ARN, if any."""
        parsed = parse_policy_arn(arn)
        if parsed is None:
            raise InvalidPolicyArn(arn)
        self._authorize(ctx, action, arn, context)
        if parsed[0] not in (ctx.principal.account_id, AWS_ACCOUNT):
            return None
        return tx.find_policy(arn, lock=lock)

    @staticmethod
    def _require_boundary(tx: Tx, account_id: str, arn: str) -> None:
        """A permissions boundary must be an existing managed policy the account may use."""
        parsed = parse_policy_arn(arn)
        if parsed is None:
            raise InvalidInput("invalid_arn", arn=arn)
        if parsed[0] not in (account_id, AWS_ACCOUNT) or tx.find_policy(arn) is None:
            raise BoundaryNotFound(arn)
