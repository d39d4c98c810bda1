"""ListSecrets and BatchGetSecretValue: reading many secrets with filters and pages.

Kept apart from the single-secret operations; both read through the same
resolve-then-authorize path, so a batch read needs exactly the permissions
reading each secret one by one would.
"""

from __future__ import annotations

from collections.abc import Sequence

from strongroom.core.errors import AccessDenied
from strongroom.core.types import RequestContext
from strongroom.keys.service import DecryptFailed, KeyUnusable
from strongroom.policy.authorizer import require
from strongroom.secrets import paging
from strongroom.secrets.errors import InvalidParameter, SecretsError
from strongroom.secrets.filters import Filter, Searchable, matches
from strongroom.secrets.model import BatchError, BatchResult, Page, SecretDescription
from strongroom.secrets.service import SecretsService, describe_record
from strongroom.storage.records import SecretRecord

SORT_KEYS = {
    "created-date": lambda d: (d.created, d.name),
    "last-accessed-date": lambda d: (d.last_accessed or 0.0, d.name),
    "last-changed-date": lambda d: (d.last_changed, d.name),
    "name": lambda d: (d.name,),
}


class SecretsReader:
    """The multi-secret reads of the Secrets Manager service."""

    def __init__(self, secrets: SecretsService) -> None:
        self._secrets = secrets

    def _matching(
        self, ctx: RequestContext, filters: Sequence[Filter], include_deleted: bool
    ) -> list[SecretDescription]:
        store = self._secrets.store
        with store.read() as tx:
            records: list[SecretRecord] = tx.list_secrets(ctx.principal.account_id, ctx.region)
            if not include_deleted:
                records = [r for r in records if r.deleted_date is None]
            pks = [r.pk for r in records]
            tags = tx.tags_for(pks)
            stages = tx.stages_for(pks)
        found = []
        for record in records:
            searchable = Searchable(
                name=record.name, description=record.description or "",
                tags=tuple(tags[record.pk]), primary_region=record.primary_region or "",
                owning_service=record.owning_service or "",
            )
            if matches(filters, searchable):
                found.append(describe_record(record, tags[record.pk], stages[record.pk]))
        return found

    def list_secrets(
        self,
        ctx: RequestContext,
        *,
        filters: Sequence[Filter] = (),
        include_deleted: bool = False,
        sort_by: str | None = None,
        sort_order: str | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> Page[SecretDescription]:
        require(self._secrets.authorizer, ctx, "secretsmanager:ListSecrets", "*")
        sort_by = sort_by or "created-date"
        fingerprint = paging.query_fingerprint(
            "list", [(f.key, f.values) for f in filters], include_deleted, sort_by, sort_order)
        paging.decode(next_token, fingerprint)  # refuse a bad token before doing work
        found = self._matching(ctx, filters, include_deleted)
        found.sort(key=SORT_KEYS[sort_by], reverse=sort_order == "desc")
        items, token = paging.page(found, next_token, max_results or 100, fingerprint)
        return Page(items, token)

    def batch_get_secret_value(
        self,
        ctx: RequestContext,
        *,
        secret_ids: Sequence[str] | None = None,
        filters: Sequence[Filter] | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> BatchResult:
        if (secret_ids is None) == (filters is None):
            raise InvalidParameter("batch_ids_xor_filters")
        if max_results is not None and filters is None:
            raise InvalidParameter("batch_max_results_needs_filters")
        require(self._secrets.authorizer, ctx, "secretsmanager:BatchGetSecretValue",
                "*")
        token = None
        if filters is not None:
            require(self._secrets.authorizer, ctx, "secretsmanager:ListSecrets", "*")
            fingerprint = paging.query_fingerprint("batch", [(f.key, f.values) for f in filters])
            paging.decode(next_token, fingerprint)
            found = self._matching(ctx, filters, include_deleted=False)
            chunk, token = paging.page(found, next_token, max_results or 20, fingerprint)
            secret_ids = [d.arn for d in chunk]
        values, errors = [], []
        for secret_id in dict.fromkeys(secret_ids or ()):
            try:
                values.append(self._secrets.get_secret_value(ctx, secret_id))
            except (SecretsError, AccessDenied, DecryptFailed, KeyUnusable) as exc:
                errors.append(BatchError(secret_id, exc))
        return BatchResult(values, errors, token)
