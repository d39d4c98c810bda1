"""The Secrets Manager domain's values: secret values, labels, and what operations return.

Values are frozen; a SecretValue never shows its content in repr, logs or tracebacks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar

from strongroom.core.types import Tag

T = TypeVar("T")


class Stage(StrEnum):
    """The staging labels Secrets Manager itself moves; any other string is a custom label."""

    CURRENT = "AWSCURRENT"
    PREVIOUS = "AWSPREVIOUS"
    PENDING = "AWSPENDING"


class ValueKind(StrEnum):
    STRING = "string"
    BINARY = "binary"


MAX_VALUE_BYTES = 65536
MAX_VERSIONS = 100
MAX_LABELS_PER_VERSION = 20
MAX_TAGS = 50
DEFAULT_RECOVERY_DAYS = 30
DEPRECATED_VERSION_MIN_AGE = 24 * 3600


@dataclass(frozen=True, repr=False)
class SecretValue:
    """Exactly one of `string` or `binary`."""

    kind: ValueKind
    data: bytes

    @classmethod
    def of_string(cls, text: str) -> SecretValue:
        return cls(ValueKind.STRING, text.encode("utf-8"))

    @classmethod
    def of_binary(cls, data: bytes) -> SecretValue:
        return cls(ValueKind.BINARY, data)

    @property
    def string(self) -> str | None:
        return self.data.decode("utf-8") if self.kind is ValueKind.STRING else None

    @property
    def binary(self) -> bytes | None:
        return self.data if self.kind is ValueKind.BINARY else None

    def __repr__(self) -> str:
        return f"SecretValue({self.kind.value}, <{len(self.data)} bytes redacted>)"


@dataclass(frozen=True)
class SecretRef:
    """Names a secret: by full ARN, by partial ARN (no suffix), or by name."""

    secret_id: str
    name: str | None = None
    arn: str | None = None
    account_id: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class ReplicaStatus:
    region: str
    kms_key_id: str | None
    status: str  # InSync | Failed | InProgress
    status_message: str | None
    last_accessed: float | None


@dataclass(frozen=True)
class SecretDescription:
    arn: str
    name: str
    description: str | None
    kms_key_id: str | None
    created: float
    last_changed: float
    last_accessed: float | None
    deleted_date: float | None
    tags: tuple[Tag, ...]
    stages_by_version: dict[str, tuple[str, ...]]
    owning_service: str | None = None
    primary_region: str | None = None
    secret_type: str | None = None
    replication: tuple[ReplicaStatus, ...] = ()  # each replica's (on a primary)
    rotation_enabled: bool | None = None
    rotation_lambda_arn: str | None = None
    rotation_rules: str | None = None  # RotationRules JSON, as stored
    last_rotated: float | None = None
    next_rotation_date: float | None = None


@dataclass(frozen=True)
class VersionValue:
    arn: str
    name: str
    version_id: str
    value: SecretValue
    stages: tuple[str, ...]
    created: float


@dataclass(frozen=True)
class VersionInfo:
    version_id: str
    stages: tuple[str, ...]
    created: float
    last_accessed: float | None
    kms_key_ids: tuple[str, ...]


@dataclass(frozen=True)
class WriteResult:
    arn: str
    name: str
    version_id: str | None = None
    stages: tuple[str, ...] = ()
    deletion_date: float | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_token: str | None = None


@dataclass(frozen=True)
class BatchError:
    secret_id: str
    error: Exception


@dataclass(frozen=True)
class BatchResult:
    values: list[VersionValue]
    errors: list[BatchError] = field(default_factory=list)
    next_token: str | None = None


@dataclass(frozen=True)
class PolicyFinding:
    check: str
    message: str
