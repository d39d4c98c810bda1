"""IAM policy grammar: parsing identity, resource and trust policies, and BlockPublicPolicy."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strongroom.policy.document import (
    Condition,
    Effect,
    PolicyDocument,
    PolicyKind,
    PrincipalMap,
    Statement,
    grants_public_access,
    parse_policy,
)
from strongroom.policy.errors import MalformedPolicy

ACCOUNT = "111122223333"
OTHER = "444455556666"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app"
BAD_VALUE = (
    "Condition key aws:userid must have a string, boolean or number value, or a list of them."
)


def policy(*statements: dict[str, Any], **top: Any) -> str:
    return json.dumps({"Version": "2012-10-17", **top, "Statement": list(statements)})


def resource_stmt(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": ROLE},
        "Action": "secretsmanager:GetSecretValue",
        "Resource": "*",
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def identity_stmt(**fields: Any) -> dict[str, Any]:
    return resource_stmt(**{"Principal": None, **fields})


def trust_stmt(**fields: Any) -> dict[str, Any]:
    return resource_stmt(**{"Resource": None, "Action": "sts:AssumeRole", **fields})


def refused(text: str, kind: PolicyKind = "resource") -> str:
    with pytest.raises(MalformedPolicy) as caught:
        parse_policy(text, kind=kind)
    return caught.value.detail


def one(text: str, kind: PolicyKind = "resource") -> Statement:
    (statement,) = parse_policy(text, kind=kind).statements
    return statement


# --- documents -------------------------------------------------------------------


def test_resource_policy_parses_into_values() -> None:
    """A typical secret resource policy becomes a document of frozen statements."""
    doc = parse_policy(policy(resource_stmt(Sid="ReadForApp")), kind="resource")
    assert doc == PolicyDocument(
        kind="resource",
        version="2012-10-17",
        id=None,
        statements=(
            Statement(
                sid="ReadForApp",
                effect=Effect.ALLOW,
                principal=PrincipalMap((("AWS", (ROLE,)),)),
                not_principal=None,
                action=("secretsmanager:GetSecretValue",),
                not_action=None,
                resource=("*",),
                not_resource=None,
                condition=(),
            ),
        ),
    )
    assert hash(doc) == hash(parse_policy(policy(resource_stmt(Sid="ReadForApp")), kind="resource"))


def test_statement_may_be_a_single_object() -> None:
    """`Statement` may be one object instead of a list."""
    text = json.dumps({"Statement": identity_stmt()})
    doc = parse_policy(text, kind="identity")
    assert len(doc.statements) == 1
    assert doc.version is None


@pytest.mark.parametrize("version", ["2012-10-17", "2008-10-17"])
def test_both_versions_are_accepted(version: str) -> None:
    """Both policy language versions are accepted."""
    assert (
        parse_policy(policy(resource_stmt(), Version=version), kind="resource").version == version
    )


def test_id_is_kept() -> None:
    """The optional Id is kept."""
    doc = parse_policy(policy(resource_stmt(), Id="SecretPolicy1"), kind="resource")
    assert doc.id == "SecretPolicy1"


def test_lists_become_tuples() -> None:
    """Action and Resource lists keep their order as tuples."""
    statement = one(
        policy(
            identity_stmt(
                Action=["secretsmanager:Get*", "secretsmanager:Describe*"],
                Resource=["arn:aws:secretsmanager:us-east-1:111122223333:secret:a-??????", "*"],
            )
        ),
        kind="identity",
    )
    assert statement.action == ("secretsmanager:Get*", "secretsmanager:Describe*")
    assert statement.resource == (
        "arn:aws:secretsmanager:us-east-1:111122223333:secret:a-??????",
        "*",
    )


def test_not_action_and_not_resource_are_kept_apart() -> None:
    """NotAction and NotResource fill their own fields and leave Action/Resource empty."""
    statement = one(
        policy(
            identity_stmt(
                Effect="Deny",
                Action=None,
                NotAction="secretsmanager:Describe*",
                Resource=None,
                NotResource="arn:aws:secretsmanager:*:*:secret:public-*",
            )
        ),
        kind="identity",
    )
    assert statement.effect is Effect.DENY
    assert statement.action is None
    assert statement.not_action == ("secretsmanager:Describe*",)
    assert statement.resource is None
    assert statement.not_resource == ("arn:aws:secretsmanager:*:*:secret:public-*",)


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("", "Syntax errors in policy."),
        ("{", "Syntax errors in policy."),
        ('{"Statement": NaN}', "Syntax errors in policy."),
        ("[]", "Policy document must be a JSON object."),
        ('"policy"', "Policy document must be a JSON object."),
        ('{"Version": "2012-10-17"}', "Missing required field Statement"),
        ('{"Statement": []}', "Statement must be an object or a non-empty list of objects."),
        ('{"Statement": "x"}', "Statement must be an object or a non-empty list of objects."),
        ('{"Statement": ["x"]}', "Statement must be an object or a non-empty list of objects."),
        ('{"Statement": {}, "Extra": 1}', "Has prohibited field Extra."),
        (
            '{"Statement": {}, "Version": "2020-01-01"}',
            "Policy document version must be 2012-10-17 or 2008-10-17.",
        ),
        ('{"Statement": {}, "Version": 2012}', "Field Version must be a string."),
        ('{"Statement": {}, "Id": null}', "Field Id must be a string."),
    ],
)
def test_malformed_documents_are_refused(text: str, detail: str) -> None:
    """Documents that are not JSON objects of the grammar are refused with a reason."""
    assert refused(text) == detail


@pytest.mark.parametrize(
    "text",
    [
        '{"Statement": {}, "Statement": {}}',
        policy(resource_stmt())[:-3] + ', "Effect": "Deny"}]}',
        policy(resource_stmt(Principal={"AWS": ROLE})).replace('{"AWS": ', '{"AWS": "*", "AWS": '),
        policy(resource_stmt(Condition={"Bool": {"aws:SecureTransport": "true"}})).replace(
            '{"Bool": ', '{"Bool": {}, "Bool": '
        ),
    ],
)
def test_duplicate_keys_are_refused_anywhere(text: str) -> None:
    """A key repeated in any object of the document is refused, even with the same value."""
    assert refused(text).startswith("Has duplicate field ")


# --- statements ------------------------------------------------------------------


def test_unknown_statement_key_is_refused() -> None:
    """A statement key outside the grammar is refused (keys are case-sensitive)."""
    assert refused(policy(resource_stmt(Actions="s3:*"))) == "Has prohibited field Actions."
    assert refused(policy(resource_stmt(effect="Allow"))) == "Has prohibited field effect."


@pytest.mark.parametrize(
    ("effect", "detail"),
    [
        (None, "Missing required field Effect"),
        ("allow", 'Invalid effect: "allow"'),
        ("Permit", 'Invalid effect: "Permit"'),
        (True, "Invalid effect: true"),
    ],
)
def test_effect_must_be_allow_or_deny(effect: Any, detail: str) -> None:
    """Effect is required and is exactly Allow or Deny."""
    assert refused(policy(resource_stmt(Effect=effect))) == detail


def test_action_and_not_action_together_are_refused() -> None:
    """A statement cannot have both Action and NotAction."""
    text = policy(resource_stmt(NotAction="secretsmanager:DeleteSecret"))
    assert refused(text) == "Statement cannot contain both Action and NotAction."


@pytest.mark.parametrize("action", [None, []])
def test_missing_actions_are_refused(action: Any) -> None:
    """A statement without actions is refused with IAM's text."""
    assert refused(policy(resource_stmt(Action=action))) == "Policy statement must contain actions."


