"""The KMS domain's values: key states, key metadata, aliases, key references and the
default key policies.

Plain frozen values only; no storage, no wire names beyond the enum values AWS
itself defines (key states, specs, usages), which are part of the domain.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from strongroom.kms.errors import InvalidArnRegion, InvalidKeyId

ALIAS_PREFIX = "alias/"
RESERVED_ALIAS_PREFIX = "alias/aws/"
POLICY_NAME = "default"
SYMMETRIC_DEFAULT = "SYMMETRIC_DEFAULT"
ENCRYPT_DECRYPT = "ENCRYPT_DECRYPT"
AWS_KMS = "AWS_KMS"
MIN_PENDING_DAYS, MAX_PENDING_DAYS, DEFAULT_PENDING_DAYS = 7, 30, 30
DEFAULT_ROTATION_DAYS = 365
MAX_TAGS = 50
DAY = 86400.0

_KEY_ID = re.compile(r"^(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                     r"[0-9a-f]{12})$")


class KeyState(StrEnum):
    ENABLED = "Enabled"
    DISABLED = "Disabled"
    PENDING_DELETION = "PendingDeletion"


@dataclass(frozen=True)
class KeyMetadata:
    account_id: str
    key_id: str
    arn: str
    created: float
    state: KeyState
    description: str
    key_usage: str
    key_spec: str
    origin: str
    managed: bool
    deletion_date: float | None

    @property
    def enabled(self) -> bool:
        return self.state is KeyState.ENABLED


@dataclass(frozen=True)
class AliasEntry:
    name: str
    arn: str
    target_key_id: str | None
    created: float | None
    last_updated: float | None


@dataclass(frozen=True)
class KeyPage:
    keys: tuple[KeyMetadata, ...]
    next_marker: str | None


@dataclass(frozen=True)
class AliasPage:
    aliases: tuple[AliasEntry, ...]
    next_marker: str | None


@dataclass(frozen=True)
class RotationStatus:
    key_arn: str
    enabled: bool
    period_days: int | None
    next_rotation: float | None


@dataclass(frozen=True)
class DataKeyResult:
    key_arn: str
    blob: bytes
    plaintext: bytes | None

    def __repr__(self) -> str:
        return f"DataKeyResult(key_arn={self.key_arn!r})"


@dataclass(frozen=True)
class Decrypted:
    key_arn: str
    plaintext: bytes

    def __repr__(self) -> str:
        return f"Decrypted(key_arn={self.key_arn!r})"


@dataclass(frozen=True)
class KeyRef:
    """A parsed KeyId: `kind` is "key" or "alias"; `value` the key id or alias name;
    `account`/`region` are set when the reference was an ARN."""

    kind: str
    value: str
    account: str | None = None
    region: str | None = None


def parse_key_ref(text: str, region: str) -> KeyRef:
    """Parse a KeyId as KMS accepts it: key id, key ARN, alias name or alias ARN."""
    if text.startswith("arn:"):
        parts = text.split(":", 5)
        if len(parts) != 6 or parts[2] != "kms" or not parts[4].isdigit():
            raise InvalidKeyId(text)
        if parts[3] != region:
            raise InvalidArnRegion(parts[3])  # AWS-recorded: "Invalid arn <region>"
        resource = parts[5]
        if resource.startswith("key/") and _KEY_ID.match(resource[4:]):
            return KeyRef("key", resource[4:], parts[4], parts[3])
        if resource.startswith(ALIAS_PREFIX) and len(resource) > len(ALIAS_PREFIX):
            return KeyRef("alias", resource, parts[4], parts[3])
        raise InvalidKeyId(text)
    if text.startswith(ALIAS_PREFIX) and len(text) > len(ALIAS_PREFIX):
        return KeyRef("alias", text)
    if _KEY_ID.match(text):
        return KeyRef("key", text)
    raise InvalidKeyId(text)


def key_arn(region: str, account_id: str, key_id: str) -> str:
    return f"arn:aws:kms:{region}:{account_id}:key/{key_id}"


def alias_arn(region: str, account_id: str, alias_name: str) -> str:
    return f"arn:aws:kms:{region}:{account_id}:{alias_name}"


@lru_cache(maxsize=1024)
def default_key_policy(account_id: str) -> str:
    """The policy CreateKey attaches without `Policy`: the account root may do anything,
    which delegates access to the account's IAM policies (kms-subset.md §5; the Id and
    Sid strings are AWS's documented example, UNCONFIRMED verbatim)."""
    return json.dumps({
        "Version": "2012-10-17",
        "Id": "key-default-1",
        "Statement": [{
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }],
    }, indent=2)


@lru_cache(maxsize=1024)
def managed_key_policy(account_id: str, region: str) -> str:
    """The fixed policy of `aws/secretsmanager` (kms-subset.md §5): use only through
    Secrets Manager by the account's principals; the account root may read metadata."""
    return json.dumps({
        "Version": "2012-10-17",
        "Id": "auto-secretsmanager-1",
        "Statement": [
            {
                "Sid": "Allow access through AWS Secrets Manager for all principals in the "
                       "account that are authorized to use AWS Secrets Manager",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*",
                           "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {"StringEquals": {
                    "kms:ViaService": f"secretsmanager.{region}.amazonaws.com",
                    "kms:CallerAccount": account_id,
                }},
            },
            {
                "Sid": "Allow access through AWS Secrets Manager for all principals in the "
                       "account that are authorized to use AWS Secrets Manager",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:CallerAccount": account_id},
                              "StringLike": {"kms:ViaService":
                                             "secretsmanager.*.amazonaws.com"}},
            },
            {
                "Sid": "Allow direct access to key metadata to the account",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                "Action": ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"],
                "Resource": "*",
            },
        ],
    }, indent=2)
