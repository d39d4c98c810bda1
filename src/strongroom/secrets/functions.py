"""What Secrets Manager needs from a function service to rotate secrets.

Rotation calls a function (AWS: a Lambda function) once per step. The secrets and
rotation layers depend only on this protocol; the Lambda-compatible function
service implements it and the composition root wires the two together, so neither
imports the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

SECRETS_MANAGER_PRINCIPAL = "secretsmanager.amazonaws.com"


@dataclass(frozen=True)
class InvocationResult:
    """How one invocation ended. `error` names what went wrong in words safe to log and
    to show in DescribeSecret-adjacent places (never a secret value); `log_tail` is the
    end of the invocation's log, for operators."""

    ok: bool
    payload: bytes = b""
    error: str | None = None
    log_tail: str = ""


class FunctionInvoker(Protocol):
    def may_invoke(self, function_arn: str, *, service_principal: str, source_arn: str,
                   source_account: str) -> bool:
        """Whether the function exists and its resource policy lets `service_principal`
        invoke it for `source_arn` (the secret) in `source_account`."""
        ...

    def invoke_for_service(self, function_arn: str, event: Mapping[str, object], *,
                           service_principal: str, source_arn: str,
                           source_account: str) -> InvocationResult:
        """Run the function synchronously with `event` (blocking up to its timeout).
        Never raises for a failure of the function itself; raises only if the function
        service cannot be reached at all."""
        ...