@pytest.mark.parametrize(
    ("action", "detail"),
    [
        (
            "GetSecretValue",
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        ),
        ("secretsmanager:Get:Value", "Actions/Condition can contain only one colon."),
        ("secrets manager:Get", "Vendor secrets manager is not valid"),
        ("secretsmanager:", "Action secretsmanager: is not valid."),
        ("secretsmanager:Get Value", "Action secretsmanager:Get Value is not valid."),
        (["secretsmanager:Get*", 7], "Field Action must be a string or a list of strings."),
        ({"a": "b"}, "Field Action must be a string or a list of strings."),
    ],
)
def test_malformed_actions_are_refused(action: Any, detail: str) -> None:
    """Actions are `*` or `vendor:name`, with wildcards allowed in the name."""
    assert refused(policy(resource_stmt(Action=action))) == detail


@pytest.mark.parametrize("action", ["*", "secretsmanager:*", "secretsmanager:Get*", "kms:Re?rypt"])
def test_wildcard_actions_are_accepted(action: str) -> None:
    """`*` alone or wildcards in the action name are accepted."""
    assert one(policy(resource_stmt(Action=action))).action == (action,)


def test_resource_and_not_resource_together_are_refused() -> None:
    """A statement cannot have both Resource and NotResource."""
    text = policy(resource_stmt(NotResource="*"))
    assert refused(text) == "Statement cannot contain both Resource and NotResource."


