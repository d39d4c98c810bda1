"""Condition operators, policy variables and wildcard matching of the IAM policy engine."""

from __future__ import annotations

import fnmatch
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strongroom.policy.conditions import condition_holds, parse_date
from strongroom.policy.document import Condition
from strongroom.policy.matching import (
    Wild,
    action_matches,
    arn_like,
    glob,
    plain_pattern,
    resource_matches,
    split_pattern,
)
from strongroom.policy.variables import Context, Variable, parse_template, resolve_pattern


def holds(operator: str, key: str, values: Any, context: dict[str, Any], **kw: Any) -> bool:
    """Evaluate one condition `{operator: {key: values}}` against a request context."""
    listed = tuple(values) if isinstance(values, list) else (values,)
    variables = kw.get("variables", True)
    return condition_holds(Condition(operator, key, listed), Context(context), variables=variables)


# --- missing keys ------------------------------------------------------------------------

NEGATED = [
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "NumericNotEquals",
    "DateNotEquals",
    "NotIpAddress",
    "ArnNotEquals",
    "ArnNotLike",
]
POSITIVE = [
    "StringEquals",
    "StringEqualsIgnoreCase",
    "StringLike",
    "NumericEquals",
    "NumericLessThan",
    "DateEquals",
    "DateGreaterThan",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "ArnEquals",
    "ArnLike",
]


@pytest.mark.parametrize("operator", POSITIVE)
def test_a_missing_key_makes_a_positive_operator_false(operator: str) -> None:
    """A condition on a key the request lacks does not hold."""
    assert not holds(operator, "aws:SourceIp", "1", {})


@pytest.mark.parametrize("operator", NEGATED)
def test_a_missing_key_makes_a_negated_operator_true(operator: str) -> None:
    """A negated condition on a missing key holds (IAM: "the condition is true")."""
    assert holds(operator, "aws:SourceIp", "1", {})


@pytest.mark.parametrize("operator", POSITIVE + NEGATED)
def test_if_exists_holds_when_the_key_is_missing(operator: str) -> None:
    """`…IfExists` passes a request that lacks the key."""
    assert holds(operator + "IfExists", "aws:SourceIp", "1", {})


def test_if_exists_tests_the_value_when_the_key_is_present() -> None:
    """`StringEqualsIfExists` still compares a key the request carries."""
    assert holds("StringEqualsIfExists", "aws:RequestTag/a", "x", {"aws:RequestTag/a": "x"})
    assert not holds("StringEqualsIfExists", "aws:RequestTag/a", "x", {"aws:RequestTag/a": "y"})


def test_null_tests_presence() -> None:
    """`Null: true` holds for an absent key, `Null: false` for a present one."""
    assert holds("Null", "aws:TokenIssueTime", "true", {})
    assert not holds("Null", "aws:TokenIssueTime", "false", {})
    now = datetime(2024, 1, 1, tzinfo=UTC)
    assert holds("Null", "aws:TokenIssueTime", "false", {"aws:TokenIssueTime": now})
    assert not holds("Null", "aws:TokenIssueTime", "TRUE", {"aws:TokenIssueTime": now})


def test_a_key_mapped_to_none_is_absent() -> None:
    assert holds("Null", "aws:username", "true", {"aws:username": None})


# --- strings ---------------------------------------------------------------------------


def test_string_equals_is_exact_and_case_sensitive() -> None:
    ctx = {"aws:PrincipalTag/team": "Red"}
    assert holds("StringEquals", "aws:PrincipalTag/team", "Red", ctx)
    assert not holds("StringEquals", "aws:PrincipalTag/team", "red", ctx)
    assert not holds("StringEquals", "aws:PrincipalTag/team", "R*", ctx)


def test_values_for_one_key_are_ored() -> None:
    ctx = {"aws:PrincipalTag/role": "audit"}
    assert holds("StringEquals", "aws:PrincipalTag/role", ["audit", "security"], ctx)


def test_negated_operator_values_are_nored() -> None:
    """StringNotEquals with two values holds only if the value is neither."""
    values = ["audit", "security"]
    assert not holds(
        "StringNotEquals", "aws:PrincipalTag/role", values, {"aws:PrincipalTag/role": "audit"}
    )
    assert holds(
        "StringNotEquals", "aws:PrincipalTag/role", values, {"aws:PrincipalTag/role": "dev"}
    )


