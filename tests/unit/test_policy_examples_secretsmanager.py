"""Policies from the Secrets Manager user guide (and the IAM ABAC tutorial on secrets),
with their documented outcomes.

Each test quotes the example policy as published (placeholders filled in) and checks the
outcome the page describes. Pages are cited by URL above each test.
"""

from __future__ import annotations

from typing import Any

import pytest

from strongroom.policy.evaluate import (
    ALLOW,
    ExplicitDeny,
    ImplicitDeny,
    PolicySet,
)
from tests.unit.policy_examples import (
    DB_SECRET,
    GET,
    REGION_ACCOUNT,
    decide,
    doc,
    role_session,
    user,
)

# --- Secrets Manager user guide ------------------------------------------------------------------


# Example: Permission to retrieve secret values:
# https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples.html
READ_ONE_ON_SECRET = doc(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:role/EC2RoleToAccessSecrets"},
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*",
            }
        ],
    },
    kind="resource",
)


def test_a_secret_policy_lets_the_role_read_the_secret() -> None:
    """Attached to the secret, `*` means this secret; the role's sessions may read it."""
    ec2 = role_session("EC2RoleToAccessSecrets", "i-0abc")
    assert decide(ec2, GET, DB_SECRET, PolicySet(resource=READ_ONE_ON_SECRET)) == ALLOW
    assert decide(
        ec2, "secretsmanager:PutSecretValue", DB_SECRET, PolicySet(resource=READ_ONE_ON_SECRET)
    ) == ImplicitDeny("identity-based policy")
    other = role_session("OtherRole", "x")
    assert not decide(other, GET, DB_SECRET, PolicySet(resource=READ_ONE_ON_SECRET)).allowed


def test_an_identity_policy_grants_the_same_for_one_secret_arn() -> None:
    """Attached to the role, it "grants the same permissions as the previous policy"."""
    on_identity = doc(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": GET, "Resource": DB_SECRET}],
        }
    )
    ec2 = role_session("EC2RoleToAccessSecrets", "i-0abc")
    assert decide(ec2, GET, DB_SECRET, PolicySet(identity=[on_identity])) == ALLOW
    assert not decide(
        ec2, GET, DB_SECRET.replace("prod/db", "prod/api"), PolicySet(identity=[on_identity])
    ).allowed


# Example: Wildcards:
# https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples.html
def test_access_all_secrets_in_a_path() -> None:
    path = doc(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Allow",
                "Action": GET,
                "Resource": f"arn:aws:secretsmanager:{REGION_ACCOUNT}:secret:TestEnv/*",
            },
        }
    )
    test_secret = f"arn:aws:secretsmanager:{REGION_ACCOUNT}:secret:TestEnv/db-Ab12Cd"
    assert decide(user("u"), GET, test_secret, PolicySet(identity=[path])) == ALLOW
    assert not decide(user("u"), GET, DB_SECRET, PolicySet(identity=[path])).allowed


@pytest.mark.parametrize(
    ("action", "resource", "allowed"),
    [
        ("secretsmanager:DescribeSecret", DB_SECRET, True),
        ("secretsmanager:ListSecrets", "*", True),
        ("secretsmanager:ListSecretVersionIds", DB_SECRET, True),
        (GET, DB_SECRET, False),
    ],
)
def test_access_metadata_on_all_secrets(action: str, resource: str, allowed: bool) -> None:
    metadata = doc(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Allow",
                "Action": ["secretsmanager:DescribeSecret", "secretsmanager:List*"],
                "Resource": "*",
            },
        }
    )
    assert decide(user("u"), action, resource, PolicySet(identity=[metadata])).allowed is allowed


MATCH_NAME = doc(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "secretsmanager:*",
                "Resource": [
                    f"arn:aws:secretsmanager:{REGION_ACCOUNT}:secret:a_specific_secret_name-a1b2c3",
                    f"arn:aws:secretsmanager:{REGION_ACCOUNT}:secret:another_secret_name-??????",
                ],
            }
        ],
    }
)


@pytest.mark.parametrize(
    ("name", "allowed"),
    [
        ("a_specific_secret_name-a1b2c3", True),
        ("a_specific_secret_name-zzzzzz", False),
        ("another_secret_name-Xy12Zw", True),  # any six random characters
        ("another_secret_name-x-a1b2c3", False),  # what `another_secret_name-*` would also match
    ],
)
def test_question_marks_match_the_six_random_characters(name: str, allowed: bool) -> None:
    arn = f"arn:aws:secretsmanager:{REGION_ACCOUNT}:secret:{name}"
    assert (
        decide(
            user("u"), "secretsmanager:DescribeSecret", arn, PolicySet(identity=[MATCH_NAME])
        ).allowed
        is allowed
    )