@pytest.mark.parametrize("kind", ["identity", "resource"])
@pytest.mark.parametrize("resource", [None, []])
def test_identity_and_resource_policies_need_resources(kind: PolicyKind, resource: Any) -> None:
    """Identity and resource policy statements must name resources."""
    stmt = resource_stmt(Resource=resource)
    if kind == "identity":
        stmt.pop("Principal")
    assert refused(policy(stmt), kind) == "Policy statement must contain resources."


def test_resource_must_be_an_arn_or_wildcard() -> None:
    """A resource that is neither `*` nor an ARN is refused with IAM's text."""
    assert refused(policy(resource_stmt(Resource="my-secret"))) == (
        'Resource my-secret must be in ARN format or "*".'
    )


# --- principals ------------------------------------------------------------------


@pytest.mark.parametrize("field", ["Principal", "NotPrincipal"])
def test_identity_policy_must_not_name_a_principal(field: str) -> None:
    """An identity policy with a principal is refused with IAM's text."""
    text = policy(identity_stmt(**{field: {"AWS": ROLE}}))
    assert refused(text, "identity") == "Policy document should not specify a principal."


@pytest.mark.parametrize("kind", ["resource", "trust"])
def test_resource_and_trust_policies_need_a_principal(kind: PolicyKind) -> None:
    """Resource and trust policy statements must name a principal."""
    assert refused(policy(identity_stmt()), kind) == "Missing required field Principal"


def test_principal_and_not_principal_together_are_refused() -> None:
    """A statement cannot have both Principal and NotPrincipal."""
    text = policy(resource_stmt(NotPrincipal={"AWS": ROLE}))
    assert refused(text) == "Statement cannot contain both Principal and NotPrincipal."


def test_principal_wildcard_forms() -> None:
    """`"*"` stays the wildcard; `{"AWS": "*"}` stays a map holding `*`."""
    assert one(policy(resource_stmt(Principal="*"))).principal == "*"
    mapped = one(policy(resource_stmt(Principal={"AWS": "*"}))).principal
    assert isinstance(mapped, PrincipalMap)
    assert dict(mapped) == {"AWS": ("*",)}


def test_principal_map_is_a_readonly_hashable_mapping_in_canonical_order() -> None:
    """Principal kinds come back in AWS, Service, Federated, CanonicalUser order."""
    principal = one(
        policy(
            resource_stmt(
                Principal={
                    "Service": "secretsmanager.amazonaws.com",
                    "AWS": [ACCOUNT, ROLE, "AIDAJQABLZS4A3QDU576Q"],
                }
            )
        )
    ).principal
    assert isinstance(principal, PrincipalMap)
    assert list(principal) == ["AWS", "Service"]
    assert principal["AWS"] == (ACCOUNT, ROLE, "AIDAJQABLZS4A3QDU576Q")
    assert principal.get("Federated") is None
    assert len(principal) == 2
    assert hash(principal) == hash(PrincipalMap(tuple(principal.items())))


def test_not_principal_is_kept_in_resource_policies() -> None:
    """NotPrincipal is allowed in resource policies."""
    statement = one(
        policy(resource_stmt(Effect="Deny", Principal=None, NotPrincipal={"AWS": ROLE}))
    )
    assert statement.principal is None
    assert statement.not_principal == PrincipalMap((("AWS", (ROLE,)),))


@pytest.mark.parametrize(
    ("principal", "detail"),
    [
        (
            "arn:aws:iam::111122223333:root",
            'Invalid principal in policy: "arn:aws:iam::111122223333:root"',
        ),
        ({}, "Invalid principal in policy: {}"),
        ({"User": "bob"}, 'Invalid principal in policy: "User":"bob"'),
        ({"AWS": []}, 'Invalid principal in policy: "AWS":[]'),
        ({"AWS": 111122223333}, 'Invalid principal in policy: "AWS":111122223333'),
        ({"AWS": "bob"}, 'Invalid principal in policy: "AWS":"bob"'),
        (
            {"AWS": "arn:aws:iam::111122223333:role/*"},
            'Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:role/*"',
        ),
        ({"Service": ""}, 'Invalid principal in policy: "Service":""'),
    ],
)
def test_invalid_principals_are_refused(principal: Any, detail: str) -> None:
    """Principals outside the grammar are refused in IAM's `Invalid principal` form."""
    assert refused(policy(resource_stmt(Principal=principal))) == detail


