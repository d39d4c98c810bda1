"""Resource policies on secrets: stored, validated, and checked for public access.

Only the policy named "default" exists, as in the classic API. Evaluation of
these policies belongs to the policy engine; here they are only kept and checked.
"""

from __future__ import annotations

import json

from strongroom.core.types import RequestContext
from strongroom.policy.document import grants_public_access, parse_policy
from strongroom.policy.errors import MalformedPolicy
from strongroom.secrets.errors import InvalidParameter, PolicyNameNotFound, PublicPolicy
from strongroom.secrets.model import PolicyFinding, WriteResult
from strongroom.secrets.service import SecretsService
from strongroom.storage.records import SecretRecord

DEFAULT_POLICY = "default"


def _check_name(policy_name: str | None) -> str:
    if policy_name not in (None, DEFAULT_POLICY):
        raise InvalidParameter("policy_name_not_default", policy_name=policy_name or "")
    return DEFAULT_POLICY


class ResourcePolicies:
    def __init__(self, secrets: SecretsService) -> None:
        self._secrets = secrets

    def put(
        self, ctx: RequestContext, secret_id: str, policy: str, *,
        block_public: bool | None = None, policy_name: str | None = None,
    ) -> WriteResult:
        _check_name(policy_name)
        conditions = {"secretsmanager:BlockPublicPolicy": bool(block_public)}
        with self._secrets.store.write() as tx:
            secret = self._secrets.resolve(tx, ctx, secret_id, "PutResourcePolicy", conditions,
                                           lock=True)
            self._secrets.writable(secret)
            document = parse_policy(policy, kind="resource")
            if block_public and grants_public_access(document, secret.account_id):
                raise PublicPolicy()
            tx.update_secret(secret.pk, resource_policy=policy,
                             last_changed=self._secrets.clock.now())
            self._secrets.replicate(tx, secret.pk)
        return WriteResult(secret.arn, secret.name)

    def get(
        self, ctx: RequestContext, secret_id: str, *, policy_name: str | None = None
    ) -> tuple[SecretRecord, str | None]:
        with self._secrets.store.read() as tx:
            secret = self._secrets.resolve(tx, ctx, secret_id, "GetResourcePolicy")
        if policy_name not in (None, DEFAULT_POLICY):
            raise PolicyNameNotFound(policy_name or "")
        return secret, secret.resource_policy

    def delete(
        self, ctx: RequestContext, secret_id: str, *, policy_name: str | None = None
    ) -> WriteResult:
        _check_name(policy_name)
        with self._secrets.store.write() as tx:
            secret = self._secrets.resolve(tx, ctx, secret_id, "DeleteResourcePolicy", lock=True)
            self._secrets.writable(secret)
            tx.update_secret(secret.pk, resource_policy=None,
                             last_changed=self._secrets.clock.now())
            self._secrets.replicate(tx, secret.pk)
        return WriteResult(secret.arn, secret.name)

    def list_names(self, ctx: RequestContext, secret_id: str) -> list[str]:
        with self._secrets.store.read() as tx:
            secret = self._secrets.resolve(tx, ctx, secret_id, "ListResourcePolicies")
        return [DEFAULT_POLICY] if secret.resource_policy else []

    def validate(
        self, ctx: RequestContext, policy: str, *, secret_id: str | None = None
    ) -> list[PolicyFinding]:
        """Findings are empty when the policy passes. Unparseable JSON raises instead."""
        account_id = ctx.principal.account_id
        if secret_id is not None:
            with self._secrets.store.read() as tx:
                secret = self._secrets.resolve(tx, ctx, secret_id, "ValidateResourcePolicy")
            account_id = secret.account_id
        else:
            self._secrets.authorize_any(ctx, "ValidateResourcePolicy")
        try:
            document = parse_policy(policy, kind="resource")
        except MalformedPolicy as exc:
            if _is_json(policy):
                return [PolicyFinding("SYNTAX_CHECK", exc.detail)]
            raise
        if grants_public_access(document, account_id):
            return [PolicyFinding(
                "BROAD_ACCESS_CHECK",
                "The resource policy grants wide access to the secret.",  # UNCONFIRMED text
            )]
        return []


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
