"""The STS service: AssumeRole, GetSessionToken and GetCallerIdentity.

AssumeRole is authorized twice over, as AWS does: the caller's own policies and
the role's trust policy (which must name the caller or its account) through the
same authorization hook as every other action, plus sts:TagSession when tags
are passed. The session it issues carries its policies and tags; what the
session may later do is decided per request by the authorizer.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from strongroom.auth.sessions import Sessions, SessionSpec, TemporaryCredentials
from strongroom.core.clock import Clock
from strongroom.core.errors import AccessDenied, StrongroomError
from strongroom.core.types import RequestContext
from strongroom.iam.errors import MalformedPolicyDocument
from strongroom.iam.service import IamService
from strongroom.policy.authorizer import Authorizer, require
from strongroom.policy.document import parse_policy
from strongroom.policy.errors import MalformedPolicy

ROLE_CHAINING_LIMIT = 3600
SESSION_POLICY_LIMIT = 2048
_ROLE_ARN = re.compile(r"arn:aws:iam::(\d{12}):role/(?:[\x21-\x7e]*/)?[\w+=,.@-]+", re.ASCII)


class StsError(StrongroomError):
    """A failure STS reports with its own code; `reason` keys the wire text."""

    def __init__(self, reason: str, **facts: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.facts = facts


@dataclass(frozen=True)
class AssumedRole:
    credentials: TemporaryCredentials
    arn: str
    assumed_role_id: str
    packed_policy_size: int
    source_identity: str | None


class StsService:
    def __init__(self, iam: IamService, sessions: Sessions, authorizer: Authorizer,
                 clock: Clock) -> None:
        self._iam = iam
        self._sessions = sessions
        self._authz = authorizer
        self._clock = clock

    def get_caller_identity(self, ctx: RequestContext) -> tuple[str, str, str]:
        """(UserId, Account, Arn). Needs no permission, as in AWS."""
        p = ctx.principal
        return p.user_id, p.account_id, p.arn

    def assume_role(
        self,
        ctx: RequestContext,
        *,
        role_arn: str,
        session_name: str,
        duration: int | None = None,
        policy: str | None = None,
        policy_arns: list[str] | None = None,
        tags: dict[str, str] | None = None,
        transitive_tag_keys: list[str] | None = None,
        external_id: str | None = None,
        source_identity: str | None = None,
    ) -> AssumedRole:
        caller = ctx.principal
        if not _ROLE_ARN.fullmatch(role_arn):
            raise StsError("invalid_role_arn", arn=role_arn)
        role = self._iam.get_role_by_arn(role_arn)
        tags = dict(tags or {})
        transitive = list(transitive_tag_keys or [])
        inherited = {k: v for k, v in caller.tags.items()
                     if k.lower() in {t.lower() for t in caller.transitive_tag_keys}}
        for key in tags:
            if key.lower() in {k.lower() for k in inherited}:
                raise StsError("transitive_tag_conflict", key=key)
        for key in transitive:
            if key.lower() not in {k.lower() for k in tags}:
                raise StsError("transitive_key_not_tagged", key=key)
        context: dict[str, object] = {
            "sts:RoleSessionName": session_name,
            "aws:RequestTag": tags,
            "aws:TagKeys": list(tags),
            "sts:TransitiveTagKeys": transitive,
        }
        if external_id is not None:
            context["sts:ExternalId"] = external_id
        if source_identity is not None:
            context["sts:SourceIdentity"] = source_identity
        if role is None:
            # The same answer as a trust policy that does not name the caller.
            raise AccessDenied(caller.arn, "sts:AssumeRole", role_arn, "")
        context["aws:ResourceTag"] = {**dict(role.tags), **inherited}
        trust = {"resource_policy": role.trust_policy, "resource_account": role.account_id,
                 "resource_policy_kind": "trust"}
        require(self._authz, ctx, "sts:AssumeRole", role.arn, context, **trust)
        if tags or transitive:
            require(self._authz, ctx, "sts:TagSession", role.arn, context, **trust)
        if source_identity is not None:
            require(self._authz, ctx, "sts:SetSourceIdentity", role.arn, context, **trust)
        limit = role.max_session_duration
        if caller.role_arn is not None:
            limit = min(limit, ROLE_CHAINING_LIMIT)
        duration = 3600 if duration is None else duration
        if duration > limit:
            raise StsError("duration_chained" if caller.role_arn is not None and
                           duration <= role.max_session_duration else "duration_role")
        session_policies = self._session_policies(policy, policy_arns)
        session_tags = {**inherited, **tags}
        packed = _packed_size(policy, policy_arns, session_tags)
        if packed > 100:
            raise StsError("packed_too_large", percent=str(packed))
        session_arn = f"arn:aws:sts::{role.account_id}:assumed-role/{role.role_name}/" \
                      f"{session_name}"
        credentials = self._sessions.issue(SessionSpec(
            account_id=role.account_id, kind="AssumedRole", principal_name=role.role_name,
            principal_id=role.role_id, principal_arn=session_arn, role_arn=role.arn,
            session_name=session_name, duration=duration, session_policies=session_policies,
            tags=session_tags,
            transitive_tag_keys=tuple(dict.fromkeys(
                [*(k for k in caller.transitive_tag_keys if k.lower() in
                   {i.lower() for i in inherited}), *transitive])),
            source_identity=source_identity or caller.source_identity,
        ))
        self._iam.note_role_used(role.arn, ctx.region)
        return AssumedRole(credentials, session_arn, f"{role.role_id}:{session_name}", packed,
                           source_identity)

    def _session_policies(self, policy: str | None, policy_arns: list[str] | None
                          ) -> tuple[str, ...] | None:
        if policy is None and not policy_arns:
            return None
        texts: list[str] = []
        if policy is not None:
            if len(policy) > SESSION_POLICY_LIMIT:
                raise StsError("packed_too_large", percent=str(
                    len(policy) * 100 // SESSION_POLICY_LIMIT))
            try:
                parse_policy(policy, kind="identity")
            except MalformedPolicy as exc:
                raise MalformedPolicyDocument(exc.detail) from exc
            texts.append(policy)
        if policy_arns:
            documents = self._iam.managed_documents(policy_arns)
            for arn in policy_arns:
                if arn not in documents:
                    raise StsError("policy_arn_not_found", arn=arn)
                texts.append(documents[arn])
        return tuple(texts)

    def get_session_token(self, ctx: RequestContext, *, duration: int | None = None
                          ) -> TemporaryCredentials:
        caller = ctx.principal
        if caller.kind != "IAMUser" or caller.session_issued is not None:
            raise StsError("session_token_from_session")
        duration = 43200 if duration is None else duration
        return self._sessions.issue(SessionSpec(
            account_id=caller.account_id, kind="SessionToken", principal_name=caller.name,
            principal_id=caller.user_id, principal_arn=caller.arn, role_arn=None,
            session_name=None, duration=duration, session_policies=None, tags={},
            transitive_tag_keys=(), source_identity=None,
        ))


def _packed_size(policy: str | None, policy_arns: list[str] | None,
                 tags: dict[str, str]) -> int:
    """Percent of AWS's packed limit used by the session policy and tags (an estimate:
    AWS compresses; we count characters against the 2,048-character policy limit)."""
    size = len(policy or "") + 64 * len(policy_arns or ()) + len(json.dumps(tags)) // 2
    return max(1, size * 100 // SESSION_POLICY_LIMIT) if size else 0
