"""A function's environment: the variables it sets, sealed at rest, and the complete
environment an invocation runs with.

The invocation's environment is built from nothing — never from the server's own,
which holds secrets — with Lambda's reserved variables, fresh temporary credentials of
the execution role, this server's endpoint, and then the function's own variables.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path

from strongroom.auth.sessions import TemporaryCredentials
from strongroom.keys.rekey import lambda_environment_purpose
from strongroom.keys.rootkey import RootKey
from strongroom.lambdas.errors import LambdaError
from strongroom.lambdas.model import LATEST

ENVIRONMENT_LIMIT = 4 * 1024  # Lambda: 4 KB for all variables together

# Lambda's reserved keys ("Defined runtime environment variables", Lambda developer guide).
RESERVED = frozenset({
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
})


def _purpose(function_arn: str) -> str:
    return lambda_environment_purpose(function_arn)


def check_variables(variables: Mapping[str, str]) -> None:
    reserved = sorted(k for k in variables if k in RESERVED)
    if reserved:
        raise LambdaError("reserved_variables", keys=", ".join(reserved))
    size = sum(len(k.encode()) + len(v.encode()) for k, v in variables.items())
    if size > ENVIRONMENT_LIMIT:
        raise LambdaError("environment_too_large", limit="4KB")


def seal_variables(root: RootKey, function_arn: str, variables: Mapping[str, str] | None
                   ) -> bytes | None:
    if variables is None:
        return None
    return root.wrap(json.dumps(dict(variables)).encode(), _purpose(function_arn))


def open_variables(root: RootKey, function_arn: str, sealed: bytes | None) -> dict[str, str]:
    if sealed is None:
        return {}
    opened: dict[str, str] = json.loads(root.unwrap(sealed, _purpose(function_arn)))
    return opened


def runtime_environment(*, name: str, region: str, runtime: str, handler: str,
                        memory_size: int, code_dir: Path, credentials: TemporaryCredentials,
                        endpoint: str, variables: Mapping[str, str]) -> dict[str, str]:
    """Everything the child process sees in os.environ, except what the runner adds as it
    starts the child: AWS_LAMBDA_LOG_STREAM_NAME (named from the start time) and TMPDIR."""
    environment = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_VERSION": LATEST,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_size),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{runtime}",
        "LAMBDA_TASK_ROOT": str(code_dir),
        "_HANDLER": handler,
        "AWS_ACCESS_KEY_ID": credentials.access_key_id,
        "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
        "AWS_SESSION_TOKEN": credentials.session_token,
        "SECRETS_MANAGER_ENDPOINT": endpoint,
        "AWS_ENDPOINT_URL": endpoint,
        # Keep the server user's own ~/.aws files out of the function's SDK.
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    }
    environment.update(variables)
    return environment
