"""The life of a KMS key: creating, describing and listing keys, enabling and
disabling them, scheduling and cancelling deletion, and rotating their material.

State changes follow the AWS key-state table (kms-subset.md §2). AWS managed keys
cannot be disabled, deleted or rotated by hand. This module does no cryptography
beyond asking the key service for a new key or material version.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from strongroom.core.types import RequestContext, Tag
from strongroom.kms.access import KmsBase, metadata
from strongroom.kms.errors import (
    KeyDisabled,
    KeyInvalidState,
    KmsInvalidParameter,
    UnsupportedKeySpec,
)
from strongroom.kms.model import (
    AWS_KMS,
    DAY,
    DEFAULT_PENDING_DAYS,
    DEFAULT_ROTATION_DAYS,
    ENCRYPT_DECRYPT,
    MAX_PENDING_DAYS,
    MIN_PENDING_DAYS,
    SYMMETRIC_DEFAULT,
    KeyMetadata,
    KeyPage,
    KeyState,
    RotationStatus,
    default_key_policy,
    key_arn,
)
from strongroom.kms.settings import check_new_tags

DEFAULT_PAGE = 100  # UNCONFIRMED: AWS's default Limit for ListKeys / ListAliases


class KeyLifecycle(KmsBase):
    # --- creating and reading ---------------------------------------------------------

    def create_key(
        self, ctx: RequestContext, *, description: str | None = None,
        key_usage: str | None = None, key_spec: str | None = None, origin: str | None = None,
        policy: str | None = None, tags: Sequence[Tag] = (), bypass_lockout: bool = False,
    ) -> KeyMetadata:
        self._authorize_identity(ctx, "CreateKey")
        if tags:
            self._authorize_identity(ctx, "TagResource")
        for what, value, supported in (("KeySpec", key_spec, SYMMETRIC_DEFAULT),
                                       ("KeyUsage", key_usage, ENCRYPT_DECRYPT),
                                       ("Origin", origin, AWS_KMS)):
            if value not in (None, supported):
                raise UnsupportedKeySpec(what, value or "")
        check_new_tags([], tags)
        account, region = ctx.principal.account_id, ctx.region
        key_id = str(uuid.uuid4())
        if policy is not None:
            self._check_policy(ctx, key_arn(region, account, key_id), policy, bypass_lockout)
        with self._store.write() as tx:
            self._keys.create_key(tx, account, region, managed=False,
                                  description=description or "", key_id=key_id)
            tx.set_kms_key_meta(key_id, key_usage=ENCRYPT_DECRYPT, key_spec=SYMMETRIC_DEFAULT,
                                origin=AWS_KMS, policy=policy or default_key_policy(account))
            for tag in tags:
                tx.put_kms_key_tag(key_id, tag.key, tag.value)
            record = tx.get_kms_key(key_id)
        if record is None:  # pragma: no cover - written just above
            raise KeyInvalidState(key_id, "missing")
        return metadata(record)

    def describe_key(self, ctx: RequestContext, key_ref: str) -> KeyMetadata:
        with self._key(ctx, key_ref) as (_tx, record):
            self._authorize(ctx, "DescribeKey", record)
            return metadata(record)

    def list_keys(self, ctx: RequestContext, *, limit: int | None = None,
                  marker: str | None = None) -> KeyPage:
        self._authorize_identity(ctx, "ListKeys")
        size = limit or DEFAULT_PAGE
        with self._store.read() as tx:
            records = tx.list_kms_keys(ctx.principal.account_id, ctx.region, marker, size + 1)
        more = len(records) > size
        page = tuple(metadata(r) for r in records[:size])
        return KeyPage(page, page[-1].key_id if more else None)

    # --- enabling and disabling -----------------------------------------------------------

    def enable_key(self, ctx: RequestContext, key_ref: str) -> None:
        self._set_enabled(ctx, key_ref, KeyState.ENABLED, "EnableKey")

    def disable_key(self, ctx: RequestContext, key_ref: str) -> None:
        self._set_enabled(ctx, key_ref, KeyState.DISABLED, "DisableKey")

    def _set_enabled(self, ctx: RequestContext, key_ref: str, state: KeyState,
                     operation: str) -> None:
        with self._key(ctx, key_ref, write=True) as (tx, record):
            self._authorize(ctx, operation, record)
            self._customer_managed(record, operation)
            self._not_pending(record)
            tx.set_kms_key_state(record.key_id, state.value, None, None)

    # --- deletion -------------------------------------------------------------------------

    def schedule_key_deletion(self, ctx: RequestContext, key_ref: str,
                              window_days: int | None = None) -> KeyMetadata:
        days = DEFAULT_PENDING_DAYS if window_days is None else window_days
        if not MIN_PENDING_DAYS <= days <= MAX_PENDING_DAYS:
            raise KmsInvalidParameter("pending_window", days=str(days))
        with self._key(ctx, key_ref, write=True) as (tx, record):
            self._authorize(ctx, "ScheduleKeyDeletion", record)
            self._customer_managed(record, "ScheduleKeyDeletion")
            self._not_pending(record)
            when = self._clock.now() + days * DAY
            tx.set_kms_key_state(record.key_id, KeyState.PENDING_DELETION.value, when, days)
            updated = tx.get_kms_key(record.key_id)
        return metadata(updated or record)

    def cancel_key_deletion(self, ctx: RequestContext, key_ref: str) -> str:
        """Back from PendingDeletion to Disabled, as AWS does; returns the key ARN."""
        with self._key(ctx, key_ref, write=True) as (tx, record):
            self._authorize(ctx, "CancelKeyDeletion", record)
            if record.state != KeyState.PENDING_DELETION.value:
                raise KeyInvalidState(record.arn, "not_pending_deletion")
            tx.set_kms_key_state(record.key_id, KeyState.DISABLED.value, None, None)
            return record.arn

    # --- rotation -------------------------------------------------------------------------

    def enable_key_rotation(self, ctx: RequestContext, key_ref: str,
                            period_days: int | None = None) -> None:
        days = period_days or DEFAULT_ROTATION_DAYS
        with self._key(ctx, key_ref, write=True) as (tx, record):
            self._authorize(ctx, "EnableKeyRotation", record)
            self._customer_managed(record, "EnableKeyRotation")
            self._usable(record)
            tx.set_kms_key_rotation(record.key_id, True, days, self._clock.now() + days * DAY)

    def disable_key_rotation(self, ctx: RequestContext, key_ref: str) -> None:
        with self._key(ctx, key_ref, write=True) as (tx, record):
            self._authorize(ctx, "DisableKeyRotation", record)
            self._customer_managed(record, "DisableKeyRotation")
            self._usable(record)
            tx.set_kms_key_rotation(record.key_id, False, None, None)

    def get_key_rotation_status(self, ctx: RequestContext, key_ref: str) -> RotationStatus:
        with self._key(ctx, key_ref) as (_tx, record):
            self._authorize(ctx, "GetKeyRotationStatus", record)
            if record.managed:  # AWS rotates its managed keys every year
                return RotationStatus(record.arn, True, DEFAULT_ROTATION_DAYS, None)
            if not record.rotation_enabled:
                return RotationStatus(record.arn, False, None, None)
            return RotationStatus(record.arn, True, record.rotation_period_days,
                                  record.next_rotation)

    def rotate_key_on_demand(self, ctx: RequestContext, key_ref: str) -> str:
        """New material now; ciphertexts made before keep decrypting. Returns the ARN."""
        with self._key(ctx, key_ref, write=True) as (tx, record):
            self._authorize(ctx, "RotateKeyOnDemand", record)
            self._customer_managed(record, "RotateKeyOnDemand")
            if record.state == KeyState.DISABLED.value:
                raise KeyDisabled(record.arn)
            self._not_pending(record)
            self._keys.rotate(tx, record.key_id)
            return record.arn