# --- trust policies --------------------------------------------------------------


def test_trust_policy_has_no_resource() -> None:
    """A role trust policy names a principal and actions but no resource."""
    statement = one(policy(trust_stmt(Principal={"Service": "lambda.amazonaws.com"})), "trust")
    assert statement.resource is None
    assert statement.not_resource is None
    assert statement.action == ("sts:AssumeRole",)


@pytest.mark.parametrize("field", ["Resource", "NotResource"])
def test_trust_policy_resource_is_refused(field: str) -> None:
    """A resource in a trust policy is refused with IAM's text."""
    text = policy(trust_stmt(**{field: "*"}))
    assert refused(text, "trust") == f"Has prohibited field {field}."


def test_trust_policy_not_principal_is_refused() -> None:
    """NotPrincipal is not allowed in a trust policy."""
    text = policy(trust_stmt(Principal=None, NotPrincipal={"AWS": ROLE}))
    assert refused(text, "trust") == "Has prohibited field NotPrincipal."


# --- Sid -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["identity", "trust"])
def test_iam_sids_are_alphanumeric_and_unique(kind: PolicyKind) -> None:
    """IAM's own policies need alphanumeric, unique Sids."""
    make = identity_stmt if kind == "identity" else trust_stmt
    assert refused(policy(make(Sid="read-app")), kind).startswith(
        "Statement IDs (SID) must be alpha-numeric."
    )
    assert refused(policy(make(Sid="A"), make(Sid="A")), kind) == (
        "Statement IDs (SID) in a single policy must be unique."
    )
    assert len(parse_policy(policy(make(Sid=""), make(Sid="")), kind=kind).statements) == 2


def test_resource_policy_sids_are_free_strings() -> None:
    """A secret's resource policy accepts any Sid string, repeated or not."""
    text = policy(resource_stmt(Sid="read app"), resource_stmt(Sid="read app"))
    assert [s.sid for s in parse_policy(text, kind="resource").statements] == ["read app"] * 2


def test_sid_must_be_a_string() -> None:
    """A non-string Sid is refused."""
    assert refused(policy(resource_stmt(Sid=1))) == "Field Sid must be a string."


# --- conditions ------------------------------------------------------------------


def test_conditions_become_operator_key_values_triples() -> None:
    """Each operator/key pair is one condition; booleans and numbers become IAM strings."""
    text = policy(
        resource_stmt(
            Condition={
                "StringEquals": {"aws:PrincipalAccount": [ACCOUNT, OTHER], "aws:userid": "x"},
                "Bool": {"aws:SecureTransport": True},
                "NumericLessThan": {"aws:MultiFactorAuthAge": 3600},
                "ForAnyValue:StringLikeIfExists": {"aws:TagKeys": ["team*"]},
            }
        )
    )
    # Numbers keep their literal text (no float round-trip).
    text = text.replace("3600", "3600.50")
    assert one(text).condition == (
        Condition("StringEquals", "aws:PrincipalAccount", (ACCOUNT, OTHER)),
        Condition("StringEquals", "aws:userid", ("x",)),
        Condition("Bool", "aws:SecureTransport", ("true",)),
        Condition("NumericLessThan", "aws:MultiFactorAuthAge", ("3600.50",)),
        Condition("ForAnyValue:StringLikeIfExists", "aws:TagKeys", ("team*",)),
    )


def test_condition_operator_parts() -> None:
    """A condition exposes its set qualifier, base operator and IfExists flag."""
    plain = Condition("StringEquals", "aws:userid", ("x",))
    assert (plain.qualifier, plain.base, plain.if_exists) == (None, "StringEquals", False)
    full = Condition("ForAllValues:StringLikeIfExists", "aws:TagKeys", ())
    assert (full.qualifier, full.base, full.if_exists) == ("ForAllValues", "StringLike", True)


