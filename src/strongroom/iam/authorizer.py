"""Authorization with IAM: the policy engine fed with the caller's policies and the
request's condition keys.

It owns gathering what a decision needs — the principal's identity policies,
boundary and tags (cached per IAM generation, parsed once), the session's
policies, the resource's policy, and the global condition keys of the request.
It never decides anything itself: `strongroom.policy.evaluate` does.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from strongroom.core.clock import Clock
from strongroom.core.types import Principal, RequestContext
from strongroom.iam.errors import EntityNotFound
from strongroom.iam.generations import Generations
from strongroom.iam.model import PrincipalPolicies
from strongroom.iam.service import IamService
from strongroom.policy.authorizer import AuthorizationRequest
from strongroom.policy.document import (
    Effect,
    PolicyDocument,
    PolicyKind,
    Statement,
    parse_policy,
)
from strongroom.policy.errors import MalformedPolicy
from strongroom.policy.evaluate import (
    ALLOW,
    CallerFacts,
    Decision,
    ImplicitDeny,
    PolicySet,
    RequestFacts,
    evaluate,
)
from strongroom.policy.matching import action_matches
from strongroom.policy.variables import ContextValue

# Condition keys whose value is a mapping stand for one key per entry.
_EXPANDED = ("aws:RequestTag", "aws:ResourceTag")


@lru_cache(maxsize=4096)
def parsed(text: str, kind: PolicyKind) -> PolicyDocument | None:
    """Parse once per distinct text. A stored policy that no longer parses grants nothing."""
    try:
        return parse_policy(text, kind=kind)
    except MalformedPolicy:
        return None


def _documents(texts: Sequence[str], kind: PolicyKind) -> tuple[PolicyDocument, ...]:
    return tuple(d for d in (parsed(t, kind) for t in texts) if d is not None)


@dataclass(frozen=True)
class _Held:
    """A principal's own policies, parsed, as of one generation."""

    generation: int
    identity: tuple[PolicyDocument, ...]
    boundary: PolicyDocument | None
    tags: Mapping[str, str]
    allows_everything: bool = False  # an unconditional Allow of "*" on "*", and no Deny
    owner_id: str = ""


_NOBODY = _Held(generation=-1, identity=(), boundary=None, tags={})


def _allows_everything(documents: Sequence[PolicyDocument]) -> bool:
    """True when the policies grant every action on every resource with no condition and
    deny nothing: then, in its own account and with no boundary, session policy or
    resource-policy Deny, the caller is allowed without evaluating anything."""
    statements = [s for d in documents for s in d.statements]
    if any(s.effect is Effect.DENY for s in statements):
        return False
    return any(s.effect is Effect.ALLOW and s.action == ("*",) and s.resource == ("*",)
               and not s.condition for s in statements)


# Secrets Manager asks KMS on every read with the same few facts; when nothing that
# could decide depends on anything else, the decision is remembered (per IAM generation).
_KEY_POLICY_KEYS = ("kms:ViaService", "kms:CallerAccount")
_STABLE_KEYS = frozenset(k.lower() for k in _KEY_POLICY_KEYS)
_DECISIONS_KEPT = 10_000


def _optional(document: PolicyDocument | None) -> tuple[PolicyDocument, ...]:
    return () if document is None else (document,)


def _may_apply(statement: Statement, action: str) -> bool:
    if statement.action is not None:
        return action_matches(statement.action, action)
    return not action_matches(statement.not_action or (), action)


def _variable_free(statement: Statement) -> bool:
    return not any("${" in r for r in (*(statement.resource or ()),
                                        *(statement.not_resource or ())))


@lru_cache(maxsize=4096)
def _context_free(caller_docs: tuple[PolicyDocument, ...], key_policy: PolicyDocument | None,
                  action: str) -> bool:
    """True when a key-use decision cannot depend on the request beyond who asks and
    the kms:ViaService / kms:CallerAccount values: no caller statement for the action
    has a condition, and the key policy's conditions test only those two keys."""
    for document in caller_docs:
        for statement in document.statements:
            if _may_apply(statement, action) and (
                    statement.condition or not _variable_free(statement)):
                return False
    for statement in key_policy.statements if key_policy else ():
        if not _variable_free(statement):
            return False
        if any(c.key.lower() not in _STABLE_KEYS for c in statement.condition):
            return False
    return True


def _denies(document: PolicyDocument | None) -> bool:
    return document is not None and any(s.effect is Effect.DENY for s in document.statements)


