"""Policies from AWS's IAM user guide, with their documented outcomes (Secrets Manager's own
examples are in test_policy_examples_secretsmanager.py).

Each test quotes the example policy as published (placeholders filled in) and checks the
outcome the page describes. Pages are cited by URL above each test.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from strongroom.policy.document import PolicyDocument
from strongroom.policy.evaluate import (
    ALLOW,
    Decision,
    ExplicitDeny,
    ImplicitDeny,
    PolicySet,
)
from tests.unit.policy_examples import (
    DB_SECRET,
    GET,
    decide,
    doc,
    role_session,
    user,
)

# --- Policy evaluation logic ---------------------------------------------------------------------

# Example identity-based and resource-based policy evaluation:
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
CARLOS_IDENTITY = doc(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowS3ListRead",
                "Effect": "Allow",
                "Action": [
                    "s3:GetBucketLocation",
                    "s3:GetAccountPublicAccessBlock",
                    "s3:ListAccessPoints",
                    "s3:ListAllMyBuckets",
                ],
                "Resource": "arn:aws:s3:::*",
            },
            {
                "Sid": "AllowS3Self",
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"],
            },
            {
                "Sid": "DenyS3Logs",
                "Effect": "Deny",
                "Action": "s3:*",
                "Resource": "arn:aws:s3:::*log*",
            },
        ],
    }
)
CARLOS_BUCKET = doc(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:user/carlossalazar"},
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"],
            }
        ],
    },
    kind="resource",
)


def test_carlos_is_denied_saving_to_the_logs_bucket_by_his_own_policy() -> None:
    """The DenyS3Logs statement explicitly denies Carlos any bucket with `log` in its name."""
    carlos = user("carlossalazar")
    decision = decide(
        carlos,
        "s3:PutObject",
        "arn:aws:s3:::carlossalazar-logs/f.txt",
        PolicySet(identity=[CARLOS_IDENTITY]),
    )
    assert decision == ExplicitDeny("identity-based policy", "DenyS3Logs")


def test_carlos_may_save_to_his_bucket_allowed_by_both_policies() -> None:
    """Both the identity policy and the bucket policy allow the request, so it is allowed."""
    carlos = user("carlossalazar")
    policies = PolicySet(identity=[CARLOS_IDENTITY], resource=CARLOS_BUCKET)
    assert decide(carlos, "s3:PutObject", "arn:aws:s3:::carlossalazar/f.txt", policies) == ALLOW
    # "If one of the policy types allows the request and the other doesn't, the request is
    # still allowed."
    assert (
        decide(
            carlos,
            "s3:PutObject",
            "arn:aws:s3:::carlossalazar/f.txt",
            PolicySet(resource=CARLOS_BUCKET),
        )
        == ALLOW
    )


# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_AccessPolicyLanguage_Interplay.html
GET_LIST_NO_REPORTS = doc(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowGetList",
                "Effect": "Allow",
                "Action": ["iam:Get*", "iam:List*"],
                "Resource": "*",
            },
            {"Sid": "DenyReports", "Effect": "Deny", "Action": "iam:*Report", "Resource": "*"},
        ],
    }
)


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("iam:GetUser", ALLOW),
        ("iam:ListRoles", ALLOW),
        ("iam:CreatePolicy", ImplicitDeny("identity-based policy")),
        ("iam:GetOrganizationsAccessReport", ExplicitDeny("identity-based policy", "DenyReports")),
    ],
)
def test_explicit_and_implicit_denies(action: str, expected: Decision) -> None:
    """Get/List are allowed, other IAM actions implicitly denied, `…Report` explicitly denied."""
    assert decide(user("u"), action, "*", PolicySet(identity=[GET_LIST_NO_REPORTS])) == expected


def test_a_report_stays_denied_when_another_policy_allows_it() -> None:
    """Adding a policy that allows iam:GenerateCredentialReport does not beat the explicit deny."""
    extra = doc(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Allow",
                "Action": "iam:GenerateCredentialReport",
                "Resource": "*",
            },
        }
    )
    policies = PolicySet(identity=[GET_LIST_NO_REPORTS, extra])
    assert not decide(user("u"), "iam:GenerateCredentialReport", "*", policies).allowed


# --- Permissions boundaries ----------------------------------------------------------------------

# https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
SHIRLEY_BOUNDARY = doc(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:*", "cloudwatch:*", "ec2:*"], "Resource": "*"}
        ],
    }
)
SHIRLEY_CREATE_USER = doc(
    {
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Action": "iam:CreateUser", "Resource": "*"},
    }
)


def test_shirley_cannot_create_a_user_outside_her_boundary() -> None:
    """The boundary does not allow iam:CreateUser, so the operation fails despite her policy."""
    policies = PolicySet(identity=[SHIRLEY_CREATE_USER], boundary=SHIRLEY_BOUNDARY)
    decision = decide(user("ShirleyRodriguez"), "iam:CreateUser", "*", policies)
    assert decision == ImplicitDeny("permissions boundary")
    assert (
        decision.because("iam:CreateUser")
        == "because no permissions boundary allows the iam:CreateUser action"
    )


def test_a_boundary_alone_grants_shirley_nothing() -> None:
    """The boundary "limits the user's permissions but does not provide permissions on its own"."""
    policies = PolicySet(boundary=SHIRLEY_BOUNDARY)
    assert decide(user("ShirleyRodriguez"), "s3:ListBucket", "*", policies) == ImplicitDeny(
        "identity-based policy"
    )


# XCompanyBoundaries, delegating with boundaries:
# https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
XCOMPANY = doc(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ServiceBoundaries",
                "Effect": "Allow",
                "Action": ["s3:*", "cloudwatch:*", "ec2:*", "dynamodb:*"],
                "Resource": "*",
            },
            {
                "Sid": "AllowIAMConsoleForCredentials",
                "Effect": "Allow",
                "Action": ["iam:ListUsers", "iam:GetAccountPasswordPolicy"],
                "Resource": "*",
            },
            {
                "Sid": "AllowManageOwnPasswordAndAccessKeys",
                "Effect": "Allow",
                "Action": [
                    "iam:*AccessKey*",
                    "iam:ChangePassword",
                    "iam:GetUser",
                    "iam:*ServiceSpecificCredential*",
                    "iam:*SigningCertificate*",
                ],
                "Resource": ["arn:aws:iam::*:user/${aws:username}"],
            },
            {
                "Sid": "DenyS3Logs",
                "Effect": "Deny",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::logs", "arn:aws:s3:::logs/*"],
            },
            {
                "Sid": "DenyEC2Production",
                "Effect": "Deny",
                "Action": "ec2:*",
                "Resource": "arn:aws:ec2:*:*:instance/i-1234567890abcdef0",
            },
        ],
    }
)
FULL_IAM_AND_S3 = doc(
    {
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Action": ["iam:*", "s3:*"], "Resource": "*"},
    }
)


def test_xcompany_users_manage_only_their_own_access_keys() -> None:
    """Even with full IAM access, the boundary limits access-key actions to the user itself."""
    policies = PolicySet(identity=[FULL_IAM_AND_S3], boundary=XCOMPANY)
    nikhil = user("Nikhil")
    assert (
        decide(nikhil, "iam:CreateAccessKey", "arn:aws:iam::123456789012:user/Nikhil", policies)
        == ALLOW
    )
    other = decide(nikhil, "iam:CreateAccessKey", "arn:aws:iam::123456789012:user/Mary", policies)
    assert other == ImplicitDeny("permissions boundary")
    assert decide(nikhil, "iam:CreateUser", "*", policies) == ImplicitDeny("permissions boundary")


def test_xcompany_boundary_explicitly_denies_the_logs_bucket() -> None:
    """The DenyS3Logs statement of the boundary denies access to the logs bucket."""
    policies = PolicySet(identity=[FULL_IAM_AND_S3], boundary=XCOMPANY)
    decision = decide(user("Nikhil"), "s3:GetObject", "arn:aws:s3:::logs/x", policies)
    assert decision == ExplicitDeny("permissions boundary", "DenyS3Logs")
    assert decision.because("s3:GetObject") == "with an explicit deny in a permissions boundary"


# --- Condition operators -------------------------------------------------------------------------

# String condition operators:
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
JOB_CATEGORY = doc(
    {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Action": "iam:*AccessKey*",
            "Resource": "arn:aws:iam::123456789012:user/*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}},
        },
    }
)


def test_only_principals_tagged_iamuser_admin_manage_access_keys() -> None:
    """A user without the job-category tag is implicitly denied by this statement."""
    target = "arn:aws:iam::123456789012:user/x"
    policies = PolicySet(identity=[JOB_CATEGORY])
    assert (
        decide(
            user("admin", **{"job-category": "iamuser-admin"}),
            "iam:ListAccessKeys",
            target,
            policies,
        )
        == ALLOW
    )
    assert decide(user("plain"), "iam:ListAccessKeys", target, policies) == ImplicitDeny(
        "identity-based policy"
    )


# StringLike with a policy variable:
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
HOME_DIRECTORY = doc(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:ListAllMyBuckets", "s3:GetBucketLocation"],
                "Resource": "arn:aws:s3:::*",
            },
            {
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": "arn:aws:s3:::BUCKET-NAME",
                "Condition": {"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/"]}},
            },
            {
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": [
                    "arn:aws:s3:::BUCKET-NAME/home/${aws:username}",
                    "arn:aws:s3:::BUCKET-NAME/home/${aws:username}/*",
                ],
            },
        ],
    }
)


@pytest.mark.parametrize(
    ("prefix", "allowed"),
    [("", True), ("home/", True), ("home/David/", True), ("home/Bob/", False)],
)
def test_users_list_only_their_home_directory(prefix: str, allowed: bool) -> None:
    """ListBucket is allowed when s3:prefix matches one of the patterns for this user."""
    decision = decide(
        user("David"),
        "s3:ListBucket",
        "arn:aws:s3:::BUCKET-NAME",
        PolicySet(identity=[HOME_DIRECTORY]),
        **{"s3:prefix": prefix},
    )
    assert decision.allowed is allowed


def test_users_reach_only_objects_in_their_home_directory() -> None:
    policies = PolicySet(identity=[HOME_DIRECTORY])
    assert (
        decide(user("David"), "s3:GetObject", "arn:aws:s3:::BUCKET-NAME/home/David/a.txt", policies)
        == ALLOW
    )
    assert not decide(
        user("David"), "s3:GetObject", "arn:aws:s3:::BUCKET-NAME/home/Bob/a.txt", policies
    ).allowed


# Numeric condition operators:
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
MAX_KEYS = doc(
    {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": "arn:aws:s3:::example_bucket",
            "Condition": {"NumericLessThanEquals": {"s3:max-keys": "10"}},
        },
    }
)


@pytest.mark.parametrize(
    ("max_keys", "allowed"), [(10, True), (3, True), (11, False), (None, False)]
)
def test_list_up_to_ten_objects(max_keys: int | None, allowed: bool) -> None:
    """The requester can list up to 10 objects at a time; a missing key does not match."""
    context = {} if max_keys is None else {"s3:max-keys": max_keys}
    decision = decide(
        user("u"),
        "s3:ListBucket",
        "arn:aws:s3:::example_bucket",
        PolicySet(identity=[MAX_KEYS]),
        **context,
    )
    assert decision.allowed is allowed


# Date condition operators:
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
FRESH_CREDENTIALS = doc(
    {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Action": "iam:*AccessKey*",
            "Resource": "arn:aws:iam::123456789012:user/*",
            "Condition": {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}},
        },
    }
)


def test_access_keys_need_temporary_credentials_issued_after_2020() -> None:
    """An IAM user using access keys has no aws:TokenIssueTime, so the request is denied."""
    target = "arn:aws:iam::123456789012:user/x"
    policies = PolicySet(identity=[FRESH_CREDENTIALS])
    fresh = {"aws:TokenIssueTime": datetime(2021, 3, 1, tzinfo=UTC)}
    assert decide(role_session("r", "s"), "iam:ListAccessKeys", target, policies, **fresh) == ALLOW
    old = {"aws:TokenIssueTime": datetime(2019, 3, 1, tzinfo=UTC)}
    assert not decide(role_session("r", "s"), "iam:ListAccessKeys", target, policies, **old).allowed
    assert not decide(user("x"), "iam:ListAccessKeys", target, policies).allowed


# Boolean condition operators:
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
DENY_WITHOUT_TLS = doc(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "BooleanExample",
                "Action": "s3:*",
                "Effect": "Deny",
                "Resource": [
                    "arn:aws:s3:::DOC-EXAMPLE-BUCKET",
                    "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*",
                ],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
)
S3_ALL = doc(
    {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}
)


def test_s3_requests_without_tls_are_denied() -> None:
    """The Deny applies when aws:SecureTransport is false; the policy allows nothing itself."""
    policies = PolicySet(identity=[DENY_WITHOUT_TLS, S3_ALL])
    key = "arn:aws:s3:::DOC-EXAMPLE-BUCKET/k"
    assert decide(
        user("u"), "s3:GetObject", key, policies, **{"aws:SecureTransport": False}
    ) == ExplicitDeny("identity-based policy", "BooleanExample")
    assert (
        decide(user("u"), "s3:GetObject", key, policies, **{"aws:SecureTransport": True}) == ALLOW
    )
    alone = PolicySet(identity=[DENY_WITHOUT_TLS])
    assert decide(
        user("u"), "s3:GetObject", key, alone, **{"aws:SecureTransport": True}
    ) == ImplicitDeny("identity-based policy")


# Binary condition operators:
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
def test_binary_equals_compares_bytes_with_the_base64_policy_value() -> None:
    binary = doc(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Allow",
                "Action": "s:a",
                "Resource": "*",
                "Condition": {"BinaryEquals": {"s:key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}},
            },
        }
    )
    assert (
        decide(
            user("u"), "s:a", "*", PolicySet(identity=[binary]), **{"s:key": b"BinaryValueInBase64"}
        )
        == ALLOW
    )
    assert not decide(
        user("u"), "s:a", "*", PolicySet(identity=[binary]), **{"s:key": b"other"}
    ).allowed


# IP address condition operators:
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
MIXED_IP = doc(
    {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Action": "someservice:*",
            "Resource": "*",
            "Condition": {
                "IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}
            },
        },
    }
)


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("203.0.113.77", True),
        ("2001:db8:1234:5678:1:2:3:4", True),
        ("198.51.100.1", False),
        ("2001:db8:1234:5679::1", False),
    ],
)
def test_ipv4_and_ipv6_ranges_mix(address: str, allowed: bool) -> None:
    decision = decide(
        user("u"),
        "someservice:Do",
        "*",
        PolicySet(identity=[MIXED_IP]),
        **{"aws:SourceIp": address},
    )
    assert decision.allowed is allowed


def test_a_request_without_a_source_ip_is_implicitly_denied() -> None:
    """Via a VPC endpoint aws:SourceIp is absent: "the condition returns false"."""
    assert decide(user("u"), "someservice:Do", "*", PolicySet(identity=[MIXED_IP])) == ImplicitDeny(
        "identity-based policy"
    )


# …IfExists condition operators:
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
INSTANCE_TYPES = ["t1.*", "t2.*", "m3.*"]


@pytest.mark.parametrize(
    ("operator", "allowed"), [("StringLike", False), ("StringLikeIfExists", True)]
)
def test_if_exists_lets_resources_without_the_key_through(operator: str, allowed: bool) -> None:
    """THISPOLICYDOESNOTWORK fails on resources without ec2:InstanceType; IfExists fixes it."""
    run = doc(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Allow",
                "Action": "ec2:RunInstances",
                "Resource": "*",
                "Condition": {operator: {"ec2:InstanceType": INSTANCE_TYPES}},
            },
        }
    )
    image = "arn:aws:ec2:us-east-1::image/ami-1"
    assert (
        decide(user("u"), "ec2:RunInstances", image, PolicySet(identity=[run])).allowed is allowed
    )
    instance = "arn:aws:ec2:us-east-1:123456789012:instance/*"
    big = {"ec2:InstanceType": "m5.large"}
    assert not decide(
        user("u"), "ec2:RunInstances", instance, PolicySet(identity=[run]), **big
    ).allowed


# Condition operator to check existence:
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
def test_null_requires_long_term_credentials() -> None:
    """`Null: {aws:TokenIssueTime: true}` allows only requests without temporary credentials."""
    ec2 = doc(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Action": "ec2:*",
                "Effect": "Allow",
                "Resource": "*",
                "Condition": {"Null": {"aws:TokenIssueTime": "true"}},
            },
        }
    )
    assert decide(user("u"), "ec2:DescribeInstances", "*", PolicySet(identity=[ec2])) == ALLOW
    now = {"aws:TokenIssueTime": datetime(2024, 1, 1, tzinfo=UTC)}
    assert not decide(
        role_session("r", "s"), "ec2:DescribeInstances", "*", PolicySet(identity=[ec2]), **now
    ).allowed


# --- Policy variables ----------------------------------------------------------------------------

# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
OWN_ACCESS_KEYS = {
    "Statement": [
        {
            "Action": ["iam:*AccessKey*"],
            "Effect": "Allow",
            "Resource": ["arn:aws:iam::123456789012:user/${aws:username}"],
        }
    ]
}


def test_each_user_manages_only_their_own_access_keys() -> None:
    """IAM substitutes the user name from the current request for ${aws:username}."""
    policies = PolicySet(identity=[doc({"Version": "2012-10-17", **OWN_ACCESS_KEYS})])
    assert (
        decide(
            user("David"), "iam:CreateAccessKey", "arn:aws:iam::123456789012:user/David", policies
        )
        == ALLOW
    )
    assert not decide(
        user("David"), "iam:CreateAccessKey", "arn:aws:iam::123456789012:user/Adele", policies
    ).allowed


def test_without_a_version_variables_are_literal_strings() -> None:
    """ "If you don't include the Version element … variables … are treated as literal strings"."""
    policies = PolicySet(identity=[doc(OWN_ACCESS_KEYS)])
    assert not decide(
        user("David"), "iam:CreateAccessKey", "arn:aws:iam::123456789012:user/David", policies
    ).allowed


def test_a_tag_variable_names_the_department_bucket() -> None:
    """`arn:aws:s3:::bucket/${aws:PrincipalTag/department}` refers to the user's department."""
    by_tag = doc(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::bucket/${aws:PrincipalTag/department}"],
            },
        }
    )
    hr = user("u", department="HR")
    assert (
        decide(hr, "s3:GetObject", "arn:aws:s3:::bucket/HR", PolicySet(identity=[by_tag])) == ALLOW
    )
    assert not decide(
        hr, "s3:GetObject", "arn:aws:s3:::bucket/IT", PolicySet(identity=[by_tag])
    ).allowed
    assert not decide(
        user("v"), "s3:GetObject", "arn:aws:s3:::bucket/HR", PolicySet(identity=[by_tag])
    ).allowed


