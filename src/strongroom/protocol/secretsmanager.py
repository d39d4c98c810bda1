"""Secrets Manager on the wire: AWS request members in, AWS response members out.

One small function per operation translates validated request parameters into a
call on the domain services and the returned values into the response shape.
Members without a value are omitted, as AWS omits them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from strongroom.core.errors import NotImplementedOperation
from strongroom.core.types import RequestContext, Tag
from strongroom.protocol.errors import to_wire
from strongroom.secrets.errors import InvalidParameter
from strongroom.secrets.filters import Filter
from strongroom.secrets.listing import SecretsReader
from strongroom.secrets.model import (
    ReplicaStatus,
    SecretDescription,
    SecretValue,
    VersionValue,
    WriteResult,
)
from strongroom.secrets.paging import page, query_fingerprint
from strongroom.secrets.password import PasswordSpec
from strongroom.secrets.policies import DEFAULT_POLICY, ResourcePolicies
from strongroom.secrets.replicas import ReplicaRequest, ReplicationResult, ReplicationService
from strongroom.secrets.rotation import RotationService
from strongroom.secrets.schedule import RotationRules, parse_rules, reported_days
from strongroom.secrets.service import SecretsService

Params = dict[str, Any]
MANAGED_KEY_ALIAS = "alias/aws/secretsmanager"
Wire = dict[str, Any]


@dataclass(frozen=True)
class SecretsApi:
    """The domain services one Secrets Manager request may use."""

    secrets: SecretsService
    reader: SecretsReader
    policies: ResourcePolicies
    rotations: RotationService
    replication: ReplicationService


def _compact(**members: Any) -> Wire:
    return {k: v for k, v in members.items() if v is not None}


def _value(p: Params) -> SecretValue | None:
    string, binary = p.get("SecretString"), p.get("SecretBinary")
    if string is not None and binary is not None:
        raise InvalidParameter("both_values")
    if string is not None:
        return SecretValue.of_string(string)
    if binary is not None:
        return SecretValue.of_binary(binary)
    return None


def _tags(items: list[Mapping[str, str]] | None) -> list[Tag]:
    return [Tag(t.get("Key", ""), t.get("Value", "")) for t in items or ()]


def _filters(items: list[Mapping[str, Any]] | None) -> list[Filter]:
    return [Filter(f.get("Key", ""), tuple(f.get("Values") or ())) for f in items or ()]


def _write(result: WriteResult, *, stages: bool = False) -> Wire:
    return _compact(
        ARN=result.arn, Name=result.name, VersionId=result.version_id,
        VersionStages=list(result.stages) if stages and result.version_id else None,
    )


def _value_out(v: VersionValue) -> Wire:
    out: Wire = {"ARN": v.arn, "Name": v.name, "VersionId": v.version_id}
    if v.value.string is not None:
        out["SecretString"] = v.value.string
    else:
        out["SecretBinary"] = v.value.binary
    out["VersionStages"] = list(v.stages)
    out["CreatedDate"] = v.created
    return out


def _rules_out(stored: str) -> Wire:
    rules = RotationRules.from_json(stored)
    days = rules.automatically_after_days
    if days is None and rules.schedule_expression:
        days = reported_days(rules)
    return _compact(AutomaticallyAfterDays=days, Duration=rules.duration,
                    ScheduleExpression=rules.schedule_expression)


def _rules_in(p: Params) -> RotationRules | None:
    given = p.get("RotationRules")
    if given is None:
        return None
    return parse_rules(given.get("AutomaticallyAfterDays"), given.get("ScheduleExpression"),
                       given.get("Duration"))


def _description(d: SecretDescription, *, listing: bool = False) -> Wire:
    out = _compact(
        ARN=d.arn, Name=d.name, Type=d.secret_type, Description=d.description,
        KmsKeyId=d.kms_key_id, RotationEnabled=d.rotation_enabled,
        RotationLambdaARN=d.rotation_lambda_arn,
        RotationRules=_rules_out(d.rotation_rules) if d.rotation_rules else None,
        LastRotatedDate=d.last_rotated, LastChangedDate=d.last_changed,
        LastAccessedDate=d.last_accessed, DeletedDate=d.deleted_date,
        NextRotationDate=d.next_rotation_date,
    )
    out["Tags"] = [{"Key": t.key, "Value": t.value} for t in d.tags]
    versions = {v: list(stages) for v, stages in d.stages_by_version.items()}
    if versions:
        out["SecretVersionsToStages" if listing else "VersionIdsToStages"] = versions
    if d.owning_service:
        out["OwningService"] = d.owning_service
    out["CreatedDate"] = d.created
    if d.primary_region:
        out["PrimaryRegion"] = d.primary_region
    if d.replication and not listing:
        out["ReplicationStatus"] = _replication_out(d.replication)
    return out


def _replication_out(statuses: tuple[ReplicaStatus, ...]) -> list[Wire]:
    return [_compact(Region=r.region, KmsKeyId=r.kms_key_id or MANAGED_KEY_ALIAS,
                     Status=r.status, StatusMessage=r.status_message,
                     LastAccessedDate=r.last_accessed) for r in statuses]


def _replica_requests(items: list[Mapping[str, Any]] | None) -> list[ReplicaRequest]:
    return [ReplicaRequest(i.get("Region", ""), i.get("KmsKeyId") or None) for i in items or ()]


def _replicated(result: ReplicationResult) -> Wire:
    return {"ARN": result.arn, "ReplicationStatus": _replication_out(result.statuses)}


# --- operations -----------------------------------------------------------------


def create_secret(api: SecretsApi, ctx: RequestContext, p: Params) -> Wire:
    if p.get("CrossAccountPrimaryARN"):
        raise NotImplementedOperation("Cross-account replication")
    result = api.secrets.create_secret(
        ctx, name=p["Name"], token=p.get("ClientRequestToken"), value=_value(p),
        description=p.get("Description"), kms_key_id=p.get("KmsKeyId"),
        tags=_tags(p.get("Tags")), secret_type=p.get("Type"),
    )
    out = _write(result)
    replicas = _replica_requests(p.get("AddReplicaRegions"))
    if replicas:
        replicated = api.replication.replicate(
            ctx, result.arn, replicas, force=bool(p.get("ForceOverwriteReplicaSecret")))
        out["ReplicationStatus"] = _replication_out(replicated.statuses)
    return out


def get_secret_value(api: SecretsApi, ctx: RequestContext, p: Params) -> Wire:
    return _value_out(api.secrets.get_secret_value(
        ctx, p["SecretId"], version_id=p.get("VersionId"), version_stage=p.get("VersionStage")))


def put_secret_value(api: SecretsApi, ctx: RequestContext, p: Params) -> Wire:
    result = api.secrets.put_secret_value(
        ctx, p["SecretId"], token=p.get("ClientRequestToken"), value=_value(p),
        stages=p.get("VersionStages"), rotation_token=p.get("RotationToken"),
    )
    return _write(result, stages=True)


def update_secret(api: SecretsApi, ctx: RequestContext, p: Params) -> Wire:
    result = api.secrets.update_secret(
        ctx, p["SecretId"], token=p.get("ClientRequestToken"), value=_value(p),
        description=p.get("Description"), kms_key_id=p.get("KmsKeyId"),
    )
    return _write(result)


def describe_secret(api: SecretsApi, ctx: RequestContext, p: Params) -> Wire:
    return _description(api.secrets.describe_secret(ctx, p["SecretId"]))


def list_secrets(api: SecretsApi, ctx: RequestContext, p: Params) -> Wire:
    result = api.reader.list_secrets(
        ctx, filters=_filters(p.get("Filters")),
        include_deleted=bool(p.get("IncludePlannedDeletion")), sort_by=p.get("SortBy"),
        sort_order=p.get("SortOrder"), max_results=p.get("MaxResults"),
        next_token=p.get("NextToken"),
    )
    return _compact(
        SecretList=[_description(d, listing=True) for d in result.items],
        NextToken=result.next_token,
    )


def list_secret_version_ids(api: SecretsApi, ctx: RequestContext, p: Params) -> Wire:
    secret, infos = api.secrets.list_secret_version_ids(
        ctx, p["SecretId"], include_deprecated=bool(p.get("IncludeDeprecated")))
    fingerprint = query_fingerprint("versions", secret.arn, bool(p.get("IncludeDeprecated")))
    chunk, token = page(infos, p.get("NextToken"), p.get("MaxResults") or 100, fingerprint)
    versions = []
    for info in chunk:
        entry = _compact(
            VersionId=info.version_id, VersionStages=list(info.stages) or None,
            LastAccessedDate=info.last_accessed, CreatedDate=info.created,
        )
        entry["KmsKeyIds"] = list(info.kms_key_ids)
        versions.append(entry)
    return _compact(Versions=versions, NextToken=token, ARN=secret.arn, Name=secret.name)


def update_secret_version_stage(api: SecretsApi, ctx: RequestContext, p: Params) -> Wire:
    return _write(api.secrets.update_version_stage(
        ctx, p["SecretId"], stage=p["VersionStage"], move_to=p.get("MoveToVersionId"),
        remove_from=p.get("RemoveFromVersionId"),
    ))


def delete_secret(api: SecretsApi, ctx: RequestContext, p: Params) -> Wire:
    result = api.secrets.delete_secret(
        ctx, p["SecretId"], recovery_window_days=p.get("RecoveryWindowInDays"),
        force=p.get("ForceDeleteWithoutRecovery"),
    )
    return _compact(ARN=result.arn, Name=result.name, DeletionDate=result.deletion_date)


def restore_secret(api: SecretsApi, ctx: RequestContext, p: Params) -> Wire:
    return _write(api.secrets.restore_secret(ctx, p["SecretId"]))


def tag_resource(api: SecretsApi, ctx: RequestContext, p: Params) -> Wire:
    api.secrets.tag_resource(ctx, p["SecretId"], _tags(p.get("Tags")))
    return {}


def untag_resource(api: SecretsApi, ctx: RequestContext, p: Params) -> Wire:
    api.secrets.untag_resource(ctx, p["SecretId"], p.get("TagKeys") or [])
    return {}


def get_random_password(api: SecretsApi, ctx: RequestContext, p: Params) -> Wire:
    spec = PasswordSpec(
        length=p.get("PasswordLength") or 32,
        exclude_characters=p.get("ExcludeCharacters") or "",
        exclude_numbers=bool(p.get("ExcludeNumbers")),
        exclude_punctuation=bool(p.get("ExcludePunctuation")),
        exclude_uppercase=bool(p.get("ExcludeUppercase")),
        exclude_lowercase=bool(p.get("ExcludeLowercase")),
        include_space=bool(p.get("IncludeSpace")),
        require_each_included_type=p.get("RequireEachIncludedType", True) is not False,
    )
    return {"RandomPassword": api.secrets.get_random_password(ctx, spec)}


def batch_get_secret_value(api: SecretsApi, ctx: RequestContext, p: Params) -> Wire:
    result = api.reader.batch_get_secret_value(
        ctx, secret_ids=p.get("SecretIdList"),
        filters=_filters(p["Filters"]) if "Filters" in p else None,
        max_results=p.get("MaxResults"), next_token=p.get("NextToken"),
    )
    errors = []
    for failure in result.errors:
        wire = to_wire(failure.error, ctx.request_id)
        errors.append({"SecretId": failure.secret_id, "ErrorCode": wire.code,
                       "Message": wire.message})
    return _compact(
        SecretValues=[_value_out(v) for v in result.values], NextToken=result.next_token,
        Errors=errors,
    )


def put_resource_policy(api: SecretsApi, ctx: RequestContext, p: Params) -> Wire:
    result = api.policies.put(
        ctx, p["SecretId"], p["ResourcePolicy"], block_public=p.get("BlockPublicPolicy"),
        policy_name=p.get("PolicyName"),
    )
    return {"ARN": result.arn, "Name": result.name, "PolicyName": DEFAULT_POLICY}


def get_resource_policy(api: SecretsApi, ctx: RequestContext, p: Params) -> Wire:
    secret, policy = api.policies.get(ctx, p["SecretId"], policy_name=p.get("PolicyName"))
    return _compact(ARN=secret.arn, Name=secret.name, ResourcePolicy=policy,
                    PolicyName=DEFAULT_POLICY if policy else None)


def delete_resource_policy(api: SecretsApi, ctx: RequestContext, p: Params) -> Wire:
    result = api.policies.delete(ctx, p["SecretId"], policy_name=p.get("PolicyName"))
    return {"ARN": result.arn, "Name": result.name, "PolicyName": DEFAULT_POLICY}


def list_resource_policies(api: SecretsApi, ctx: RequestContext, p: Params) -> Wire:
    names = api.policies.list_names(ctx, p["SecretId"])
    return {"ResourcePolicies": [{"PolicyName": n} for n in names]}


def validate_resource_policy(api: SecretsApi, ctx: RequestContext, p: Params) -> Wire:
    findings = api.policies.validate(ctx, p["ResourcePolicy"], secret_id=p.get("SecretId"))
    return {
        "PolicyValidationPassed": not findings,
        "ValidationErrors": [{"CheckName": f.check, "ErrorMessage": f.message}
                             for f in findings],
    }


def rotate_secret(api: SecretsApi, ctx: RequestContext, p: Params) -> Wire:
    if p.get("ExternalSecretRotationMetadata") or p.get("ExternalSecretRotationRoleArn"):
        raise NotImplementedOperation("Rotation of external secrets (partner rotation)")
    result = api.rotations.rotate_secret(
        ctx, p["SecretId"], token=p.get("ClientRequestToken"),
        function_arn=p.get("RotationLambdaARN") or None, rules=_rules_in(p),
        rotate_immediately=p.get("RotateImmediately"),
    )
    return _write(result)


def cancel_rotate_secret(api: SecretsApi, ctx: RequestContext, p: Params) -> Wire:
    return _write(api.rotations.cancel_rotate_secret(ctx, p["SecretId"]))


def replicate_secret_to_regions(api: SecretsApi, ctx: RequestContext, p: Params) -> Wire:
    return _replicated(api.replication.replicate(
        ctx, p["SecretId"], _replica_requests(p.get("AddReplicaRegions")),
        force=bool(p.get("ForceOverwriteReplicaSecret"))))


def remove_regions_from_replication(api: SecretsApi, ctx: RequestContext, p: Params) -> Wire:
    return _replicated(api.replication.remove(ctx, p["SecretId"], p["RemoveReplicaRegions"]))


def stop_replication_to_replica(api: SecretsApi, ctx: RequestContext, p: Params) -> Wire:
    return {"ARN": api.replication.stop(ctx, p["SecretId"])}


def _later(operation: str) -> Callable[[SecretsApi, RequestContext, Params], Wire]:
    def not_yet(api: SecretsApi, ctx: RequestContext, p: Params) -> Wire:
        raise NotImplementedOperation(operation)

    return not_yet


OPERATIONS: dict[str, Callable[[SecretsApi, RequestContext, Params], Wire]] = {
    "CreateSecret": create_secret,
    "GetSecretValue": get_secret_value,
    "PutSecretValue": put_secret_value,
    "UpdateSecret": update_secret,
    "DescribeSecret": describe_secret,
    "ListSecrets": list_secrets,
    "ListSecretVersionIds": list_secret_version_ids,
    "UpdateSecretVersionStage": update_secret_version_stage,
    "DeleteSecret": delete_secret,
    "RestoreSecret": restore_secret,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "GetRandomPassword": get_random_password,
    "BatchGetSecretValue": batch_get_secret_value,
    "PutResourcePolicy": put_resource_policy,
    "GetResourcePolicy": get_resource_policy,
    "DeleteResourcePolicy": delete_resource_policy,
    "ListResourcePolicies": list_resource_policies,
    "ValidateResourcePolicy": validate_resource_policy,
    "RotateSecret": rotate_secret,
    "CancelRotateSecret": cancel_rotate_secret,
    "ReplicateSecretToRegions": replicate_secret_to_regions,
    "RemoveRegionsFromReplication": remove_regions_from_replication,
    "StopReplicationToReplica": stop_replication_to_replica,
    # Cross-account replication is not built yet: a clear error.
    "AssociateCrossAccountReplica": _later("AssociateCrossAccountReplica"),
    "DisassociateCrossAccountReplica": _later("DisassociateCrossAccountReplica"),
}