# Example: Permission to create secrets:
# https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples.html
def test_create_secrets_and_list_them() -> None:
    create = doc(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["secretsmanager:CreateSecret", "secretsmanager:ListSecrets"],
                    "Resource": "*",
                }
            ],
        }
    )
    assert (
        decide(user("u"), "secretsmanager:CreateSecret", DB_SECRET, PolicySet(identity=[create]))
        == ALLOW
    )
    assert (
        decide(user("u"), "secretsmanager:ListSecrets", "*", PolicySet(identity=[create])) == ALLOW
    )
    assert not decide(user("u"), GET, DB_SECRET, PolicySet(identity=[create])).allowed


# Example: Permissions and VPCs:
# https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples.html
ONLY_VIA_ENDPOINT = doc(
    {
        "Id": "example-policy-1",
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RestrictGetSecretValueoperation",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:sourceVpce": "vpce-1234a5678b9012c"}},
            }
        ],
    },
    kind="resource",
)
SM_ALL = doc(
    {
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"},
    }
)


def test_secret_values_only_through_the_vpc_endpoint() -> None:
    """Outside the endpoint (key absent, so the negated condition holds) the read is denied."""
    policies = PolicySet(identity=[SM_ALL], resource=ONLY_VIA_ENDPOINT)
    assert (
        decide(user("u"), GET, DB_SECRET, policies, **{"aws:SourceVpce": "vpce-1234a5678b9012c"})
        == ALLOW
    )
    assert decide(
        user("u"), GET, DB_SECRET, policies, **{"aws:SourceVpce": "vpce-other"}
    ) == ExplicitDeny("resource-based policy", "RestrictGetSecretValueoperation")
    assert decide(user("u"), GET, DB_SECRET, policies) == ExplicitDeny(
        "resource-based policy", "RestrictGetSecretValueoperation"
    )
    assert decide(user("u"), "secretsmanager:DescribeSecret", DB_SECRET, policies) == ALLOW


TWO_VPCS = doc(
    {
        "Id": "example-policy-2",
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowAdministrativeActionsfromONLYvpc-12345678",
                "Effect": "Deny",
                "Principal": "*",
                "Action": [
                    "secretsmanager:Create*",
                    "secretsmanager:Put*",
                    "secretsmanager:Update*",
                    "secretsmanager:Delete*",
                    "secretsmanager:Restore*",
                    "secretsmanager:RotateSecret",
                    "secretsmanager:CancelRotate*",
                    "secretsmanager:TagResource",
                    "secretsmanager:UntagResource",
                ],
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:sourceVpc": "vpc-12345678"}},
            },
            {
                "Sid": "AllowSecretValueAccessfromONLYvpc-2b2b2b2b",
                "Effect": "Deny",
                "Principal": "*",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:sourceVpc": "vpc-2b2b2b2b"}},
            },
        ],
    },
    kind="resource",
)


@pytest.mark.parametrize(
    ("action", "vpc", "allowed"),
    [
        ("secretsmanager:PutSecretValue", "vpc-12345678", True),
        ("secretsmanager:PutSecretValue", "vpc-2b2b2b2b", False),
        (GET, "vpc-2b2b2b2b", True),
        (GET, "vpc-12345678", False),
        ("secretsmanager:DescribeSecret", "vpc-99999999", True),
    ],
)
def test_management_and_value_access_from_separate_vpcs(
    action: str, vpc: str, allowed: bool
) -> None:
    policies = PolicySet(identity=[SM_ALL], resource=TWO_VPCS)
    assert (
        decide(user("u"), action, DB_SECRET, policies, **{"aws:SourceVpc": vpc}).allowed is allowed
    )


# Example: Control access to secrets using tags:
# https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples.html
def test_describe_only_secrets_tagged_server_abc() -> None:
    """DescribeSecret needs secretsmanager:ResourceTag/ServerName = ServerABC (alias of
    aws:ResourceTag/ServerName in the request context)."""
    tagged = doc(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Allow",
                "Action": "secretsmanager:DescribeSecret",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"secretsmanager:ResourceTag/ServerName": "ServerABC"}
                },
            },
        }
    )
    describe = "secretsmanager:DescribeSecret"
    assert (
        decide(
            user("u"),
            describe,
            DB_SECRET,
            PolicySet(identity=[tagged]),
            **{"aws:ResourceTag/ServerName": "ServerABC"},
        )
        == ALLOW
    )
    assert not decide(
        user("u"),
        describe,
        DB_SECRET,
        PolicySet(identity=[tagged]),
        **{"aws:ResourceTag/ServerName": "ServerXYZ"},
    ).allowed
    assert not decide(user("u"), describe, DB_SECRET, PolicySet(identity=[tagged])).allowed


