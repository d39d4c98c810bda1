"""Failures of the function service. They carry a reason key and facts; the wire table
(protocol/errors.py) turns each into Lambda's error code, status and text."""

from __future__ import annotations

from strongroom.core.errors import StrongroomError


class LambdaError(StrongroomError):
    """A failure Lambda reports with its own code; `reason` keys the wire text, `facts`
    fill it. Facts never hold an environment value, an event or a payload."""

    def __init__(self, reason: str, **facts: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.facts = facts


class FunctionNotFound(LambdaError):
    def __init__(self, arn: str) -> None:
        super().__init__("function_not_found", arn=arn)
        self.arn = arn