def test_ignore_case_operators() -> None:
    ctx = {"aws:username": "Alice"}
    assert holds("StringEqualsIgnoreCase", "aws:username", "ALICE", ctx)
    assert not holds("StringNotEqualsIgnoreCase", "aws:username", "alice", ctx)
    assert holds("StringNotEqualsIgnoreCase", "aws:username", "bob", ctx)


def test_string_like_wildcards() -> None:
    ctx = {"s3:prefix": "home/David/notes"}
    assert holds("StringLike", "s3:prefix", "home/*", ctx)
    assert holds("StringLike", "s3:prefix", "home/Davi?/*", ctx)
    assert not holds("StringLike", "s3:prefix", "home/?/*", ctx)
    assert not holds("StringNotLike", "s3:prefix", ["x*", "home/*"], ctx)
    assert holds("StringNotLike", "s3:prefix", ["x*", "y*"], ctx)


def test_string_like_matches_the_empty_string() -> None:
    assert holds("StringLike", "s3:prefix", ["", "home/"], {"s3:prefix": ""})


def test_booleans_and_numbers_compare_as_their_text() -> None:
    assert holds("StringEquals", "aws:SecureTransport", "true", {"aws:SecureTransport": True})
    assert holds("StringEquals", "s3:max-keys", "10", {"s3:max-keys": 10})


# --- numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "policy", "request_value", "expected"),
    [
        ("NumericEquals", "10", 10, True),
        ("NumericEquals", "10", 10.0, True),
        ("NumericEquals", "10.0", "10", True),
        ("NumericEquals", "1.5", 1.5, True),
        ("NumericNotEquals", "10", 11, True),
        ("NumericNotEquals", "10", 10, False),
        ("NumericLessThan", "10", 9, True),
        ("NumericLessThan", "10", 10, False),
        ("NumericLessThanEquals", "10", 10, True),
        ("NumericGreaterThan", "10", 11, True),
        ("NumericGreaterThanEquals", "10", 9, False),
        ("NumericEquals", "ten", 10, False),
        ("NumericEquals", "10", "ten", False),
        ("NumericEquals", "1", True, False),
        ("NumericNotEquals", "10", "ten", True),
    ],
)
def test_numeric_operators(operator: str, policy: str, request_value: Any, expected: bool) -> None:
    assert holds(operator, "s3:max-keys", policy, {"s3:max-keys": request_value}) is expected


# --- dates -------------------------------------------------------------------------------


def test_dates_parse_w3c_forms_and_epoch_seconds() -> None:
    midnight = datetime(2020, 1, 1, tzinfo=UTC)
    assert parse_date("2020-01-01T00:00:00Z") == midnight
    assert parse_date("2020-01-01") == midnight
    assert parse_date("2020-01") == midnight
    assert parse_date("2020") == midnight
    assert parse_date("2020-01-01T00:00Z") == midnight
    assert parse_date("2020-01-01T02:00:00+02:00") == midnight
    assert parse_date("1577836800") == midnight
    assert parse_date("yesterday") is None


@pytest.mark.parametrize(
    "request_value",
    [datetime(2020, 6, 1, tzinfo=UTC), datetime(2020, 6, 1), 1590969600, "2020-06-01T00:00:00Z"],
)
def test_date_operators_accept_datetimes_epochs_and_iso_text(request_value: Any) -> None:
    ctx = {"aws:CurrentTime": request_value}
    assert holds("DateGreaterThan", "aws:CurrentTime", "2020-01-01T00:00:00Z", ctx)
    assert holds("DateLessThan", "aws:CurrentTime", "1609459200", ctx)
    assert holds("DateEquals", "aws:CurrentTime", "2020-06-01T00:00:00Z", ctx)
    assert holds("DateLessThanEquals", "aws:CurrentTime", "2020-06-01", ctx)
    assert holds("DateGreaterThanEquals", "aws:CurrentTime", "2020-06-01", ctx)
    assert not holds("DateNotEquals", "aws:CurrentTime", "2020-06-01", ctx)
    assert not holds("DateEquals", "aws:CurrentTime", "not a date", ctx)


# --- Bool, binary, IP ------------------------------------------------------------------------