def test_empty_condition_block_and_value_list_are_accepted() -> None:
    """An empty operator body and an empty value list both parse."""
    statement = one(
        policy(resource_stmt(Condition={"StringEquals": {"aws:userid": []}, "Bool": {}}))
    )
    assert statement.condition == (Condition("StringEquals", "aws:userid", ()),)


@pytest.mark.parametrize(
    ("condition", "detail"),
    [
        ("x", "Condition must map operators to key/value objects."),
        ([], "Condition must map operators to key/value objects."),
        ({"StringEqual": {"aws:userid": "x"}}, "Invalid condition operator StringEqual."),
        (
            {"ForSomeValues:StringEquals": {"aws:userid": "x"}},
            "Invalid condition operator ForSomeValues:StringEquals.",
        ),
        ({"NullIfExists": {"aws:userid": "true"}}, "Invalid condition operator NullIfExists."),
        ({"StringEquals": "x"}, "Condition operator StringEquals must map keys to values."),
        (
            {"StringEquals": {"userid": "x"}},
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        ),
        (
            {"StringEquals": {"aws:userid": None}},
            BAD_VALUE,
        ),
        (
            {"StringEquals": {"aws:userid": [["x"]]}},
            BAD_VALUE,
        ),
        (
            {"StringEquals": {"aws:userid": {"a": "b"}}},
            BAD_VALUE,
        ),
    ],
)
def test_malformed_conditions_are_refused(condition: Any, detail: str) -> None:
    """Condition blocks must be operator -> {key -> scalar or list of scalars}."""
    assert refused(policy(resource_stmt(Condition=condition))) == detail


def test_tag_condition_keys_may_contain_colons() -> None:
    """Keys such as aws:ResourceTag/aws:cloudformation:stack-name are accepted."""
    key = "aws:ResourceTag/aws:cloudformation:stack-name"
    statement = one(policy(resource_stmt(Condition={"StringEquals": {key: "prod"}})))
    assert statement.condition[0].key == key


# --- BlockPublicPolicy -------------------------------------------------------------


def public(*statements: dict[str, Any]) -> bool:
    return grants_public_access(parse_policy(policy(*statements), kind="resource"), ACCOUNT)


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}, {"AWS": [ROLE, "*"]}])
def test_allow_to_everyone_is_public(principal: Any) -> None:
    """Allowing `*` (in either spelling) is public."""
    assert public(resource_stmt(Principal=principal))


@pytest.mark.parametrize(
    "principal",
    [
        {"AWS": ROLE},
        {"AWS": ACCOUNT},
        {"AWS": f"arn:aws:iam::{OTHER}:root"},
        {"AWS": OTHER},
        {"Service": "secretsmanager.amazonaws.com"},
    ],
)
def test_named_principals_are_not_public(principal: Any) -> None:
    """Principals of this or another account, and service principals, are not public."""
    assert not public(resource_stmt(Principal=principal))


def test_deny_to_everyone_is_not_public() -> None:
    """A Deny statement never makes a policy public."""
    assert not public(resource_stmt(Effect="Deny", Principal="*"))


def test_allow_with_not_principal_is_public() -> None:
    """Allow with NotPrincipal grants everyone else and is public."""
    assert public(resource_stmt(Principal=None, NotPrincipal={"AWS": ROLE}))


def test_one_public_statement_makes_the_policy_public() -> None:
    """A public statement among private ones makes the policy public."""
    assert public(resource_stmt(), resource_stmt(Principal="*"))


