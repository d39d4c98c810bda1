"""Rows as frozen values: what the store hands to the services above it.

These are storage shapes, not wire shapes; ciphertexts stay opaque bytes here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AccountRecord:
    account_id: str
    created: float


@dataclass(frozen=True)
class UserRecord:
    account_id: str
    user_name: str
    user_id: str
    arn: str
    created: float
    is_admin: bool


@dataclass(frozen=True)
class AccessKeyRecord:
    access_key_id: str
    account_id: str
    user_name: str
    secret_wrapped: bytes
    status: str
    created: float


@dataclass(frozen=True)
class KeyRecord:
    """A key-encryption key; `material_wrapped` is sealed by the root key."""

    key_id: str
    account_id: str
    region: str
    arn: str
    material_wrapped: bytes
    state: str
    description: str
    managed: bool
    created: float


@dataclass(frozen=True)
class SecretRecord:
    pk: int
    account_id: str
    region: str
    name: str
    arn: str
    description: str | None
    kms_key_id: str | None
    created: float
    last_changed: float
    last_accessed: float | None
    deleted_date: float | None
    purge_after: float | None
    owning_service: str | None
    primary_region: str | None
    secret_type: str | None
    resource_policy: str | None
    rotation_enabled: bool | None = None  # None: rotation never configured
    rotation_lambda_arn: str | None = None
    rotation_rules: str | None = None  # RotationRules.to_json()
    last_rotated: float | None = None
    next_rotation: float | None = None  # start of the next rotation window
    rotation_window_end: float | None = None


@dataclass(frozen=True)
class VersionRecord:
    """One version; `ciphertext` is None for a value-less placeholder."""

    secret_pk: int
    version_id: str
    seq: int
    created: float
    last_accessed: float | None
    kms_key_id: str | None
    value_kind: str | None
    wrapped_key: bytes | None
    ciphertext: bytes | None

    def __repr__(self) -> str:  # keep ciphertexts out of logs and tracebacks
        return f"VersionRecord(secret_pk={self.secret_pk}, version_id={self.version_id!r})"


@dataclass(frozen=True)
class SessionRecord:
    """Temporary credentials. `kind` is "AssumedRole" or "SessionToken" (a user's own).

    `session_policies` and `tags` / `transitive_tag_keys` are JSON texts; the secret
    is wrapped by the root key and the token kept only as a digest.
    """

    access_key_id: str
    account_id: str
    kind: str
    principal_name: str
    principal_id: str
    principal_arn: str
    role_arn: str | None
    session_name: str | None
    secret_wrapped: bytes
    token_digest: str
    issued: float
    expires: float
    session_policies: str | None
    tags: str
    transitive_tag_keys: str
    source_identity: str | None

    def __repr__(self) -> str:
        return f"SessionRecord({self.access_key_id!r}, {self.principal_arn!r})"
