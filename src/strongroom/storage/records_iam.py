"""IAM rows as frozen values: users, access-key metadata, roles, groups, managed policies.

Storage shapes only. An access key's wrapped secret never appears here; the
row that carries it (`records.AccessKeyRecord`) is read only to verify a
signature or to move a key when its user is renamed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IamUserRecord:
    account_id: str
    user_name: str
    user_id: str
    arn: str
    path: str
    created: float
    is_admin: bool
    boundary_arn: str | None


@dataclass(frozen=True)
class AccessKeyInfoRecord:
    """An access key without its secret."""

    access_key_id: str
    account_id: str
    user_name: str
    status: str
    created: float
    last_used: float | None
    last_used_service: str | None
    last_used_region: str | None


@dataclass(frozen=True)
class RoleRecord:
    """A role; `tags` is filled by the service when a caller needs them (STS)."""

    role_id: str
    account_id: str
    role_name: str
    arn: str
    path: str
    created: float
    trust_policy: str
    description: str | None
    max_session_duration: int
    boundary_arn: str | None
    last_used: float | None
    last_used_region: str | None
    tags: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class GroupRecord:
    group_id: str
    account_id: str
    group_name: str
    arn: str
    path: str
    created: float


@dataclass(frozen=True)
class ManagedPolicyRecord:
    """A managed policy; `account_id` is "aws" for the AWS managed ones."""

    policy_id: str
    account_id: str
    policy_name: str
    arn: str
    path: str
    description: str | None
    default_version: str
    next_version: int
    attachable: bool
    created: float
    updated: float


@dataclass(frozen=True)
class PolicyVersionRecord:
    policy_id: str
    version_id: str
    seq: int
    document: str
    created: float
