"""Plain values that cross layers: who is calling and the facts of the request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Principal:
    """An authenticated caller.

    `kind` follows CloudTrail's userIdentity types ("IAMUser", "Root", "AssumedRole").
    """

    account_id: str
    arn: str
    user_id: str
    name: str
    kind: str
    access_key_id: str
    is_admin: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RequestContext:
    """Facts of one call that operations, authorization and audit may need."""

    principal: Principal
    region: str
    request_id: str
    source_ip: str = ""
    user_agent: str = ""
    secure_transport: bool = False