@pytest.mark.parametrize(
    ("operator", "key", "values"),
    [
        ("StringEquals", "aws:PrincipalAccount", ACCOUNT),
        ("StringEquals", "aws:PrincipalOrgID", "o-abc123"),
        ("StringEquals", "AWS:principalorgid", "o-abc123"),  # key names ignore case
        ("ForAnyValue:StringEquals", "aws:PrincipalOrgPaths", "o-a/r-b/ou-c/"),
        ("StringEquals", "aws:SourceVpce", ["vpce-1a2b3c4d", "vpce-5e6f"]),
        ("StringEquals", "aws:SourceVpc", "vpc-111bbb22"),
        ("StringEqualsIgnoreCase", "aws:SourceAccount", OTHER),
        ("ArnEquals", "aws:PrincipalArn", ROLE),
        ("ArnLike", "aws:SourceArn", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:rotate"),
        ("StringLike", "aws:userid", "AROAEXAMPLEID:session"),
        ("StringEquals", "aws:SourceOwner", ACCOUNT),
    ],
)
def test_pinning_condition_makes_wildcard_private(operator: str, key: str, values: Any) -> None:
    """A wildcard principal pinned to fixed accounts, orgs or endpoints is not public."""
    assert not public(resource_stmt(Principal="*", Condition={operator: {key: values}}))


@pytest.mark.parametrize(
    ("operator", "key", "values"),
    [
        ("StringEquals", "aws:SecureTransport", "true"),  # not an identity key
        ("Bool", "aws:SecureTransport", True),
        ("IpAddress", "aws:SourceIp", "203.0.113.0/24"),  # outside the approximation
        ("StringLike", "aws:PrincipalAccount", "*"),
        ("StringLike", "aws:PrincipalArn", "arn:aws:iam::*:role/app"),
        ("StringLike", "aws:userid", "AROA?XAMPLE"),
        ("StringEquals", "aws:PrincipalAccount", "${aws:PrincipalAccount}"),
        ("StringEquals", "aws:PrincipalAccount", []),
        ("StringEquals", "aws:PrincipalAccount", ""),
        ("StringEqualsIfExists", "aws:SourceVpce", "vpce-1a2b3c4d"),
        ("ForAllValues:StringEquals", "aws:PrincipalOrgPaths", "o-a/r-b/"),
        ("StringNotEquals", "aws:PrincipalAccount", OTHER),
        ("ArnNotLike", "aws:PrincipalArn", ROLE),
        ("Null", "aws:PrincipalOrgID", "false"),
    ],
)
def test_open_conditions_leave_wildcard_public(operator: str, key: str, values: Any) -> None:
    """Conditions that do not pin the caller (wildcards, IfExists, negations) stay public."""
    assert public(resource_stmt(Principal="*", Condition={operator: {key: values}}))


def test_pinned_not_principal_is_not_public() -> None:
    """Allow with NotPrincipal limited to one organization is not public."""
    assert not public(
        resource_stmt(
            Principal=None,
            NotPrincipal={"AWS": ROLE},
            Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
        )
    )


def test_identity_policy_is_never_public() -> None:
    """An identity policy has no principal and so grants nothing public by itself."""
    doc = parse_policy(policy(identity_stmt(Action="*")), kind="identity")
    assert not grants_public_access(doc, ACCOUNT)


# --- properties ------------------------------------------------------------------

vendors = st.sampled_from(["secretsmanager", "kms", "sts", "s3", "iam"])
action_names = st.from_regex(r"[A-Za-z*?][A-Za-z0-9*?]{0,12}", fullmatch=True)
actions = st.one_of(st.just("*"), st.builds(lambda v, n: f"{v}:{n}", vendors, action_names))
resources = st.one_of(
    st.just("*"),
    st.from_regex(
        r"arn:aws:secretsmanager:us-east-1:[0-9]{12}:secret:[a-z/*?-]{1,12}", fullmatch=True
    ),
)
aws_principals = st.one_of(
    st.just("*"),
    st.from_regex(r"[0-9]{12}", fullmatch=True),
    st.from_regex(r"arn:aws:iam::[0-9]{12}:(root|role/[a-z]{1,8}|user/[a-z]{1,8})", fullmatch=True),
)
principals = st.one_of(
    st.just("*"),
    st.fixed_dictionaries(
        {},
        optional={
            "AWS": st.one_of(aws_principals, st.lists(aws_principals, min_size=1, max_size=3)),
            "Service": st.sampled_from(["secretsmanager.amazonaws.com", "lambda.amazonaws.com"]),
        },
    ).filter(bool),
)
scalars = st.one_of(
    st.text(max_size=8), st.booleans(), st.integers(-(10**6), 10**6), st.floats(-1e6, 1e6)
)
operators = st.builds(
    lambda q, b, e: f"{q}{b}{e}",
    st.sampled_from(["", "ForAnyValue:", "ForAllValues:"]),
    st.sampled_from(
        ["StringEquals", "StringLike", "ArnLike", "NumericLessThan", "Bool", "DateEquals"]
    ),
    st.sampled_from(["", "IfExists"]),
)
condition_keys = st.from_regex(r"aws:[A-Za-z]{1,10}(/[a-z:]{1,6})?", fullmatch=True)
conditions = st.dictionaries(
    operators,
    st.dictionaries(condition_keys, st.one_of(scalars, st.lists(scalars, max_size=3)), max_size=3),
    max_size=3,
)


def _one_or_list(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    return st.one_of(strategy, st.lists(strategy, min_size=1, max_size=3))


@st.composite
def resource_statements(draw: st.DrawFn) -> dict[str, Any]:
    stmt: dict[str, Any] = {"Effect": draw(st.sampled_from(["Allow", "Deny"]))}
    stmt[draw(st.sampled_from(["Principal", "NotPrincipal"]))] = draw(principals)
    stmt[draw(st.sampled_from(["Action", "NotAction"]))] = draw(_one_or_list(actions))
    stmt[draw(st.sampled_from(["Resource", "NotResource"]))] = draw(_one_or_list(resources))
    if draw(st.booleans()):
        stmt["Sid"] = draw(st.text(max_size=10))
    if draw(st.booleans()):
        stmt["Condition"] = draw(conditions)
    # Key order in the JSON text does not matter to the grammar.
    keys = draw(st.permutations(list(stmt)))
    return {k: stmt[k] for k in keys}


def _as_tuple(value: Any) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, list) else (value,)


@given(st.lists(resource_statements(), min_size=1, max_size=4))
def test_property_valid_resource_statements_parse(stmts: list[dict[str, Any]]) -> None:
    """Any statement built from the grammar parses, and its fields come back unchanged."""
    doc = parse_policy(policy(*stmts), kind="resource")
    assert len(doc.statements) == len(stmts)
    for raw, parsed in zip(stmts, doc.statements, strict=True):
        assert parsed.effect.value == raw["Effect"]
        assert parsed.sid == raw.get("Sid")
        for field, attr in [
            ("Action", "action"),
            ("NotAction", "not_action"),
            ("Resource", "resource"),
            ("NotResource", "not_resource"),
        ]:
            expected = _as_tuple(raw[field]) if field in raw else None
            assert getattr(parsed, attr) == expected
        written = raw.get("Principal", raw.get("NotPrincipal"))
        got = parsed.principal if "Principal" in raw else parsed.not_principal
        if written == "*":
            assert got == "*"
        else:
            assert isinstance(got, PrincipalMap)
            assert dict(got) == {k: _as_tuple(v) for k, v in written.items()}
        expected_keys = [
            (op, key) for op, tests in raw.get("Condition", {}).items() for key in tests
        ]
        assert [(c.operator, c.key) for c in parsed.condition] == expected_keys
        hash(parsed)


@given(resource_statements(), st.data())
def test_property_a_duplicate_key_is_always_refused(
    stmt: dict[str, Any], data: st.DataObject
) -> None:
    """Repeating any key of a statement, with any value, makes the document malformed."""
    key = data.draw(st.sampled_from(sorted(stmt)))
    repeated = data.draw(st.sampled_from([stmt[key], "Allow", "*"]))
    text = json.dumps(stmt)[:-1] + f", {json.dumps(key)}: {json.dumps(repeated)}}}"
    with pytest.raises(MalformedPolicy) as caught:
        parse_policy('{"Statement": [' + text + "]}", kind="resource")
    assert caught.value.detail == f"Has duplicate field {key}."


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                ["Statement", "Effect", "Action", "Resource", "Principal", "Condition", "x"]
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@given(json_values, st.sampled_from(["identity", "resource", "trust"]))
def test_property_arbitrary_json_parses_or_is_malformed(value: Any, kind: PolicyKind) -> None:
    """Whatever JSON comes in, the parser either returns a document or raises MalformedPolicy."""
    with contextlib.suppress(MalformedPolicy):
        parse_policy(json.dumps(value), kind=kind)


@given(st.lists(resource_statements(), min_size=1, max_size=3))
def test_property_deny_only_policies_are_never_public(stmts: list[dict[str, Any]]) -> None:
    """Turning every statement into a Deny always yields a non-public policy."""
    denies = [{**s, "Effect": "Deny"} for s in stmts]
    assert not public(*denies)


@given(st.lists(resource_statements(), min_size=1, max_size=3))
def test_property_adding_a_statement_never_makes_a_policy_less_public(
    stmts: list[dict[str, Any]],
) -> None:
    """A public policy stays public whatever statement is added to it."""
    if public(*stmts[:1]):
        assert public(*stmts)
