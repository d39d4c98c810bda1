"""EventBridge event patterns: what they accept, what they match, and invariants."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strongroom.notify.errors import InvalidPattern
from strongroom.notify.patterns import matches, parse_pattern, validate

EVENT: dict[str, Any] = {
    "version": "0", "id": "e-1", "detail-type": "AWS API Call via CloudTrail",
    "source": "aws.secretsmanager", "account": "123456789012", "time": "2026-01-01T00:00:00Z",
    "region": "eu-west-1", "resources": [],
    "detail": {
        "eventSource": "secretsmanager.amazonaws.com", "eventName": "PutSecretValue",
        "readOnly": False, "sourceIPAddress": "10.0.3.7",
        "requestParameters": {"secretId": "prod/db", "count": 5},
        "responseElements": {"arn": "arn:aws:secretsmanager:eu-west-1:1:secret:prod/db-AbCdEf"},
        "tags": [{"key": "team", "value": "blue"}, {"key": "env", "value": "prod"}],
        "errorCode": None,
    },
}


def check(pattern: dict[str, Any], event: dict[str, Any] | None = None) -> bool:
    validate(pattern)
    return matches(pattern, EVENT if event is None else event)


@pytest.mark.parametrize(("pattern", "expected"), [
    ({"source": ["aws.secretsmanager"]}, True),
    ({"source": ["aws.kms", "aws.secretsmanager"]}, True),
    ({"source": ["aws.kms"]}, False),
    ({"detail": {"eventName": ["PutSecretValue"], "readOnly": [False]}}, True),
    ({"detail": {"readOnly": [True]}}, False),
    ({"detail": {"requestParameters": {"count": [5.0]}}}, True),
    ({"detail": {"requestParameters": {"count": ["5"]}}}, False),
    ({"detail": {"errorCode": [None]}}, True),
    ({"detail": {"errorCode": [{"exists": True}]}}, True),  # present, even if null
    ({"detail": {"errorMessage": [{"exists": False}]}}, True),
    ({"detail": {"errorMessage": [{"exists": True}]}}, False),
    ({"detail": {"missing": {"deeper": [{"exists": False}]}}}, True),
    ({"detail": {"eventName": [{"prefix": "Put"}]}}, True),
    ({"detail": {"eventName": [{"prefix": {"equals-ignore-case": "put"}}]}}, True),
    ({"detail": {"eventName": [{"suffix": "Value"}]}}, True),
    ({"detail": {"eventName": [{"suffix": {"equals-ignore-case": "VALUE"}}]}}, True),
    ({"detail": {"eventName": [{"equals-ignore-case": "putsecretvalue"}]}}, True),
    ({"detail": {"eventName": [{"wildcard": "Put*Value"}]}}, True),
    ({"detail": {"eventName": [{"wildcard": "Get*"}]}}, False),
    ({"detail": {"eventName": [{"anything-but": "GetSecretValue"}]}}, True),
    ({"detail": {"eventName": [{"anything-but": ["PutSecretValue", "X"]}]}}, False),
    ({"detail": {"eventName": [{"anything-but": {"prefix": "Get"}}]}}, True),
    ({"detail": {"eventName": [{"anything-but": {"suffix": "Value"}}]}}, False),
    ({"detail": {"eventName": [{"anything-but": {"equals-ignore-case": ["putSECRETvalue"]}}]}},
     False),
    ({"detail": {"eventName": [{"anything-but": {"wildcard": "*Secret*"}}]}}, False),
    ({"detail": {"errorMessage": [{"anything-but": "x"}]}}, False),  # absent matches nothing
    ({"detail": {"requestParameters": {"count": [{"numeric": [">", 0, "<=", 5]}]}}}, True),
    ({"detail": {"requestParameters": {"count": [{"numeric": ["<", 5]}]}}}, False),
    ({"detail": {"requestParameters": {"count": [{"numeric": ["=", 5]}]}}}, True),
    ({"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/16"}]}}, True),
    ({"detail": {"sourceIPAddress": [{"cidr": "192.168.0.0/16"}]}}, False),
    ({"detail": {"tags": {"value": ["prod"]}}}, True),  # any element of an array of objects
    ({"detail": {"tags": {"value": ["green"]}}}, False),
    ({"$or": [{"source": ["aws.kms"]}, {"detail": {"eventName": ["PutSecretValue"]}}]}, True),
    ({"$or": [{"source": ["aws.kms"]}, {"region": ["us-east-1"]}]}, False),
    ({"detail": {"$or": [{"eventName": ["X"]}, {"readOnly": [False]}]}}, True),
])
def test_eventbridge_matching(pattern: dict[str, Any], expected: bool) -> None:
    """Each operator of EventBridge's pattern language matches as AWS documents it."""
    assert check(pattern) is expected


def test_arrays_in_the_event_match_when_any_element_does() -> None:
    """A field holding an array matches a value equal to any of its elements."""
    event = {**EVENT, "resources": ["arn:a", "arn:b"]}
    assert check({"resources": ["arn:b"]}, event)
    assert not check({"resources": ["arn:c"]}, event)
    assert not check({"resources": [{"exists": True}]})  # an empty array is no value


