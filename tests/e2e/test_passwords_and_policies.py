"""GetRandomPassword and resource policies through boto3."""

from __future__ import annotations

import json
import string

from tests.e2e.helpers import aws_error


def test_random_password_defaults(sm):
    password = sm.get_random_password()["RandomPassword"]
    assert len(password) == 32
    assert " " not in password
    assert any(c in string.punctuation for c in password)


def test_random_password_options(sm):
    password = sm.get_random_password(PasswordLength=50, ExcludePunctuation=True,
                                      ExcludeCharacters="abc")["RandomPassword"]
    assert len(password) == 50
    assert not set(password) & set(string.punctuation + "abc")


def test_random_password_impossible(sm):
    code, _, _ = aws_error(sm.get_random_password, ExcludeNumbers=True, ExcludeLowercase=True,
                           ExcludeUppercase=True, ExcludePunctuation=True)
    assert code == "InvalidParameterException"


def _policy(principal, condition=None):
    statement = {"Effect": "Allow", "Principal": principal,
                 "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_resource_policy_put_get_delete(sm, account):
    sm.create_secret(Name="rp", SecretString="v")
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId="rp")
    policy = _policy({"AWS": f"arn:aws:iam::{account.account_id}:root"})
    put = sm.put_resource_policy(SecretId="rp", ResourcePolicy=policy, BlockPublicPolicy=True)
    assert put["Name"] == "rp"
    got = sm.get_resource_policy(SecretId="rp")
    assert json.loads(got["ResourcePolicy"]) == json.loads(policy)
    sm.delete_resource_policy(SecretId="rp")
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId="rp")


def test_block_public_policy_refuses_public_grant(sm):
    sm.create_secret(Name="pub", SecretString="v")
    code, _, status = aws_error(sm.put_resource_policy, SecretId="pub",
                                ResourcePolicy=_policy("*"), BlockPublicPolicy=True)
    assert (code, status) == ("PublicPolicyException", 400)
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId="pub")
    narrowed = _policy("*", {"StringEquals": {"aws:PrincipalAccount": "111122223333"}})
    sm.put_resource_policy(SecretId="pub", ResourcePolicy=narrowed, BlockPublicPolicy=True)


def test_malformed_policy_is_refused(sm):
    sm.create_secret(Name="mal", SecretString="v")
    code, _, _ = aws_error(sm.put_resource_policy, SecretId="mal", ResourcePolicy="{not json")
    assert code == "MalformedPolicyDocumentException"
    code, _, _ = aws_error(sm.put_resource_policy, SecretId="mal",
                           ResourcePolicy=json.dumps({"Statement": [{"Effect": "Maybe"}]}))
    assert code == "MalformedPolicyDocumentException"


def test_validate_resource_policy(sm):
    passed = sm.validate_resource_policy(
        ResourcePolicy=_policy({"AWS": "arn:aws:iam::111122223333:root"}))
    assert passed["PolicyValidationPassed"] is True
    assert passed["ValidationErrors"] == []
    public = sm.validate_resource_policy(ResourcePolicy=_policy("*"))
    assert public["PolicyValidationPassed"] is False
    assert public["ValidationErrors"]