def test_a_default_value_covers_callers_without_the_key() -> None:
    """`${aws:userid, 'anonymous'}`-style defaults apply when the key has no value."""
    defaulted = doc(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::bucket/${aws:username, 'shared'}/*",
            },
        }
    )
    assert (
        decide(
            role_session("r", "s"),
            "s3:GetObject",
            "arn:aws:s3:::bucket/shared/x",
            PolicySet(identity=[defaulted]),
        )
        == ALLOW
    )
    assert (
        decide(
            user("Ana"),
            "s3:GetObject",
            "arn:aws:s3:::bucket/Ana/x",
            PolicySet(identity=[defaulted]),
        )
        == ALLOW
    )


# --- Multivalued context keys --------------------------------------------------------------------

# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html
THREAD = "arn:aws:dynamodb:us-east-1:123456789012:table/Thread"
READ_ATTRIBUTES = doc(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "dynamodb:GetItem",
                "Resource": THREAD,
                "Condition": {
                    "ForAllValues:StringLike": {
                        "dynamodb:requestedAttributes": ["PostDateTime", "Message", "Tags"]
                    }
                },
            }
        ],
    }
)
DENY_PUT_ATTRIBUTES = doc(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Action": "dynamodb:PutItem",
                "Resource": THREAD,
                "Condition": {
                    "ForAnyValue:StringLike": {
                        "dynamodb:requestedAttributes": ["ID", "PostDateTime"]
                    }
                },
            }
        ],
    }
)


@pytest.mark.parametrize(
    ("attributes", "allowed"),
    [(["PostDateTime", "Message"], True), (["PostDateTime", "UserName"], False), ([], True)],
)
def test_for_all_values_allows_only_listed_attributes(attributes: list[str], allowed: bool) -> None:
    """Every requested attribute must be listed; an empty set makes ForAllValues true."""
    decision = decide(
        user("u"),
        "dynamodb:GetItem",
        THREAD,
        PolicySet(identity=[READ_ATTRIBUTES]),
        **{"dynamodb:requestedAttributes": attributes},
    )
    assert decision.allowed is allowed


@pytest.mark.parametrize(
    ("attributes", "denied"),
    [(["UserName", "Message", "PostDateTime"], True), (["UserName"], False), ([], False)],
)
def test_for_any_value_denies_if_one_attribute_is_listed(
    attributes: list[str], denied: bool
) -> None:
    """One match is enough for ForAnyValue; an empty set makes it false."""
    decision = decide(
        user("u"),
        "dynamodb:PutItem",
        THREAD,
        PolicySet(identity=[DENY_PUT_ATTRIBUTES]),
        **{"dynamodb:requestedAttributes": attributes},
    )
    assert isinstance(decision, ExplicitDeny) is denied


# --- NotAction, Deny and global keys -------------------------------------------------------------

# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_iam_mfa-selfmanage.html
MFA_SELF_MANAGE = doc(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowListActions",
                "Effect": "Allow",
                "Action": ["iam:ListUsers", "iam:ListVirtualMFADevices"],
                "Resource": "*",
            },
            {
                "Sid": "AllowIndividualUserToListOnlyTheirOwnMFA",
                "Effect": "Allow",
                "Action": ["iam:ListMFADevices"],
                "Resource": ["arn:aws:iam::*:mfa/*", "arn:aws:iam::*:user/${aws:username}"],
            },
            {
                "Sid": "AllowIndividualUserToManageTheirOwnMFA",
                "Effect": "Allow",
                "Action": [
                    "iam:CreateVirtualMFADevice",
                    "iam:DeleteVirtualMFADevice",
                    "iam:EnableMFADevice",
                    "iam:ResyncMFADevice",
                ],
                "Resource": [
                    "arn:aws:iam::*:mfa/${aws:username}",
                    "arn:aws:iam::*:user/${aws:username}",
                ],
            },
            {
                "Sid": "AllowIndividualUserToDeactivateOnlyTheirOwnMFAOnlyWhenUsingMFA",
                "Effect": "Allow",
                "Action": ["iam:DeactivateMFADevice"],
                "Resource": [
                    "arn:aws:iam::*:mfa/${aws:username}",
                    "arn:aws:iam::*:user/${aws:username}",
                ],
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            },
            {
                "Sid": "BlockMostAccessUnlessSignedInWithMFA",
                "Effect": "Deny",
                "NotAction": [
                    "iam:CreateVirtualMFADevice",
                    "iam:EnableMFADevice",
                    "iam:ListMFADevices",
                    "iam:ListUsers",
                    "iam:ListVirtualMFADevices",
                    "iam:ResyncMFADevice",
                ],
                "Resource": "*",
                "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
            },
        ],
    }
)
OWN_USER = "arn:aws:iam::123456789012:user/Mary"


def test_without_mfa_a_user_may_only_set_up_mfa() -> None:
    """Not MFA-authenticated: everything but the MFA set-up actions is explicitly denied."""
    policies = PolicySet(identity=[MFA_SELF_MANAGE])
    mary = user("Mary")
    assert decide(mary, "iam:ListMFADevices", OWN_USER, policies) == ALLOW
    assert (
        decide(mary, "iam:EnableMFADevice", "arn:aws:iam::123456789012:mfa/Mary", policies) == ALLOW
    )
    assert decide(mary, "iam:DeactivateMFADevice", OWN_USER, policies) == ExplicitDeny(
        "identity-based policy", "BlockMostAccessUnlessSignedInWithMFA"
    )
    assert isinstance(
        decide(mary, "s3:ListBucket", "*", policies, **{"aws:MultiFactorAuthPresent": False}),
        ExplicitDeny,
    )


def test_with_mfa_a_user_may_deactivate_their_own_device() -> None:
    policies = PolicySet(identity=[MFA_SELF_MANAGE])
    mfa = {"aws:MultiFactorAuthPresent": True}
    assert decide(user("Mary"), "iam:DeactivateMFADevice", OWN_USER, policies, **mfa) == ALLOW
    other = "arn:aws:iam::123456789012:user/Carlos"
    assert decide(user("Mary"), "iam:DeactivateMFADevice", other, policies, **mfa) == ImplicitDeny(
        "identity-based policy"
    )


# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_aws_deny-requested-region.html
DENY_OUTSIDE_EU = doc(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyAllOutsideEU",
                "Effect": "Deny",
                "NotAction": ["cloudfront:*", "iam:*", "route53:*", "support:*"],
                "Resource": "*",
                "Condition": {
                    "StringNotEquals": {"aws:RequestedRegion": ["eu-central-1", "eu-west-1"]}
                },
            }
        ],
    }
)
EVERYTHING = doc(
    {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}
)


@pytest.mark.parametrize(
    ("action", "region", "denied"),
    [
        ("ec2:RunInstances", "us-east-1", True),
        ("ec2:RunInstances", "eu-west-1", False),
        ("iam:CreateUser", "us-east-1", False),  # global services are not in the NotAction's reach
        ("secretsmanager:GetSecretValue", "eu-central-1", False),
    ],
)
def test_deny_everything_outside_the_eu_except_global_services(
    action: str, region: str, denied: bool
) -> None:
    policies = PolicySet(identity=[EVERYTHING, DENY_OUTSIDE_EU])
    decision = decide(user("u"), action, "*", policies, **{"aws:RequestedRegion": region})
    assert isinstance(decision, ExplicitDeny) is denied
    assert decision.allowed is not denied


# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_aws_deny-ip.html
DENY_OUTSIDE_IPS = doc(
    {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"]}},
        },
    }
)


@pytest.mark.parametrize(
    ("address", "denied"), [("192.0.2.14", False), ("203.0.113.200", False), ("198.51.100.3", True)]
)
def test_deny_requests_from_outside_the_company_ranges(address: str, denied: bool) -> None:
    policies = PolicySet(identity=[EVERYTHING, DENY_OUTSIDE_IPS])
    decision = decide(user("u"), "s3:ListBucket", "*", policies, **{"aws:SourceIp": address})
    assert isinstance(decision, ExplicitDeny) is denied


# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_aws-dates.html
DATE_WINDOW = doc(
    {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": "*",
            "Condition": {
                "DateGreaterThan": {"aws:CurrentTime": "2017-07-01T00:00:00Z"},
                "DateLessThan": {"aws:CurrentTime": "2017-12-31T23:59:59Z"},
            },
        },
    }
)


@pytest.mark.parametrize(
    ("now", "allowed"),
    [
        (datetime(2017, 9, 1, tzinfo=UTC), True),
        (datetime(2018, 1, 1, tzinfo=UTC), False),
        (datetime(2017, 6, 30, tzinfo=UTC), False),
    ],
)
def test_access_only_within_specific_dates(now: datetime, allowed: bool) -> None:
    """Allowed between July 1 and December 31, 2017 (UTC); placeholder action filled in."""
    decision = decide(
        user("u"), GET, DB_SECRET, PolicySet(identity=[DATE_WINDOW]), **{"aws:CurrentTime": now}
    )
    assert decision.allowed is allowed


# --- Principal and NotPrincipal ------------------------------------------------------------------

# IAM user in the same or a different account:
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
NOT_BOB = doc(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "NotPrincipal": {
                    "AWS": ["arn:aws:iam::444455556666:user/Bob", "arn:aws:iam::444455556666:root"]
                },
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::BUCKETNAME", "arn:aws:s3:::BUCKETNAME/*"],
            }
        ],
    },
    kind="resource",
)
S3_FROM_OTHER = doc(
    {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Principal": {"AWS": "444455556666"},
            "Action": "s3:*",
            "Resource": "*",
        },
    },
    kind="resource",
)


def test_everyone_but_bob_is_denied() -> None:
    """All principals except Bob are explicitly denied; the statement alone grants Bob nothing."""
    bob, alice = user("Bob", "444455556666"), user("Alice", "444455556666")
    key = "arn:aws:s3:::BUCKETNAME/x"
    assert decide(
        bob,
        "s3:GetObject",
        key,
        PolicySet(identity=[S3_ALL], resource=NOT_BOB, resource_account="123456789012"),
    ) == ImplicitDeny("resource-based policy")
    assert isinstance(
        decide(
            alice,
            "s3:GetObject",
            key,
            PolicySet(identity=[S3_ALL], resource=NOT_BOB, resource_account="123456789012"),
        ),
        ExplicitDeny,
    )


def test_bob_gets_access_from_another_allow_statement() -> None:
    """Bob needs "another policy statement" that "must explicitly allow access"."""
    allow_account = S3_FROM_OTHER.statements[0]
    combined = PolicyDocument("resource", "2012-10-17", None, (*NOT_BOB.statements, allow_account))
    policies = PolicySet(identity=[S3_ALL], resource=combined, resource_account="123456789012")
    assert (
        decide(user("Bob", "444455556666"), "s3:GetObject", "arn:aws:s3:::BUCKETNAME/x", policies)
        == ALLOW
    )


# IAM role in the same or different account:
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
NOT_AUDIT_APP = doc(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "NotPrincipal": {
                    "AWS": [
                        "arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app",
                        "arn:aws:iam::444455556666:role/cross-account-read-only-role",
                        "arn:aws:iam::444455556666:root",
                    ]
                },
                "Action": "s3:*",
                "Resource": [
                    "arn:aws:s3:::Bucket_AccountAudit",
                    "arn:aws:s3:::Bucket_AccountAudit/*",
                ],
            }
        ],
    },
    kind="resource",
)


def test_only_the_audit_app_session_escapes_the_deny() -> None:
    key = "arn:aws:s3:::Bucket_AccountAudit/report"
    policies = PolicySet(identity=[S3_ALL], resource=NOT_AUDIT_APP, resource_account="123456789012")
    audit = role_session("cross-account-read-only-role", "cross-account-audit-app", "444455556666")
    other = role_session("cross-account-read-only-role", "someone-else", "444455556666")
    assert not isinstance(decide(audit, "s3:GetObject", key, policies), ExplicitDeny)
    assert isinstance(decide(other, "s3:GetObject", key, policies), ExplicitDeny)


# Important: NotPrincipal with Deny and boundaries:
# https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
def test_not_principal_deny_always_denies_principals_with_a_boundary() -> None:
    """ "The NotPrincipal element with a Deny effect will always deny any IAM principal that has
    a permissions boundary policy attached, regardless of the values specified"."""
    bob = user("Bob", "444455556666")
    policies = PolicySet(
        identity=[S3_ALL], boundary=S3_ALL, resource=NOT_BOB, resource_account="123456789012"
    )
    assert isinstance(
        decide(bob, "s3:GetObject", "arn:aws:s3:::BUCKETNAME/x", policies), ExplicitDeny
    )


# All principals:
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
PRINCIPAL_ARN_DENY = doc(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "UsePrincipalArnInsteadOfNotPrincipalWithDeny",
                "Effect": "Deny",
                "Action": "s3:*",
                "Principal": "*",
                "Resource": ["arn:aws:s3:::BUCKETNAME/*", "arn:aws:s3:::BUCKETNAME"],
                "Condition": {
                    "ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::444455556666:user/user-name"}
                },
            }
        ],
    },
    kind="resource",
)


def test_principal_arn_condition_denies_all_but_the_named_user() -> None:
    policies = PolicySet(
        identity=[S3_ALL], resource=PRINCIPAL_ARN_DENY, resource_account="123456789012"
    )
    key = "arn:aws:s3:::BUCKETNAME/x"
    assert not isinstance(
        decide(user("user-name", "444455556666"), "s3:GetObject", key, policies), ExplicitDeny
    )
    assert decide(user("other", "444455556666"), "s3:GetObject", key, policies) == ExplicitDeny(
        "resource-based policy", "UsePrincipalArnInsteadOfNotPrincipalWithDeny"
    )


# AWS account principals:
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
@pytest.mark.parametrize("account", ["123456789012", "arn:aws:iam::123456789012:root"])
def test_account_id_and_root_arn_behave_the_same_way(account: str) -> None:
    """Both delegate to the account; the root ARN does not limit access to the root user."""
    resource = doc(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Allow",
                "Principal": {"AWS": account},
                "Action": "s3:*",
                "Resource": "*",
            },
        },
        kind="resource",
    )
    caller = user("dev", "123456789012")
    foreign = PolicySet(identity=[S3_ALL], resource=resource, resource_account="999999999999")
    assert decide(caller, "s3:GetObject", "arn:aws:s3:::b/k", foreign) == ALLOW
    assert decide(
        caller,
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        PolicySet(resource=resource, resource_account="999999999999"),
    ) == ImplicitDeny("identity-based policy")
