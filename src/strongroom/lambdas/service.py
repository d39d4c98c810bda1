"""The function service (the Lambda API subset strongroom serves): one method per
operation, in domain words, plus the `FunctionInvoker` Secrets Manager's rotation uses.

Every operation resolves the function, asks the authorizer for `lambda:<Operation>` on
the function's ARN with the function's resource policy, then works in one store
transaction. Callers who may not act get AccessDenied whether or not the function
exists. Environment values are sealed at rest and never logged.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from strongroom.core.clock import Clock
from strongroom.core.errors import StrongroomError, ValidationFailed
from strongroom.core.types import RequestContext
from strongroom.keys.rootkey import RootKey
from strongroom.lambdas import permissions
from strongroom.lambdas.environment import check_variables, open_variables, seal_variables
from strongroom.lambdas.errors import FunctionNotFound, LambdaError
from strongroom.lambdas.invoker import Executor, Roles, assumable_role
from strongroom.lambdas.model import (
    DEFAULT_MEMORY,
    DEFAULT_TIMEOUT,
    LAMBDA_PRINCIPAL,
    LATEST,
    MAX_TIMEOUT,
    FunctionConfig,
    FunctionRef,
    FunctionSettings,
    InvocationLog,
    InvokeOutcome,
    function_arn,
)
from strongroom.lambdas.package import check_package
from strongroom.lambdas.runner import RunResult
from strongroom.policy.authorizer import Authorizer, require
from strongroom.secrets.functions import InvocationResult
from strongroom.storage.base import Store, UniqueViolation
from strongroom.storage.queries_lambda import FunctionRecord
from strongroom.storage.sql import Tx

log = logging.getLogger("strongroom.lambdas")

LOG_TAIL_BYTES = 4096
DEFAULT_PAGE = 50
SERVICE_ERROR_CHARS = 256


def _log_tail(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")[-LOG_TAIL_BYTES:]).decode("ascii")


class LambdaService:
    def __init__(self, store: Store, root: RootKey, roles: Roles, authorizer: Authorizer,
                 clock: Clock, executor: Executor, *, endpoint: str,
                 background_workers: int = 2) -> None:
        self._store = store
        self._root = root
        self._roles = roles
        self._authz = authorizer
        self._clock = clock
        self._executor = executor
        self._endpoint = endpoint
        self._background = ThreadPoolExecutor(max_workers=background_workers,
                                              thread_name_prefix="strongroom-lambda")

    # --- resolving and authorizing -------------------------------------------------

    def _ref(self, ctx: RequestContext, function_name: str, qualifier: str | None
             ) -> tuple[str, str | None]:
        """(unqualified ARN, qualifier) of a FunctionName as given."""
        ref = FunctionRef.parse(function_name)
        if ref is None:
            raise FunctionNotFound(function_arn(ctx.region, ctx.principal.account_id,
                                                function_name))
        arn = function_arn(ref.region or ctx.region, ref.account_id or ctx.principal.account_id,
                           ref.name)
        if ref.qualifier is not None and qualifier is not None and ref.qualifier != qualifier:
            raise LambdaError("qualifier_mismatch")
        return arn, ref.qualifier or qualifier

    def _resolve(self, tx: Tx, ctx: RequestContext, operation: str, function_name: str,
                 qualifier: str | None = None, *, lock: bool = False,
                 action: str | None = None) -> FunctionRecord:
        arn, qualifier = self._ref(ctx, function_name, qualifier)
        record = tx.get_function(arn, lock=lock)
        require(self._authz, ctx, action or f"lambda:{operation}", arn, {},
                resource_policy=record.policy if record else None,
                resource_account=arn.split(":")[4])
        if record is None:
            raise FunctionNotFound(arn)
        if qualifier not in (None, LATEST):
            raise FunctionNotFound(f"{arn}:{qualifier}")
        return record

    def _config(self, record: FunctionRecord) -> FunctionConfig:
        return FunctionConfig(
            name=record.name, arn=record.arn, account_id=record.account_id,
            region=record.region, runtime=record.runtime, handler=record.handler,
            role_arn=record.role_arn, timeout=record.timeout, memory_size=record.memory_size,
            description=record.description,
            environment=open_variables(self._root, record.arn, record.environment_sealed),
            code_sha256=record.code_sha256, code_size=record.code_size,
            revision_id=record.revision_id, last_modified=record.last_modified,
            tags=json.loads(record.tags), has_policy=record.policy is not None,
        )

    @staticmethod
    def _revision(record: FunctionRecord, revision_id: str | None) -> None:
        if revision_id is not None and revision_id != record.revision_id:
            raise LambdaError("revision_mismatch")

    def _check_role(self, ctx: RequestContext, role_arn: str, arn: str, account: str) -> None:
        require(self._authz, ctx, "iam:PassRole", role_arn,
                {"iam:PassedToService": LAMBDA_PRINCIPAL})
        assumable_role(self._roles, role_arn, function_arn=arn, account_id=account)

    @staticmethod
    def _check_settings(s: FunctionSettings) -> None:
        if s.runtime is not None and not s.runtime.startswith("python3."):
            raise LambdaError("unsupported_runtime", runtime=s.runtime)
        if s.timeout is not None and s.timeout > MAX_TIMEOUT:
            raise ValidationFailed("timeout", f"Member must have value less than or equal to "
                                   f"{MAX_TIMEOUT}", str(s.timeout))
        if s.environment is not None:
            check_variables(s.environment)

    # --- operations ------------------------------------------------------------------

    def create_function(self, ctx: RequestContext, name: str, settings: FunctionSettings, *,
                        zip_file: bytes | None, other_code: bool = False,
                        tags: Mapping[str, str] | None = None) -> FunctionConfig:
        account, region = ctx.principal.account_id, ctx.region
        ref = FunctionRef.parse(name)
        if ref is None or ref.qualifier is not None:
            raise LambdaError("bad_function_name", name=name)
        if ref.account_id not in (None, account) or ref.region not in (None, region):
            raise LambdaError("bad_function_name", name=name)
        arn = function_arn(region, account, ref.name)
        require(self._authz, ctx, "lambda:CreateFunction", arn, {})
        if other_code or zip_file is None:
            raise LambdaError("zip_only")
        if settings.runtime is None or settings.handler is None:
            raise LambdaError("runtime_and_handler_required")
        self._check_settings(settings)
        package = check_package(zip_file)
        role_arn = settings.role_arn or ""
        self._check_role(ctx, role_arn, arn, account)
        now = self._clock.now()
        record = FunctionRecord(
            arn=arn, account_id=account, region=region, name=ref.name,
            runtime=settings.runtime, handler=settings.handler, role_arn=role_arn,
            timeout=settings.timeout or DEFAULT_TIMEOUT,
            memory_size=settings.memory_size or DEFAULT_MEMORY,
            description=settings.description or "",
            environment_sealed=seal_variables(self._root, arn, settings.environment),
            code_zip=package.zip_bytes, code_sha256=package.sha256_b64,
            code_size=package.size, revision_id=str(uuid.uuid4()), last_modified=now,
            policy=None, tags=json.dumps(dict(tags or {})),
        )
        try:
            with self._store.write() as tx:
                if tx.get_function(arn) is not None:
                    raise LambdaError("function_exists", name=ref.name)
                tx.insert_function(record)
        except UniqueViolation as exc:
            raise LambdaError("function_exists", name=ref.name) from exc
        return self._config(record)

    def get_function(self, ctx: RequestContext, function_name: str,
                     qualifier: str | None = None) -> FunctionConfig:
        with self._store.read() as tx:
            record = self._resolve(tx, ctx, "GetFunction", function_name, qualifier)
        return self._config(record)

    def get_configuration(self, ctx: RequestContext, function_name: str,
                          qualifier: str | None = None) -> FunctionConfig:
        with self._store.read() as tx:
            record = self._resolve(tx, ctx, "GetFunctionConfiguration", function_name,
                                   qualifier)
        return self._config(record)

    def list_functions(self, ctx: RequestContext, *, marker: str | None = None,
                       max_items: int | None = None) -> tuple[list[FunctionConfig], str | None]:
        """One page of the caller's functions in this region, by name; the marker names
        where the next page starts."""
        require(self._authz, ctx, "lambda:ListFunctions", "*", {})
        after = ""
        if marker:
            try:
                after = base64.urlsafe_b64decode(marker.encode("ascii")).decode("utf-8")
            except (ValueError, binascii.Error, UnicodeError) as exc:
                raise LambdaError("bad_marker") from exc
        limit = max_items or DEFAULT_PAGE
        with self._store.read() as tx:
            records = tx.list_functions(ctx.principal.account_id, ctx.region, after=after,
                                        limit=limit + 1)
        page, more = records[:limit], len(records) > limit
        next_marker = (base64.urlsafe_b64encode(page[-1].name.encode()).decode("ascii")
                       if more else None)
        return [self._config(r) for r in page], next_marker

    def update_code(self, ctx: RequestContext, function_name: str, *, zip_file: bytes | None,
                    other_code: bool = False, revision_id: str | None = None
                    ) -> FunctionConfig:
        if other_code or zip_file is None:
            raise LambdaError("zip_only")
        package = check_package(zip_file)
        with self._store.write() as tx:
            record = self._resolve(tx, ctx, "UpdateFunctionCode", function_name, lock=True)
            self._revision(record, revision_id)
            changes = {"code_zip": package.zip_bytes, "code_sha256": package.sha256_b64,
                       "code_size": package.size, "revision_id": str(uuid.uuid4()),
                       "last_modified": self._clock.now()}
            tx.update_function(record.arn, **changes)
        return self._config(replace(record, **changes))  # type: ignore[arg-type]

    def update_configuration(self, ctx: RequestContext, function_name: str,
                             settings: FunctionSettings, *, revision_id: str | None = None
                             ) -> FunctionConfig:
        self._check_settings(settings)
        with self._store.write() as tx:
            record = self._resolve(tx, ctx, "UpdateFunctionConfiguration", function_name,
                                   lock=True)
            self._revision(record, revision_id)
            if settings.role_arn is not None and settings.role_arn != record.role_arn:
                self._check_role(ctx, settings.role_arn, record.arn, record.account_id)
            changes: dict[str, object] = {
                key: value for key, value in (
                    ("runtime", settings.runtime), ("handler", settings.handler),
                    ("role_arn", settings.role_arn), ("timeout", settings.timeout),
                    ("memory_size", settings.memory_size),
                    ("description", settings.description),
                ) if value is not None
            }
            if settings.environment is not None:
                changes["environment_sealed"] = seal_variables(self._root, record.arn,
                                                               settings.environment)
            changes["revision_id"] = str(uuid.uuid4())
            changes["last_modified"] = self._clock.now()
            tx.update_function(record.arn, **changes)
        return self._config(replace(record, **changes))  # type: ignore[arg-type]

    def delete_function(self, ctx: RequestContext, function_name: str,
                        qualifier: str | None = None) -> None:
        with self._store.write() as tx:
            record = self._resolve(tx, ctx, "DeleteFunction", function_name, qualifier,
                                   lock=True)
            tx.delete_function(record.arn)

    # --- permissions -----------------------------------------------------------------

    def add_permission(self, ctx: RequestContext, function_name: str, *, statement_id: str,
                       action: str, principal: str, source_arn: str | None = None,
                       source_account: str | None = None, principal_org_id: str | None = None,
                       revision_id: str | None = None, qualifier: str | None = None) -> str:
        """Add one statement to the function's policy; returns it as JSON text."""
        with self._store.write() as tx:
            record = self._resolve(tx, ctx, "AddPermission", function_name, qualifier,
                                   lock=True)
            self._revision(record, revision_id)
            statement = permissions.statement(
                sid=statement_id, function_arn=record.arn, action=action, principal=principal,
                source_arn=source_arn, source_account=source_account,
                principal_org_id=principal_org_id)
            policy = permissions.add_statement(record.policy, statement)
            tx.update_function(record.arn, policy=policy, revision_id=str(uuid.uuid4()))
        return json.dumps(statement, separators=(",", ":"))

    def remove_permission(self, ctx: RequestContext, function_name: str, statement_id: str, *,
                          revision_id: str | None = None, qualifier: str | None = None) -> None:
        with self._store.write() as tx:
            record = self._resolve(tx, ctx, "RemovePermission", function_name, qualifier,
                                   lock=True)
            self._revision(record, revision_id)
            policy = permissions.remove_statement(record.policy, statement_id)
            tx.update_function(record.arn, policy=policy, revision_id=str(uuid.uuid4()))

    def get_policy(self, ctx: RequestContext, function_name: str,
                   qualifier: str | None = None) -> tuple[str, str]:
        """(policy JSON, revision id); PolicyNotFound when the function has none."""
        with self._store.read() as tx:
            record = self._resolve(tx, ctx, "GetPolicy", function_name, qualifier)
        if record.policy is None:
            raise LambdaError("policy_not_found")
        return record.policy, record.revision_id

    # --- invoking --------------------------------------------------------------------

    def invoke(self, ctx: RequestContext, function_name: str, payload: bytes, *,
               invocation_type: str | None = None, log_type: str | None = None,
               qualifier: str | None = None) -> InvokeOutcome:
        with self._store.read() as tx:
            record = self._resolve(tx, ctx, "Invoke", function_name, qualifier,
                                   action="lambda:InvokeFunction")
        if payload.strip():
            try:
                json.loads(payload)
            except ValueError as exc:  # the position only: the payload may be secret
                detail = exc.msg if isinstance(exc, json.JSONDecodeError) else "not JSON"
                raise LambdaError("payload_not_json", detail=detail) from exc
        else:
            payload = b"{}"
        kind = invocation_type or "RequestResponse"
        if kind == "DryRun":
            return InvokeOutcome(status=204)
        request_id = ctx.request_id
        if kind == "Event":
            assumable_role(self._roles, record.role_arn, function_arn=record.arn,
                           account_id=record.account_id)
            self._background.submit(self._run_in_background, record, request_id, payload)
            return InvokeOutcome(status=202)
        result = self._executor.run(record, request_id, payload)
        return InvokeOutcome(
            status=200, payload=result.payload,
            function_error=None if result.ok else "Unhandled",
            log_tail=_log_tail(result.log) if log_type == "Tail" else None,
            executed_version=LATEST,
        )

    def _run_in_background(self, record: FunctionRecord, request_id: str, event: bytes
                           ) -> None:
        try:
            self._executor.run(record, request_id, event)
        except Exception:
            log.exception("asynchronous invocation %s of %s failed", request_id, record.arn)

    def invocation_logs(self, function_arn: str, limit: int = 20) -> list[InvocationLog]:
        """The newest recorded invocations of a function (for operators; no authorization)."""
        with self._store.read() as tx:
            rows = tx.recent_invocations(function_arn, limit)
        return [InvocationLog(r.request_id, r.started, r.duration_ms, r.ok, r.error_type,
                              r.log_text) for r in rows]

    def code_location(self, config: FunctionConfig) -> str:
        """Where GetFunction says the code is. UNCONFIRMED shape (AWS gives a presigned S3
        URL); strongroom does not serve this URL."""
        return (f"{self._endpoint}/_strongroom/functions/{config.account_id}/{config.region}/"
                f"{config.name}/code.zip")

    # --- FunctionInvoker (for Secrets Manager rotation) ------------------------------

    def _record_by_arn(self, function_arn_text: str) -> FunctionRecord | None:
        ref = FunctionRef.parse(function_arn_text)
        if ref is None or ref.region is None or ref.account_id is None:
            return None
        if ref.qualifier not in (None, LATEST):
            return None
        with self._store.read() as tx:
            return tx.get_function(function_arn(ref.region, ref.account_id, ref.name))

    def may_invoke(self, function_arn: str, *, service_principal: str, source_arn: str,
                   source_account: str) -> bool:
        record = self._record_by_arn(function_arn)
        return record is not None and permissions.service_may_invoke(
            record.policy, record.arn, service_principal=service_principal,
            source_arn=source_arn, source_account=source_account)

    def invoke_for_service(self, function_arn: str, event: Mapping[str, object], *,
                           service_principal: str, source_arn: str,
                           source_account: str) -> InvocationResult:
        record = self._record_by_arn(function_arn)
        if record is None:
            return InvocationResult(ok=False, error=f"function {function_arn} does not exist")
        if not permissions.service_may_invoke(
                record.policy, record.arn, service_principal=service_principal,
                source_arn=source_arn, source_account=source_account):
            return InvocationResult(ok=False, error=f"the resource policy of {record.arn} "
                                    f"does not let {service_principal} invoke it")
        try:
            result = self._executor.run(record, str(uuid.uuid4()),
                                        json.dumps(dict(event)).encode())
        except StrongroomError as exc:
            return InvocationResult(ok=False, error=f"function {record.arn} could not be "
                                    f"started ({type(exc).__name__})")
        return _service_result(result)


def _service_result(result: RunResult) -> InvocationResult:
    tail = result.log.encode("utf-8")[-LOG_TAIL_BYTES:].decode("utf-8", errors="replace")
    if result.ok:
        return InvocationResult(ok=True, payload=result.payload, log_tail=tail)
    try:
        document = json.loads(result.payload)
        message = str(document.get("errorMessage", ""))[:SERVICE_ERROR_CHARS]
    except (ValueError, AttributeError):
        message = ""
    error = f"{result.error_type}: {message}" if message else str(result.error_type)
    return InvocationResult(ok=False, payload=result.payload, error=error, log_tail=tail)
