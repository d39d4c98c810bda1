"""The function service's values: a function's configuration, an invocation's outcome,
and the naming rules (ARNs, Lambda's timestamp format).

Plain frozen dataclasses; no storage, no wire names beyond what Lambda itself shows
users (its ARN and timestamp formats).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

LATEST = "$LATEST"
LAMBDA_PRINCIPAL = "lambda.amazonaws.com"
DEFAULT_TIMEOUT = 3
MAX_TIMEOUT = 900
DEFAULT_MEMORY = 128

_ARN = re.compile(
    r"arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([a-zA-Z0-9_.-]+)"
    r"(?::(\$LATEST|[a-zA-Z0-9_-]+))?")
_PARTIAL = re.compile(r"(\d{12}):function:([a-zA-Z0-9_.-]+)(?::(\$LATEST|[a-zA-Z0-9_-]+))?")
_NAME = re.compile(r"([a-zA-Z0-9_.-]+)(?::(\$LATEST|[a-zA-Z0-9_-]+))?")


def function_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:lambda:{region}:{account_id}:function:{name}"


@dataclass(frozen=True)
class FunctionRef:
    """A FunctionName as given: a name, a partial ARN or an ARN, maybe with a qualifier.
    `region`/`account_id` are None when the caller's apply."""

    name: str
    region: str | None = None
    account_id: str | None = None
    qualifier: str | None = None

    @classmethod
    def parse(cls, text: str) -> FunctionRef | None:
        found = _ARN.fullmatch(text)
        if found:
            return cls(found.group(3), found.group(1), found.group(2), found.group(4))
        found = _PARTIAL.fullmatch(text)
        if found:
            return cls(found.group(2), None, found.group(1), found.group(3))
        found = _NAME.fullmatch(text)
        if found:
            return cls(found.group(1), None, None, found.group(2))
        return None


def lambda_timestamp(epoch: float) -> str:
    """Lambda's LastModified format, e.g. 2024-01-01T00:00:00.000+0000."""
    moment = datetime.fromtimestamp(epoch, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


@dataclass(frozen=True, repr=False)
class FunctionConfig:
    """What GetFunctionConfiguration shows (environment values included: callers allowed
    to read the configuration see them, as in Lambda)."""

    name: str
    arn: str
    account_id: str
    region: str
    runtime: str
    handler: str
    role_arn: str
    timeout: int
    memory_size: int
    description: str
    environment: Mapping[str, str]
    code_sha256: str
    code_size: int
    revision_id: str
    last_modified: float
    tags: Mapping[str, str] = field(default_factory=dict)
    has_policy: bool = False

    def __repr__(self) -> str:
        return f"FunctionConfig({self.arn!r})"


@dataclass(frozen=True)
class FunctionSettings:
    """The settable parts of a function, as CreateFunction / UpdateFunctionConfiguration
    take them; None leaves a value as it is (or takes the default on create)."""

    runtime: str | None = None
    handler: str | None = None
    role_arn: str | None = None
    timeout: int | None = None
    memory_size: int | None = None
    description: str | None = None
    environment: Mapping[str, str] | None = None


@dataclass(frozen=True)
class InvokeOutcome:
    """How an API invocation ended. `function_error` is "Unhandled" when the function
    failed (the payload is then Lambda's error document); `log_tail` is the last 4 KB."""

    status: int
    payload: bytes = b""
    function_error: str | None = None
    log_tail: str | None = None
    executed_version: str | None = None


@dataclass(frozen=True)
class InvocationLog:
    """One recorded invocation, for operators (`LambdaService.invocation_logs`)."""

    request_id: str
    started: float
    duration_ms: float
    ok: bool
    error_type: str | None
    log: str
