"""The one table from domain errors to AWS error codes, messages and HTTP statuses.

Every error class the domain raises on purpose has a row here (a test checks);
anything else becomes InternalFailure carrying only the request id. Texts are
AWS's where recorded; those marked UNCONFIRMED in shared/reference stay here,
each in one place, so they are easy to correct.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from strongroom.audit import lookup as trail
from strongroom.audit.errors import AuditUnavailable
from strongroom.auth import errors as auth
from strongroom.auth.sts import StsError
from strongroom.core import errors as core
from strongroom.iam import errors as iam
from strongroom.keys.rootkey import Sealed
from strongroom.keys.service import DecryptFailed, KeyNotFound, KeyUnusable
from strongroom.kms import errors as kms
from strongroom.lambdas import logs as function_logs
from strongroom.lambdas.errors import LambdaError
from strongroom.policy.errors import MalformedPolicy
from strongroom.protocol.model import format_validation_message
from strongroom.secrets import errors as sm


@dataclass(frozen=True)
class WireError:
    code: str
    message: str
    status: int = 400


NOT_FOUND = "Secrets Manager can't find the specified secret."
AUDIT_UNAVAILABLE = "The audit trail is unavailable; the request was not processed."
MARKED_FOR_DELETION = (
    "You can't perform this operation on the secret because it was marked for deletion."
)

# InvalidParameterException texts by reason key (facts fill the placeholders).
INVALID_PARAMETER_TEXTS = {
    "value_too_large": "Secret value exceeds the maximum size of {maximum} bytes.",  # UNCONFIRMED
    "primary_has_replicas": (  # moto's text, UNCONFIRMED
        "You can't delete secret {secret_id} that still has replica regions [{regions}]"),
    "replica_region_invalid": "Invalid replica region: {region}.",  # UNCONFIRMED
    "replica_region_is_primary": (  # UNCONFIRMED
        "Replica region {region} can't be the primary secret's region."),
    "replica_region_repeated": "Duplicate replica regions were requested.",  # UNCONFIRMED
    "replica_region_not_found": (  # UNCONFIRMED
        "The secret isn't replicated to {region}."),
    "value_empty": "You must provide either SecretString or SecretBinary.",  # UNCONFIRMED
    "window_and_force": (  # moto's text, UNCONFIRMED
        "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays."
    ),
    "window_out_of_range": (  # moto's text, UNCONFIRMED
        "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive)."
    ),
    "version_not_found": "Not a valid version: {version_id}",  # moto's text, UNCONFIRMED
    "stage_not_on_remove_from": (  # UNCONFIRMED
        "The parameter RemoveFromVersionId doesn't match the version that currently holds "
        "the staging label {stage}."
    ),
    "remove_from_required": (  # moto's text, UNCONFIRMED
        "The parameter RemoveFromVersionId can't be empty. Staging label {stage} is currently "
        "attached to version {version_id}, so you must explicitly reference that version in "
        "RemoveFromVersionId."
    ),
    "reserved_tag_key": "Tag keys beginning with aws: are reserved.",  # UNCONFIRMED
    "both_values": "You can't specify both a binary secret value and a string secret value "
    "in the same secret.",  # UNCONFIRMED
    "batch_ids_xor_filters": (  # moto's text, UNCONFIRMED
        "Either 'SecretIdList' or 'Filters' must be provided, but not both."
    ),
    "batch_max_results_needs_filters": (  # moto's text, UNCONFIRMED
        "'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is "
        "provided."
    ),
    "policy_name_not_default": "Only the resource policy named default can be changed.",
    "password_no_characters": (  # UNCONFIRMED
        "You can't exclude every character type. Include at least one character type."
    ),
    "password_too_short": "Password length is too short based on the required types.",
    "password_length_out_of_range": (
        "PasswordLength must be between {minimum} and {maximum}."  # UNCONFIRMED
    ),
    "filter_key_unknown": "Invalid filter key: {key}",  # UNCONFIRMED
    # Rotation rules (strongroom.secrets.schedule). [AWS] = real response body quoted in
    # terraform-provider-aws#33329 (debug log) and #31915. "linter" = texts a public CDK
    # preflight rule set (pf-secretsmanager-rotation-rules) says RotateSecret returns; found
    # nowhere else, so UNCONFIRMED.
    "rotation_both_schedules": (  # [AWS]
        "You cannot specify both rotation frequency and schedule expression together."),
    "rotation_no_schedule": (  # UNCONFIRMED
        "You must specify either AutomaticallyAfterDays or ScheduleExpression in "
        "RotationRules."),
    "rotation_duration_alone": (  # UNCONFIRMED
        "You must specify a ScheduleExpression or AutomaticallyAfterDays with Duration."),
    "rotation_days_out_of_range": (  # moto's text, UNCONFIRMED
        "RotationRules.AutomaticallyAfterDays must be within 1-1000."),
    "schedule_malformed": "Invalid schedule expression.",  # linter, UNCONFIRMED
    "schedule_rate_unit_unknown": "Invalid schedule expression.",  # linter, UNCONFIRMED
    "schedule_rate_hours_out_of_range": (  # linter, UNCONFIRMED
        "Rate in hour should be least 4 and less than 24."),
    "schedule_rate_days_out_of_range": (  # linter, UNCONFIRMED
        "Rate in day should be greater than 0 and less than 1000."),
    "schedule_cron_minutes_not_zero": "Invalid schedule expression.",  # linter, UNCONFIRMED
    "schedule_cron_year_not_any": "Invalid schedule expression.",  # linter, UNCONFIRMED
    "schedule_cron_both_day_fields": "Invalid schedule expression.",  # linter, UNCONFIRMED
    "schedule_cron_too_frequent": "Invalid schedule expression.",  # linter, UNCONFIRMED
    "schedule_cron_never_fires": "Invalid schedule expression.",  # UNCONFIRMED
    "duration_malformed": (  # UNCONFIRMED
        "Invalid Duration {duration}. Give the window length in hours, for example 3h."),
    "duration_too_short": (  # linter, UNCONFIRMED
        "Duration must be at least 1 hour, at most 24 hour."),
    "duration_too_long": (  # linter, UNCONFIRMED
        "Duration must be at least 1 hour, at most 24 hour."),
    "duration_exceeds_interval": (  # linter (said of rate in hours), UNCONFIRMED
        "Duration cannot be greater than Rate in hour."),
    "duration_past_midnight": (  # linter, UNCONFIRMED
        "Starting hour and duration must be within a day."),
}

INVALID_REQUEST_TEXTS = {
    "cross_account_default_key": (  # LocalStack's text, UNCONFIRMED
        "You can't access a secret from a different AWS account if you encrypt the secret "
        "with the default KMS service key."),
    "value_missing": "You must provide either SecretString or SecretBinary.",  # UNCONFIRMED
    # AWS-recorded (LocalStack parity snapshot of RotateSecret without a function)
    "no_rotation_lambda": "No Lambda rotation function ARN is associated with this secret.",
    # seen from real AWS (rotation.md §1)
    "rotation_in_progress": "A previous rotation isn't complete. That rotation will be "
                            "reattempted.",
    "rotation_not_configured": (  # UNCONFIRMED
        "Secret {secret_id} is not configured for rotation."),
    "rotation_token_invalid": "The rotation token is not valid for this secret.",  # UNCONFIRMED
    "replica_write": (  # LocalStack's text, UNCONFIRMED
        "Operation not permitted on a replica secret. Call must be made in primary secret's "
        "region."),
    "not_a_replica": "Secret {secret_id} is not a replica secret.",  # UNCONFIRMED
}

LIMIT_TEXTS = {
    "versions": (  # UNCONFIRMED
        "You have exceeded the maximum number of versions ({maximum}) for this secret. "
        "Unlabelled versions older than 24 hours are removed automatically."
    ),
    "labels": "A version can have at most {maximum} staging labels.",  # UNCONFIRMED
    "tags": "A secret can have at most {maximum} tags.",  # UNCONFIRMED
}


# IAM texts. [AWS] = AWS's own answer, recorded by LocalStack's parity snapshots against
# real IAM (tests/aws/services/iam/*.snapshot.json, 2026-02) or quoted from real output in
# a public issue (named); UNCONFIRMED = ours, in AWS's style.
IAM_DELETE_CONFLICT_TEXTS = {
    # [AWS] aws-controllers-k8s/community#2229
    "access_keys": "Cannot delete entity, must delete access keys first.",
    # [AWS] on DeleteUser (mozilla-services/userplex#17) and DeleteGroup (hashicorp/terraform#29147)
    "user_groups": "Cannot delete entity, must remove users from group first.",
    "group_members": "Cannot delete entity, must remove users from group first.",
    "inline_policies": "Cannot delete entity, must delete policies first.",  # [AWS]
    "attached_policies": "Cannot delete entity, must detach all policies first.",  # [AWS]
    # [AWS] serverless/components#312, hashicorp/terraform-provider-aws#32906
    "policy_attached": "Cannot delete a policy attached to entities.",
    "policy_versions": (  # [AWS] rebuy-de/aws-nuke#1
        "This policy has more than one version. Before you delete a policy, you must delete "
        "the policy's versions. The default version is deleted with the policy."),
    "default_version": "Cannot delete the default version of a policy.",  # [AWS]
}

IAM_LIMIT_TEXTS = {
    "access_keys": "Cannot exceed quota for AccessKeysPerUser: {maximum}",  # [AWS]
    "policy_versions": (  # [AWS]
        "A managed policy can have up to {maximum} versions. Before you create a new version, "
        "you must delete an existing version."),
    # [AWS] aws/eks-hybrid#741
    "attached_role": "Cannot exceed quota for PoliciesPerRole: {maximum}",
    "attached_user": "Cannot exceed quota for PoliciesPerUser: {maximum}",  # UNCONFIRMED
    "attached_group": "Cannot exceed quota for PoliciesPerGroup: {maximum}",  # UNCONFIRMED
    "groups_per_user": "Cannot exceed quota for GroupsPerUser: {maximum}",  # UNCONFIRMED
    # [AWS] ministryofjustice/cloud-platform-environments#14473
    "policy_size": "Cannot exceed quota for PolicySize: {maximum}",
    # [AWS] for roles (aws/aws-cdk#12403 and others); users and groups UNCONFIRMED
    "inline_size_role": "Maximum policy size of {maximum} bytes exceeded for role {subject}",
    "inline_size_user": "Maximum policy size of {maximum} bytes exceeded for user {subject}",
    "inline_size_group": "Maximum policy size of {maximum} bytes exceeded for group {subject}",
    "trust_policy_size": "Cannot exceed quota for ACLSizePerRole: {maximum}",  # UNCONFIRMED
    "tags_user": "Cannot exceed quota for TagsPerUser: {maximum}",  # UNCONFIRMED
    "tags_role": "Cannot exceed quota for TagsPerRole: {maximum}",  # UNCONFIRMED
}

IAM_INVALID_INPUT_TEXTS = {
    "duplicate_tags_ci": (  # [AWS] TagRole / CreateRole
        "Duplicate tag keys found. Please note that Tag keys are case insensitive."),
    "duplicate_tags": "Duplicate tag keys found.",  # [AWS] CreatePolicy
    "invalid_arn": "ARN {arn} is not valid.",  # [AWS] Put*PermissionsBoundary
    "marker": "Invalid Marker.",  # UNCONFIRMED
}

_IAM_ENTITY = {"user": "User", "role": "Role", "group": "Group"}


def _text(table: dict[str, str], reason: str, facts: dict[str, str]) -> str:
    template = table.get(reason)
    if template is None:
        return reason
    try:
        return template.format(**facts)
    except (KeyError, IndexError):
        return template


# STS failures by reason key: (code, HTTP status, text).
STS_TEXTS = {
    "invalid_role_arn": ("ValidationError", 400, "{arn} is invalid"),
    "duration_role": ("ValidationError", 400,  # AWS-recorded
                      "The requested DurationSeconds exceeds the MaxSessionDuration set for "
                      "this role."),
    "duration_chained": ("ValidationError", 400,  # AWS-recorded
                         "The requested DurationSeconds exceeds the 1 hour session limit for "
                         "roles assumed by role chaining."),
    "packed_too_large": ("PackedPolicyTooLarge", 400,  # AWS-recorded form
                         "Packed policy consumes {percent}% of allotted space, please use "
                         "smaller policy."),
    "transitive_tag_conflict": ("InvalidParameterValue", 400,  # UNCONFIRMED
                                "Session tag {key} conflicts with a transitive tag of the "
                                "calling session."),
    "transitive_key_not_tagged": ("InvalidParameterValue", 400,  # UNCONFIRMED
                                  "Transitive tag key {key} is not one of the session tags."),
    "policy_arn_not_found": ("InvalidParameterValue", 400,  # UNCONFIRMED
                             "Policy {arn} does not exist or is not attachable."),
    "session_token_from_session": ("AccessDenied", 403,  # AWS-recorded
                                   "Cannot call GetSessionToken with session credentials"),
}


def _sts(e: StsError) -> WireError:
    code, status, template = STS_TEXTS[e.reason]
    return WireError(code, _text({e.reason: template}, e.reason, e.facts), status)


# KMS texts. [AWS] = recorded against real KMS (LocalStack's parity snapshots, quoted in
# shared/reference/kms-subset.md §1); [KSTATE] = the footnotes of AWS's key-state table;
# UNCONFIRMED = LocalStack's or ours, in AWS's style.
KMS_KEY_STATE_TEXTS = {
    "pending_deletion": "{arn} is pending deletion.",  # [KSTATE]
    "not_pending_deletion": "{arn} is not pending deletion.",  # [KSTATE]
}

KMS_INVALID_PARAMETER_TEXTS = {
    # LocalStack's text, UNCONFIRMED
    "pending_window": "PendingWindowInDays should be between 7 and 30, but it is {days}",
    "data_key_size": "Please specify either number of bytes or key spec.",  # UNCONFIRMED
    "random_size": "Please specify the number of random bytes to generate.",  # UNCONFIRMED
    "algorithm": "Encryption algorithm {algorithm} is not valid for a symmetric "
                 "encryption KMS key.",  # UNCONFIRMED
}

KMS_TAG_TEXTS = {  # [AWS]
    "duplicate": "Duplicate tag keys",
    "too_many": "Too many tags",
    "reserved": "Tags beginning with aws: are reserved",
}


# Lambda failures by reason key: (code, text). Statuses come from Lambda's model (the
# rest-json adapter reads each error shape's httpStatusCode). [AWS] = quoted from real
# Lambda responses in public issue threads; UNCONFIRMED = ours or LocalStack's.
LAMBDA_TEXTS = {
    "function_not_found": ("ResourceNotFoundException", "Function not found: {arn}"),  # [AWS]
    "function_exists": ("ResourceConflictException", "Function already exist: {name}"),  # [AWS]
    "role_not_assumable": ("InvalidParameterValueException",  # [AWS]
                           "The role defined for the function cannot be assumed by Lambda."),
    "duplicate_statement": ("ResourceConflictException",  # [AWS]
                            "The statement id ({sid}) provided already exists. Please provide "
                            "a new statement id, or remove the existing statement."),
    "statement_not_found": ("ResourceNotFoundException",  # LocalStack's text, UNCONFIRMED
                            "Statement {sid} is not found in resource policy."),
    "policy_not_found": ("ResourceNotFoundException",  # LocalStack's text, UNCONFIRMED
                         "The resource you requested does not exist."),
    "zip_only": ("InvalidParameterValueException",  # ours
                 "This strongroom server accepts function code only as ZipFile (no S3 "
                 "locations or container images)."),
    "runtime_and_handler_required": ("InvalidParameterValueException",  # UNCONFIRMED
                                     "Runtime and Handler are mandatory parameters for "
                                     "functions created with deployment packages."),
    "unsupported_runtime": ("InvalidParameterValueException",  # ours
                            "The runtime parameter of {runtime} is not supported by this "
                            "strongroom server: it runs python3.x functions only."),
    "bad_zip": ("InvalidParameterValueException",  # [AWS]
                "Could not unzip uploaded file. Please check your file, then try to upload "
                "again."),
    "unsafe_zip_entry": ("InvalidParameterValueException",  # ours
                         "Could not unzip uploaded file: an entry has an absolute path, a '..' "
                         "component or is a link."),
    "package_too_large": ("InvalidParameterValueException",  # UNCONFIRMED
                          "Unzipped size must be smaller than {limit} bytes"),
    "reserved_variables": ("InvalidParameterValueException",  # UNCONFIRMED
                           "Lambda was unable to configure your environment variables because "
                           "the environment variables you have provided contains reserved "
                           "keys that are currently not supported for modification. Reserved "
                           "keys used in this request: {keys}"),
    "environment_too_large": ("InvalidParameterValueException",  # UNCONFIRMED
                              "Lambda was unable to configure your environment variables "
                              "because the environment variables you have provided exceeded "
                              "the {limit} limit."),
    "bad_function_name": ("InvalidParameterValueException",  # UNCONFIRMED
                          "The function name {name} is not valid here."),
    "qualifier_mismatch": ("InvalidParameterValueException",  # UNCONFIRMED
                           "The derived qualifier from the function name does not match the "
                           "specified qualifier."),
    "revision_mismatch": ("PreconditionFailedException",  # UNCONFIRMED
                          "The Revision Id provided does not match the latest Revision Id. "
                          "Call the GetFunction/GetAlias API to retrieve the latest Revision "
                          "Id"),
    "policy_too_long": ("PolicyLengthExceededException",  # UNCONFIRMED
                        "The final policy size ({size}) is bigger than the limit ({limit})."),
    "bad_permission": ("InvalidParameterValueException", "{detail}"),  # ours
    "payload_not_json": ("InvalidRequestContentException",  # UNCONFIRMED
                         "Could not parse request body into json: Could not parse payload "
                         "into json: {detail}"),
    "bad_marker": ("InvalidParameterValueException", "Invalid Marker."),  # UNCONFIRMED
}


# CloudWatch Logs (functions' logs) InvalidParameterException texts by reason key.
# UNCONFIRMED unless marked [AWS]; "ours" where strongroom refuses what Logs would accept.
LOGS_INVALID_PARAMETER_TEXTS = {
    "bad_token": "The specified nextToken is invalid.",  # UNCONFIRMED
    "order_with_prefix": "Cannot order by LastEventTime with a logStreamNamePrefix.",  # [AWS]
    # UNCONFIRMED:
    "prefix_and_pattern": "LogGroupNamePrefix and LogGroupNamePattern are mutually exclusive "
                          "parameters.",
    "names_and_prefix": "logStreamNames and logStreamNamePrefix are mutually exclusive "
                        "parameters.",
    "name_and_identifier": "LogGroup name and LogGroup ARN are mutually exclusive parameters.",
    "group_required": "Either logGroupName or logGroupIdentifier must be specified.",  # UNCONFIRMED
    "filter_pattern_unsupported": (  # ours
        "This strongroom server supports only terms and quoted phrases in filter patterns."),
}


# CloudTrail LookupEvents. AWS's texts for these were not found; the max-results text is
# the one a CloudTrail clone (ctyun) answers with. All UNCONFIRMED.
LOOKUP_ATTRIBUTE_TEXTS = {
    "too_many": "You can specify only one lookup attribute.",  # UNCONFIRMED
    "unknown_key": "Lookup attribute key {key} is not valid.",  # UNCONFIRMED
    "value_length": (  # UNCONFIRMED
        "Lookup attribute value for {key} must be 1 to 2000 characters long (_, space, comma "
        "and newline count as two)."),
}


def _lambda(e: LambdaError) -> WireError:
    code, template = LAMBDA_TEXTS[e.reason]
    return WireError(code, _text({e.reason: template}, e.reason, e.facts))


_Row = Callable[[Any], WireError]

TABLE: dict[type[Exception], _Row] = {
    StsError: _sts,
    LambdaError: _lambda,
    trail.InvalidLookupAttributes: lambda e: WireError(
        "InvalidLookupAttributesException",
        _text(LOOKUP_ATTRIBUTE_TEXTS, e.reason, {"key": e.key})),
    trail.InvalidTimeRange: lambda e: WireError(  # UNCONFIRMED
        "InvalidTimeRangeException", "The start time must not be after the end time."),
    trail.InvalidMaxResults: lambda e: WireError(  # ctyun's text, UNCONFIRMED
        "InvalidMaxResultsException",
        f"A max results value of {e.value} is invalid. Specify max results between 1 and 50."),
    trail.InvalidLookupToken: lambda e: WireError(  # UNCONFIRMED
        "InvalidNextTokenException",
        "The token is not valid, or was issued for other lookup parameters."),
    function_logs.LogGroupNotFound: lambda e: WireError(  # [AWS]
        "ResourceNotFoundException", "The specified log group does not exist."),
    function_logs.LogStreamNotFound: lambda e: WireError(  # [AWS]
        "ResourceNotFoundException", "The specified log stream does not exist."),
    function_logs.LogsInvalidParameter: lambda e: WireError(
        "InvalidParameterException", _text(LOGS_INVALID_PARAMETER_TEXTS, e.reason, {})),
    Sealed: lambda e: WireError(
        "ServiceUnavailableException",
        "strongroom is sealed; an operator must unseal it (strongroom operator unseal).", 503),
    AuditUnavailable: lambda e: WireError(  # ours: the call's record could not be kept
        "ServiceUnavailableException", AUDIT_UNAVAILABLE, 503),
    # authentication
    auth.MissingAuthentication: lambda e: WireError(
        "MissingAuthenticationTokenException", "Request is missing Authentication Token"),
    auth.IncompleteSignature: lambda e: WireError("IncompleteSignatureException", e.detail),
    auth.InvalidSignature: lambda e: WireError("InvalidSignatureException", e.detail),
    auth.UnrecognizedClient: lambda e: WireError(
        "UnrecognizedClientException", "The security token included in the request is invalid."),
    auth.ExpiredToken: lambda e: WireError(
        "ExpiredTokenException", "The security token included in the request is expired"),
    # request shape
    core.ValidationFailed: lambda e: WireError(
        "ValidationException", format_validation_message(core.ValidationErrors([e]))),
    core.ValidationErrors: lambda e: WireError(
        "ValidationException", format_validation_message(e)),
    core.MalformedRequest: lambda e: WireError("SerializationException", e.detail),
    core.UnknownOperation: lambda e: WireError(
        "UnknownOperationException", f"Operation {e.operation} is not supported."),
    core.NotImplementedOperation: lambda e: WireError(
        "InvalidRequestException",
        f"{e.operation} is not supported by this strongroom server yet."),
    core.AccessDenied: lambda e: WireError(
        "AccessDeniedException",
        f"User: {e.principal_arn} is not authorized to perform: {e.action}"
        + (f" on resource: {e.resource}" if e.resource != "*" else "")
        + (f" {e.reason}" if e.reason else "")),
    core.StoreUnavailable: lambda e: WireError(
        "ServiceUnavailable", "The service is unavailable. Please try again shortly.", 503),
    # secrets
    sm.SecretNotFound: lambda e: WireError("ResourceNotFoundException", NOT_FOUND),
    sm.VersionStageNotFound: lambda e: WireError(
        "ResourceNotFoundException",
        f"Secrets Manager can't find the specified secret value for staging label: {e.stage}"),
    sm.VersionIdNotFound: lambda e: WireError(
        "ResourceNotFoundException",
        f"Secrets Manager can't find the specified secret value for VersionId: {e.version_id}"),
    sm.PolicyNameNotFound: lambda e: WireError(
        "ResourceNotFoundException",
        f"Secrets Manager can't find the specified resource policy: {e.policy_name}"),
    sm.SecretExists: lambda e: WireError(
        "ResourceExistsException",
        f"The operation failed because the secret {e.name} already exists."),
    sm.TokenInUse: lambda e: WireError(
        "ResourceExistsException",
        f"You can't use ClientRequestToken {e.token} because that value is already in use "
        f"for a version of secret {e.arn}."),
    sm.NameScheduledForDeletion: lambda e: WireError(
        "InvalidRequestException",
        "You can't create this secret because a secret with this name is already scheduled "
        "for deletion."),
    sm.SecretMarkedForDeletion: lambda e: WireError("InvalidRequestException",
                                                    MARKED_FOR_DELETION),
    sm.SecretAlreadyMarkedDeleted: lambda e: WireError(
        "InvalidRequestException",
        "You tried to perform the operation on a secret that's currently marked deleted."),
    sm.ClientRequestTokenMissing: lambda e: WireError(
        "InvalidRequestException",
        "You must provide a ClientRequestToken value. We recommend a UUID-type value."),
    sm.StageNotOnVersion: lambda e: WireError(
        "InvalidRequestException",
        "You provided a VersionStage that is not associated to the provided VersionId."),
    sm.OperationNotAvailable: lambda e: WireError(
        "InvalidRequestException",
        f"{e.operation} is not supported by this strongroom server yet."),
    sm.InvalidName: lambda e: WireError(
        "ValidationException",
        "Invalid name. Must be a valid name containing alphanumeric characters, or any of the "
        "following: -/_+=.@!"),
    sm.InvalidParameter: lambda e: WireError(
        "InvalidParameterException", _text(INVALID_PARAMETER_TEXTS, e.reason, e.facts)),
    sm.InvalidRequest: lambda e: WireError(
        "InvalidRequestException", _text(INVALID_REQUEST_TEXTS, e.reason, e.facts)),
    sm.LimitExceeded: lambda e: WireError(
        "LimitExceededException",
        _text(LIMIT_TEXTS, e.limit, {"maximum": str(e.maximum)})),
    sm.InvalidNextToken: lambda e: WireError(
        "InvalidNextTokenException", "The NextToken value is invalid."),  # UNCONFIRMED
    sm.KmsAccessDenied: lambda e: WireError(  # AWS-recorded
        "AccessDeniedException", "Access to KMS is not allowed"),
    sm.FunctionNotInvokable: lambda e: WireError(  # AWS-recorded (rotation.md §1)
        "AccessDeniedException",
        "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function "
        "policy grants access to the principal secretsmanager.amazonaws.com."),
    sm.PublicPolicy: lambda e: WireError(
        "PublicPolicyException",
        "The BlockPublicPolicy parameter is set to true, and the resource policy would grant "
        "public access to the secret."),  # UNCONFIRMED
    MalformedPolicy: lambda e: WireError("MalformedPolicyDocumentException", e.detail),
    # iam: codes and statuses from the botocore model's error shapes
    iam.EntityNotFound: lambda e: WireError(  # [AWS]
        "NoSuchEntity", f"The {e.kind.value} with name {e.name} cannot be found.", 404),
    iam.InlinePolicyNotFound: lambda e: WireError(  # [AWS] role, group; user UNCONFIRMED
        "NoSuchEntity", f"The {e.kind.value} policy with name {e.policy_name} cannot be found.",
        404),
    iam.AccessKeyNotFound: lambda e: WireError(  # [AWS]
        "NoSuchEntity", f"The Access Key with id {e.access_key_id} cannot be found.", 404),
    iam.PolicyNotFound: lambda e: WireError(  # [AWS] Detach*, TagPolicy; GetPolicy UNCONFIRMED
        "NoSuchEntity", f"Policy {e.arn} was not found.", 404),
    iam.PolicyNotAttachableOrMissing: lambda e: WireError(  # [AWS]
        "NoSuchEntity", f"Policy {e.arn} does not exist or is not attachable.", 404),
    iam.PolicyVersionNotFound: lambda e: WireError(  # [AWS]
        "NoSuchEntity",
        f"Policy {e.arn} version {e.version_id} does not exist or is not attachable.", 404),
    iam.BoundaryNotFound: lambda e: WireError(  # [AWS]
        "NoSuchEntity", f"Scope ARN: {e.arn} does not exist or is not attachable.", 404),
    iam.EntityExists: lambda e: WireError(  # [AWS]
        "EntityAlreadyExists", f"{_IAM_ENTITY[e.kind.value]} with name {e.name} already exists.",
        409),
    iam.PolicyExists: lambda e: WireError(  # [AWS]
        "EntityAlreadyExists",
        f"A policy called {e.name} already exists. Duplicate names are not allowed.", 409),
    iam.DeleteConflict: lambda e: WireError(
        "DeleteConflict", _text(IAM_DELETE_CONFLICT_TEXTS, e.reason, {}), 409),
    iam.QuotaExceeded: lambda e: WireError(
        "LimitExceeded",
        _text(IAM_LIMIT_TEXTS, e.quota, {"maximum": str(e.maximum), "subject": e.subject}),
        409),
    iam.MalformedPolicyDocument: lambda e: WireError("MalformedPolicyDocument", e.detail, 400),
    iam.InvalidInput: lambda e: WireError(
        "InvalidInput", _text(IAM_INVALID_INPUT_TEXTS, e.reason, e.facts), 400),
    iam.InvalidPolicyArn: lambda e: WireError(  # [AWS] Attach/DetachRolePolicy
        "ValidationError", f"ARN {e.arn} is not valid.", 400),
    iam.UserNameRequired: lambda e: WireError(  # [AWS] DeleteAccessKey from a role session
        "ValidationError", "Must specify userName when calling with non-User credentials", 400),
    iam.UnmodifiableEntity: lambda e: WireError(  # UNCONFIRMED
        "UnmodifiableEntity", f"Policy {e.arn} is an AWS managed policy and cannot be modified.",
        400),
    iam.PolicyNotAttachable: lambda e: WireError(  # UNCONFIRMED
        "PolicyNotAttachable", "Cannot attach a Service Role Policy to a Customer Role.", 400),
    iam.ConcurrentModification: lambda e: WireError(  # the IAM API reference's text
        "ConcurrentModification",
        "The request was rejected because multiple requests to change this object were "
        "submitted simultaneously. Wait a few minutes and submit your request again.", 409),
    # kms
    kms.KeyNotFound: lambda e: WireError(  # [AWS]
        "NotFoundException", f"Key '{e.key_arn}' does not exist"),
    kms.InvalidKeyId: lambda e: WireError(  # [AWS]
        "NotFoundException", f"Invalid keyId '{e.key_ref}'"),
    kms.InvalidArnRegion: lambda e: WireError(  # [AWS]
        "NotFoundException", f"Invalid arn {e.region}"),
    kms.AliasNotFound: lambda e: WireError(  # LocalStack: AWS names the alias ARN; UNCONFIRMED
        "NotFoundException", f"Alias {e.alias_arn} is not found."),
    kms.AliasExists: lambda e: WireError(  # LocalStack's text, UNCONFIRMED
        "AlreadyExistsException", f"An alias with the name {e.alias_arn} already exists"),
    kms.AliasPrefixMissing: lambda e: WireError(  # [AWS]
        "ValidationException",
        'Alias must start with the prefix "alias/". Please see '
        "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"),
    kms.AliasReserved: lambda e: WireError(  # UNCONFIRMED (the KMS guide's wording)
        "InvalidAliasNameException",
        "Alias names that begin with alias/aws/ are reserved for AWS managed keys."),
    kms.KeyDisabled: lambda e: WireError("DisabledException", f"{e.key_arn} is disabled."),
    kms.KeyInvalidState: lambda e: WireError(
        "KMSInvalidStateException", _text(KMS_KEY_STATE_TEXTS, e.reason, {"arn": e.key_arn})),
    kms.InvalidCiphertext: lambda e: WireError("InvalidCiphertextException", ""),  # [AWS]
    kms.IncorrectKey: lambda e: WireError(  # [AWS]
        "IncorrectKeyException",
        "The key ID in the request does not identify a CMK that can perform this operation."),
    kms.ManagedKeyUnsupported: lambda e: WireError(  # UNCONFIRMED
        "UnsupportedOperationException",
        f"{e.key_arn} is an AWS managed key; {e.operation} is not valid for it."),
    kms.UnsupportedKeySpec: lambda e: WireError(  # ours
        "UnsupportedOperationException",
        f"{e.what} {e.value} is not supported by this strongroom server yet."),
    kms.KmsInvalidParameter: lambda e: WireError(
        "ValidationException", _text(KMS_INVALID_PARAMETER_TEXTS, e.reason, e.facts)),
    kms.PolicyLockout: lambda e: WireError(  # AWS's text as widely quoted; not in reference
        "MalformedPolicyDocumentException",
        "The new key policy will not allow you to update the key policy in the future."),
    kms.KeyPolicyNotFound: lambda e: WireError(  # UNCONFIRMED
        "NotFoundException", f"No such policy exists: {e.policy_name}"),
    kms.KmsTagError: lambda e: WireError(
        "TagException", _text(KMS_TAG_TEXTS, e.reason, {})),
    # keys
    KeyNotFound: lambda e: WireError("AccessDeniedException", "Access to KMS is not allowed"),
    KeyUnusable: lambda e: WireError(
        "DecryptionFailure",
        f"Secrets Manager can't use the KMS key {e.key_arn} because it is {e.state}."),
    DecryptFailed: lambda e: WireError(
        "DecryptionFailure",
        "Secrets Manager can't decrypt the protected secret text using the provided KMS key."),
}


def to_wire(error: BaseException, request_id: str) -> WireError:
    """The AWS error for `error`; unmapped errors reveal nothing but the request id."""
    for cls in type(error).__mro__:
        row = TABLE.get(cls)
        if row is not None:
            return row(error)
    return WireError(
        "InternalFailure",
        f"The request processing has failed because of an unknown error. Request id: "
        f"{request_id}",
        500,
    )
