"""What every KMS operation does first: find the key a KeyId names, ask the policy
engine with the key policy, and check the key's state.

Key policies follow AWS: the policy must itself name the caller, or name the
account root and so delegate to the account's IAM policies (resource_policy_kind
"key"). This module must not do cryptography or change keys.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from strongroom.core.clock import Clock
from strongroom.core.types import RequestContext
from strongroom.keys.service import MANAGED_ALIAS, KeyService, ResolvedKey
from strongroom.kms.errors import (
    AliasNotFound,
    KeyDisabled,
    KeyInvalidState,
    KeyNotFound,
    ManagedKeyUnsupported,
    PolicyLockout,
)
from strongroom.kms.model import (
    KeyMetadata,
    KeyState,
    alias_arn,
    default_key_policy,
    key_arn,
    managed_key_policy,
    parse_key_ref,
)
from strongroom.policy.authorizer import AuthorizationRequest, Authorizer, require
from strongroom.policy.document import parse_policy
from strongroom.storage.base import Store
from strongroom.storage.queries_kms import KmsKeyRecord
from strongroom.storage.sql import Tx


def conditions(ctx: RequestContext, context: Mapping[str, str] | None = None,
               ) -> dict[str, object]:
    """KMS condition keys of one request (kms:CallerAccount, kms:EncryptionContext:*)."""
    keys: dict[str, object] = {"kms:CallerAccount": ctx.principal.account_id}
    if context is not None:
        for name, value in context.items():
            keys[f"kms:EncryptionContext:{name}"] = value
        keys["kms:EncryptionContextKeys"] = sorted(context)
    return keys


def metadata(record: KmsKeyRecord) -> KeyMetadata:
    return KeyMetadata(
        account_id=record.account_id, key_id=record.key_id, arn=record.arn,
        created=record.created, state=KeyState(record.state), description=record.description,
        key_usage=record.key_usage, key_spec=record.key_spec, origin=record.origin,
        managed=record.managed, deletion_date=record.deletion_date,
    )


def policy_of(record: KmsKeyRecord) -> str:
    """The key policy; rows written before key policies existed get the default one."""
    if record.policy:
        return record.policy
    if record.managed:
        return managed_key_policy(record.account_id, record.region)
    return default_key_policy(record.account_id)


def resolved(record: KmsKeyRecord) -> ResolvedKey:
    return ResolvedKey(record.key_id, record.arn, record.managed, record.current_version)


class KmsBase:
    """The shared state and first steps of every KMS operation."""

    def __init__(self, store: Store, keys: KeyService, authorizer: Authorizer,
                 clock: Clock) -> None:
        self._store = store
        self._keys = keys
        self._authz = authorizer
        self._clock = clock

    # --- finding keys -------------------------------------------------------------------

    @contextmanager
    def _key(self, ctx: RequestContext, key_ref: str, *, write: bool = False,
             ) -> Iterator[tuple[Tx, KmsKeyRecord]]:
        """One transaction and the key `key_ref` names (locked when writing)."""
        self._ensure_managed(ctx, key_ref)
        with self._store.write() if write else self._store.read() as tx:
            yield tx, self._resolve(tx, ctx, key_ref, lock=write)

    def _ensure_managed(self, ctx: RequestContext, key_ref: str) -> None:
        """Naming `aws/secretsmanager` brings the AWS managed key into existence, as on AWS."""
        account = ctx.principal.account_id
        if key_ref in (MANAGED_ALIAS, alias_arn(ctx.region, account, MANAGED_ALIAS)):
            self._keys.managed_key(account, ctx.region)

    def _resolve(self, tx: Tx, ctx: RequestContext, key_ref: str, *,
                 lock: bool = False) -> KmsKeyRecord:
        ref = parse_key_ref(key_ref, ctx.region)
        account = ref.account or ctx.principal.account_id
        key_id = ref.value
        if ref.kind == "alias":
            found = tx.get_alias(account, ctx.region, ref.value)
            if found is None:
                raise AliasNotFound(alias_arn(ctx.region, account, ref.value))
            key_id = found
        record = tx.get_kms_key(key_id, lock=lock)
        if record is None or record.account_id != account or record.region != ctx.region:
            raise KeyNotFound(key_arn(ctx.region, account, key_id))
        return record

    # --- deciding -----------------------------------------------------------------------

    def _authorize(self, ctx: RequestContext, action: str, record: KmsKeyRecord,
                   context: Mapping[str, str] | None = None) -> None:
        require(self._authz, ctx, f"kms:{action}", record.arn, conditions(ctx, context),
                resource_policy=policy_of(record), resource_account=record.account_id,
                resource_policy_kind="key")

    def _authorize_identity(self, ctx: RequestContext, action: str, resource: str = "*",
                            ) -> None:
        """Actions on no key (CreateKey, ListKeys, ...) or on an alias: IAM policies only."""
        require(self._authz, ctx, f"kms:{action}", resource, conditions(ctx))

    def _check_policy(self, ctx: RequestContext, arn: str, policy: str,
                      bypass_lockout: bool) -> None:
        """Refuse a malformed key policy, or one that would stop the caller from ever
        changing it again (AWS's lockout safety check) unless told to bypass it."""
        parse_policy(policy, kind="resource")
        if bypass_lockout:
            return
        decision = self._authz.decide(AuthorizationRequest(
            ctx, "kms:PutKeyPolicy", arn, conditions(ctx), policy, arn.split(":")[4], "key"))
        if not decision.allowed:
            raise PolicyLockout()

    # --- states -------------------------------------------------------------------------

    @staticmethod
    def _usable(record: KmsKeyRecord) -> None:
        """Cryptographic operations need an Enabled key ([KSTATE] table)."""
        if record.state == KeyState.DISABLED.value:
            raise KeyDisabled(record.arn)
        if record.state == KeyState.PENDING_DELETION.value:
            raise KeyInvalidState(record.arn, "pending_deletion")

    @staticmethod
    def _not_pending(record: KmsKeyRecord) -> None:
        if record.state == KeyState.PENDING_DELETION.value:
            raise KeyInvalidState(record.arn, "pending_deletion")

    @staticmethod
    def _customer_managed(record: KmsKeyRecord, operation: str) -> None:
        if record.managed:
            raise ManagedKeyUnsupported(record.arn, operation)