# Example: Limit access to identities with tags that match secrets' tags:
# https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples.html
SAME_PROJECT = doc(
    {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Principal": {"AWS": "123456789012"},
            "Condition": {
                "StringEquals": {
                    "aws:ResourceTag/AccessProject": "${ aws:PrincipalTag/AccessProject }"
                }
            },
            "Action": "secretsmanager:GetSecretValue",
            "Resource": "*",
        },
    },
    kind="resource",
)


@pytest.mark.parametrize(("project", "allowed"), [("alpha", True), ("beta", False), (None, False)])
def test_roles_of_another_account_read_secrets_of_their_project(
    project: str | None, allowed: bool
) -> None:
    """Granted to account 123456789012 only if AccessProject matches on secret and role."""
    tags = {} if project is None else {"AccessProject": project}
    caller = role_session("Reader", "s", **tags)
    secret = DB_SECRET.replace("123456789012", "210987654321")
    policies = PolicySet(identity=[SM_ALL], resource=SAME_PROJECT, resource_account="210987654321")
    decision = decide(caller, GET, secret, policies, **{"aws:ResourceTag/AccessProject": "alpha"})
    assert decision.allowed is allowed
    if not allowed:
        assert decision == ImplicitDeny("resource-based policy")


# Permissions for users in a different account:
# https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples_cross.html
def test_cross_account_read_needs_the_secret_policy_and_the_identity_policy() -> None:
    account1, account2 = "111111111111", "222222222222"
    secret = f"arn:aws:secretsmanager:us-east-1:{account1}:secret:shared-AbCdEf"
    on_secret = doc(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account2}:role/ApplicationRole"},
                    "Action": GET,
                    "Resource": "*",
                }
            ],
        },
        kind="resource",
    )
    on_identity = doc(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": GET, "Resource": secret},
                {
                    "Effect": "Allow",
                    "Action": "kms:Decrypt",
                    "Resource": f"arn:aws:kms:us-east-1:{account1}:key/EncryptionKey",
                },
            ],
        }
    )
    app = role_session("ApplicationRole", "app", account2)
    both = PolicySet(identity=[on_identity], resource=on_secret, resource_account=account1)
    assert decide(app, GET, secret, both) == ALLOW
    missing = decide(app, GET, secret, PolicySet(identity=[on_identity], resource_account=account1))
    assert (
        missing.because(GET)
        == "because no resource-based policy allows the secretsmanager:GetSecretValue action"
    )
    assert decide(
        app, GET, secret, PolicySet(resource=on_secret, resource_account=account1)
    ) == ImplicitDeny("identity-based policy")


# access-same-project-team:
# https://docs.aws.amazon.com/IAM/latest/UserGuide/tutorial_attribute-based-access-control.html
ACCESS_SAME_PROJECT_TEAM = doc(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllActionsSecretsManagerSameProjectSameTeam",
                "Effect": "Allow",
                "Action": "secretsmanager:*",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "aws:ResourceTag/access-project": "${aws:PrincipalTag/access-project}",
                        "aws:ResourceTag/access-team": "${aws:PrincipalTag/access-team}",
                        "aws:ResourceTag/cost-center": "${aws:PrincipalTag/cost-center}",
                    },
                    "ForAllValues:StringEquals": {
                        "aws:TagKeys": [
                            "access-project",
                            "access-team",
                            "cost-center",
                            "Name",
                            "OwnedBy",
                        ]
                    },
                    "StringEqualsIfExists": {
                        "aws:RequestTag/access-project": "${aws:PrincipalTag/access-project}",
                        "aws:RequestTag/access-team": "${aws:PrincipalTag/access-team}",
                        "aws:RequestTag/cost-center": "${aws:PrincipalTag/cost-center}",
                    },
                },
            },
            {
                "Sid": "AllResourcesSecretsManagerNoTags",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetRandomPassword", "secretsmanager:ListSecrets"],
                "Resource": "*",
            },
            {
                "Sid": "ReadSecretsManagerSameTeam",
                "Effect": "Allow",
                "Action": [
                    "secretsmanager:Describe*",
                    "secretsmanager:Get*",
                    "secretsmanager:List*",
                ],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "aws:ResourceTag/access-team": "${aws:PrincipalTag/access-team}"
                    }
                },
            },
            {
                "Sid": "DenyUntagSecretsManagerReservedTags",
                "Effect": "Deny",
                "Action": "secretsmanager:UntagResource",
                "Resource": "*",
                "Condition": {"StringLike": {"aws:TagKeys": "access-*"}},
            },
            {
                "Sid": "DenyPermissionsManagement",
                "Effect": "Deny",
                "Action": "secretsmanager:*Policy",
                "Resource": "*",
            },
        ],
    }
)
PEG_ENG = {"access-project": "peg", "access-team": "eng", "cost-center": "987654"}
ABAC = PolicySet(identity=[ACCESS_SAME_PROJECT_TEAM])
ABAC_SECRET = f"arn:aws:secretsmanager:{REGION_ACCOUNT}:secret:test-access-peg-eng-AbCdEf"


