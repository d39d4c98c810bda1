"""Policy evaluation: whether a request is allowed, and the decision value saying why.

This module owns AWS's evaluation logic across policy types — identity-based
policies, the resource-based policy, the permissions boundary and session policies,
in one account or across two — and the Allow / ExplicitDeny / ImplicitDeny values
with the reason phrases of AWS's AccessDenied messages. It must not parse policy
text, load policies, read the clock, or raise: callers gather the facts and policies
and turn a denial into an error.

Sources (IAM user guide): "Policy evaluation logic" and "How AWS enforcement code
logic evaluates requests", "Cross-account policy evaluation logic", "Permissions
boundaries for IAM entities", "AWS JSON policy elements: Principal / NotPrincipal",
"Troubleshoot access denied error messages". SCPs, RCPs and VPC endpoint policies are
not modelled.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import ClassVar, Final, Literal, TypeAlias

from strongroom.policy.conditions import conditions_hold
from strongroom.policy.document import Effect, PolicyDocument, PolicyKind, Statement
from strongroom.policy.matching import (
    CallerFacts,
    Pattern,
    Reach,
    action_matches,
    not_principal_applies,
    plain_pattern,
    principal_reach,
    resource_matches,
)
from strongroom.policy.variables import VARIABLES_VERSION, Context, ContextValue, resolve_pattern

__all__ = [
    "ALLOW",
    "Allow",
    "CallerFacts",
    "ContextValue",
    "Decision",
    "ExplicitDeny",
    "ImplicitDeny",
    "PolicySet",
    "PolicyType",
    "RequestFacts",
    "evaluate",
    "principal_context",
    "statement_applies",
]

PolicyType: TypeAlias = Literal[
    "identity-based policy", "resource-based policy", "permissions boundary", "session policy"
]
_ARTICLE: Final = {"identity-based policy": "an"}


# --- decisions ------------------------------------------------------------------------


@dataclass(frozen=True)
class Allow:
    allowed: ClassVar[bool] = True

    def because(self, action: str) -> str:
        """No reason is reported for an allowed request."""
        return ""


@dataclass(frozen=True)
class ExplicitDeny:
    """A Deny statement applied; `where` names its policy type, `sid` the statement."""

    where: PolicyType
    sid: str | None = None
    allowed: ClassVar[bool] = False

    def because(self, action: str) -> str:
        """E.g. `with an explicit deny in a resource-based policy` (AWS's wording)."""
        return f"with an explicit deny in {_ARTICLE.get(self.where, 'a')} {self.where}"


@dataclass(frozen=True)
class ImplicitDeny:
    """Nothing denied, but the policy type `missing` did not allow the request."""

    missing: PolicyType
    allowed: ClassVar[bool] = False

    def because(self, action: str) -> str:
        """E.g. `because no identity-based policy allows the secretsmanager:X action`."""
        return f"because no {self.missing} allows the {action} action"


Decision: TypeAlias = Allow | ExplicitDeny | ImplicitDeny
ALLOW: Final = Allow()


# --- facts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestFacts:
    """One authorization question.

    `action` is `service:Action` (matched case-insensitively); `resource` the resource
    ARN, or `*` for actions without a resource type. `context` maps condition keys to
    values (see `strongroom.policy.variables` for the value types); the principal's
    own keys (`aws:PrincipalArn`, `aws:username`, `aws:PrincipalTag/…`, …) are filled
    in from `principal` by `principal_context`, and an entry in `context` overrides
    them (None removes one).
    """

    action: str
    resource: str
    principal: CallerFacts
    context: Mapping[str, ContextValue | None] = field(default_factory=dict)
    lookup: Context = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        view = Context(principal_context(self.principal), self.context)
        object.__setattr__(self, "lookup", view)


_PRINCIPAL_TYPES: Final = {
    "root": "Account",
    "user": "User",
    "assumed-role": "AssumedRole",
    "federated-user": "FederatedUser",
    "anonymous": "Anonymous",
}


def principal_context(caller: CallerFacts) -> dict[str, ContextValue]:
    """The global condition keys that describe the caller (IAM "Global condition
    context keys" and the principal key table of "Policy variables").

    `aws:PrincipalArn` is the role's ARN for a role session, not the session's.
    `aws:username` exists for IAM users only; `aws:userid` is `anonymous` for
    anonymous callers.
    """
    kind = caller.kind
    keys: dict[str, ContextValue] = {"aws:PrincipalIsAWSService": kind == "service"}
    if kind == "service":
        keys["aws:PrincipalServiceName"] = caller.arn
        return keys
    keys["aws:PrincipalType"] = _PRINCIPAL_TYPES[kind]
    if kind == "anonymous":
        keys["aws:userid"] = "anonymous"
        return keys
    keys["aws:PrincipalArn"] = caller.role_arn or caller.arn
    keys["aws:PrincipalAccount"] = caller.account
    keys["aws:userid"] = caller.user_id or (caller.account if kind == "root" else "")
    if kind == "user":
        keys["aws:username"] = caller.arn.rsplit("/", 1)[-1]
    for tag, value in caller.tags.items():
        keys[f"aws:PrincipalTag/{tag}"] = value
    return keys


@dataclass(frozen=True)
class PolicySet:
    """Every policy that applies to one request.

    `resource_account` is the account owning the resource (None: the caller's).
    `session` is None when the caller is not a session with session policies; an
    empty sequence means session policies apply and none allows. Set
    `resource_policy_required` for resources whose policy must itself name the
    caller or its account (role trust policies, KMS key policies); secrets do not
    need it.
    """

    identity: Sequence[PolicyDocument] = ()
    resource: PolicyDocument | None = None
    resource_account: str | None = None
    boundary: PolicyDocument | None = None
    session: Sequence[PolicyDocument] | None = None
    resource_policy_required: bool = False


# --- evaluation --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Outcome:
    deny: Statement | None = None
    reach: Reach = Reach.NONE  # strongest reach of an applicable Allow


def evaluate(request: RequestFacts, policies: PolicySet) -> Decision:
    """The decision for one request, following AWS's order: any applicable explicit
    Deny wins; then a resource-based grant, the identity-based policies, the
    permissions boundary and the session policies decide, as set out below."""
    caller = request.principal
    has_boundary = policies.boundary is not None
    slots: tuple[tuple[PolicyType, Iterable[PolicyDocument], PolicyKind], ...] = (
        ("identity-based policy", policies.identity, "identity"),
        ("resource-based policy", _optional(policies.resource), "resource"),
        ("permissions boundary", _optional(policies.boundary), "identity"),
        ("session policy", policies.session or (), "identity"),
    )
    outcomes: dict[PolicyType, _Outcome] = {}
    for where, documents, kind in slots:
        outcome = _scan(documents, request, kind, has_boundary)
        if outcome.deny is not None:
            return ExplicitDeny(where, outcome.deny.sid)
        outcomes[where] = outcome

    granted = outcomes["resource-based policy"].reach
    caller_kind = caller.kind
    if caller_kind in ("service", "anonymous"):
        # No identity of their own: only a resource policy naming them can grant.
        return ALLOW if granted is Reach.DIRECT else ImplicitDeny("resource-based policy")

    identity_ok = caller_kind == "root" or outcomes["identity-based policy"].reach is Reach.DIRECT
    boundary_ok = not has_boundary or outcomes["permissions boundary"].reach is Reach.DIRECT
    if policies.session is not None:
        session_ok = outcomes["session policy"].reach is Reach.DIRECT
    else:
        # A federated-user session without a session policy is denied; a role
        # session without one keeps the role's permissions.
        session_ok = caller_kind != "federated-user"
    limits: tuple[tuple[bool, PolicyType], ...] = (
        (boundary_ok, "permissions boundary"),
        (session_ok, "session policy"),
    )

    if policies.resource_account not in (None, caller.account):
        # Cross-account: the caller's account must allow (identity, boundary, session)
        # and the resource policy must name the caller, its role or its account.
        denied = _first_missing(((identity_ok, "identity-based policy"), *limits))
        if denied is not None:
            return denied
        return ALLOW if granted >= Reach.ACCOUNT else ImplicitDeny("resource-based policy")

    if granted is Reach.DIRECT:
        # Granted to this user or session itself (or everyone): no implicit deny
        # elsewhere in the account limits it.
        return ALLOW
    if granted is Reach.VIA_PARENT:
        # Granted to the session's role (or the federating user): bounded by the
        # boundary and session policies, but needs no identity-based policy.
        return _first_missing(limits) or ALLOW
    if policies.resource_policy_required and granted is Reach.NONE:
        return ImplicitDeny("resource-based policy")
    # Naming only the account delegates to the account's IAM policies.
    if not identity_ok:
        return ImplicitDeny("identity-based policy")
    return _first_missing(limits) or ALLOW


def _first_missing(limits: Iterable[tuple[bool, PolicyType]]) -> ImplicitDeny | None:
    for ok, missing in limits:
        if not ok:
            return ImplicitDeny(missing)
    return None


def _optional(document: PolicyDocument | None) -> tuple[PolicyDocument, ...]:
    return () if document is None else (document,)


def _scan(
    documents: Iterable[PolicyDocument], request: RequestFacts, kind: PolicyKind, boundary: bool
) -> _Outcome:
    reach = Reach.NONE
    for document in documents:
        variables = document.version == VARIABLES_VERSION
        for statement in document.statements:
            found = _reach(statement, request, kind, variables, boundary)
            if found is Reach.NONE:
                continue
            if statement.effect is Effect.DENY:
                return _Outcome(deny=statement)
            reach = max(reach, found)
    return _Outcome(reach=reach)


def statement_applies(
    statement: Statement,
    request: RequestFacts,
    *,
    policy_kind: PolicyKind,
    version: str | None = VARIABLES_VERSION,
    has_boundary: bool = False,
) -> bool:
    """Whether a statement matches the request: action, principal (resource and trust
    policies; any reach, account-level included), resource and every condition.

    `version` is the Version of the statement's policy (policy variables substitute
    only under 2012-10-17); `has_boundary` is whether the caller has a permissions
    boundary, which makes every resource-policy Deny with NotPrincipal apply.
    """
    variables = version == VARIABLES_VERSION
    return _reach(statement, request, policy_kind, variables, has_boundary) is not Reach.NONE


def _reach(
    statement: Statement,
    request: RequestFacts,
    kind: PolicyKind,
    variables: bool,
    has_boundary: bool,
) -> Reach:
    if statement.action is not None:
        if not action_matches(statement.action, request.action):
            return Reach.NONE
    elif statement.not_action is not None and action_matches(statement.not_action, request.action):
        return Reach.NONE
    reach = _principal(statement, request.principal, kind, has_boundary)
    if reach is Reach.NONE or not _resource_applies(statement, request, variables):
        return Reach.NONE
    if not conditions_hold(statement.condition, request.lookup, variables=variables):
        return Reach.NONE
    return reach


def _principal(
    statement: Statement, caller: CallerFacts, kind: PolicyKind, has_boundary: bool
) -> Reach:
    if kind == "identity":
        return Reach.DIRECT  # the policy's own identity
    if statement.principal is not None:
        return principal_reach(statement.principal, caller)
    if statement.not_principal is None:
        return Reach.NONE
    deny = statement.effect is Effect.DENY
    if deny and has_boundary:
        # IAM user guide, "Permissions boundaries": a Deny with NotPrincipal "will
        # always deny any IAM principal that has a permissions boundary policy
        # attached, regardless of the values specified in the NotPrincipal element".
        return Reach.DIRECT
    return (
        Reach.DIRECT
        if not_principal_applies(statement.not_principal, caller, deny=deny)
        else (Reach.NONE)
    )


def _resource_applies(statement: Statement, request: RequestFacts, variables: bool) -> bool:
    """Resource: some entry matches; an entry whose variable does not resolve matches
    nothing. NotResource: no entry matches, and the statement does not apply at all if
    an entry cannot be resolved (the attempt "fails", IAM user guide). Trust policies
    have neither element."""
    entries = statement.resource if statement.resource is not None else statement.not_resource
    if entries is None:
        return True
    patterns = [_resource_pattern(e, request.lookup, variables) for e in entries]
    hit = any(p is not None and resource_matches(p, request.resource) for p in patterns)
    if statement.resource is not None:
        return hit
    return not hit and None not in patterns


def _resource_pattern(entry: str, context: Context, variables: bool) -> Pattern | None:
    head, tail = _split_resource(entry)
    if tail is None:
        return head
    resolved = resolve_pattern(tail, context, variables=variables)
    return None if resolved is None else head + resolved


@lru_cache(maxsize=4096)
def _split_resource(entry: str) -> tuple[Pattern, str | None]:
    """An ARN's first five segments as a fixed pattern, and the resource part, the only
    place policy variables may appear (IAM user guide, "Policy variables")."""
    parts = entry.split(":", 5)
    if len(parts) < 6 or "${" not in parts[5]:
        return plain_pattern(entry), None
    return plain_pattern(":".join(parts[:5]) + ":"), parts[5]
