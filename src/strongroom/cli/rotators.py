"""`strongroom rotators`: list, package and install the built-in rotation functions.

`package` writes a Lambda zip; `install` creates (or updates the code of) a Lambda
function from it through any Lambda API — strongroom's or AWS's — with boto3's usual
credential chain, and lets Secrets Manager invoke it. Talks to no database.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Any

from strongroom.rotators.package import HANDLER, ROTATORS, RUNTIME, UnknownRotator, build_zip

STATEMENT_ID = "SecretsManagerAccess"
SECRETS_MANAGER_PRINCIPAL = "secretsmanager.amazonaws.com"
TIMEOUT_SECONDS = 30


class RotatorsError(Exception):
    """A failure to report in one line; exit status 1."""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("rotators", help="built-in rotation functions for PostgreSQL and MySQL")
    actions = p.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="the built-in rotation functions")
    package = actions.add_parser("package", help="write a rotation function's Lambda zip")
    package.add_argument("name", help="a name from `strongroom rotators list`")
    package.add_argument("-o", "--output", type=Path, required=True, help="the zip to write")
    install = actions.add_parser(
        "install", help="create or update a Lambda function and let Secrets Manager invoke it")
    install.add_argument("name", help="a name from `strongroom rotators list`")
    install.add_argument("--function-name", required=True)
    install.add_argument("--role", required=True, help="ARN of the function's execution role")
    install.add_argument("--endpoint-url", default=None,
                         help="the Lambda API (default: boto3's configuration)")
    install.add_argument("--region", default=None, help="default: boto3's configuration")
    install.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                         help="an environment variable of the function, e.g. PASSWORD_LENGTH=40 "
                         "(repeatable; set on create and on update)")


def run(args: argparse.Namespace) -> int:
    try:
        if args.action == "list":
            width = max(len(name) for name in ROTATORS)
            for rotator in ROTATORS.values():
                print(f"{rotator.name:<{width}}  {rotator.summary}")
            return 0
        if args.action == "package":
            args.output.write_bytes(_zip(args.name))
            print(f"strongroom: wrote {args.output} (handler {HANDLER})")
            return 0
        print(install(args.name, args.function_name, args.role, _env(args.env),
                      endpoint_url=args.endpoint_url, region=args.region))
        return 0
    except RotatorsError as exc:
        print(f"strongroom: {exc}", file=sys.stderr)
        return 1


def _zip(name: str) -> bytes:
    try:
        return build_zip(name)
    except UnknownRotator as exc:
        raise RotatorsError(f"no built-in rotator {exc.name!r}; "
                            f"`strongroom rotators list` shows them") from exc


def _env(pairs: list[str]) -> dict[str, str]:
    env = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise RotatorsError(f"--env wants KEY=VALUE, not {pair!r}")
        env[key] = value
    return env


def install(name: str, function_name: str, role: str, env: dict[str, str], *,
            endpoint_url: str | None = None, region: str | None = None,
            client: Any = None) -> str:
    """Create or update the function, allow Secrets Manager to invoke it; its ARN."""
    code = _zip(name)
    if client is None:
        import boto3

        client = boto3.client("lambda", endpoint_url=endpoint_url, region_name=region)
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        arn = _create_or_update(client, name, function_name, role, env, code)
        # A ResourceConflictException means the statement is there from an earlier install.
        with contextlib.suppress(client.exceptions.ResourceConflictException):
            # SourceAccount: only rotations of this account's secrets may invoke it.
            client.add_permission(
                FunctionName=function_name, StatementId=STATEMENT_ID,
                Action="lambda:InvokeFunction", Principal=SECRETS_MANAGER_PRINCIPAL,
                SourceAccount=arn.split(":")[4])
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise RotatorsError(f"{exc.operation_name}: {error.get('Code')}: "
                            f"{error.get('Message')}") from exc
    except BotoCoreError as exc:
        raise RotatorsError(str(exc)) from exc
    return arn


def _create_or_update(client: Any, name: str, function_name: str, role: str,
                      env: dict[str, str], code: bytes) -> str:
    try:
        created = client.create_function(
            FunctionName=function_name, Runtime=RUNTIME, Role=role, Handler=HANDLER,
            Code={"ZipFile": code}, Timeout=TIMEOUT_SECONDS,
            Description=f"strongroom built-in rotator {name}",
            Environment={"Variables": env})
        return str(created["FunctionArn"])
    except client.exceptions.ResourceConflictException:
        pass  # it exists: new code, same function
    updated = client.update_function_code(FunctionName=function_name, ZipFile=code)
    if env:
        # Lambda refuses a configuration change while the code update is in progress.
        client.get_waiter("function_updated_v2").wait(FunctionName=function_name)
        client.update_function_configuration(FunctionName=function_name,
                                              Environment={"Variables": env})
    return str(updated["FunctionArn"])
