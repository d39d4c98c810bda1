"""The IAM domain's values: what operations return, its quotas, and list paging.

Values are frozen. A new access key's secret shows in no repr. Paging markers
are opaque offsets tied to the query that issued them, as IAM's are opaque.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from strongroom.core.paging import page, query_fingerprint
from strongroom.core.types import Tag
from strongroom.iam.errors import EntityKind, InvalidInput

T = TypeVar("T")

# Quotas (IAM defaults: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html)
MAX_ACCESS_KEYS = 2
MAX_POLICY_VERSIONS = 5
MAX_TAGS = 50
MAX_ATTACHED_POLICIES = 10
MAX_GROUPS_PER_USER = 10
MANAGED_POLICY_CHARS = 6144
TRUST_POLICY_CHARS = 2048
INLINE_POLICY_CHARS = {EntityKind.USER: 2048, EntityKind.ROLE: 10240, EntityKind.GROUP: 5120}
NAME_LENGTH = {EntityKind.USER: 64, EntityKind.ROLE: 64, EntityKind.GROUP: 128}
POLICY_NAME_LENGTH = 128
MIN_SESSION, DEFAULT_SESSION, MAX_SESSION = 3600, 3600, 43200
DEFAULT_MAX_ITEMS = 100
ROLE_DESCRIPTION_LENGTH = 1000
KEY_ACTIVE, KEY_INACTIVE = "Active", "Inactive"


@dataclass(frozen=True)
class User:
    name: str
    user_id: str
    arn: str
    path: str
    created: float
    boundary_arn: str | None = None
    tags: tuple[Tag, ...] = ()


@dataclass(frozen=True)
class AccessKey:
    user_name: str
    access_key_id: str
    status: str
    created: float


@dataclass(frozen=True, repr=False)
class NewAccessKey:
    """CreateAccessKey's answer: the only time the secret leaves the server."""

    user_name: str
    access_key_id: str
    secret_access_key: str
    status: str
    created: float

    def __repr__(self) -> str:
        return f"NewAccessKey({self.user_name!r}, {self.access_key_id!r}, <secret redacted>)"


@dataclass(frozen=True)
class AccessKeyLastUsed:
    user_name: str
    last_used: float | None
    service: str | None
    region: str | None


@dataclass(frozen=True)
class Role:
    name: str
    role_id: str
    arn: str
    path: str
    created: float
    trust_policy: str
    description: str | None
    max_session_duration: int
    boundary_arn: str | None = None
    tags: tuple[Tag, ...] = ()
    last_used: float | None = None
    last_used_region: str | None = None


@dataclass(frozen=True)
class Group:
    name: str
    group_id: str
    arn: str
    path: str
    created: float


@dataclass(frozen=True)
class ManagedPolicy:
    name: str
    policy_id: str
    arn: str
    path: str
    default_version: str
    attachment_count: int
    boundary_usage_count: int
    attachable: bool
    description: str | None
    created: float
    updated: float
    tags: tuple[Tag, ...] = ()

    @property
    def aws_managed(self) -> bool:
        return ":iam::aws:" in self.arn


@dataclass(frozen=True)
class PolicyVersion:
    version_id: str
    is_default: bool
    created: float
    document: str | None = None  # None where IAM leaves it out (CreatePolicyVersion, lists)


@dataclass(frozen=True)
class AttachedPolicy:
    name: str
    arn: str


@dataclass(frozen=True)
class PrincipalPolicies:
    """What the authorizer needs about a user or role, read in one transaction.

    `identity` holds JSON texts: inline policies, then attached managed policies'
    default versions, then (for users) each group's inline and attached ones.
    `owner_id` is the user's or role's unique id (AIDA…/AROA…).
    """

    identity: tuple[str, ...]
    boundary: str | None
    tags: Mapping[str, str] = field(default_factory=dict)
    owner_id: str = ""


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    marker: str | None = None

    @property
    def truncated(self) -> bool:
        return self.marker is not None


def fingerprint(*parts: object) -> str:
    return query_fingerprint(*parts)


def paginate(items: Sequence[T], marker: str | None, max_items: int | None,
             query: str) -> Page[T]:
    """A page of `items`; `query` (a fingerprint) ties the marker to this listing."""
    chunk, token = page(items, marker, max_items or DEFAULT_MAX_ITEMS, query,
                        lambda: InvalidInput("marker"))
    return Page(chunk, token)
