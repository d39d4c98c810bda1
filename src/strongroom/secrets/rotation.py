"""RotateSecret and CancelRotateSecret: configuring rotation and starting one.

RotateSecret only records the configuration and, unless RotateImmediately is false,
creates the AWSPENDING placeholder and the rotation row, all in one transaction; the
rotation engine (strongroom.rotation) then calls the function's four steps outside
any request, as AWS does. The call therefore answers at once and the function runs
with its own credentials, exactly as it would under AWS.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from strongroom.core.types import RequestContext
from strongroom.secrets.errors import FunctionNotInvokable, InvalidRequest
from strongroom.secrets.functions import SECRETS_MANAGER_PRINCIPAL, FunctionInvoker
from strongroom.secrets.model import WriteResult
from strongroom.secrets.rotation_state import (
    ROTATE,
    TEST,
    begin_rotation,
    rotation_in_progress,
)
from strongroom.secrets.schedule import RotationRules, next_window
from strongroom.secrets.service import SecretsService
from strongroom.storage.records import SecretRecord


def stored_rules(secret: SecretRecord) -> RotationRules | None:
    return RotationRules.from_json(secret.rotation_rules) if secret.rotation_rules else None


class RotationService:
    def __init__(self, secrets: SecretsService, invoker: FunctionInvoker,
                 on_started: Callable[[], None] = lambda: None) -> None:
        self._secrets = secrets
        self._invoker = invoker
        self._on_started = on_started

    def set_started_hook(self, on_started: Callable[[], None]) -> None:
        """The engine, built after this service, asks to be woken when a rotation starts."""
        self._on_started = on_started

    def rotate_secret(
        self,
        ctx: RequestContext,
        secret_id: str,
        *,
        token: str | None,
        function_arn: str | None,
        rules: RotationRules | None,
        rotate_immediately: bool | None,
    ) -> WriteResult:
        immediately = rotate_immediately is not False
        conditions: dict[str, object] = {
            "secretsmanager:RotateImmediately": immediately,
            "secretsmanager:ModifyRotationRules": rules is not None,
        }
        if function_arn:
            conditions["secretsmanager:RotationLambdaARN"] = function_arn
        clock, store = self._secrets.clock, self._secrets.store
        now = clock.now()
        with store.write() as tx:
            secret = self._secrets.resolve(tx, ctx, secret_id, "RotateSecret", conditions,
                                           lock=True)
            self._secrets.writable(secret)
            function = function_arn or secret.rotation_lambda_arn
            if not function:
                raise InvalidRequest("no_rotation_lambda")
            if token and tx.get_version(secret.pk, token) is not None:
                # a retried call: the rotation that token started is under way or done
                return WriteResult(secret.arn, secret.name, token)
            row = tx.get_rotation(secret.pk, lock=True)
            stages = tx.get_stages(secret.pk)
            if row is not None or rotation_in_progress(stages):
                # AWS's words; the engine retries a failed rotation by itself (at its next
                # window). Answering with an error means changing nothing: the audit trail
                # rolls back every write of a call that fails.
                raise InvalidRequest("rotation_in_progress")
            if not self._invoker.may_invoke(
                    function, service_principal=SECRETS_MANAGER_PRINCIPAL,
                    source_arn=secret.arn, source_account=secret.account_id):
                raise FunctionNotInvokable(function)
            chosen = rules or stored_rules(secret)
            window = None
            if chosen is not None:
                window = next_window(chosen, after=now,
                                     last_rotated=secret.last_rotated or now)
            tx.update_secret(
                secret.pk, rotation_enabled=True, rotation_lambda_arn=function,
                rotation_rules=chosen.to_json() if chosen is not None else None,
                next_rotation=window.start if window else None,
                rotation_window_end=window.end if window else None, last_changed=now)
            version_id = token or str(uuid.uuid4())
            self._secrets.make_room(tx, secret.pk, stages)
            begin_rotation(tx, secret, token=version_id, function_arn=function,
                           kind=ROTATE if immediately else TEST, now=now, window_end=None)
            self._secrets.replicate(tx, secret.pk)
        self._on_started()
        return WriteResult(secret.arn, secret.name, version_id if immediately else None)

    def cancel_rotate_secret(self, ctx: RequestContext, secret_id: str) -> WriteResult:
        """Turn rotation off and stop a rotation under way. Its pending version and labels
        stay for the caller to clean up, as AWS leaves them."""
        store = self._secrets.store
        with store.write() as tx:
            secret = self._secrets.resolve(tx, ctx, secret_id, "CancelRotateSecret", lock=True)
            self._secrets.writable(secret)
            if secret.rotation_enabled is None and not secret.rotation_lambda_arn:
                raise InvalidRequest("rotation_not_configured", secret_id=secret_id)
            row = tx.get_rotation(secret.pk, lock=True)
            tx.delete_rotation(secret.pk)
            tx.update_secret(secret.pk, rotation_enabled=False, next_rotation=None,
                             rotation_window_end=None, last_changed=self._secrets.clock.now())
        version_id = row.token if row is not None and row.kind == ROTATE else None
        return WriteResult(secret.arn, secret.name, version_id)
