"""Plain values that cross layers: who is calling and the facts of the request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Tag:
    """A tag on a secret, a KMS key, an IAM user or role: the same pair everywhere."""

    key: str
    value: str


@dataclass(frozen=True)
class Principal:
    """An authenticated caller.

    `kind` follows CloudTrail's userIdentity types ("IAMUser", "Root", "AssumedRole").
    For a role session `arn` is the session ARN
    (arn:aws:sts::<account>:assumed-role/<role>/<session>), `role_arn` the role's and
    `name` the role's name; for a user `name` is the user name (aws:username).
    `tags` are the principal's tags as policies see them (aws:PrincipalTag), session
    tags already merged over role tags. `session_policies` are the JSON texts of the
    session's policies (inline and managed), which bound what the session may do.
    """

    account_id: str
    arn: str
    user_id: str
    name: str
    kind: str
    access_key_id: str
    is_admin: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)
    role_arn: str | None = None
    session_name: str | None = None
    session_policies: tuple[str, ...] | None = None
    session_issued: float | None = None
    session_expires: float | None = None
    transitive_tag_keys: tuple[str, ...] = ()
    source_identity: str | None = None


@dataclass(frozen=True)
class RequestContext:
    """Facts of one call that operations, authorization and audit may need."""

    principal: Principal
    region: str
    request_id: str
    source_ip: str = ""
    user_agent: str = ""
    secure_transport: bool = False
