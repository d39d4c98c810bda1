"""Rotating the root key: rewrap every root-wrapped value in the store, in one transaction.

Purpose labels are part of what is wrapped (associated data), so each value is
unwrapped and wrapped again under the same label. Secret versions are encrypted
under KMS keys, whose material is rewrapped here; their ciphertexts stay as they are.
The caller stages the new key's protection before and commits it after.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from strongroom.keys.rootkey import RootKey
from strongroom.keys.service import material_purpose
from strongroom.storage.base import Store
from strongroom.storage.queries_rootkey import replace_root_wrapped, root_wrapped_values


def audit_signing_key_purpose(key_id: str) -> str:
    """The root key's purpose label for an audit signing key (audit.digests)."""
    return f"audit-signing-key:{key_id}"


def lambda_environment_purpose(function_arn: str) -> str:
    """The root key's purpose label for a function's sealed environment variables."""
    return f"lambda-environment:{function_arn}"


def event_subscription_purpose(subscription_id: str) -> str:
    """The root key's purpose label for an event subscription's signing secret."""
    return f"event-subscription:{subscription_id}"


@dataclass(frozen=True)
class Rewrapped:
    kms_materials: int
    access_keys: int
    sessions: int


def rewrap_store(store: Store, old: RootKey, new: RootKey,
                 access_key_purpose: Callable[[str], str]) -> Rewrapped:
    """Rewrap everything from `old` to `new`; all or nothing (one write transaction).
    `access_key_purpose` is the IAM layer's label for a credential's secret."""
    counts = {"kms_keys": 0, "kms_key_versions": 0, "access_keys": 0, "sts_sessions": 0,
              "audit_signing_keys": 0, "lambda_functions": 0, "event_subscriptions": 0}
    with store.write() as tx:
        for item in root_wrapped_values(tx):
            if item.table in ("kms_keys", "kms_key_versions"):
                purpose = material_purpose(item.ident, item.version)
            elif item.table == "audit_signing_keys":
                purpose = audit_signing_key_purpose(item.ident)
            elif item.table == "lambda_functions":
                purpose = lambda_environment_purpose(item.ident)
            elif item.table == "event_subscriptions":
                purpose = event_subscription_purpose(item.ident)
            else:
                purpose = access_key_purpose(item.ident)
            plaintext = old.unwrap(item.wrapped, purpose)
            replace_root_wrapped(tx, item, new.wrap(plaintext, purpose))
            counts[item.table] += 1
    return Rewrapped(counts["kms_key_versions"], counts["access_keys"], counts["sts_sessions"])
