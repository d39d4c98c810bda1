"""Executing a function: the execution role's credentials, the unpacked code, the child
process, and the record of the invocation.

Credentials are minted the way AssumeRole mints them, for Lambda (the service principal)
assuming the execution role, with the function's name as the session name and a
lifetime that outlasts the timeout. The role's trust policy is checked again at every
invocation: a role changed after deployment stops working, as in Lambda.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

from strongroom.auth.sessions import Sessions, SessionSpec, TemporaryCredentials
from strongroom.keys.rootkey import RootKey
from strongroom.lambdas import runner
from strongroom.lambdas.environment import open_variables, runtime_environment
from strongroom.lambdas.errors import LambdaError
from strongroom.lambdas.package import Package, check_package, unpacked
from strongroom.lambdas.permissions import lambda_may_assume
from strongroom.storage.base import Store
from strongroom.storage.queries_lambda import FunctionRecord, InvocationRecord
from strongroom.storage.records_iam import RoleRecord

log = logging.getLogger("strongroom.lambdas")

MIN_SESSION_SECONDS = 900  # STS's shortest session
SESSION_MARGIN = 60


class Roles(Protocol):
    def get_role_by_arn(self, arn: str) -> RoleRecord | None: ...


def assumable_role(roles: Roles, role_arn: str, *, function_arn: str, account_id: str
                   ) -> RoleRecord:
    """The execution role, if Lambda may assume it for this function; else the error
    Lambda gives (the same whether the role is missing, foreign or untrusting)."""
    role = roles.get_role_by_arn(role_arn)
    if role is None or role.account_id != account_id or not lambda_may_assume(
            role.trust_policy, role.arn, function_arn=function_arn, account_id=account_id):
        raise LambdaError("role_not_assumable")
    return role


class Executor:
    def __init__(self, store: Store, root: RootKey, roles: Roles, sessions: Sessions, *,
                 functions_dir: Path, endpoint: str, logs_kept: int,
                 sandbox: runner.Sandbox | None = None) -> None:
        self._store = store
        self._root = root
        self._roles = roles
        self._sessions = sessions
        self._functions_dir = functions_dir
        self._endpoint = endpoint
        self._logs_kept = logs_kept
        self._sandbox = sandbox

    def _credentials(self, record: FunctionRecord) -> TemporaryCredentials:
        role = assumable_role(self._roles, record.role_arn, function_arn=record.arn,
                              account_id=record.account_id)
        session_arn = (f"arn:aws:sts::{role.account_id}:assumed-role/{role.role_name}/"
                       f"{record.name}")
        return self._sessions.issue(SessionSpec(
            account_id=role.account_id, kind="AssumedRole", principal_name=role.role_name,
            principal_id=role.role_id, principal_arn=session_arn, role_arn=role.arn,
            session_name=record.name,
            duration=max(MIN_SESSION_SECONDS, record.timeout + SESSION_MARGIN),
            session_policies=None, tags={}, transitive_tag_keys=(), source_identity=None,
        ))

    def _code_dir(self, record: FunctionRecord) -> Path:
        package: Package = check_package(record.code_zip)
        return unpacked(self._functions_dir, package)

    def run(self, record: FunctionRecord, request_id: str, event: bytes) -> runner.RunResult:
        """Run once and record the invocation. Raises LambdaError only when the function
        cannot be started (its role cannot be assumed); its own failures are results."""
        credentials = self._credentials(record)
        code_dir = self._code_dir(record)
        environment = runtime_environment(
            name=record.name, region=record.region, runtime=record.runtime,
            handler=record.handler, memory_size=record.memory_size, code_dir=code_dir,
            credentials=credentials, endpoint=self._endpoint,
            variables=open_variables(self._root, record.arn, record.environment_sealed),
        )
        result = runner.run(runner.RunSpec(
            request_id=request_id, function_arn=record.arn, code_dir=code_dir,
            timeout=record.timeout, memory_size=record.memory_size, environment=environment,
            event=event, sandbox=self._sandbox,
        ))
        log.info("function %s invocation %s ended: %s (%.0f ms)", record.arn, request_id,
                 "ok" if result.ok else result.error_type, result.duration_ms)
        try:
            with self._store.write() as tx:
                tx.insert_invocation(InvocationRecord(
                    function_arn=record.arn, request_id=request_id, started=result.started,
                    duration_ms=result.duration_ms, ok=result.ok,
                    error_type=result.error_type, log_text=result.log,
                ), keep=self._logs_kept)
        except Exception:  # the invocation happened; a lost log line must not undo it
            log.exception("could not record invocation %s of %s", request_id, record.arn)
        return result
