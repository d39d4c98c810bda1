"""The IAM API through boto3 and the AWS CLI: shapes, errors and statuses as AWS gives them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import boto3
from botocore.config import Config

from tests.e2e.helpers import aws_error

READ = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})


def test_users_groups_and_inline_policies(account):
    iam = account.client("iam")
    created = iam.create_user(UserName="alice", Path="/team/",
                              Tags=[{"Key": "team", "Value": "blue"}])["User"]
    assert created["Arn"] == f"arn:aws:iam::{account.account_id}:user/team/alice"
    assert created["UserId"].startswith("AIDA")
    assert iam.get_user(UserName="alice")["User"]["Tags"] == [{"Key": "team", "Value": "blue"}]
    assert {u["UserName"] for u in iam.list_users()["Users"]} == {"admin", "alice"}
    iam.create_group(GroupName="readers")
    iam.add_user_to_group(GroupName="readers", UserName="alice")
    assert [u["UserName"] for u in iam.get_group(GroupName="readers")["Users"]] == ["alice"]
    iam.put_group_policy(GroupName="readers", PolicyName="read", PolicyDocument=READ)
    got = iam.get_group_policy(GroupName="readers", PolicyName="read")
    document = got["PolicyDocument"]
    if isinstance(document, str):  # botocore may hand back the URL-encoded text
        document = json.loads(unquote(document))
    assert document == json.loads(READ)
    assert iam.list_groups_for_user(UserName="alice")["Groups"][0]["GroupName"] == "readers"


def test_errors_have_iam_codes_and_statuses(account):
    iam = account.client("iam")
    code, msg, status = aws_error(iam.get_user, UserName="nobody")
    assert (code, status) == ("NoSuchEntity", 404)
    assert msg == "The user with name nobody cannot be found."
    iam.create_user(UserName="twice")
    code, msg, status = aws_error(iam.create_user, UserName="twice")
    assert (code, status) == ("EntityAlreadyExists", 409)
    iam.create_access_key(UserName="twice")
    code, msg, status = aws_error(iam.delete_user, UserName="twice")
    assert (code, status) == ("DeleteConflict", 409)
    assert msg == "Cannot delete entity, must delete access keys first."
    code, _, status = aws_error(iam.put_user_policy, UserName="twice", PolicyName="p",
                                PolicyDocument='{"Statement": [{"Effect": "Perhaps"}]}')
    assert (code, status) == ("MalformedPolicyDocument", 400)


def test_managed_policy_versions_and_attachments(account):
    iam = account.client("iam")
    arn = iam.create_policy(PolicyName="read", PolicyDocument=READ)["Policy"]["Arn"]
    assert arn == f"arn:aws:iam::{account.account_id}:policy/read"
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=READ, SetAsDefault=True)
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert {(v["VersionId"], v["IsDefaultVersion"]) for v in versions} == {
        ("v1", False), ("v2", True)}
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "ec2.amazonaws.com"}}]}))
    iam.attach_role_policy(RoleName="r", PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    attached = iam.list_attached_role_policies(RoleName="r")["AttachedPolicies"]
    assert attached == [{"PolicyName": "read", "PolicyArn": arn}]
    code, _, status = aws_error(iam.delete_policy, PolicyArn=arn)
    assert (code, status) == ("DeleteConflict", 409)
    aws_managed = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/SecretsManagerReadWrite")
    assert aws_managed["Policy"]["PolicyName"] == "SecretsManagerReadWrite"


def test_permissions_boundary_caps_a_role(account):
    """A role allowed everything but bounded to GetSecretValue can do nothing else."""
    iam, sts = account.client("iam"), account.client("sts")
    boundary = iam.create_policy(PolicyName="only-read", PolicyDocument=READ)["Policy"]["Arn"]
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"AWS": f"arn:aws:iam::{account.account_id}:user/admin"}}]})
    role = iam.create_role(RoleName="bounded", AssumeRolePolicyDocument=trust,
                           PermissionsBoundary=boundary)["Role"]["Arn"]
    iam.attach_role_policy(RoleName="bounded",
                           PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    account.client().create_secret(Name="b", SecretString="v")
    creds = sts.assume_role(RoleArn=role, RoleSessionName="bb")["Credentials"]
    sm = boto3.client("secretsmanager", endpoint_url=account.server.endpoint,
                      region_name="us-east-1", aws_access_key_id=creds["AccessKeyId"],
                      aws_secret_access_key=creds["SecretAccessKey"],
                      aws_session_token=creds["SessionToken"],
                      config=Config(retries={"max_attempts": 1}))
    assert sm.get_secret_value(SecretId="b")["SecretString"] == "v"
    code, msg, _ = aws_error(sm.delete_secret, SecretId="b")
    assert code == "AccessDeniedException"
    assert msg.endswith("because no permissions boundary allows the "
                        "secretsmanager:DeleteSecret action")


def test_aws_cli_iam_and_sts(account):
    env = dict(os.environ, AWS_ENDPOINT_URL=account.server.endpoint,
               AWS_ACCESS_KEY_ID=account.credentials.access_key_id,
               AWS_SECRET_ACCESS_KEY=account.credentials.secret_access_key,
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    aws = str(Path(sys.executable).parent / "aws")

    def run(*args: str) -> dict:
        result = subprocess.run([aws, *args, "--output", "json"], env=env, capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout) if result.stdout.strip() else {}

    assert run("sts", "get-caller-identity")["Account"] == account.account_id
    run("iam", "create-user", "--user-name", "cli-user")
    assert "cli-user" in [u["UserName"] for u in run("iam", "list-users")["Users"]]
    key = run("iam", "create-access-key", "--user-name", "cli-user")["AccessKey"]
    assert key["Status"] == "Active"