def creating(tags: dict[str, str]) -> dict[str, Any]:
    """CreateSecret's context: the tags are request tags and (new) resource tags."""
    context: dict[str, Any] = {"aws:TagKeys": list(tags)}
    for key, value in tags.items():
        context[f"aws:RequestTag/{key}"] = value
        context[f"aws:ResourceTag/{key}"] = value
    return context


@pytest.mark.parametrize(
    ("tags", "allowed"),
    [
        (PEG_ENG, True),
        ({**PEG_ENG, "Name": "db", "OwnedBy": "arnav"}, True),
        ({"access-project": "peg", "access-team": "eng"}, False),  # cost-center missing
        ({**PEG_ENG, "cost-center": "123456"}, False),  # wrong value
        ({**PEG_ENG, "extra": "x"}, False),  # tag key not in the list
    ],
)
def test_abac_creating_secrets_needs_matching_tags(tags: dict[str, str], allowed: bool) -> None:
    """The peg engineering role creates secrets only tagged with its project, team, cost center."""
    role = role_session("access-peg-engineering", "arnav", **PEG_ENG)
    decision = decide(role, "secretsmanager:CreateSecret", ABAC_SECRET, ABAC, **creating(tags))
    assert decision.allowed is allowed


@pytest.mark.parametrize(
    ("secret_tags", "action", "allowed"),
    [
        (
            {"access-project": "uni", "access-team": "eng", "cost-center": "123456"},
            "secretsmanager:DescribeSecret",
            True,
        ),
        ({"access-project": "uni", "access-team": "eng", "cost-center": "123456"}, GET, True),
        (
            {"access-project": "uni", "access-team": "eng", "cost-center": "123456"},
            "secretsmanager:PutSecretValue",
            False,
        ),
        ({"access-project": "peg", "access-team": "qas", "cost-center": "987654"}, GET, False),
        (PEG_ENG, "secretsmanager:PutSecretValue", True),
    ],
)
def test_abac_viewing_secrets_of_the_same_team(
    secret_tags: dict[str, str], action: str, allowed: bool
) -> None:
    """Read-only access follows access-team alone; changes need project, team and cost center."""
    role = role_session("access-peg-engineering", "arnav", **PEG_ENG)
    context = {f"aws:ResourceTag/{k}": v for k, v in secret_tags.items()}
    assert decide(role, action, ABAC_SECRET, ABAC, **context).allowed is allowed


def test_abac_lists_every_secret_and_generates_passwords() -> None:
    role = role_session("access-peg-engineering", "arnav", **PEG_ENG)
    assert decide(role, "secretsmanager:ListSecrets", "*", ABAC) == ALLOW
    assert decide(role, "secretsmanager:GetRandomPassword", "*", ABAC) == ALLOW


def test_abac_denies_removing_access_tags_and_managing_policies() -> None:
    role = role_session("access-peg-engineering", "arnav", **PEG_ENG)
    own = {f"aws:ResourceTag/{k}": v for k, v in PEG_ENG.items()}
    untag = decide(
        role,
        "secretsmanager:UntagResource",
        ABAC_SECRET,
        ABAC,
        **own,
        **{"aws:TagKeys": ["Name", "access-team"]},
    )
    assert untag == ExplicitDeny("identity-based policy", "DenyUntagSecretsManagerReservedTags")
    assert (
        decide(
            role,
            "secretsmanager:UntagResource",
            ABAC_SECRET,
            ABAC,
            **own,
            **{"aws:TagKeys": ["Name"]},
        )
        == ALLOW
    )
    assert decide(
        role, "secretsmanager:PutResourcePolicy", ABAC_SECRET, ABAC, **own
    ) == ExplicitDeny("identity-based policy", "DenyPermissionsManagement")
