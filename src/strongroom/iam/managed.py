"""The AWS managed policies every account shares (arn:aws:iam::aws:policy/...).

Their documents are AWS's own, copied from the AWS Managed Policy Reference
(docs.aws.amazon.com/aws-managed-policy/latest/reference/), except ReadOnlyAccess:
the real one lists hundreds of services, so ours keeps its rule (describe, get and
list, never read secret values) for the services strongroom serves. Seeding is
idempotent and converges every node on these definitions; nothing else writes them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from strongroom.iam.names import AWS_ACCOUNT, POLICY_PREFIX, fixed_unique_id, iam_arn
from strongroom.storage.records_iam import ManagedPolicyRecord, PolicyVersionRecord
from strongroom.storage.sql import Tx


@dataclass(frozen=True)
class AwsPolicy:
    name: str
    version_id: str
    description: str
    created: float
    updated: float
    statements: tuple[dict[str, object], ...]
    path: str = "/"

    @property
    def arn(self) -> str:
        return iam_arn(AWS_ACCOUNT, "policy", self.path, self.name)

    @property
    def document(self) -> str:
        return json.dumps({"Version": "2012-10-17", "Statement": list(self.statements)},
                          indent=4)


def _allow(actions: list[str] | str, resource: list[str] | str = "*", **extra: object
           ) -> dict[str, object]:
    statement: dict[str, object] = {}
    if "Sid" in extra:
        statement["Sid"] = extra.pop("Sid")
    statement.update({"Effect": "Allow", "Action": actions, "Resource": resource})
    statement.update(extra)
    return statement


ADMINISTRATOR_ACCESS = AwsPolicy(
    "AdministratorAccess", "v1", "Provides full access to AWS services and resources.",
    1423247986.0, 1423247986.0, (_allow("*"),))

IAM_FULL_ACCESS = AwsPolicy(
    "IAMFullAccess", "v2", "Provides full access to IAM via the AWS Management Console.",
    1423248038.0, 1561146000.0,
    (_allow(["iam:*", "organizations:DescribeAccount", "organizations:DescribeOrganization",
             "organizations:DescribeOrganizationalUnit", "organizations:DescribePolicy",
             "organizations:ListChildren", "organizations:ListParents",
             "organizations:ListPoliciesForTarget", "organizations:ListRoots",
             "organizations:ListPolicies", "organizations:ListTargetsForPolicy"]),))

IAM_READ_ONLY_ACCESS = AwsPolicy(
    "IAMReadOnlyAccess", "v4", "Provides read only access to IAM via the AWS Management Console.",
    1423248039.0, 1516907487.0,
    (_allow(["iam:GenerateCredentialReport", "iam:GenerateServiceLastAccessedDetails",
             "iam:Get*", "iam:List*", "iam:SimulateCustomPolicy",
             "iam:SimulatePrincipalPolicy"]),))

SECRETS_MANAGER_READ_WRITE = AwsPolicy(
    "SecretsManagerReadWrite", "v6",
    # AWS's description, typo included.
    "Provides read/write access to AWS Secrets Manager via the AWS Management Console. "
    "Note: this exludes IAM actions, so combine with IAMFullAccess if rotation configuration "
    "is required.",
    1522865129.0, 1787701020.0,
    (
        _allow(["secretsmanager:*", "cloudformation:CreateChangeSet",
                "cloudformation:DescribeChangeSet", "cloudformation:DescribeStackResource",
                "cloudformation:DescribeStacks", "cloudformation:ExecuteChangeSet",
                "docdb-elastic:GetCluster", "docdb-elastic:ListClusters",
                "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs",
                "kms:DescribeKey", "kms:ListAliases", "kms:ListKeys", "lambda:ListFunctions",
                "rds:DescribeDBClusters", "rds:DescribeDBInstances", "redshift:DescribeClusters",
                "redshift-serverless:ListWorkgroups", "redshift-serverless:GetNamespace",
                "tag:GetResources"], Sid="BasePermissions"),
        _allow(["lambda:AddPermission", "lambda:CreateFunction", "lambda:GetFunction",
                "lambda:InvokeFunction", "lambda:UpdateFunctionConfiguration"],
               "arn:aws:lambda:*:*:function:SecretsManager*", Sid="LambdaPermissions"),
        _allow(["serverlessrepo:CreateCloudFormationChangeSet", "serverlessrepo:GetApplication"],
               "arn:aws:serverlessrepo:*:*:applications/SecretsManager*", Sid="SARPermissions"),
        _allow(["s3:GetObject"], ["arn:aws:s3:::awsserverlessrepo-changesets*",
                                  "arn:aws:s3:::secrets-manager-rotation-apps-*/*"],
               Sid="S3Permissions"),
        _allow(["cloudformation:TagResource", "cloudformation:UntagResource"],
               Sid="CloudFormationTagOnCreate",
               Condition={"StringEquals": {"cloudformation:CreateAction": [
                   "CreateChangeSet", "ExecuteChangeSet"]}}),
    ))

READ_ONLY_ACCESS = AwsPolicy(
    "ReadOnlyAccess", "v1", "Provides read-only access to AWS services and resources.",
    1423247988.0, 1423247988.0,
    (_allow(["cloudtrail:Describe*", "cloudtrail:Get*", "cloudtrail:List*",
             "cloudtrail:LookupEvents", "iam:Generate*", "iam:Get*", "iam:List*",
             "iam:Simulate*", "kms:Describe*", "kms:Get*", "kms:List*",
             "secretsmanager:Describe*", "secretsmanager:GetResourcePolicy",
             "secretsmanager:List*", "sts:GetCallerIdentity"]),))

AWS_POLICIES: tuple[AwsPolicy, ...] = (
    ADMINISTRATOR_ACCESS, IAM_FULL_ACCESS, IAM_READ_ONLY_ACCESS, READ_ONLY_ACCESS,
    SECRETS_MANAGER_READ_WRITE,
)


def _is_current(tx: Tx, policy: AwsPolicy) -> bool:
    record = tx.find_policy(policy.arn)
    if record is None or record.default_version != policy.version_id:
        return False
    version = tx.get_policy_version(record.policy_id, record.default_version)
    return version is not None and version.document == policy.document


def seeding_needed(tx: Tx) -> bool:
    return not all(_is_current(tx, policy) for policy in AWS_POLICIES)


def seed(tx: Tx) -> None:
    """Insert or refresh every AWS managed policy (one version each, the current default)."""
    for policy in AWS_POLICIES:
        if _is_current(tx, policy):
            continue
        seq = int(policy.version_id[1:])
        record = tx.find_policy(policy.arn, lock=True)
        if record is None:
            record = ManagedPolicyRecord(
                policy_id=fixed_unique_id(POLICY_PREFIX, policy.arn), account_id=AWS_ACCOUNT,
                policy_name=policy.name, arn=policy.arn, path=policy.path,
                description=policy.description, default_version=policy.version_id,
                next_version=seq + 1, attachable=True, created=policy.created,
                updated=policy.updated)
            tx.insert_policy(record)
        else:
            for version in tx.list_policy_versions(record.policy_id):
                tx.delete_policy_version(record.policy_id, version.version_id)
            tx.update_policy(record.policy_id, default_version=policy.version_id,
                             next_version=seq + 1, updated=policy.updated)
        tx.insert_policy_version(PolicyVersionRecord(
            record.policy_id, policy.version_id, seq, policy.document, policy.updated))