def test_bool_compares_true_and_false_case_insensitively() -> None:
    assert holds("Bool", "aws:SecureTransport", "false", {"aws:SecureTransport": False})
    assert holds("Bool", "aws:SecureTransport", "True", {"aws:SecureTransport": True})
    assert holds("Bool", "aws:SecureTransport", "true", {"aws:SecureTransport": "TRUE"})
    assert not holds("Bool", "aws:SecureTransport", "true", {"aws:SecureTransport": False})


def test_binary_equals_compares_decoded_bytes() -> None:
    value = "QmluYXJ5VmFsdWVJbkJhc2U2NA=="
    assert holds("BinaryEquals", "k:b", value, {"k:b": b"BinaryValueInBase64"})
    assert holds("BinaryEquals", "k:b", value, {"k:b": value})
    assert not holds("BinaryEquals", "k:b", value, {"k:b": b"other"})
    assert not holds("BinaryEquals", "k:b", "not base64!", {"k:b": b"other"})


@pytest.mark.parametrize(
    ("networks", "address", "inside"),
    [
        ("203.0.113.0/24", "203.0.113.7", True),
        ("203.0.113.0/24", "203.0.114.7", False),
        ("203.0.113.7", "203.0.113.7", True),  # a bare address is a /32
        ("203.0.113.7", "203.0.113.8", False),
        ("2001:DB8:1234:5678::/64", "2001:db8:1234:5678::1", True),
        ("2001:DB8:1234:5678::/64", "203.0.113.7", False),
        (["203.0.113.0/24", "2001:DB8:1234:5678::/64"], "2001:db8:1234:5678:ab::1", True),
        ("203.0.113.0/24", "not an address", False),
    ],
)
def test_ip_address_operators(networks: Any, address: str, inside: bool) -> None:
    ctx = {"aws:SourceIp": address}
    assert holds("IpAddress", "aws:SourceIp", networks, ctx) is inside
    assert holds("NotIpAddress", "aws:SourceIp", networks, ctx) is not inside


# --- ARNs ---------------------------------------------------------------------------------


def test_arn_like_matches_segment_by_segment() -> None:
    """The IAM user guide's example: StringLike matches, ArnLike does not."""
    pattern = "arn:aws:someservice:*:111122223333:finance/*"
    value = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
    assert holds("StringLike", "aws:SourceArn", pattern, {"aws:SourceArn": value})
    assert not holds("ArnLike", "aws:SourceArn", pattern, {"aws:SourceArn": value})
    good = "arn:aws:someservice:us-east-2:111122223333:finance/document.txt"
    assert holds("ArnLike", "aws:SourceArn", pattern, {"aws:SourceArn": good})


