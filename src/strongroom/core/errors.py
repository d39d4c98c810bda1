"""The root of every error strongroom raises on purpose.

Errors carry facts (which secret, which version, which limit), never wire text:
the protocol layer owns the one table that turns each class into an AWS error
code, message and HTTP status. No error may carry a secret value.
"""

from __future__ import annotations


class StrongroomError(Exception):
    """An expected failure with a typed meaning; anything else is an internal failure."""


class ValidationFailed(StrongroomError):
    """A request parameter broke a constraint of the service model.

    `member` is the lowerCamel path of the member (``secretId``, ``tags.1.member.key``),
    `constraint` the human text of the broken rule; `value` is a safe rendering of the
    offending value, or None when the member is sensitive or missing.
    """

    def __init__(self, member: str, constraint: str, value: str | None) -> None:
        super().__init__(f"{member}: {constraint}")
        self.member = member
        self.constraint = constraint
        self.value = value


class ValidationErrors(StrongroomError):
    """Several constraint violations at once, reported together as AWS does."""

    def __init__(self, errors: list[ValidationFailed]) -> None:
        super().__init__(f"{len(errors)} validation errors")
        self.errors = errors


class MalformedRequest(StrongroomError):
    """The body could not be read as the operation's input (bad JSON, wrong types)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class UnknownOperation(StrongroomError):
    """The request names an operation this service does not have."""

    def __init__(self, operation: str) -> None:
        super().__init__(operation)
        self.operation = operation


class NotImplementedOperation(StrongroomError):
    """An operation that exists in AWS but that strongroom does not serve yet."""

    def __init__(self, operation: str) -> None:
        super().__init__(operation)
        self.operation = operation


class StoreUnavailable(StrongroomError):
    """The store could not be reached or refused the transaction."""


class AccessDenied(StrongroomError):
    """The authorization hook refused the call; carries what the message needs."""

    def __init__(
        self, principal_arn: str, action: str, resource: str, reason: str = ""
    ) -> None:
        super().__init__(f"{principal_arn} may not {action} on {resource}")
        self.principal_arn = principal_arn
        self.action = action
        self.resource = resource
        self.reason = reason
