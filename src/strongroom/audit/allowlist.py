"""What an audit record may say about a call: the allow-list of request and response
members per (service, operation), and which operations are reads.

A member is logged only if it is listed here, so a member that a new botocore model
adds is left out until someone lists it. Never listed: secret values (SecretString,
SecretBinary), RotationToken, generated passwords, KMS plaintexts and ciphertexts,
secret access keys, session tokens and credentials, function code, environment and
invocation payloads, MFA codes, and anything the model marks `sensitive`
(tests/unit/test_audit_allowlist.py checks the last against every model). A dotted
name ("AccessKey.AccessKeyId") allows one member of a structure and nothing else of it.
Names are the model's; records render them in CloudTrail's lowerCamelCase (audit.render).

Response members are listed for writes only: reads and failed calls have
`responseElements: null`, as in CloudTrail.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Members:
    """The members of one operation that records may carry."""

    request: frozenset[str]
    response: frozenset[str]


def _m(request: tuple[str, ...], response: tuple[str, ...]) -> Members:
    return Members(frozenset(request), frozenset(response))


NOTHING = Members(frozenset(), frozenset())

# Reads, by CloudTrail's readOnly flag: these prefixes, and the operations below.
READ_PREFIXES = ("Get", "Describe", "List", "Lookup", "BatchGet", "Validate", "Filter")
# KMS's cryptographic operations are reads in CloudTrail; so are STS's, although AssumeRole
# stores a session here (its credentials never leave without a durable record, so a
# session whose record was lost is never usable).
READ_OPERATIONS = frozenset({
    ("kms", "Encrypt"), ("kms", "Decrypt"), ("kms", "ReEncrypt"), ("kms", "GenerateDataKey"),
    ("kms", "GenerateDataKeyWithoutPlaintext"), ("kms", "GenerateRandom"),
    ("sts", "AssumeRole"),
})
# Lambda's Invoke is a data event in CloudTrail (readOnly false, eventCategory Data). It is
# not run inside the record's transaction: a function has effects outside the store, and its
# code may call this server back, which must not wait for a transaction the call holds open.
DATA_EVENTS = frozenset({("lambda", "Invoke")})


def is_read(service: str, operation: str) -> bool:
    return operation.startswith(READ_PREFIXES) or (service, operation) in READ_OPERATIONS


def is_data_event(service: str, operation: str) -> bool:
    return (service, operation) in DATA_EVENTS


def members(service: str, operation: str) -> Members:
    """What may be logged of `operation`; nothing for an operation not listed."""
    return ALLOWLIST.get(service, {}).get(operation, NOTHING)


# What Lambda answers for a function (FunctionConfiguration), minus Environment,
# ImageConfigResponse and RuntimeVersionConfig: logged for its writes.
_FUNCTION_CONFIGURATION = (
    "FunctionName", "FunctionArn", "Runtime", "Role", "Handler", "CodeSize", "Description",
    "Timeout", "MemorySize", "LastModified", "CodeSha256", "Version", "VpcConfig",
    "DeadLetterConfig", "KMSKeyArn", "TracingConfig", "MasterArn", "RevisionId", "Layers",
    "State", "StateReason", "StateReasonCode", "LastUpdateStatus", "LastUpdateStatusReason",
    "LastUpdateStatusReasonCode", "FileSystemConfigs", "SigningProfileVersionArn",
    "SigningJobArn", "PackageType", "Architectures", "EphemeralStorage", "SnapStart",
    "LoggingConfig", "TenancyConfig", "CapacityProviderConfig", "ConfigSha256", "DurableConfig",
    "RuntimeConfig", "AcceleratorConfig",
)

# Generated from the botocore models of the operations strongroom serves (every input
# member except the ones above; every output member of writes), then reviewed by hand.
ALLOWLIST: dict[str, dict[str, Members]] = {
    "secretsmanager": {
        "AssociateCrossAccountReplica": _m(
            ("SecretId", "CrossAccountReplicaARN", "ReplicaRestriction", "ReplicationRoleARN"),
            ("ARN", "CrossAccountReplicaARN", "ReplicationStatus"),
        ),
        "BatchGetSecretValue": _m(("SecretIdList", "Filters", "MaxResults", "NextToken"), ()),
        "CancelRotateSecret": _m(("SecretId",), ("ARN", "Name", "VersionId")),
        # not logged: SecretBinary, SecretString
        "CreateSecret": _m(
            ("Name", "ClientRequestToken", "Description", "KmsKeyId", "Tags", "AddReplicaRegions",
             "ForceOverwriteReplicaSecret", "Type", "CrossAccountPrimaryARN"),
            ("ARN", "Name", "VersionId", "ReplicationStatus"),
        ),
        "DeleteResourcePolicy": _m(("SecretId", "PolicyName"), ("ARN", "Name", "PolicyName")),
        "DeleteSecret": _m(
            ("SecretId", "RecoveryWindowInDays", "ForceDeleteWithoutRecovery"),
            ("ARN", "Name", "DeletionDate"),
        ),
        "DescribeSecret": _m(("SecretId",), ()),
        "DisassociateCrossAccountReplica": _m(
            ("SecretId", "CrossAccountReplicaARN"),
            ("ARN", "CrossAccountReplicaARN"),
        ),
        "GetRandomPassword": _m(
            ("PasswordLength", "ExcludeCharacters", "ExcludeNumbers", "ExcludePunctuation",
             "ExcludeUppercase", "ExcludeLowercase", "IncludeSpace", "RequireEachIncludedType"),
            (),
        ),
        "GetResourcePolicy": _m(("SecretId", "PolicyName"), ()),
        "GetSecretValue": _m(("SecretId", "VersionId", "VersionStage"), ()),
        "ListResourcePolicies": _m(("SecretId", "MaxResults", "NextToken"), ()),
        "ListSecretVersionIds": _m(
            ("SecretId", "MaxResults", "NextToken", "IncludeDeprecated"),
            (),
        ),
        "ListSecrets": _m(
            ("IncludePlannedDeletion", "MaxResults", "NextToken", "Filters", "SortOrder", "SortBy"),
            (),
        ),
        "PutResourcePolicy": _m(
            ("SecretId", "ResourcePolicy", "PolicyName", "BlockPublicPolicy"),
            ("ARN", "Name", "PolicyName"),
        ),
        # not logged: SecretBinary, SecretString, RotationToken
        "PutSecretValue": _m(
            ("SecretId", "ClientRequestToken", "VersionStages"),
            ("ARN", "Name", "VersionId", "VersionStages"),
        ),
        "RemoveRegionsFromReplication": _m(
            ("SecretId", "RemoveReplicaRegions"),
            ("ARN", "ReplicationStatus"),
        ),
        "ReplicateSecretToRegions": _m(
            ("SecretId", "AddReplicaRegions", "ForceOverwriteReplicaSecret"),
            ("ARN", "ReplicationStatus"),
        ),
        "RestoreSecret": _m(("SecretId",), ("ARN", "Name")),
        "RotateSecret": _m(
            ("SecretId", "ClientRequestToken", "RotationLambdaARN", "RotationRules",
             "ExternalSecretRotationMetadata", "ExternalSecretRotationRoleArn",
             "RotateImmediately"),
            ("ARN", "Name", "VersionId"),
        ),
        "StopReplicationToReplica": _m(("SecretId",), ("ARN",)),
        "TagResource": _m(("SecretId", "Tags"), ()),
        "UntagResource": _m(("SecretId", "TagKeys"), ()),
        # not logged: SecretBinary, SecretString
        "UpdateSecret": _m(
            ("SecretId", "ClientRequestToken", "Description", "KmsKeyId", "Type"),
            ("ARN", "Name", "VersionId"),
        ),
        "UpdateSecretVersionStage": _m(
            ("SecretId", "VersionStage", "RemoveFromVersionId", "MoveToVersionId"),
            ("ARN", "Name"),
        ),
        "ValidateResourcePolicy": _m(("SecretId", "ResourcePolicy"), ()),
    },
    "kms": {
        "CancelKeyDeletion": _m(("KeyId",), ("KeyId",)),
        "CreateAlias": _m(("AliasName", "TargetKeyId"), ()),
        "CreateKey": _m(
            ("Policy", "Description", "KeyUsage", "CustomerMasterKeySpec", "KeySpec", "Origin",
             "CustomKeyStoreId", "BypassPolicyLockoutSafetyCheck", "Tags", "MultiRegion",
             "XksKeyId"),
            ("KeyMetadata",),
        ),
        # not logged: CiphertextBlob
        "Decrypt": _m(
            ("EncryptionContext", "GrantTokens", "KeyId", "EncryptionAlgorithm", "Recipient",
             "DryRun", "DryRunModifiers"),
            (),
        ),
        "DeleteAlias": _m(("AliasName",), ()),
        "DescribeKey": _m(("KeyId", "GrantTokens"), ()),
        "DisableKey": _m(("KeyId",), ()),
        "DisableKeyRotation": _m(("KeyId",), ()),
        "EnableKey": _m(("KeyId",), ()),
        "EnableKeyRotation": _m(("KeyId", "RotationPeriodInDays"), ()),
        # not logged: Plaintext
        "Encrypt": _m(
            ("KeyId", "EncryptionContext", "GrantTokens", "EncryptionAlgorithm", "DryRun"),
            (),
        ),
        "GenerateDataKey": _m(
            ("KeyId", "EncryptionContext", "NumberOfBytes", "KeySpec", "GrantTokens", "Recipient",
             "DryRun"),
            (),
        ),
        "GenerateDataKeyWithoutPlaintext": _m(
            ("KeyId", "EncryptionContext", "KeySpec", "NumberOfBytes", "GrantTokens", "DryRun"),
            (),
        ),
        "GenerateRandom": _m(("NumberOfBytes", "CustomKeyStoreId", "Recipient"), ()),
        "GetKeyPolicy": _m(("KeyId", "PolicyName"), ()),
        "GetKeyRotationStatus": _m(("KeyId",), ()),
        "ListAliases": _m(("KeyId", "Limit", "Marker"), ()),
        "ListKeyPolicies": _m(("KeyId", "Limit", "Marker"), ()),
        "ListKeys": _m(("Limit", "Marker", "ResourceOwners"), ()),
        "ListResourceTags": _m(("KeyId", "Limit", "Marker"), ()),
        "PutKeyPolicy": _m(
            ("KeyId", "PolicyName", "Policy", "BypassPolicyLockoutSafetyCheck"),
            (),
        ),
        # not logged: CiphertextBlob
        "ReEncrypt": _m(
            ("SourceEncryptionContext", "SourceKeyId", "DestinationKeyId",
             "DestinationEncryptionContext", "SourceEncryptionAlgorithm",
             "DestinationEncryptionAlgorithm", "GrantTokens", "DryRun", "DryRunModifiers"),
            (),
        ),
        "RotateKeyOnDemand": _m(("KeyId",), ("KeyId",)),
        "ScheduleKeyDeletion": _m(
            ("KeyId", "PendingWindowInDays"),
            ("KeyId", "DeletionDate", "KeyState", "PendingWindowInDays"),
        ),
        "TagResource": _m(("KeyId", "Tags"), ()),
        "UntagResource": _m(("KeyId", "TagKeys"), ()),
        "UpdateAlias": _m(("AliasName", "TargetKeyId"), ()),
    },
    "iam": {
        "AddUserToGroup": _m(("GroupName", "UserName"), ()),
        "AttachGroupPolicy": _m(("GroupName", "PolicyArn"), ()),
        "AttachRolePolicy": _m(("RoleName", "PolicyArn"), ()),
        "AttachUserPolicy": _m(("UserName", "PolicyArn"), ()),
        # not logged: AccessKey.SecretAccessKey
        "CreateAccessKey": _m(
            ("UserName",),
            ("AccessKey.UserName", "AccessKey.AccessKeyId", "AccessKey.Status",
             "AccessKey.CreateDate"),
        ),
        "CreateGroup": _m(("Path", "GroupName"), ("Group",)),
        "CreatePolicy": _m(
            ("PolicyName", "Path", "PolicyDocument", "Description", "Tags"),
            ("Policy",),
        ),
        "CreatePolicyVersion": _m(
            ("PolicyArn", "PolicyDocument", "SetAsDefault"),
            ("PolicyVersion",),
        ),
        "CreateRole": _m(
            ("Path", "RoleName", "AssumeRolePolicyDocument", "Description", "MaxSessionDuration",
             "PermissionsBoundary", "Tags"),
            ("Role",),
        ),
        "CreateUser": _m(("Path", "UserName", "PermissionsBoundary", "Tags"), ("User",)),
        "DeleteAccessKey": _m(("UserName", "AccessKeyId"), ()),
        "DeleteGroup": _m(("GroupName",), ()),
        "DeleteGroupPolicy": _m(("GroupName", "PolicyName"), ()),
        "DeletePolicy": _m(("PolicyArn",), ()),
        "DeletePolicyVersion": _m(("PolicyArn", "VersionId"), ()),
        "DeleteRole": _m(("RoleName",), ()),
        "DeleteRolePermissionsBoundary": _m(("RoleName",), ()),
        "DeleteRolePolicy": _m(("RoleName", "PolicyName"), ()),
        "DeleteUser": _m(("UserName",), ()),
        "DeleteUserPermissionsBoundary": _m(("UserName",), ()),
        "DeleteUserPolicy": _m(("UserName", "PolicyName"), ()),
        "DetachGroupPolicy": _m(("GroupName", "PolicyArn"), ()),
        "DetachRolePolicy": _m(("RoleName", "PolicyArn"), ()),
        "DetachUserPolicy": _m(("UserName", "PolicyArn"), ()),
        "GetAccessKeyLastUsed": _m(("AccessKeyId",), ()),
        "GetGroup": _m(("GroupName", "Marker", "MaxItems"), ()),
        "GetGroupPolicy": _m(("GroupName", "PolicyName"), ()),
        "GetPolicy": _m(("PolicyArn",), ()),
        "GetPolicyVersion": _m(("PolicyArn", "VersionId"), ()),
        "GetRole": _m(("RoleName",), ()),
        "GetRolePolicy": _m(("RoleName", "PolicyName"), ()),
        "GetUser": _m(("UserName",), ()),
        "GetUserPolicy": _m(("UserName", "PolicyName"), ()),
        "ListAccessKeys": _m(("UserName", "Marker", "MaxItems"), ()),
        "ListAttachedGroupPolicies": _m(("GroupName", "PathPrefix", "Marker", "MaxItems"), ()),
        "ListAttachedRolePolicies": _m(("RoleName", "PathPrefix", "Marker", "MaxItems"), ()),
        "ListAttachedUserPolicies": _m(("UserName", "PathPrefix", "Marker", "MaxItems"), ()),
        "ListGroupPolicies": _m(("GroupName", "Marker", "MaxItems"), ()),
        "ListGroups": _m(("PathPrefix", "Marker", "MaxItems"), ()),
        "ListGroupsForUser": _m(("UserName", "Marker", "MaxItems"), ()),
        "ListPolicies": _m(
            ("Scope", "OnlyAttached", "PathPrefix", "PolicyUsageFilter", "Marker", "MaxItems"),
            (),
        ),
        "ListPolicyVersions": _m(("PolicyArn", "Marker", "MaxItems"), ()),
        "ListRolePolicies": _m(("RoleName", "Marker", "MaxItems"), ()),
        "ListRoleTags": _m(("RoleName", "Marker", "MaxItems"), ()),
        "ListRoles": _m(("PathPrefix", "Marker", "MaxItems"), ()),
        "ListUserPolicies": _m(("UserName", "Marker", "MaxItems"), ()),
        "ListUserTags": _m(("UserName", "Marker", "MaxItems"), ()),
        "ListUsers": _m(("PathPrefix", "Marker", "MaxItems"), ()),
        "PutGroupPolicy": _m(("GroupName", "PolicyName", "PolicyDocument"), ()),
        "PutRolePermissionsBoundary": _m(("RoleName", "PermissionsBoundary"), ()),
        "PutRolePolicy": _m(("RoleName", "PolicyName", "PolicyDocument"), ()),
        "PutUserPermissionsBoundary": _m(("UserName", "PermissionsBoundary"), ()),
        "PutUserPolicy": _m(("UserName", "PolicyName", "PolicyDocument"), ()),
        "RemoveUserFromGroup": _m(("GroupName", "UserName"), ()),
        "SetDefaultPolicyVersion": _m(("PolicyArn", "VersionId"), ()),
        "TagRole": _m(("RoleName", "Tags"), ()),
        "TagUser": _m(("UserName", "Tags"), ()),
        "UntagRole": _m(("RoleName", "TagKeys"), ()),
        "UntagUser": _m(("UserName", "TagKeys"), ()),
        "UpdateAccessKey": _m(("UserName", "AccessKeyId", "Status"), ()),
        "UpdateAssumeRolePolicy": _m(("RoleName", "PolicyDocument"), ()),
        "UpdateRole": _m(("RoleName", "Description", "MaxSessionDuration"), ()),
        "UpdateUser": _m(("UserName", "NewPath", "NewUserName"), ()),
    },
    "sts": {
        "AssumeRole": _m(
            ("RoleArn", "RoleSessionName", "PolicyArns", "Policy", "DurationSeconds", "Tags",
             "TransitiveTagKeys", "ExternalId", "SerialNumber", "SourceIdentity",
             "ProvidedContexts", "MinimumSessionTokenSize"),
            (),
        ),
        "GetCallerIdentity": _m((), ()),
        "GetSessionToken": _m(("DurationSeconds", "SerialNumber", "MinimumSessionTokenSize"), ()),
    },
    "lambda": {
        "AddPermission": _m(
            ("FunctionName", "StatementId", "Action", "Principal", "SourceArn",
             "FunctionUrlAuthType", "InvokedViaFunctionUrl", "SourceAccount", "EventSourceToken",
             "Qualifier", "RevisionId", "PrincipalOrgID"),
            ("Statement",),
        ),
        # not logged: Code, Environment; response Environment, ImageConfigResponse and
        # RuntimeVersionConfig (the last two hold error messages the model marks sensitive)
        "CreateFunction": _m(
            ("FunctionName", "Runtime", "Role", "Handler", "Description", "Timeout", "MemorySize",
             "Publish", "PublishTo", "VpcConfig", "PackageType", "DeadLetterConfig", "KMSKeyArn",
             "TracingConfig", "Tags", "Layers", "FileSystemConfigs", "CodeSigningConfigArn",
             "ImageConfig", "Architectures", "EphemeralStorage", "SnapStart", "LoggingConfig",
             "TenancyConfig", "CapacityProviderConfig", "DurableConfig", "RuntimeConfig",
             "AcceleratorConfig"),
            _FUNCTION_CONFIGURATION,
        ),
        # not logged: response StatusCode
        "DeleteFunction": _m(("FunctionName", "Qualifier"), ()),
        "GetFunction": _m(("FunctionName", "Qualifier"), ()),
        "GetFunctionConfiguration": _m(("FunctionName", "Qualifier"), ()),
        "GetPolicy": _m(("FunctionName", "Qualifier"), ()),
        # not logged: ClientContext, Payload
        "Invoke": _m(
            ("FunctionName", "InvocationType", "LogType", "DurableExecutionName", "Qualifier",
             "TenantId"),
            (),
        ),
        "ListFunctions": _m(("MasterRegion", "FunctionVersion", "Marker", "MaxItems"), ()),
        "RemovePermission": _m(("FunctionName", "StatementId", "Qualifier", "RevisionId"), ()),
        # not logged: ZipFile; response Environment, ImageConfigResponse, RuntimeVersionConfig
        "UpdateFunctionCode": _m(
            ("FunctionName", "S3Bucket", "S3Key", "S3ObjectVersion", "S3ObjectStorageMode",
             "ImageUri", "Architectures", "Publish", "PublishTo", "DryRun", "RevisionId",
             "SourceKMSKeyArn"),
            _FUNCTION_CONFIGURATION,
        ),
        # not logged: Environment; response Environment, ImageConfigResponse, RuntimeVersionConfig
        "UpdateFunctionConfiguration": _m(
            ("FunctionName", "Role", "Handler", "Description", "Timeout", "MemorySize",
             "VpcConfig", "Runtime", "DeadLetterConfig", "KMSKeyArn", "TracingConfig", "RevisionId",
             "Layers", "FileSystemConfigs", "ImageConfig", "EphemeralStorage", "SnapStart",
             "LoggingConfig", "CapacityProviderConfig", "DurableConfig", "RuntimeConfig",
             "AcceleratorConfig"),
            _FUNCTION_CONFIGURATION,
        ),
    },
    "logs": {
        "DescribeLogGroups": _m(
            ("accountIdentifiers", "logGroupNamePrefix", "logGroupNamePattern", "nextToken",
             "limit", "includeLinkedAccounts", "logGroupClass", "logGroupIdentifiers"),
            (),
        ),
        "DescribeLogStreams": _m(
            ("logGroupName", "logGroupIdentifier", "logStreamNamePrefix", "orderBy", "descending",
             "nextToken", "limit"),
            (),
        ),
        "FilterLogEvents": _m(
            ("logGroupName", "logGroupIdentifier", "logStreamNames", "logStreamNamePrefix",
             "startTime", "endTime", "filterPattern", "nextToken", "limit", "startFromHead",
             "interleaved", "unmask"),
            (),
        ),
        "GetLogEvents": _m(
            ("logGroupName", "logGroupIdentifier", "logStreamName", "startTime", "endTime",
             "nextToken", "limit", "startFromHead", "unmask"),
            (),
        ),
    },
    "cloudtrail": {
        "LookupEvents": _m(
            ("LookupAttributes", "StartTime", "EndTime", "EventCategory", "MaxResults",
             "NextToken"),
            (),
        ),
    },
}
