"""Least privilege end to end through boto3: IAM users and roles, STS sessions, ABAC,
session policies, resource policies and cross-account reads."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.e2e.helpers import aws_error


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _session_client(account, credentials: dict[str, Any], service: str = "secretsmanager"):
    return boto3.client(
        service, endpoint_url=account.server.endpoint, region_name="us-east-1",
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        config=Config(retries={"max_attempts": 1}))


def _trust_admin(account) -> str:
    return _doc({"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"],
                 "Principal": {"AWS": f"arn:aws:iam::{account.account_id}:user/admin"}})


ABAC_READ = _doc(
    {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue",
                                   "secretsmanager:DescribeSecret"],
     "Resource": "*",
     "Condition": {"StringEquals": {"aws:ResourceTag/app": "${aws:PrincipalTag/app}"}}},
    {"Effect": "Allow", "Action": ["secretsmanager:BatchGetSecretValue",
                                   "secretsmanager:ListSecrets"], "Resource": "*"},
)


@pytest.fixture
def tagged_secrets(sm):
    for name, app in (("app1/db", "app1"), ("app1/api", "app1"), ("app2/db", "app2")):
        sm.create_secret(Name=name, SecretString=f"{name}-value",
                         Tags=[{"Key": "app", "Value": app}])
    return sm


def _role(iam, name, trust, policy=None, tags=None):
    kwargs = {"Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()]}
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust, **kwargs)["Role"]["Arn"]
    if policy:
        iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=policy)
    return arn


def test_abac_role_reads_only_its_apps_secrets(account, tagged_secrets):
    """A role tagged app=app1 reads app1 secrets, is denied app2's, and a batch by tag
    filter returns the allowed values and an error entry for the others."""
    iam, sts = account.client("iam"), account.client("sts")
    arn = _role(iam, "app1-reader", _trust_admin(account), ABAC_READ, {"app": "app1"})
    creds = sts.assume_role(RoleArn=arn, RoleSessionName="worker")["Credentials"]
    session = _session_client(account, creds)
    assert session.get_secret_value(SecretId="app1/db")["SecretString"] == "app1/db-value"
    code, msg, status = aws_error(session.get_secret_value, SecretId="app2/db")
    assert (code, status) == ("AccessDeniedException", 400)
    app2_arn = tagged_secrets.describe_secret(SecretId="app2/db")["ARN"]
    assert msg == (
        f"User: arn:aws:sts::{account.account_id}:assumed-role/app1-reader/worker is not "
        f"authorized to perform: secretsmanager:GetSecretValue on resource: {app2_arn} "
        "because no identity-based policy allows the secretsmanager:GetSecretValue action")
    batch = session.batch_get_secret_value(Filters=[{"Key": "tag-key", "Values": ["app"]}])
    assert sorted(v["Name"] for v in batch["SecretValues"]) == ["app1/api", "app1/db"]
    assert [(e["SecretId"], e["ErrorCode"]) for e in batch["Errors"]] == [
        (app2_arn, "AccessDeniedException")]


def test_session_tags_drive_abac_like_role_tags(account, tagged_secrets):
    iam, sts = account.client("iam"), account.client("sts")
    arn = _role(iam, "tagless-reader", _trust_admin(account), ABAC_READ)
    creds = sts.assume_role(RoleArn=arn, RoleSessionName="k8s",
                            Tags=[{"Key": "app", "Value": "app2"}])["Credentials"]
    session = _session_client(account, creds)
    assert session.get_secret_value(SecretId="app2/db")["SecretString"] == "app2/db-value"
    code, _, _ = aws_error(session.get_secret_value, SecretId="app1/db")
    assert code == "AccessDeniedException"


def test_session_tags_need_tag_session_in_the_trust_policy(account):
    iam, sts = account.client("iam"), account.client("sts")
    trust = _doc({"Effect": "Allow", "Action": "sts:AssumeRole",
                  "Principal": {"AWS": f"arn:aws:iam::{account.account_id}:user/admin"}})
    arn = _role(iam, "no-tags", trust, ABAC_READ)
    sts.assume_role(RoleArn=arn, RoleSessionName="plain")
    code, msg, status = aws_error(sts.assume_role, RoleArn=arn, RoleSessionName="tagged",
                                  Tags=[{"Key": "app", "Value": "app1"}])
    assert (code, status) == ("AccessDenied", 403)
    assert "sts:TagSession" in msg


def test_read_only_role_cannot_write_or_delete(account, tagged_secrets):
    iam, sts = account.client("iam"), account.client("sts")
    read_only = _doc({"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue",
                                                    "secretsmanager:DescribeSecret"],
                      "Resource": "*"})
    arn = _role(iam, "reader", _trust_admin(account), read_only)
    session = _session_client(account, sts.assume_role(
        RoleArn=arn, RoleSessionName="app")["Credentials"])
    assert session.get_secret_value(SecretId="app1/db")["SecretString"] == "app1/db-value"
    for call, kwargs in ((session.delete_secret, {"SecretId": "app1/db"}),
                         (session.put_secret_value, {"SecretId": "app1/db",
                                                     "SecretString": "x"})):
        code, _, _ = aws_error(call, **kwargs)
        assert code == "AccessDeniedException"
    assert tagged_secrets.get_secret_value(SecretId="app1/db")["SecretString"] == "app1/db-value"


@pytest.mark.parametrize(("cidr", "allowed"), [("10.0.0.0/8", False), ("127.0.0.0/8", True)])
def test_session_policy_pins_the_source_ip(account, tagged_secrets, cidr, allowed):
    iam, sts = account.client("iam"), account.client("sts")
    everything = _doc({"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"})
    arn = _role(iam, "ip-pinned", _trust_admin(account), everything)
    pin = _doc({"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*",
                "Condition": {"IpAddress": {"aws:SourceIp": cidr}}})
    session = _session_client(account, sts.assume_role(
        RoleArn=arn, RoleSessionName="pinned", Policy=pin)["Credentials"])
    if allowed:
        assert session.get_secret_value(SecretId="app1/db")["SecretString"]
    else:
        code, msg, _ = aws_error(session.get_secret_value, SecretId="app1/db")
        assert code == "AccessDeniedException"
        assert msg.endswith("because no session policy allows the "
                            "secretsmanager:GetSecretValue action")


def test_cross_account_read_through_a_resource_policy(live_server):
    """Account B's role reads account A's secret by full ARN once A's resource policy
    names that role and A's customer managed key lets it decrypt; without either, or
    under A's default key, B is refused."""
    a_id, a_creds = live_server.new_account()
    b_id, b_creds = live_server.new_account()
    a_sm, a_kms = live_server.client(a_creds), live_server.client(a_creds, "kms")
    b_iam, b_sts = live_server.client(b_creds, "iam"), live_server.client(b_creds, "sts")
    role_arn = f"arn:aws:iam::{b_id}:role/consumer"
    key_arn = a_kms.create_key(Policy=_doc(
        {"Sid": "owner", "Effect": "Allow", "Action": "kms:*", "Resource": "*",
         "Principal": {"AWS": f"arn:aws:iam::{a_id}:root"}},
    ))["KeyMetadata"]["Arn"]
    secret_arn = a_sm.create_secret(Name="shared/db", SecretString="shared",
                                    KmsKeyId=key_arn)["ARN"]
    default_arn = a_sm.create_secret(Name="shared/default", SecretString="d")["ARN"]
    trust = _doc({"Effect": "Allow", "Action": "sts:AssumeRole",
                  "Principal": {"AWS": f"arn:aws:iam::{b_id}:user/admin"}})
    read = _doc({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                 "Resource": [secret_arn, default_arn]},
                {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key_arn})
    b_iam.create_role(RoleName="consumer", AssumeRolePolicyDocument=trust)
    b_iam.put_role_policy(RoleName="consumer", PolicyName="read", PolicyDocument=read)
    creds = b_sts.assume_role(RoleArn=role_arn, RoleSessionName="xx")["Credentials"]
    consumer = boto3.client(
        "secretsmanager", endpoint_url=live_server.endpoint, region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"], config=Config(retries={"max_attempts": 1}))
    code, msg, _ = aws_error(consumer.get_secret_value, SecretId=secret_arn)
    assert code == "AccessDeniedException"
    assert "because no resource-based policy allows" in msg
    share = _doc({"Effect": "Allow", "Principal": {"AWS": role_arn},
                  "Action": "secretsmanager:GetSecretValue", "Resource": "*"})
    for name in ("shared/db", "shared/default"):
        a_sm.put_resource_policy(SecretId=name, ResourcePolicy=share)
    code, msg, _ = aws_error(consumer.get_secret_value, SecretId=secret_arn)
    assert (code, msg) == ("AccessDeniedException", "Access to KMS is not allowed")
    a_kms.put_key_policy(KeyId=key_arn, PolicyName="default", Policy=_doc(
        {"Sid": "owner", "Effect": "Allow", "Action": "kms:*", "Resource": "*",
         "Principal": {"AWS": f"arn:aws:iam::{a_id}:root"}},
        {"Sid": "consumer", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
         "Principal": {"AWS": role_arn},
         "Condition": {"StringEquals": {
             "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}}))
    assert consumer.get_secret_value(SecretId=secret_arn)["SecretString"] == "shared"
    code, msg, _ = aws_error(consumer.get_secret_value, SecretId=default_arn)
    assert code == "InvalidRequestException"
    assert "default KMS service key" in msg
    code, _, _ = aws_error(consumer.get_secret_value, SecretId="shared/db")
    assert code in ("AccessDeniedException", "ResourceNotFoundException")


def test_user_gains_access_when_a_policy_is_attached(account):
    iam = account.client("iam")
    iam.create_user(UserName="bob")
    key = iam.create_access_key(UserName="bob")["AccessKey"]
    bob = boto3.client("secretsmanager", endpoint_url=account.server.endpoint,
                       region_name="us-east-1", aws_access_key_id=key["AccessKeyId"],
                       aws_secret_access_key=key["SecretAccessKey"],
                       config=Config(retries={"max_attempts": 1}))
    code, msg, _ = aws_error(bob.list_secrets)
    assert code == "AccessDeniedException"
    assert msg == (f"User: arn:aws:iam::{account.account_id}:user/bob is not authorized to "
                   "perform: secretsmanager:ListSecrets because no identity-based policy "
                   "allows the secretsmanager:ListSecrets action")
    iam.attach_user_policy(UserName="bob",
                           PolicyArn="arn:aws:iam::aws:policy/SecretsManagerReadWrite")
    assert bob.list_secrets()["SecretList"] == []
    iam.update_access_key(UserName="bob", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    code, _, _ = aws_error(bob.list_secrets)
    assert code == "UnrecognizedClientException"


def test_explicit_deny_wins_over_administrator_access(account):
    iam = account.client("iam")
    iam.create_user(UserName="carol")
    iam.attach_user_policy(UserName="carol",
                           PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    iam.put_user_policy(UserName="carol", PolicyName="no-delete", PolicyDocument=_doc(
        {"Effect": "Deny", "Action": "secretsmanager:DeleteSecret", "Resource": "*"}))
    key = iam.create_access_key(UserName="carol")["AccessKey"]
    carol = boto3.client("secretsmanager", endpoint_url=account.server.endpoint,
                         region_name="us-east-1", aws_access_key_id=key["AccessKeyId"],
                         aws_secret_access_key=key["SecretAccessKey"])
    carol.create_secret(Name="kept", SecretString="v")
    code, msg, _ = aws_error(carol.delete_secret, SecretId="kept")
    assert code == "AccessDeniedException"
    assert msg.endswith("with an explicit deny in an identity-based policy")


def test_caller_identity_of_users_and_sessions(account):
    sts, iam = account.client("sts"), account.client("iam")
    me = sts.get_caller_identity()
    assert me["Arn"] == f"arn:aws:iam::{account.account_id}:user/admin"
    assert me["Account"] == account.account_id
    assert me["UserId"].startswith("AIDA")
    arn = _role(iam, "whoami", _trust_admin(account))
    assumed = sts.assume_role(RoleArn=arn, RoleSessionName="s1", DurationSeconds=900)
    assert assumed["AssumedRoleUser"]["Arn"] == (
        f"arn:aws:sts::{account.account_id}:assumed-role/whoami/s1")
    assert assumed["Credentials"]["AccessKeyId"].startswith("ASIA")
    them = _session_client(account, assumed["Credentials"], "sts").get_caller_identity()
    assert them["Arn"] == assumed["AssumedRoleUser"]["Arn"]
    assert them["UserId"] == assumed["AssumedRoleUser"]["AssumedRoleId"]
    token = sts.get_session_token(DurationSeconds=900)["Credentials"]
    assert _session_client(account, token, "sts").get_caller_identity()["Arn"] == me["Arn"]


def test_a_forged_session_token_is_refused(account):
    sts, iam = account.client("sts"), account.client("iam")
    arn = _role(iam, "forged", _trust_admin(account))
    creds = dict(sts.assume_role(RoleArn=arn, RoleSessionName="ss")["Credentials"])
    creds["SessionToken"] = creds["SessionToken"][:-4] + "AAAA"
    code, msg, _ = aws_error(_session_client(account, creds).list_secrets)
    assert code == "UnrecognizedClientException"
    assert msg == "The security token included in the request is invalid."


def test_assume_role_is_refused_to_callers_the_trust_policy_does_not_name(account):
    iam = account.client("iam")
    other_trust = _doc({"Effect": "Allow", "Action": "sts:AssumeRole",
                        "Principal": {"AWS": "arn:aws:iam::111122223333:root"}})
    arn = _role(iam, "not-for-me", other_trust)
    iam.create_user(UserName="dave")
    iam.put_user_policy(UserName="dave", PolicyName="assume", PolicyDocument=_doc(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}))
    key = iam.create_access_key(UserName="dave")["AccessKey"]
    dave = boto3.client("sts", endpoint_url=account.server.endpoint, region_name="us-east-1",
                        aws_access_key_id=key["AccessKeyId"],
                        aws_secret_access_key=key["SecretAccessKey"])
    code, _, status = aws_error(dave.assume_role, RoleArn=arn, RoleSessionName="xx")
    assert (code, status) == ("AccessDenied", 403)


def test_role_chaining_is_limited_to_an_hour(account):
    sts, iam = account.client("sts"), account.client("iam")
    first = _role(iam, "first", _trust_admin(account), _doc(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}))
    second = _role(iam, "second", _doc({"Effect": "Allow", "Action": "sts:AssumeRole",
                                         "Principal": {"AWS": first}}))
    iam.update_role(RoleName="second", MaxSessionDuration=7200)
    creds = sts.assume_role(RoleArn=first, RoleSessionName="aa")["Credentials"]
    chained = _session_client(account, creds, "sts")
    chained.assume_role(RoleArn=second, RoleSessionName="bb", DurationSeconds=3600)
    code, msg, _ = aws_error(chained.assume_role, RoleArn=second, RoleSessionName="cc",
                             DurationSeconds=7200)
    assert code == "ValidationError"
    assert "role chaining" in msg


def test_external_id_in_the_trust_policy(account):
    iam, sts = account.client("iam"), account.client("sts")
    trust = _doc({"Effect": "Allow", "Action": "sts:AssumeRole",
                  "Principal": {"AWS": f"arn:aws:iam::{account.account_id}:user/admin"},
                  "Condition": {"StringEquals": {"sts:ExternalId": "tenant-42"}}})
    arn = _role(iam, "vendor", trust)
    code, _, _ = aws_error(sts.assume_role, RoleArn=arn, RoleSessionName="nope")
    assert code == "AccessDenied"
    code, _, _ = aws_error(sts.assume_role, RoleArn=arn, RoleSessionName="nope",
                           ExternalId="tenant-41")
    assert code == "AccessDenied"
    assert sts.assume_role(RoleArn=arn, RoleSessionName="yes", ExternalId="tenant-42")


def test_transitive_session_tags_follow_role_chaining(account, tagged_secrets):
    """A transitive session tag passed to the first role still drives ABAC in a chained
    session, and the chained call may not override it."""
    iam, sts = account.client("iam"), account.client("sts")
    hop = _role(iam, "hop", _trust_admin(account), _doc(
        {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": "*"}))
    reader = _role(iam, "chained-reader", _doc(
        {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"],
         "Principal": {"AWS": hop}}), ABAC_READ)
    first = sts.assume_role(RoleArn=hop, RoleSessionName="one",
                            Tags=[{"Key": "app", "Value": "app1"}],
                            TransitiveTagKeys=["app"])["Credentials"]
    chained_sts = _session_client(account, first, "sts")
    code, _, _ = aws_error(chained_sts.assume_role, RoleArn=reader, RoleSessionName="two",
                           Tags=[{"Key": "app", "Value": "app2"}])
    assert code == "InvalidParameterValue"
    second = chained_sts.assume_role(RoleArn=reader, RoleSessionName="two")["Credentials"]
    session = _session_client(account, second)
    assert session.get_secret_value(SecretId="app1/db")["SecretString"] == "app1/db-value"
    code, _, _ = aws_error(session.get_secret_value, SecretId="app2/db")
    assert code == "AccessDeniedException"


def test_tag_changes_that_would_lock_the_caller_out_are_refused(account, tagged_secrets):
    """An ABAC role may retag its own secrets, but not into a tag it could no longer manage."""
    iam, sts = account.client("iam"), account.client("sts")
    manage = _doc({"Effect": "Allow", "Action": ["secretsmanager:TagResource",
                                                 "secretsmanager:UntagResource",
                                                 "secretsmanager:GetSecretValue"],
                   "Resource": "*",
                   "Condition": {"StringEquals": {"aws:ResourceTag/app":
                                                  "${aws:PrincipalTag/app}"}}})
    arn = _role(iam, "app1-owner", _trust_admin(account), manage, {"app": "app1"})
    owner = _session_client(account, sts.assume_role(
        RoleArn=arn, RoleSessionName="owner")["Credentials"])
    owner.tag_resource(SecretId="app1/db", Tags=[{"Key": "tier", "Value": "gold"}])
    for call, kwargs in ((owner.tag_resource, {"Tags": [{"Key": "app", "Value": "app2"}]}),
                         (owner.untag_resource, {"TagKeys": ["app"]})):
        code, _, _ = aws_error(call, SecretId="app1/db", **kwargs)
        assert code == "AccessDeniedException"
    tags = {t["Key"]: t["Value"]
            for t in tagged_secrets.describe_secret(SecretId="app1/db")["Tags"]}
    assert tags == {"app": "app1", "tier": "gold"}


def test_sessions_of_a_deleted_role_get_nothing_from_its_namesake(account, tagged_secrets):
    iam, sts = account.client("iam"), account.client("sts")
    read = _doc({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"})
    arn = _role(iam, "phoenix", _trust_admin(account), read)
    old = _session_client(account, sts.assume_role(
        RoleArn=arn, RoleSessionName="old")["Credentials"])
    assert old.get_secret_value(SecretId="app1/db")
    iam.delete_role_policy(RoleName="phoenix", PolicyName="inline")
    iam.delete_role(RoleName="phoenix")
    _role(iam, "phoenix", _trust_admin(account), read)
    code, _, _ = aws_error(old.get_secret_value, SecretId="app1/db")
    assert code == "AccessDeniedException"


def test_a_refused_iam_write_does_not_leave_stale_permissions_cached(account):
    """A denied IAM call (rolled back) must not let a later revocation go unnoticed."""
    iam = account.client("iam")
    iam.create_user(UserName="erin")
    iam.put_user_policy(UserName="erin", PolicyName="list", PolicyDocument=_doc(
        {"Effect": "Allow", "Action": "secretsmanager:ListSecrets", "Resource": "*"}))
    key = iam.create_access_key(UserName="erin")["AccessKey"]

    def client(service: str):
        return boto3.client(service, endpoint_url=account.server.endpoint,
                            region_name="us-east-1", aws_access_key_id=key["AccessKeyId"],
                            aws_secret_access_key=key["SecretAccessKey"],
                            config=Config(retries={"max_attempts": 1}))

    erin_sm, erin_iam = client("secretsmanager"), client("iam")
    assert erin_sm.list_secrets()["SecretList"] == []
    code, _, _ = aws_error(erin_iam.delete_user_policy, UserName="erin", PolicyName="list")
    assert code == "AccessDenied"
    iam.delete_user_policy(UserName="erin", PolicyName="list")
    code, _, _ = aws_error(erin_sm.list_secrets)
    assert code == "AccessDeniedException"


def test_denied_caller_sees_an_unknown_secret_named_as_written(account):
    iam = account.client("iam")
    iam.create_user(UserName="frank")
    key = iam.create_access_key(UserName="frank")["AccessKey"]
    frank = boto3.client("secretsmanager", endpoint_url=account.server.endpoint,
                         region_name="us-east-1", aws_access_key_id=key["AccessKeyId"],
                         aws_secret_access_key=key["SecretAccessKey"],
                         config=Config(retries={"max_attempts": 1}))
    code, msg, _ = aws_error(frank.get_secret_value, SecretId="settings")
    assert code == "AccessDeniedException"
    assert msg == (f"User: arn:aws:iam::{account.account_id}:user/frank is not authorized to "
                   "perform: secretsmanager:GetSecretValue on resource: settings because no "
                   "identity-based policy allows the secretsmanager:GetSecretValue action")


def test_reading_a_secret_needs_decrypt_on_its_customer_managed_key(account):
    """Secrets Manager decrypts on the caller's behalf: a key policy that leaves the
    caller out makes the secret unreadable to them with AWS's KMS refusal."""
    iam, kms, sm = account.client("iam"), account.client("kms"), account.client()
    admin = f"arn:aws:iam::{account.account_id}:user/admin"
    key = kms.create_key(Policy=_doc({"Effect": "Allow", "Action": "kms:*", "Resource": "*",
                                      "Principal": {"AWS": admin}}))["KeyMetadata"]["Arn"]
    sm.create_secret(Name="guarded", SecretString="v", KmsKeyId=key)
    iam.create_user(UserName="gina")
    iam.attach_user_policy(UserName="gina",
                           PolicyArn="arn:aws:iam::aws:policy/SecretsManagerReadWrite")
    access = iam.create_access_key(UserName="gina")["AccessKey"]
    gina = boto3.client("secretsmanager", endpoint_url=account.server.endpoint,
                        region_name="us-east-1", aws_access_key_id=access["AccessKeyId"],
                        aws_secret_access_key=access["SecretAccessKey"],
                        config=Config(retries={"max_attempts": 1}))
    assert gina.describe_secret(SecretId="guarded")["KmsKeyId"] == key
    code, msg, _ = aws_error(gina.get_secret_value, SecretId="guarded")
    assert (code, msg) == ("AccessDeniedException", "Access to KMS is not allowed")
    code, msg, _ = aws_error(gina.put_secret_value, SecretId="guarded", SecretString="w")
    assert (code, msg) == ("AccessDeniedException", "Access to KMS is not allowed")
    assert sm.get_secret_value(SecretId="guarded")["SecretString"] == "v"


def test_key_use_decisions_follow_policy_changes_at_once(account):
    iam, kms, sm = account.client("iam"), account.client("kms"), account.client()
    root = f"arn:aws:iam::{account.account_id}:root"
    key = kms.create_key()["KeyMetadata"]["Arn"]
    sm.create_secret(Name="followed", SecretString="v", KmsKeyId=key)
    assert sm.get_secret_value(SecretId="followed")["SecretString"] == "v"
    iam.put_user_policy(UserName="admin", PolicyName="no-decrypt", PolicyDocument=_doc(
        {"Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*"}))
    code, msg, _ = aws_error(sm.get_secret_value, SecretId="followed")
    assert (code, msg) == ("AccessDeniedException", "Access to KMS is not allowed")
    iam.delete_user_policy(UserName="admin", PolicyName="no-decrypt")
    assert sm.get_secret_value(SecretId="followed")["SecretString"] == "v"
    kms.put_key_policy(KeyId=key, PolicyName="default", BypassPolicyLockoutSafetyCheck=True,
                       Policy=_doc({"Effect": "Allow", "Action": "kms:*", "Resource": "*",
                                    "Principal": {"AWS": root},
                                    "Condition": {"StringEquals": {
                                        "kms:ViaService": "ec2.us-east-1.amazonaws.com"}}}))
    code, msg, _ = aws_error(sm.get_secret_value, SecretId="followed")
    assert (code, msg) == ("AccessDeniedException", "Access to KMS is not allowed")


def test_permissions_cached_during_writes_follow_a_revocation(account):
    """Policies read inside a write (cached: that write did not touch IAM) give way to a
    revocation committed later."""
    account.client().create_secret(Name="writes/only", SecretString="v0")
    iam = account.client("iam")
    iam.create_user(UserName="gwen")
    iam.put_user_policy(UserName="gwen", PolicyName="put", PolicyDocument=_doc(
        {"Effect": "Allow", "Action": "secretsmanager:PutSecretValue", "Resource": "*"}))
    key = iam.create_access_key(UserName="gwen")["AccessKey"]
    gwen = boto3.client("secretsmanager", endpoint_url=account.server.endpoint,
                        region_name="us-east-1", aws_access_key_id=key["AccessKeyId"],
                        aws_secret_access_key=key["SecretAccessKey"],
                        config=Config(retries={"max_attempts": 1}))
    for value in ("v1", "v2"):
        gwen.put_secret_value(SecretId="writes/only", SecretString=value)
    iam.delete_user_policy(UserName="gwen", PolicyName="put")
    code, _, _ = aws_error(gwen.put_secret_value, SecretId="writes/only", SecretString="v3")
    assert code == "AccessDeniedException"