class IamAuthorizer:
    def __init__(self, iam: IamService, clock: Clock, generations: Generations) -> None:
        self._iam = iam
        self._clock = clock
        self._generations = generations
        self._lock = threading.Lock()
        self._held: dict[tuple[str, str, str], _Held] = {}
        self._decisions: OrderedDict[tuple[object, ...], Decision] = OrderedDict()

    def _policies_of(self, principal: Principal) -> _Held:
        account = principal.account_id
        role = principal.role_arn is not None
        key = (account, "role" if role else "user", principal.name)
        generation = self._generations.current(account)
        with self._lock:
            held = self._held.get(key)
        if held is not None and held.generation == generation:
            return held
        try:
            found: PrincipalPolicies = (self._iam.policies_for_role(account, principal.name)
                                        if role else
                                        self._iam.policies_for_user(account, principal.name))
        except EntityNotFound:
            found = PrincipalPolicies((), None, {})
        identity = _documents(found.identity, "identity")
        boundary = parsed(found.boundary, "identity") if found.boundary else None
        held = _Held(
            generation=generation, identity=identity, boundary=boundary, tags=dict(found.tags),
            allows_everything=boundary is None and _allows_everything(identity),
            owner_id=found.owner_id,
        )
        if self._keepable(account, generation):
            with self._lock:
                self._held[key] = held
        return held

    def _keepable(self, account: str, generation: int) -> bool:
        """What was read may be cached: outside a write transaction, or inside one that has
        not changed IAM (a transaction that did may roll back and hide a revocation)."""
        return (not self._iam.store.in_write()
                or self._generations.committed(account, generation))

    # --- deciding ---------------------------------------------------------------------

    def decide(self, request: AuthorizationRequest) -> Decision:
        principal = request.ctx.principal
        held = self._policies_of(principal)
        if principal.user_id.split(":", 1)[0] != held.owner_id:
            # The user or role was deleted, perhaps re-created under the same name: its
            # old credentials and sessions get none of the new one's permissions.
            held = _NOBODY
        caller = CallerFacts(
            arn=principal.arn, account=principal.account_id, user_id=principal.user_id,
            role_arn=principal.role_arn, session_name=principal.session_name,
            tags=_principal_tags(held.tags, principal.tags),
        )
        resource_doc = None
        trust = request.resource_policy_kind == "trust"
        # A role's trust policy and a KMS key policy must themselves name the caller (or
        # its account, which delegates to IAM); a key policy parses as a resource policy.
        required = trust or request.resource_policy_kind == "key"
        if request.resource_policy:
            resource_doc = parsed(request.resource_policy,
                                  "trust" if trust else "resource")
            if resource_doc is None and required:
                return ImplicitDeny("resource-based policy")
        if (held.allows_everything and principal.session_policies is None
                and request.resource_account in (None, principal.account_id)
                and not required and not _denies(resource_doc)):
            return ALLOW
        session = None
        if principal.session_policies is not None:
            session = _documents(principal.session_policies, "identity")
        memo_key = None
        if request.resource_policy_kind == "key" and _context_free(
                (*held.identity, *_optional(held.boundary), *(session or ())),
                resource_doc, request.action.lower()):
            memo_key = (principal.arn, principal.user_id, held.generation, held.owner_id,
                        principal.session_policies, request.action.lower(), request.resource,
                        request.resource_policy, request.resource_account,
                        *(str(request.context.get(k)) for k in _KEY_POLICY_KEYS))
            with self._lock:
                known = self._decisions.get(memo_key)
            if known is not None:
                return known
        facts = RequestFacts(
            action=request.action, resource=request.resource, principal=caller,
            context=self._context(request.ctx, request.context),
        )
        decision = evaluate(facts, PolicySet(
            identity=held.identity, resource=resource_doc,
            resource_account=request.resource_account, boundary=held.boundary,
            session=session, resource_policy_required=required,
        ))
        if memo_key is not None and self._keepable(principal.account_id, held.generation):
            with self._lock:
                self._decisions[memo_key] = decision
                while len(self._decisions) > _DECISIONS_KEPT:
                    self._decisions.popitem(last=False)
        return decision

    def _context(self, ctx: RequestContext, given: Mapping[str, object]
                 ) -> dict[str, ContextValue | None]:
        now = self._clock.now()
        keys: dict[str, ContextValue | None] = {
            "aws:CurrentTime": datetime.fromtimestamp(now, tz=UTC),
            "aws:EpochTime": int(now),
            "aws:SecureTransport": ctx.secure_transport,
            "aws:RequestedRegion": ctx.region,
            "aws:ViaAWSService": False,
        }
        if ctx.source_ip:
            keys["aws:SourceIp"] = ctx.source_ip
        if ctx.user_agent:
            keys["aws:UserAgent"] = ctx.user_agent
        principal = ctx.principal
        if principal.session_issued is not None:
            keys["aws:TokenIssueTime"] = datetime.fromtimestamp(principal.session_issued, tz=UTC)
        if principal.source_identity:
            keys["aws:SourceIdentity"] = principal.source_identity
        for name, value in given.items():
            if name in _EXPANDED and isinstance(value, Mapping):
                for tag, tag_value in value.items():
                    keys[f"{name}/{tag}"] = str(tag_value)
            else:
                keys[name] = _context_value(value)
        return keys


def _context_value(value: object) -> ContextValue | None:
    if value is None or isinstance(value, str | bool | int | float | datetime | bytes):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return [str(v) for v in value]
    return str(value)


def _principal_tags(own: Mapping[str, str], session: Mapping[str, str]) -> dict[str, str]:
    """Session tags override the role's (or user's) tags with the same key, ignoring case."""
    merged = {k: v for k, v in own.items()
              if k.lower() not in {s.lower() for s in session}}
    merged.update(session)
    return merged
