"""Typed failures of the IAM domain.

Each class names one situation IAM distinguishes and carries the facts its
message needs (which user, which policy ARN, which quota). The wire table in
`strongroom.protocol.errors` turns them into IAM codes, texts and statuses;
nothing here knows HTTP. None may carry a secret access key or a policy text.
"""

from __future__ import annotations

from enum import StrEnum

from strongroom.core.errors import StrongroomError


class EntityKind(StrEnum):
    """What an error is about; the values are the words IAM's messages use."""

    USER = "user"
    ROLE = "role"
    GROUP = "group"


class IamError(StrongroomError):
    """Base of every IAM domain error."""


# --- NoSuchEntity ---------------------------------------------------------------


class EntityNotFound(IamError):
    """A user, role or group of that name does not exist in the caller's account."""

    def __init__(self, kind: EntityKind, name: str) -> None:
        super().__init__(f"no {kind.value} named {name}")
        self.kind = kind
        self.name = name


class InlinePolicyNotFound(IamError):
    def __init__(self, kind: EntityKind, policy_name: str) -> None:
        super().__init__(f"no {kind.value} policy named {policy_name}")
        self.kind = kind
        self.policy_name = policy_name


class AccessKeyNotFound(IamError):
    def __init__(self, access_key_id: str) -> None:
        super().__init__(f"no access key {access_key_id}")
        self.access_key_id = access_key_id


class PolicyNotFound(IamError):
    """A managed policy ARN that names nothing (GetPolicy, or a detach of one not attached)."""

    def __init__(self, arn: str) -> None:
        super().__init__(f"no policy {arn}")
        self.arn = arn


class PolicyNotAttachableOrMissing(IamError):
    """Attach of a managed policy that does not exist (or is not the caller's to attach)."""

    def __init__(self, arn: str) -> None:
        super().__init__(f"policy {arn} missing or not attachable")
        self.arn = arn


class PolicyVersionNotFound(IamError):
    def __init__(self, arn: str, version_id: str) -> None:
        super().__init__(f"no version {version_id} of {arn}")
        self.arn = arn
        self.version_id = version_id


class BoundaryNotFound(IamError):
    """A permissions boundary ARN that names no managed policy."""

    def __init__(self, arn: str) -> None:
        super().__init__(f"boundary {arn} missing")
        self.arn = arn


# --- EntityAlreadyExists ----------------------------------------------------------


class EntityExists(IamError):
    def __init__(self, kind: EntityKind, name: str) -> None:
        super().__init__(f"{kind.value} {name} exists")
        self.kind = kind
        self.name = name


class PolicyExists(IamError):
    def __init__(self, name: str) -> None:
        super().__init__(f"policy {name} exists")
        self.name = name


# --- DeleteConflict -----------------------------------------------------------------


class DeleteConflict(IamError):
    """A delete refused while dependents remain.

    `reason` is one of the keys of `strongroom.protocol.errors.IAM_DELETE_CONFLICT_TEXTS`:
    access_keys, group_members, user_groups, inline_policies, attached_policies,
    policy_attached, policy_versions, default_version.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- LimitExceeded --------------------------------------------------------------------


class QuotaExceeded(IamError):
    """An IAM quota would be exceeded.

    `quota` is a key of `strongroom.protocol.errors.IAM_LIMIT_TEXTS`; `maximum` its
    value; `subject` the user, role or group name where the message names one.
    """

    def __init__(self, quota: str, maximum: int, subject: str = "") -> None:
        super().__init__(f"{quota} limit {maximum} exceeded")
        self.quota = quota
        self.maximum = maximum
        self.subject = subject


# --- bad input --------------------------------------------------------------------------


class MalformedPolicyDocument(IamError):
    """A policy text that the grammar refuses; `detail` is the grammar's explanation."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInput(IamError):
    """IAM's InvalidInput; `reason` is a key of `protocol.errors.IAM_INVALID_INPUT_TEXTS`."""

    def __init__(self, reason: str, **facts: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.facts = facts


class InvalidPolicyArn(IamError):
    """A PolicyArn parameter that is not a managed policy ARN (IAM answers ValidationError)."""

    def __init__(self, arn: str) -> None:
        super().__init__(f"not a policy ARN: {arn}")
        self.arn = arn


class UserNameRequired(IamError):
    """A user-scoped call without UserName from a caller that is not an IAM user."""

    def __init__(self) -> None:
        super().__init__("UserName required for non-user callers")


class UnmodifiableEntity(IamError):
    """A change to something only AWS may change (an AWS managed policy)."""

    def __init__(self, arn: str) -> None:
        super().__init__(f"{arn} cannot be modified")
        self.arn = arn


class PolicyNotAttachable(IamError):
    """A managed policy whose IsAttachable is false (AWS service-role policies)."""

    def __init__(self, arn: str) -> None:
        super().__init__(f"{arn} is not attachable")
        self.arn = arn


class ConcurrentModification(IamError):
    """Another writer changed the same entity at the same moment; the caller may retry."""

    def __init__(self) -> None:
        super().__init__("concurrent modification")
