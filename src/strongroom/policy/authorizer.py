"""The authorization hook every operation calls, and the decisions it returns.

Operations ask one question — may this principal do this action on this
resource, given these facts? — and get a Decision value back. The full policy
engine plugs in here by implementing `Authorizer`; operations never change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from strongroom.core.errors import AccessDenied
from strongroom.core.types import Principal


@dataclass(frozen=True)
class Decision:
    """Allowed or not, and why (named the way AWS's AccessDenied messages name it)."""

    allowed: bool
    reason: str = ""


ALLOW = Decision(True, "allowed")
IMPLICIT_DENY = Decision(False, "no identity-based policy allows the {action} action")


@dataclass(frozen=True)
class AuthorizationRequest:
    principal: Principal
    action: str
    resource: str
    context: Mapping[str, object]


class Authorizer(Protocol):
    def decide(self, request: AuthorizationRequest) -> Decision: ...


class AdministratorsOnly:
    """Until policies exist: an account's administrators may do everything in it."""

    def decide(self, request: AuthorizationRequest) -> Decision:
        principal = request.principal
        if not principal.is_admin:
            return IMPLICIT_DENY
        resource_account = _account_of(request.resource)
        if resource_account not in ("", principal.account_id):
            return Decision(False, "no resource-based policy allows the {action} action")
        return ALLOW


def require(
    authorizer: Authorizer,
    principal: Principal,
    action: str,
    resource: str,
    context: Mapping[str, object] | None = None,
) -> None:
    """Raise AccessDenied unless the authorizer allows the call."""
    decision = authorizer.decide(
        AuthorizationRequest(principal, action, resource, context or {})
    )
    if not decision.allowed:
        raise AccessDenied(principal.arn, action, resource, decision.reason.format(action=action))


def _account_of(arn: str) -> str:
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 else ""
