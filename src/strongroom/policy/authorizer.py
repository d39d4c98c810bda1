"""The authorization hook every operation calls.

Operations ask one question — may the caller of this request do this action on
this resource, given these facts and this resource's policy? — and an
`Authorizer` answers with a decision value (Allow, ExplicitDeny, ImplicitDeny)
that carries AWS's reason. `require` turns a denial into AccessDenied; the
operations never look at policies themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from strongroom.core.errors import AccessDenied
from strongroom.core.types import RequestContext
from strongroom.policy.evaluate import ALLOW, Decision, ImplicitDeny


@dataclass(frozen=True)
class AuthorizationRequest:
    """What a decision is about. `context` holds request-specific condition keys
    (a dict value such as {"aws:ResourceTag": {...}} stands for one key per entry);
    `resource_policy` is the JSON text of the resource's own policy, if it has one."""

    ctx: RequestContext
    action: str
    resource: str
    context: Mapping[str, object]
    resource_policy: str | None = None
    resource_account: str | None = None
    resource_policy_kind: str = "resource"


class Authorizer(Protocol):
    def decide(self, request: AuthorizationRequest) -> Decision: ...


class LateAuthorizer:
    """Stands in for an authorizer that needs the services it guards (the IAM
    authorizer reads IAM): built first, pointed at the real one once that exists."""

    def __init__(self) -> None:
        self.target: Authorizer | None = None

    def decide(self, request: AuthorizationRequest) -> Decision:
        if self.target is None:  # fail closed until wired
            return ImplicitDeny("identity-based policy")
        return self.target.decide(request)


class AdministratorsOnly:
    """A minimal authorizer for tests of other layers: administrators may do anything
    in their own account (and read AWS managed policies); nobody else may do anything."""

    def decide(self, request: AuthorizationRequest) -> Decision:
        principal = request.ctx.principal
        if not principal.is_admin:
            return ImplicitDeny("identity-based policy")
        owner = request.resource_account or _account_of(request.resource)
        if owner not in ("", "aws", principal.account_id):
            return ImplicitDeny("resource-based policy")
        return ALLOW


def require(
    authorizer: Authorizer,
    ctx: RequestContext,
    action: str,
    resource: str,
    context: Mapping[str, object] | None = None,
    *,
    resource_policy: str | None = None,
    resource_account: str | None = None,
    resource_policy_kind: str = "resource",
) -> None:
    """Raise AccessDenied unless the authorizer allows the call. For a role's trust
    policy pass resource_policy_kind="trust": it must name the caller itself."""
    decision = authorizer.decide(AuthorizationRequest(
        ctx, action, resource, context or {}, resource_policy, resource_account,
        resource_policy_kind))
    if not decision.allowed:
        raise AccessDenied(ctx.principal.arn, action, resource, decision.because(action))


def _account_of(arn: str) -> str:
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 else ""