def test_arn_equals_behaves_like_arn_like() -> None:
    ctx = {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/app"}
    assert holds("ArnEquals", "aws:PrincipalArn", "arn:aws:iam::*:role/*", ctx)
    assert not holds("ArnNotEquals", "aws:PrincipalArn", "arn:aws:iam::*:role/*", ctx)
    assert holds("ArnNotLike", "aws:PrincipalArn", "arn:aws:iam::*:user/*", ctx)
    assert not holds("ArnEquals", "aws:PrincipalArn", "arn:aws:iam::111122223333:role/APP", ctx)


def test_arn_like_needs_an_arn() -> None:
    assert not holds("ArnLike", "aws:SourceArn", "arn:*:*:*:*:*", {"aws:SourceArn": "not-an-arn"})
    assert holds("ArnLike", "aws:SourceArn", "*", {"aws:SourceArn": "arn:aws:s3:::b"})


# --- multi-valued keys ---------------------------------------------------------------------

ALLOWED_KEYS = ["access-project", "access-team", "cost-center", "Name", "OwnedBy"]


@pytest.mark.parametrize(
    ("keys", "for_all", "for_any"),
    [
        (["access-project", "Name"], True, True),
        (["access-project", "secret-tag"], False, True),
        (["secret-tag"], False, False),
        ([], True, False),  # empty set: ForAllValues true, ForAnyValue false
        (None, True, False),  # missing key: the same
    ],
)
def test_set_qualifiers(keys: list[str] | None, for_all: bool, for_any: bool) -> None:
    ctx = {} if keys is None else {"aws:TagKeys": keys}
    assert holds("ForAllValues:StringEquals", "aws:TagKeys", ALLOWED_KEYS, ctx) is for_all
    assert holds("ForAnyValue:StringEquals", "aws:TagKeys", ALLOWED_KEYS, ctx) is for_any


def test_set_qualifiers_with_negated_operators() -> None:
    """ForAllValues:StringNotEquals: no request value is listed; ForAnyValue: one is not."""
    ctx = {"aws:TagKeys": ["a", "b"]}
    assert holds("ForAllValues:StringNotEquals", "aws:TagKeys", ["c", "d"], ctx)
    assert not holds("ForAllValues:StringNotEquals", "aws:TagKeys", ["b"], ctx)
    assert holds("ForAnyValue:StringNotEquals", "aws:TagKeys", ["b"], ctx)
    assert not holds("ForAnyValue:StringNotEquals", "aws:TagKeys", ["a", "b"], ctx)
    assert holds("ForAnyValue:StringNotLike", "aws:TagKeys", "a*", ctx)


def test_a_qualifier_treats_a_single_value_as_a_one_element_set() -> None:
    ctx = {"aws:PrincipalTag/team": "red"}
    assert holds("ForAnyValue:StringEquals", "aws:PrincipalTag/team", "red", ctx)
    assert holds("ForAllValues:StringEquals", "aws:PrincipalTag/team", "red", ctx)


def test_if_exists_with_a_qualifier() -> None:
    assert holds("ForAnyValue:StringEqualsIfExists", "aws:TagKeys", "a", {})


def test_a_list_without_qualifier_matches_if_any_value_matches() -> None:
    """A plain StringLike on aws:TagKeys (as in the ABAC tutorial's Deny) holds when any
    key matches; a plain negated operator needs every value to pass."""
    ctx = {"aws:TagKeys": ["Name", "access-project"]}
    assert holds("StringLike", "aws:TagKeys", "access-*", ctx)
    assert not holds("StringNotLike", "aws:TagKeys", "access-*", ctx)
    assert holds("StringNotLike", "aws:TagKeys", "x-*", ctx)


# --- key names ------------------------------------------------------------------------------


def test_key_names_and_tag_keys_are_case_insensitive() -> None:
    ctx = {"aws:SourceIP": "203.0.113.1", "aws:ResourceTag/Project": "peg"}
    assert holds("IpAddress", "AWS:sourceip", "203.0.113.0/24", ctx)
    assert holds("StringEquals", "aws:resourcetag/PROJECT", "peg", ctx)


def test_secrets_manager_resource_tag_key_aliases_the_global_one() -> None:
    """`secretsmanager:ResourceTag/<k>` and `aws:ResourceTag/<k>` name the same tags."""
    assert holds(
        "StringEquals", "secretsmanager:ResourceTag/app", "x", {"aws:ResourceTag/App": "x"}
    )
    assert holds(
        "StringEquals", "aws:ResourceTag/app", "x", {"secretsmanager:ResourceTag/app": "x"}
    )


# --- policy variables in conditions -------------------------------------------------------------


def test_variables_substitute_in_string_conditions() -> None:
    ctx = {"aws:username": "David", "s3:prefix": "home/David/"}
    assert holds("StringLike", "s3:prefix", "home/${aws:username}/", ctx)
    assert holds("StringEquals", "s3:prefix", "home/${aws:username}/", ctx)
    assert not holds(
        "StringEquals", "s3:prefix", "home/${aws:username}/", {**ctx, "aws:username": "Bob"}
    )


def test_tag_variables_compare_principal_and_resource_tags() -> None:
    ctx = {"aws:PrincipalTag/access-project": "peg", "aws:ResourceTag/access-project": "peg"}
    value = "${aws:PrincipalTag/access-project}"
    assert holds("StringEquals", "aws:ResourceTag/access-project", value, ctx)
    ctx["aws:ResourceTag/access-project"] = "uni"
    assert not holds("StringEquals", "aws:ResourceTag/access-project", value, ctx)


def test_an_unresolved_variable_never_matches() -> None:
    """A missing variable fails the match: positive and negated operators are both false."""
    ctx = {"aws:ResourceTag/team": "red"}
    value = "${aws:PrincipalTag/team}"
    assert not holds("StringEquals", "aws:ResourceTag/team", value, ctx)
    assert not holds("StringNotEquals", "aws:ResourceTag/team", value, ctx)
    assert not holds("StringLike", "aws:ResourceTag/team", [value], ctx)
    assert holds("StringEquals", "aws:ResourceTag/team", [value, "red"], ctx)


def test_a_default_value_stands_in_for_a_missing_variable() -> None:
    ctx = {"aws:ResourceTag/team": "company-wide"}
    value = "${aws:PrincipalTag/team, 'company-wide'}"
    assert holds("StringEquals", "aws:ResourceTag/team", value, ctx)
    ctx["aws:PrincipalTag/team"] = "red"
    assert not holds("StringEquals", "aws:ResourceTag/team", value, ctx)


def test_variables_are_literal_without_the_2012_version() -> None:
    ctx = {"aws:username": "David", "s3:prefix": "${aws:username}"}
    assert holds("StringEquals", "s3:prefix", "${aws:username}", ctx, variables=False)
    assert not holds("StringEquals", "s3:prefix", "${aws:username}", ctx)


def test_escape_variables_are_literal_characters() -> None:
    ctx = {"k:v": "a*b?c$"}
    assert holds("StringLike", "k:v", "a${*}b${?}c${$}", ctx)
    assert not holds("StringLike", "k:v", "a${*}b${?}c${$}", {"k:v": "axxb?c$"})
    assert holds("StringEquals", "k:v", "a${*}b${?}c${$}", ctx)


def test_substituted_values_are_literal_in_like_patterns() -> None:
    ctx = {"aws:PrincipalTag/p": "a*", "k:v": "abc"}
    assert not holds("StringLike", "k:v", "${aws:PrincipalTag/p}", ctx)
    assert holds("StringLike", "k:v", "${aws:PrincipalTag/p}", {**ctx, "k:v": "a*"})


def test_multi_valued_keys_cannot_be_variables() -> None:
    ctx = {"aws:TagKeys": ["a"], "k:v": "a"}
    assert not holds("StringEquals", "k:v", "${aws:TagKeys}", ctx)


def test_variables_work_in_arn_and_bool_conditions_only() -> None:
    ctx = {
        "aws:PrincipalAccount": "111122223333",
        "aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:topic",
        "aws:PrincipalTag/mfa": "true",
        "aws:MultiFactorAuthPresent": True,
        "s3:max-keys": 10,
        "aws:PrincipalTag/max": "10",
    }
    arn = "arn:aws:sns:*:${aws:PrincipalAccount}:*"
    assert holds("ArnLike", "aws:SourceArn", arn, ctx)
    assert holds("Bool", "aws:MultiFactorAuthPresent", "${aws:PrincipalTag/mfa}", ctx)
    assert not holds("NumericEquals", "s3:max-keys", "${aws:PrincipalTag/max}", ctx)


def test_variable_values_render_booleans_and_times_as_iam_does() -> None:
    moment = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    ctx = {
        "aws:CurrentTime": moment,
        "aws:SecureTransport": True,
        "k:v": "2024-05-06T07:08:09Z/true",
    }
    assert holds("StringEquals", "k:v", "${aws:CurrentTime}/${aws:SecureTransport}", ctx)


# --- templates -----------------------------------------------------------------------------


def test_templates_split_literals_wildcards_and_variables() -> None:
    template = parse_template("a*${aws:x}?${ aws:y , 'd e' }${*}", variables=True, wildcards=True)
    assert template == (
        "a",
        Wild.STAR,
        Variable("aws:x", None),
        Wild.ONE,
        Variable("aws:y", "d e"),
        "*",
    )


def test_malformed_placeholders_stay_literal() -> None:
    assert parse_template("a${b", variables=True, wildcards=False) == ("a${b",)
    assert parse_template("${}", variables=True, wildcards=False) == ("${}",)


def test_resolve_pattern_returns_none_for_an_unresolved_variable() -> None:
    ctx = Context({"aws:username": "d"})
    assert resolve_pattern("home/${aws:username}/*", ctx, variables=True) == ("home/d/", Wild.STAR)
    assert resolve_pattern("home/${aws:userid}/*", ctx, variables=True) is None


# --- actions and resources ---------------------------------------------------------------------


def test_actions_match_case_insensitively_with_wildcards() -> None:
    assert action_matches(["secretsmanager:Get*"], "SecretsManager:getsecretvalue")
    assert action_matches(["*"], "kms:Decrypt")
    assert action_matches(["iam:*AccessKey*"], "iam:CreateAccessKey")
    assert not action_matches(["secretsmanager:Get*"], "secretsmanager:ListSecrets")
    assert action_matches(["secretsmanager:?etSecretValue"], "secretsmanager:GetSecretValue")


SECRET = "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf"


@pytest.mark.parametrize(
    ("pattern", "matches"),
    [
        ("*", True),
        (SECRET, True),
        ("arn:aws:secretsmanager:*:111122223333:secret:prod/*", True),
        ("arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-??????", True),
        ("arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-?????", False),
        ("arn:aws:secretsmanager:us-east-1:111122223333:secret:PROD/*", False),  # case-sensitive
        ("arn:aws:secretsmanager:*", False),  # a wildcard does not span segments
        ("arn:aws:secretsmanager:*:*", False),
        ("arn:aws:secretsmanager:*:*:*", True),  # the resource part spans its own colons
        ("arn:aws:secretsmanager:*:*:*:*", True),
        ("arn:aws:secretsmanager:us-*:*:secret:*", True),
    ],
)
def test_resource_patterns(pattern: str, matches: bool) -> None:
    assert resource_matches(plain_pattern(pattern), SECRET) is matches


def test_only_a_star_resource_matches_actions_without_a_resource_type() -> None:
    assert resource_matches(plain_pattern("*"), "*")
    assert not resource_matches(plain_pattern("arn:aws:secretsmanager:*:*:secret:*"), "*")


def test_split_pattern_keeps_colons_of_the_resource_part() -> None:
    parts = split_pattern(plain_pattern("arn:aws:s3:::bucket:with:colons*"))
    assert parts == [("arn",), ("aws",), ("s3",), (), (), ("bucket:with:colons", Wild.STAR)]
    assert split_pattern(plain_pattern("arn:aws")) is None


# --- properties ---------------------------------------------------------------------------------


def reference_match(pattern: str, text: str) -> bool:
    """fnmatch with `[` made literal: the same `*`/`?` language, an independent engine."""
    return fnmatch.fnmatchcase(text, pattern.replace("[", "[[]"))


ALPHABET = st.sampled_from(list("ab*?:/[]-\n"))


@given(st.text(ALPHABET, max_size=12), st.text(ALPHABET, max_size=12))
def test_wildcards_agree_with_fnmatch(pattern: str, text: str) -> None:
    """`*` and `?` mean what fnmatch means by them, and nothing else is special."""
    assert glob(pattern, text) is reference_match(pattern, text)


@given(st.text(ALPHABET, max_size=8), st.text(ALPHABET, max_size=8))
def test_ignore_case_wildcards_agree_with_fnmatch_on_folded_text(pattern: str, text: str) -> None:
    assert glob(pattern.upper(), text, ignore_case=True) is reference_match(
        pattern.lower(), text.lower()
    )


SEGMENT = st.text(st.sampled_from(list("ab/*?")), max_size=4)


@given(st.lists(SEGMENT, min_size=6, max_size=6), st.lists(SEGMENT, min_size=6, max_size=6))
def test_arn_like_is_segment_wise_fnmatch(pattern: list[str], value: list[str]) -> None:
    joined = ":".join(pattern)
    expected = joined == "*" or all(
        reference_match(p, v) for p, v in zip(pattern, value, strict=True)
    )
    assert arn_like(plain_pattern(joined), ":".join(value)) is expected


OPERAND = st.sampled_from(["a", "b", "A", "a*", "?"])


@given(
    st.sampled_from(["StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnLike"]),
    st.lists(OPERAND, min_size=1, max_size=3),
    st.one_of(OPERAND, st.lists(OPERAND, max_size=3)),
)
def test_a_negated_operator_is_the_complement_of_its_positive_one(
    positive: str, values: list[str], request_value: Any
) -> None:
    """For a present key without variables, `…Not…` holds exactly when `…` does not."""
    negated = positive.replace("String", "StringNot").replace("ArnLike", "ArnNotLike")
    ctx = {"k:v": request_value}
    assert holds(negated, "k:v", values, ctx) is not holds(positive, "k:v", values, ctx)
