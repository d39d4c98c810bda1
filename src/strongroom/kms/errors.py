"""Failures of the KMS service, each carrying the facts its AWS message needs.

No wire text here: `strongroom.protocol.errors` maps each class to its AWS code and
message. Nothing here may carry plaintext or key material.
"""

from __future__ import annotations

from strongroom.core.errors import StrongroomError


class KmsError(StrongroomError):
    """Base of every KMS failure raised on purpose."""


class KeyNotFound(KmsError):
    """A well-formed key id or key ARN that names no key."""

    def __init__(self, key_arn: str) -> None:
        super().__init__(f"key {key_arn} not found")
        self.key_arn = key_arn


class InvalidKeyId(KmsError):
    """A KeyId that is neither a key id, a key ARN, an alias name nor an alias ARN."""

    def __init__(self, key_ref: str) -> None:
        super().__init__(f"invalid key id {key_ref}")
        self.key_ref = key_ref


class InvalidArnRegion(KmsError):
    """A KMS ARN in a region other than the request's."""

    def __init__(self, region: str) -> None:
        super().__init__(f"invalid arn region {region}")
        self.region = region


class AliasNotFound(KmsError):
    def __init__(self, alias_arn: str) -> None:
        super().__init__(f"alias {alias_arn} not found")
        self.alias_arn = alias_arn


class AliasExists(KmsError):
    def __init__(self, alias_arn: str) -> None:
        super().__init__(f"alias {alias_arn} exists")
        self.alias_arn = alias_arn


class AliasPrefixMissing(KmsError):
    """An alias name that does not start with `alias/`."""

    def __init__(self, alias_name: str) -> None:
        super().__init__(f"alias {alias_name} lacks the alias/ prefix")
        self.alias_name = alias_name


class AliasReserved(KmsError):
    """An alias name under `alias/aws/`, which only AWS managed keys have."""

    def __init__(self, alias_name: str) -> None:
        super().__init__(f"alias {alias_name} is reserved")
        self.alias_name = alias_name


class KeyDisabled(KmsError):
    def __init__(self, key_arn: str) -> None:
        super().__init__(f"key {key_arn} is disabled")
        self.key_arn = key_arn


class KeyInvalidState(KmsError):
    """The key's state forbids the operation; `reason` is "pending_deletion" or
    "not_pending_deletion"."""

    def __init__(self, key_arn: str, reason: str) -> None:
        super().__init__(f"key {key_arn}: {reason}")
        self.key_arn = key_arn
        self.reason = reason


class InvalidCiphertext(KmsError):
    """A ciphertext that does not open: edited, truncated, another context. Never says why."""

    def __init__(self) -> None:
        super().__init__("invalid ciphertext")


class IncorrectKey(KmsError):
    """Decrypt or ReEncrypt named a key other than the one the ciphertext was made with."""

    def __init__(self) -> None:
        super().__init__("incorrect key")


class ManagedKeyUnsupported(KmsError):
    """A change that AWS managed keys do not allow (disable, delete, rotate, alias, policy)."""

    def __init__(self, key_arn: str, operation: str) -> None:
        super().__init__(f"{operation} is not allowed on AWS managed key {key_arn}")
        self.key_arn = key_arn
        self.operation = operation


class UnsupportedKeySpec(KmsError):
    """A key spec, usage or origin this server does not offer yet."""

    def __init__(self, what: str, value: str) -> None:
        super().__init__(f"{what} {value} is not supported")
        self.what = what
        self.value = value


class KmsInvalidParameter(KmsError):
    """A request value outside what KMS accepts; `reason` picks the message, `facts`
    fill it."""

    def __init__(self, reason: str, **facts: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.facts = facts


class PolicyLockout(KmsError):
    """The key policy given would not let the caller change the key policy again."""

    def __init__(self) -> None:
        super().__init__("key policy would lock the caller out")


class KeyPolicyNotFound(KmsError):
    """A PolicyName other than `default`."""

    def __init__(self, policy_name: str) -> None:
        super().__init__(f"policy {policy_name} not found")
        self.policy_name = policy_name


class KmsTagError(KmsError):
    """A tag request KMS refuses; `reason` is "duplicate", "too_many" or "reserved"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
