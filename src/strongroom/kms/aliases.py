"""Aliases: friendly names (`alias/...`) that point at one key each.

Names under `alias/aws/` belong to AWS managed keys and cannot be created, moved or
deleted. Changing an alias needs permission on the alias (IAM policies) and on
each key involved (key policies), as AWS documents. No cryptography here.
"""

from __future__ import annotations

from strongroom.core.types import RequestContext
from strongroom.keys.service import MANAGED_ALIAS
from strongroom.kms.access import KmsBase
from strongroom.kms.errors import AliasExists, AliasNotFound, AliasPrefixMissing, AliasReserved
from strongroom.kms.lifecycle import DEFAULT_PAGE
from strongroom.kms.model import (
    ALIAS_PREFIX,
    RESERVED_ALIAS_PREFIX,
    AliasEntry,
    AliasPage,
    alias_arn,
)
from strongroom.storage.base import UniqueViolation
from strongroom.storage.queries_kms import AliasRecord


def _check_name(name: str) -> None:
    if not name.startswith(ALIAS_PREFIX):
        raise AliasPrefixMissing(name)
    if name.startswith(RESERVED_ALIAS_PREFIX):
        raise AliasReserved(name)


class KeyAliases(KmsBase):
    def create_alias(self, ctx: RequestContext, name: str, target_key: str) -> None:
        _check_name(name)
        account, region = ctx.principal.account_id, ctx.region
        arn = alias_arn(region, account, name)
        self._authorize_identity(ctx, "CreateAlias", arn)
        try:
            with self._key(ctx, target_key, write=True) as (tx, record):
                self._authorize(ctx, "CreateAlias", record)
                self._customer_managed(record, "CreateAlias")
                self._not_pending(record)
                if tx.get_alias(account, region, name) is not None:
                    raise AliasExists(arn)
                now = self._clock.now()
                tx.insert_alias_record(AliasRecord(account, region, name, record.key_id,
                                                   now, now))
        except UniqueViolation as exc:
            raise AliasExists(arn) from exc

    def update_alias(self, ctx: RequestContext, name: str, target_key: str) -> None:
        _check_name(name)
        account, region = ctx.principal.account_id, ctx.region
        arn = alias_arn(region, account, name)
        self._authorize_identity(ctx, "UpdateAlias", arn)
        with self._key(ctx, target_key, write=True) as (tx, target):
            current = tx.get_alias(account, region, name)
            if current is None:
                raise AliasNotFound(arn)
            old = self._resolve(tx, ctx, current)
            self._authorize(ctx, "UpdateAlias", old)
            self._authorize(ctx, "UpdateAlias", target)
            self._customer_managed(target, "UpdateAlias")
            self._not_pending(target)
            tx.retarget_alias(account, region, name, target.key_id, self._clock.now())

    def delete_alias(self, ctx: RequestContext, name: str) -> None:
        _check_name(name)
        account, region = ctx.principal.account_id, ctx.region
        arn = alias_arn(region, account, name)
        self._authorize_identity(ctx, "DeleteAlias", arn)
        with self._store.write() as tx:
            current = tx.get_alias(account, region, name)
            if current is None:
                raise AliasNotFound(arn)
            self._authorize(ctx, "DeleteAlias", self._resolve(tx, ctx, current))
            tx.delete_alias(account, region, name)

    def list_aliases(self, ctx: RequestContext, *, key_ref: str | None = None,
                     limit: int | None = None, marker: str | None = None) -> AliasPage:
        """The account's aliases in name order; `alias/aws/secretsmanager` is listed even
        before its key exists, without a target (as AWS lists predefined aliases)."""
        self._authorize_identity(ctx, "ListAliases")
        account, region = ctx.principal.account_id, ctx.region
        with self._store.read() as tx:
            key_id = self._resolve(tx, ctx, key_ref).key_id if key_ref else None
            records = tx.list_alias_records(account, region, key_id)
        entries = [AliasEntry(r.alias_name, alias_arn(region, account, r.alias_name),
                              r.key_id, r.created, r.last_updated) for r in records]
        if key_id is None and all(e.name != MANAGED_ALIAS for e in entries):
            entries.append(AliasEntry(MANAGED_ALIAS, alias_arn(region, account, MANAGED_ALIAS),
                                      None, None, None))
        entries.sort(key=lambda e: e.name)
        if marker is not None:
            entries = [e for e in entries if e.name > marker]
        size = limit or DEFAULT_PAGE
        page = tuple(entries[:size])
        return AliasPage(page, page[-1].name if len(entries) > size else None)
