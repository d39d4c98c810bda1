"""Lambda on the wire: request members in, FunctionConfiguration and friends out.

One small function per operation translates validated request members into a call on
the function service and its values into Lambda's response members; the rest-json
adapter places them (headers, status, raw payload, JSON body). Members without a
value are omitted, as Lambda omits them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from strongroom.core.types import RequestContext
from strongroom.lambdas.model import LATEST, FunctionConfig, FunctionSettings, lambda_timestamp
from strongroom.lambdas.service import LambdaService

Params = dict[str, Any]
Wire = dict[str, Any]

# AccessDeniedException is not in Lambda's model; Lambda answers it with 403.
ERROR_STATUSES = {"AccessDeniedException": 403, "UnknownOperationException": 404}
_S3_CODE = ("S3Bucket", "S3Key", "S3ObjectVersion", "ImageUri")


def _configuration(c: FunctionConfig) -> Wire:
    out: Wire = {
        "FunctionName": c.name, "FunctionArn": c.arn, "Runtime": c.runtime, "Role": c.role_arn,
        "Handler": c.handler, "CodeSize": c.code_size, "Description": c.description,
        "Timeout": c.timeout, "MemorySize": c.memory_size,
        "LastModified": lambda_timestamp(c.last_modified), "CodeSha256": c.code_sha256,
        "Version": LATEST, "TracingConfig": {"Mode": "PassThrough"},
        "RevisionId": c.revision_id, "State": "Active", "LastUpdateStatus": "Successful",
        "PackageType": "Zip", "Architectures": ["x86_64"],
        "EphemeralStorage": {"Size": 512},
        "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
        "LoggingConfig": {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{c.name}"},
    }
    if c.environment:
        out["Environment"] = {"Variables": dict(c.environment)}
    return out


def _settings(p: Params) -> FunctionSettings:
    environment = p.get("Environment")
    return FunctionSettings(
        runtime=p.get("Runtime"), handler=p.get("Handler"), role_arn=p.get("Role"),
        timeout=p.get("Timeout"), memory_size=p.get("MemorySize"),
        description=p.get("Description"),
        environment=(dict(environment.get("Variables") or {})
                     if environment is not None else None),
    )


def create_function(api: LambdaService, ctx: RequestContext, p: Params) -> Wire:
    code = p.get("Code") or {}
    config = api.create_function(
        ctx, p["FunctionName"], _settings(p), zip_file=code.get("ZipFile"),
        other_code=any(code.get(k) for k in _S3_CODE), tags=p.get("Tags"))
    return _configuration(config)


def get_function(api: LambdaService, ctx: RequestContext, p: Params) -> Wire:
    config = api.get_function(ctx, p["FunctionName"], p.get("Qualifier"))
    out: Wire = {"Configuration": _configuration(config),
                 "Code": {"RepositoryType": "S3", "Location": api.code_location(config)}}
    if config.tags:
        out["Tags"] = dict(config.tags)
    return out


def get_function_configuration(api: LambdaService, ctx: RequestContext, p: Params) -> Wire:
    return _configuration(api.get_configuration(ctx, p["FunctionName"], p.get("Qualifier")))


def list_functions(api: LambdaService, ctx: RequestContext, p: Params) -> Wire:
    configs, marker = api.list_functions(ctx, marker=p.get("Marker"),
                                         max_items=p.get("MaxItems"))
    out: Wire = {"Functions": [_configuration(c) for c in configs]}
    if marker is not None:
        out["NextMarker"] = marker
    return out


def update_function_code(api: LambdaService, ctx: RequestContext, p: Params) -> Wire:
    return _configuration(api.update_code(
        ctx, p["FunctionName"], zip_file=p.get("ZipFile"),
        other_code=any(p.get(k) for k in _S3_CODE), revision_id=p.get("RevisionId")))


def update_function_configuration(api: LambdaService, ctx: RequestContext, p: Params) -> Wire:
    return _configuration(api.update_configuration(
        ctx, p["FunctionName"], _settings(p), revision_id=p.get("RevisionId")))


def delete_function(api: LambdaService, ctx: RequestContext, p: Params) -> Wire:
    api.delete_function(ctx, p["FunctionName"], p.get("Qualifier"))
    return {"StatusCode": 204}


def invoke(api: LambdaService, ctx: RequestContext, p: Params) -> Wire:
    outcome = api.invoke(
        ctx, p["FunctionName"], p.get("Payload") or b"",
        invocation_type=p.get("InvocationType"), log_type=p.get("LogType"),
        qualifier=p.get("Qualifier"))
    out: Wire = {"StatusCode": outcome.status, "Payload": outcome.payload}
    if outcome.function_error is not None:
        out["FunctionError"] = outcome.function_error
    if outcome.log_tail is not None:
        out["LogResult"] = outcome.log_tail
    if outcome.executed_version is not None:
        out["ExecutedVersion"] = outcome.executed_version
    return out


def add_permission(api: LambdaService, ctx: RequestContext, p: Params) -> Wire:
    statement = api.add_permission(
        ctx, p["FunctionName"], statement_id=p["StatementId"], action=p["Action"],
        principal=p["Principal"], source_arn=p.get("SourceArn"),
        source_account=p.get("SourceAccount"), principal_org_id=p.get("PrincipalOrgID"),
        revision_id=p.get("RevisionId"), qualifier=p.get("Qualifier"))
    return {"Statement": statement}


def remove_permission(api: LambdaService, ctx: RequestContext, p: Params) -> Wire:
    api.remove_permission(ctx, p["FunctionName"], p["StatementId"],
                          revision_id=p.get("RevisionId"), qualifier=p.get("Qualifier"))
    return {}


def get_policy(api: LambdaService, ctx: RequestContext, p: Params) -> Wire:
    policy, revision_id = api.get_policy(ctx, p["FunctionName"], p.get("Qualifier"))
    return {"Policy": policy, "RevisionId": revision_id}


OPERATIONS: dict[str, Callable[[Any, RequestContext, Params], Wire]] = {
    "CreateFunction": create_function,
    "GetFunction": get_function,
    "GetFunctionConfiguration": get_function_configuration,
    "ListFunctions": list_functions,
    "UpdateFunctionCode": update_function_code,
    "UpdateFunctionConfiguration": update_function_configuration,
    "DeleteFunction": delete_function,
    "Invoke": invoke,
    "AddPermission": add_permission,
    "RemovePermission": remove_permission,
    "GetPolicy": get_policy,
}