def test_wildcard_escapes() -> None:
    """In a wildcard, \\* is a literal star."""
    event = {"name": "a*b"}
    assert check({"name": [{"wildcard": "a\\*b"}]}, event)
    assert not check({"name": [{"wildcard": "a\\*b"}]}, {"name": "axxb"})


@pytest.mark.parametrize(("text", "where"), [
    ("not json", ""),
    ("[]", ""),
    ('{"source": "aws.secretsmanager"}', "source"),
    ('{"source": []}', "source"),
    ('{"detail": {}}', "detail"),
    ('{"source": [{"prefix": 1}]}', "source[0].prefix"),
    ('{"source": [{"regex": "x"}]}', "source[0]"),
    ('{"source": [{"prefix": "a", "suffix": "b"}]}', "source[0]"),
    ('{"n": [{"numeric": [">", 5, ">", 6]}]}', "n[0].numeric"),
    ('{"n": [{"numeric": [">", 6, "<", 5]}]}', "n[0].numeric"),
    ('{"n": [{"numeric": ["~", 5]}]}', "n[0].numeric"),
    ('{"n": [{"numeric": [">", 1e10]}]}', "n[0].numeric"),
    ('{"n": [{"exists": "yes"}]}', "n[0].exists"),
    ('{"n": [{"wildcard": "a**b"}]}', "n[0].wildcard"),
    ('{"n": [{"cidr": "10.0.0.0/99"}]}', "n[0].cidr"),
    ('{"n": [{"anything-but": []}]}', "n[0].anything-but"),
    ('{"n": [{"anything-but": {"exists": true}}]}', "n[0].anything-but"),
    ('{"$or": [{"a": ["x"]}]}', "$or"),
])
def test_invalid_patterns_are_refused_with_where(text: str, where: str) -> None:
    """A malformed pattern is refused, naming the member that is wrong."""
    with pytest.raises(InvalidPattern) as info:
        parse_pattern(text)
    assert info.value.where == where
    assert str(info.value).startswith("invalid event pattern")


# --- invariants --------------------------------------------------------------------------

scalars = st.one_of(st.text(alphabet="xyz*", max_size=4), st.integers(-9, 9), st.booleans(),
                    st.none())
keys = st.sampled_from(["a", "b", "c", "d"])
events = st.recursive(
    st.dictionaries(keys, scalars, max_size=3),
    lambda children: st.dictionaries(keys, st.one_of(scalars, children), max_size=3),
    max_leaves=6,
)


def _exact_pattern(event: dict[str, Any]) -> dict[str, Any]:
    pattern: dict[str, Any] = {}
    for key, value in event.items():
        if isinstance(value, dict):
            nested = _exact_pattern(value)
            if nested:  # an empty object says nothing and is not a valid pattern
                pattern[key] = nested
        else:
            pattern[key] = [value]
    return pattern


@given(events)
def test_an_event_matches_the_pattern_of_its_own_values(event: dict[str, Any]) -> None:
    """A pattern listing an event's own values matches it."""
    pattern = _exact_pattern(event)
    validate(pattern)
    assert matches(pattern, event)


@given(st.text(max_size=20), st.text(max_size=20))
def test_anything_but_is_the_complement_of_exact_match(value: str, other: str) -> None:
    """anything-but X matches exactly the present values that X does not."""
    event = {"f": value}
    assert matches({"f": [{"anything-but": other}]}, event) is not matches({"f": [other]}, event)


@given(st.text(max_size=20), st.integers(0, 20))
def test_every_prefix_and_suffix_matches(value: str, cut: int) -> None:
    """A string matches each of its prefixes and suffixes, and the lone wildcard."""
    event = {"f": value}
    assert matches({"f": [{"prefix": value[:cut]}]}, event)
    assert matches({"f": [{"suffix": value[cut:]}]}, event)
    assert matches({"f": [{"wildcard": "*"}]}, event)


@given(events, events, events)
def test_or_matches_when_either_alternative_does(event: dict[str, Any], a: dict[str, Any],
                                                 b: dict[str, Any]) -> None:
    """$or of two patterns matches exactly when one of them does."""
    p, q = _exact_pattern(a) or {"x": [1]}, _exact_pattern(b) or {"y": [2]}
    combined = {"$or": [p, q]}
    validate(combined)
    assert matches(combined, event) is (matches(p, event) or matches(q, event))


@given(events, keys)
def test_exists_true_and_false_partition_events(event: dict[str, Any], key: str) -> None:
    """Every event matches exactly one of exists:true and exists:false on a field."""
    assert matches({key: [{"exists": True}]}, event) is not matches(
        {key: [{"exists": False}]}, event)


@given(st.integers(-5000, 5000), st.integers(-5000, 5000))
def test_numeric_ranges_agree_with_arithmetic(value: int, bound: int) -> None:
    """numeric comparisons agree with Python's."""
    event = {"n": value}
    assert matches({"n": [{"numeric": [">=", bound]}]}, event) is (value >= bound)
    assert matches({"n": [{"numeric": ["<", bound]}]}, event) is (value < bound)


def test_parse_round_trips_json() -> None:
    """A parsed pattern is the JSON given."""
    text = json.dumps({"detail": {"eventName": ["RotationSucceeded", "RotationFailed"]}})
    assert parse_pattern(text) == json.loads(text)
