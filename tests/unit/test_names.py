"""Names, ARNs, and how a SecretId resolves."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strongroom.secrets.errors import InvalidName
from strongroom.secrets.names import new_arn, parse_secret_id, validate_name


def test_arn_shape():
    arn = new_arn("us-east-1", "123456789012", "prod/db")
    assert re.fullmatch(r"arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-"
                        r"[A-Za-z0-9]{6}", arn)


@pytest.mark.parametrize("name", ["a b", "star*", "q?", "bang!", "br]", "back\\", ""])
def test_invalid_names(name):
    with pytest.raises(InvalidName):
        validate_name(name)


@given(st.text(alphabet="abcXYZ019/_+=.@-", min_size=1, max_size=60))
def test_valid_names_accepted(name):
    validate_name(name)


def test_full_and_partial_arns():
    full = parse_secret_id("arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbC123")
    assert full.arn is not None
    assert full.name is None
    partial = parse_secret_id("arn:aws:secretsmanager:us-east-1:123456789012:secret:db")
    assert (partial.name, partial.account_id, partial.region) == (
        "db", "123456789012", "us-east-1")
    assert parse_secret_id("plain").name == "plain"


def test_arn_of_another_service_names_nothing():
    ref = parse_secret_id("arn:aws:kms:us-east-1:123456789012:key/abc")
    assert ref.name is None
    assert ref.arn is None
