"""Request bodies checked against the real botocore models, with AWS's Coral wording."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from typing import Any

import botocore.loaders
import botocore.serialize
import botocore.session
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strongroom.core.errors import (
    MalformedRequest,
    StrongroomError,
    UnknownOperation,
    ValidationErrors,
)
from strongroom.protocol.model import (
    MAX_REPORTED_ERRORS,
    NOT_NULL,
    ServiceModel,
    compile_java_pattern,
    format_validation_message,
)

FILTER_PATTERN = r"^\!?[a-zA-Z0-9 :_@\/\+\=\.\-\!]*$"


@pytest.fixture(scope="module")
def sm() -> ServiceModel:
    return ServiceModel.load("secretsmanager")


@pytest.fixture(scope="module")
def kms() -> ServiceModel:
    return ServiceModel.load("kms")


def body(params: Any) -> bytes:
    return json.dumps(params).encode()


def errors_of(model: ServiceModel, operation: str, params: Any) -> ValidationErrors:
    with pytest.raises(ValidationErrors) as caught:
        model.parse_input(operation, body(params))
    return caught.value


def message_of(model: ServiceModel, operation: str, params: Any) -> str:
    return format_validation_message(errors_of(model, operation, params))


def one_error(model: ServiceModel, operation: str, params: Any) -> tuple[str, str, str | None]:
    errors = errors_of(model, operation, params).errors
    assert len(errors) == 1, [(e.member, e.constraint) for e in errors]
    return errors[0].member, errors[0].constraint, errors[0].value


# --- loading ------------------------------------------------------------------------


def test_loads_secretsmanager_metadata(sm: ServiceModel) -> None:
    assert sm.target_prefix == "secretsmanager"
    assert sm.signing_name == "secretsmanager"
    assert {"GetSecretValue", "CreateSecret", "BatchGetSecretValue"} <= sm.operation_names
    assert sm.unsupported_patterns == frozenset()
    assert ServiceModel.load("secretsmanager") is sm


def test_loads_kms_metadata(kms: ServiceModel) -> None:
    assert kms.target_prefix == "TrentService"
    assert kms.signing_name == "kms"
    assert {"Encrypt", "Decrypt", "GenerateDataKey"} <= kms.operation_names
    assert kms.unsupported_patterns == frozenset()


# --- accepted input ----------------------------------------------------------------


def test_valid_request_returns_params_by_member_name(sm: ServiceModel) -> None:
    params = sm.parse_input(
        "GetSecretValue", body({"SecretId": "MySecret", "VersionStage": "AWSCURRENT"})
    )
    assert params == {"SecretId": "MySecret", "VersionStage": "AWSCURRENT"}


def test_unknown_members_are_ignored_and_dropped(sm: ServiceModel) -> None:
    params = sm.parse_input("GetSecretValue", body({"SecretId": "x", "Bogus": [1, {"a": 2}]}))
    assert params == {"SecretId": "x"}


def test_json_null_counts_as_absent(sm: ServiceModel) -> None:
    assert sm.parse_input("ListSecrets", body({"MaxResults": None})) == {}
    assert one_error(sm, "GetSecretValue", {"SecretId": None}) == ("secretId", NOT_NULL, None)


def test_boundaries_are_inclusive(sm: ServiceModel) -> None:
    sm.parse_input("CreateSecret", body({"Name": "n" * 512, "SecretString": "s" * 65536}))
    sm.parse_input("ListSecrets", body({"MaxResults": 1}))
    sm.parse_input("ListSecrets", body({"MaxResults": 100}))
    sm.parse_input("CreateSecret", body({"Name": "n", "ClientRequestToken": "t" * 32}))
    sm.parse_input("BatchGetSecretValue", body({"SecretIdList": [str(i) for i in range(20)]}))


def test_lengths_count_characters_not_bytes(sm: ServiceModel) -> None:
    sm.parse_input("CreateSecret", body({"Name": "n", "SecretString": "€" * 65536}))


def test_integral_float_is_accepted_for_integer(sm: ServiceModel) -> None:
    params = sm.parse_input("DeleteSecret", body({"SecretId": "x", "RecoveryWindowInDays": 7.0}))
    assert params["RecoveryWindowInDays"] == 7
    assert type(params["RecoveryWindowInDays"]) is int


@pytest.mark.parametrize("raw", [b"", b"   ", b"\r\n\t "])
def test_empty_body_is_an_empty_object(sm: ServiceModel, raw: bytes) -> None:
    assert sm.parse_input("ListSecrets", raw) == {}
    with pytest.raises(ValidationErrors) as caught:
        sm.parse_input("GetSecretValue", raw)
    assert [e.member for e in caught.value.errors] == ["secretId"]


def test_epoch_timestamp_becomes_float(kms: ServiceModel) -> None:
    params = kms.parse_input(
        "ImportKeyMaterial",
        body(
            {
                "KeyId": "k",
                "ImportToken": "AA==",
                "EncryptedKeyMaterial": "AQI=",
                "ValidTo": 1523477145,
            }
        ),
    )
    assert params["ValidTo"] == 1523477145.0
    assert type(params["ValidTo"]) is float
    assert params["EncryptedKeyMaterial"] == b"\x01\x02"


# --- required, length, range, enum, pattern ----------------------------------------


def test_required_member_missing(sm: ServiceModel) -> None:
    assert one_error(sm, "GetSecretValue", {}) == ("secretId", NOT_NULL, None)
    assert message_of(sm, "GetSecretValue", {}) == (
        "1 validation error detected: Value null at 'secretId' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_name_too_long(sm: ServiceModel) -> None:
    name = "a" * 513
    assert one_error(sm, "CreateSecret", {"Name": name}) == (
        "name",
        "Member must have length less than or equal to 512",
        name,
    )
    assert message_of(sm, "CreateSecret", {"Name": name}) == (
        f"1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: "
        "Member must have length less than or equal to 512"
    )


def test_secret_string_too_long_is_reported_without_its_value(sm: ServiceModel) -> None:
    secret = "S3cr3t!" + "x" * 65530
    assert len(secret) == 65537
    member, constraint, value = one_error(sm, "CreateSecret", {"Name": "n", "SecretString": secret})
    assert (member, constraint, value) == (
        "secretString",
        "Member must have length less than or equal to 65536",
        None,
    )
    assert message_of(sm, "CreateSecret", {"Name": "n", "SecretString": secret}) == (
        "1 validation error detected: Value at 'secretString' failed to satisfy constraint: "
        "Member must have length less than or equal to 65536"
    )


def test_empty_secret_string_too_short(sm: ServiceModel) -> None:
    assert one_error(sm, "PutSecretValue", {"SecretId": "x", "SecretString": ""}) == (
        "secretString",
        "Member must have length greater than or equal to 1",
        None,
    )


def test_client_request_token_too_short(sm: ServiceModel) -> None:
    assert one_error(sm, "CreateSecret", {"Name": "n", "ClientRequestToken": "abc"}) == (
        "clientRequestToken",
        "Member must have length greater than or equal to 32",
        "abc",
    )


@pytest.mark.parametrize(
    ("given_value", "constraint"),
    [
        (0, "Member must have value greater than or equal to 1"),
        (101, "Member must have value less than or equal to 100"),
        (-5, "Member must have value greater than or equal to 1"),
    ],
)
def test_max_results_out_of_range(sm: ServiceModel, given_value: int, constraint: str) -> None:
    assert one_error(sm, "ListSecrets", {"MaxResults": given_value}) == (
        "maxResults",
        constraint,
        str(given_value),
    )


def test_bad_enum(sm: ServiceModel) -> None:
    assert one_error(sm, "ListSecrets", {"SortOrder": "up"}) == (
        "sortOrder",
        "Member must satisfy enum value set: [asc, desc]",
        "up",
    )
    assert message_of(sm, "ListSecrets", {"SortOrder": "up"}) == (
        "1 validation error detected: Value 'up' at 'sortOrder' failed to satisfy constraint: "
        "Member must satisfy enum value set: [asc, desc]"
    )


def test_enum_inside_a_list_of_structures(sm: ServiceModel) -> None:
    member, constraint, value = one_error(
        sm, "ListSecrets", {"Filters": [{"Key": "name", "Values": ["a"]}, {"Key": "colour"}]}
    )
    assert member == "filters.2.member.key"
    assert constraint == (
        "Member must satisfy enum value set: "
        "[description, name, tag-key, tag-value, primary-region, owning-service, all]"
    )
    assert value == "colour"


def test_filter_value_pattern_violation(sm: ServiceModel) -> None:
    params = {"Filters": [{"Key": "name", "Values": ["prod", "bad*value"]}]}
    member, constraint, value = one_error(sm, "ListSecrets", params)
    assert member == "filters.1.member.values"
    assert constraint == (
        "Member must satisfy constraint: [Member must have length less than or equal to 512, "
        f"Member must satisfy regular expression pattern: {FILTER_PATTERN}]"
    )
    assert value == "[prod, bad*value]"
    sm.parse_input("ListSecrets", body({"Filters": [{"Key": "name", "Values": ["!prod-1 a/b"]}]}))


def test_secret_id_list_too_long(sm: ServiceModel) -> None:
    ids = [f"secret-{i}" for i in range(21)]
    member, constraint, value = one_error(sm, "BatchGetSecretValue", {"SecretIdList": ids})
    assert (member, constraint) == (
        "secretIdList",
        "Member must have length less than or equal to 20",
    )
    assert value == "[" + ", ".join(ids) + "]"


def test_list_of_strings_reports_element_constraints_once(sm: ServiceModel) -> None:
    assert one_error(sm, "BatchGetSecretValue", {"SecretIdList": ["", "ok", ""]}) == (
        "secretIdList",
        "Member must satisfy constraint: [Member must have length less than or equal to 2048, "
        "Member must have length greater than or equal to 1]",
        "[, ok, ]",
    )


def test_empty_list_too_short(sm: ServiceModel) -> None:
    assert one_error(sm, "BatchGetSecretValue", {"SecretIdList": []}) == (
        "secretIdList",
        "Member must have length greater than or equal to 1",
        "[]",
    )


def test_nested_tag_key_too_long(sm: ServiceModel) -> None:
    key = "k" * 129
    params = {"Name": "n", "Tags": [{"Key": "ok", "Value": "v"}, {"Key": key, "Value": "v"}]}
    assert one_error(sm, "CreateSecret", params) == (
        "tags.2.member.key",
        "Member must have length less than or equal to 128",
        key,
    )
    params = {"Name": "n", "Tags": [{"Key": key}]}
    assert one_error(sm, "CreateSecret", params)[0] == "tags.1.member.key"


def test_length_and_pattern_both_reported_in_that_order(sm: ServiceModel) -> None:
    region = "x" * 129
    errors = errors_of(sm, "CreateSecret", {"Name": "n", "AddReplicaRegions": [{"Region": region}]})
    assert [(e.member, e.constraint) for e in errors.errors] == [
        ("addReplicaRegions.1.member.region", "Member must have length less than or equal to 128"),
        (
            "addReplicaRegions.1.member.region",
            r"Member must satisfy regular expression pattern: ^([a-z]+-)+\d+$",
        ),
    ]


def test_null_list_item_of_structures(sm: ServiceModel) -> None:
    assert one_error(sm, "CreateSecret", {"Name": "n", "Tags": [None]}) == (
        "tags.1.member",
        NOT_NULL,
        None,
    )


def test_null_list_item_of_strings(sm: ServiceModel) -> None:
    member, constraint, value = one_error(sm, "BatchGetSecretValue", {"SecretIdList": ["a", None]})
    assert member == "secretIdList"
    assert constraint.endswith(f", {NOT_NULL}]")
    assert value == "[a, null]"


def test_nested_required_member(kms: ServiceModel) -> None:
    # CreateCustomKeyStore's XksProxyAuthenticationCredential requires both members.
    params = {
        "CustomKeyStoreName": "store",
        "XksProxyAuthenticationCredential": {"AccessKeyId": "A" * 20},
    }
    errors = errors_of(kms, "CreateCustomKeyStore", params)
    assert [(e.member, e.constraint, e.value) for e in errors.errors] == [
        ("xksProxyAuthenticationCredential.rawSecretAccessKey", NOT_NULL, None)
    ]


# --- blobs --------------------------------------------------------------------------


def test_blob_is_base64_decoded(sm: ServiceModel) -> None:
    raw = bytes(range(256))
    params = sm.parse_input(
        "PutSecretValue",
        body({"SecretId": "x", "SecretBinary": base64.b64encode(raw).decode()}),
    )
    assert params["SecretBinary"] == raw


@pytest.mark.parametrize("encoded", ["AAE", "A===", "!!!!", "AA\nE=", "ÄÄÄÄ", "AAE=x"])
def test_invalid_base64_is_malformed(sm: ServiceModel, encoded: str) -> None:
    with pytest.raises(MalformedRequest) as caught:
        sm.parse_input("PutSecretValue", body({"SecretId": "x", "SecretBinary": encoded}))
    assert caught.value.detail == "secretBinary: not valid base64"


def test_blob_length_counts_decoded_bytes(sm: ServiceModel, kms: ServiceModel) -> None:
    ok = base64.b64encode(b"x" * 65536).decode()
    sm.parse_input("PutSecretValue", body({"SecretId": "x", "SecretBinary": ok}))
    too_long = base64.b64encode(b"x" * 65537).decode()
    assert one_error(sm, "PutSecretValue", {"SecretId": "x", "SecretBinary": too_long}) == (
        "secretBinary",
        "Member must have length less than or equal to 65536",
        None,
    )
    # Non-sensitive blobs are shown the way Java prints a ByteBuffer.
    assert message_of(kms, "Decrypt", {"CiphertextBlob": ""}) == (
        "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=0 cap=0]' at "
        "'ciphertextBlob' failed to satisfy constraint: Member must have length greater than "
        "or equal to 1"
    )


# --- malformed requests -------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "params", "detail"),
    [
        ("GetSecretValue", {"SecretId": 42}, "secretId: expected a string, got number"),
        ("GetSecretValue", {"SecretId": ["x"]}, "secretId: expected a string, got array"),
        ("GetSecretValue", {"SecretId": {"a": 1}}, "secretId: expected a string, got object"),
        ("GetSecretValue", {"SecretId": True}, "secretId: expected a string, got boolean"),
        ("ListSecrets", {"MaxResults": "10"}, "maxResults: expected an integer, got string"),
        ("ListSecrets", {"MaxResults": 1.5}, "maxResults: expected an integer, got number"),
        ("ListSecrets", {"MaxResults": True}, "maxResults: expected an integer, got boolean"),
        ("ListSecrets", {"MaxResults": 2**31}, "maxResults: number out of range"),
        ("ListSecrets", {"IncludePlannedDeletion": "true"}, None),
        ("ListSecrets", {"IncludePlannedDeletion": 1}, None),
        ("ListSecrets", {"Filters": {"Key": "name"}}, "filters: expected an array, got object"),
        ("ListSecrets", {"Filters": ["name"]}, "filters.1.member: expected an object, got string"),
        ("ListSecrets", {"Filters": [{"Values": "a"}]}, None),
        ("BatchGetSecretValue", {"SecretIdList": ["a", 7]}, "secretIdList.2: expected a string"),
        ("CreateSecret", {"Name": "n", "Tags": [{"Key": 1}]}, "tags.1.member.key: expected"),
        ("DeleteSecret", {"SecretId": "x", "RecoveryWindowInDays": "7"}, None),
    ],
)
def test_type_mismatch_is_malformed(
    sm: ServiceModel, operation: str, params: Any, detail: str | None
) -> None:
    with pytest.raises(MalformedRequest) as caught:
        sm.parse_input(operation, body(params))
    if detail is not None:
        assert caught.value.detail.startswith(detail)


def test_type_errors_win_over_constraint_errors(sm: ServiceModel) -> None:
    with pytest.raises(MalformedRequest):
        sm.parse_input("CreateSecret", body({"Name": "n" * 600, "Tags": "oops"}))


@pytest.mark.parametrize(
    ("operation", "params"),
    [
        ("Encrypt", {"KeyId": "k", "Plaintext": "AA==", "EncryptionContext": {"a": 1}}),
        ("Encrypt", {"KeyId": "k", "Plaintext": "AA==", "EncryptionContext": ["a"]}),
        ("Encrypt", {"KeyId": "k", "Plaintext": 12}),
        ("ImportKeyMaterial", {"KeyId": "k", "ValidTo": "2024-01-01T00:00:00Z"}),
        ("ImportKeyMaterial", {"KeyId": "k", "ValidTo": True}),
    ],
)
def test_kms_type_mismatch_is_malformed(kms: ServiceModel, operation: str, params: Any) -> None:
    with pytest.raises(MalformedRequest):
        kms.parse_input(operation, body(params))


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b"{'SecretId': 'x'}",
        b'{"SecretId": "x"} trailing',
        b'{"SecretId": "x",}',
        b'{"MaxResults": NaN}',
        b'{"MaxResults": Infinity}',
        b"\xff\xfe{}",
        b'{"SecretId": "\xc3"}',
        b"[" * 100_000,
    ],
)
def test_invalid_json_is_malformed(sm: ServiceModel, raw: bytes) -> None:
    with pytest.raises(MalformedRequest) as caught:
        sm.parse_input("ListSecrets", raw)
    assert caught.value.detail == "body is not valid JSON"


@pytest.mark.parametrize("raw", [b"[]", b'"x"', b"1", b"null", b"true"])
def test_top_level_must_be_an_object(sm: ServiceModel, raw: bytes) -> None:
    with pytest.raises(MalformedRequest) as caught:
        sm.parse_input("ListSecrets", raw)
    assert caught.value.detail.startswith("body: expected an object")


def test_overflowing_timestamp_is_malformed(kms: ServiceModel) -> None:
    with pytest.raises(MalformedRequest):
        kms.parse_input("ImportKeyMaterial", b'{"KeyId": "k", "ValidTo": 1e999}')


def test_unpaired_surrogate_is_malformed(sm: ServiceModel) -> None:
    with pytest.raises(MalformedRequest) as caught:
        sm.parse_input("GetSecretValue", b'{"SecretId": "a\\ud800b"}')
    assert "surrogate" in caught.value.detail
    assert sm.parse_input("GetSecretValue", b'{"SecretId": "\\ud83d\\ude00"}') == {
        "SecretId": "\U0001f600"
    }


def test_malformed_detail_never_echoes_the_value(sm: ServiceModel) -> None:
    with pytest.raises(MalformedRequest) as caught:
        sm.parse_input("CreateSecret", body({"Name": "n", "SecretString": 987654321}))
    assert "987654321" not in str(caught.value)
    assert "secretString" in caught.value.detail


def test_unknown_operation(sm: ServiceModel) -> None:
    with pytest.raises(UnknownOperation) as caught:
        sm.parse_input("GetSecretValues", b"{}")
    assert caught.value.operation == "GetSecretValues"
    with pytest.raises(UnknownOperation):
        sm.parse_input("Encrypt", b"{}")


# --- several errors -----------------------------------------------------------------


def test_multiple_errors_in_member_order_joined_with_semicolons(sm: ServiceModel) -> None:
    name = "n" * 513
    params = {"ClientRequestToken": "short", "Name": name, "Tags": [{"Key": ""}]}
    assert message_of(sm, "CreateSecret", params) == (
        "3 validation errors detected: "
        f"Value '{name}' at 'name' failed to satisfy constraint: "
        "Member must have length less than or equal to 512; "
        "Value 'short' at 'clientRequestToken' failed to satisfy constraint: "
        "Member must have length greater than or equal to 32; "
        "Value '' at 'tags.1.member.key' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )


def test_list_length_error_comes_before_its_items(sm: ServiceModel) -> None:
    filters = [{"Key": "nope", "Values": ["a"]}] + [{"Key": "name", "Values": ["a"]}] * 10
    errors = errors_of(sm, "ListSecrets", {"Filters": filters})
    assert [e.member for e in errors.errors] == ["filters", "filters.1.member.key"]
    assert errors.errors[0].constraint == "Member must have length less than or equal to 10"


def test_at_most_ten_errors_are_reported(sm: ServiceModel) -> None:
    tags = [{"Key": ""} for _ in range(25)]
    errors = errors_of(sm, "CreateSecret", {"Name": "n" * 600, "Tags": tags})
    assert len(errors.errors) == MAX_REPORTED_ERRORS
    assert errors.errors[0].member == "name"
    assert format_validation_message(errors).startswith("10 validation errors detected: ")


def test_single_error_is_still_a_list(sm: ServiceModel) -> None:
    errors = errors_of(sm, "GetSecretValue", {})
    assert isinstance(errors.errors, list)
    assert len(errors.errors) == 1


# --- sensitive members --------------------------------------------------------------


def test_sensitive_values_never_appear(sm: ServiceModel, kms: ServiceModel) -> None:
    marker = "hunter2-TOP-SECRET"
    cases = [
        (sm, "CreateSecret", {"Name": "n" * 513, "SecretString": marker * 4000}),
        (sm, "PutSecretValue", {"SecretId": "x", "SecretString": ""}),
        (
            sm,
            "UpdateSecret",
            {"SecretId": "x", "SecretBinary": base64.b64encode(marker.encode() * 4000).decode()},
        ),
        (
            kms,
            "Encrypt",
            {"KeyId": "k", "Plaintext": base64.b64encode(marker.encode() * 300).decode()},
        ),
        (
            kms,
            "CreateCustomKeyStore",
            {
                "CustomKeyStoreName": "s",
                "KeyStorePassword": marker * 10,
                "XksProxyAuthenticationCredential": {
                    "AccessKeyId": marker,
                    "RawSecretAccessKey": marker,
                },
            },
        ),
    ]
    for model, operation, params in cases:
        errors = errors_of(model, operation, params)
        text = format_validation_message(errors)
        assert marker not in text
        assert "Value at '" in text
        for failure in errors.errors:
            assert failure.value is None or marker not in failure.value
            assert marker not in str(failure)


def test_format_validation_message_renders_each_kind() -> None:
    from strongroom.core.errors import ValidationFailed

    errors = ValidationErrors(
        [
            ValidationFailed("secretId", NOT_NULL, None),
            ValidationFailed(
                "secretString", "Member must have length less than or equal to 1", None
            ),
            ValidationFailed("name", "Member must have length less than or equal to 2", "abc"),
        ]
    )
    assert format_validation_message(errors) == (
        "3 validation errors detected: "
        "Value null at 'secretId' failed to satisfy constraint: Member must not be null; "
        "Value at 'secretString' failed to satisfy constraint: "
        "Member must have length less than or equal to 1; "
        "Value 'abc' at 'name' failed to satisfy constraint: "
        "Member must have length less than or equal to 2"
    )


# --- a synthetic model: maps, recursion, sensitive containers, documents -------------

SYNTHETIC: dict[str, Any] = {
    "metadata": {"endpointPrefix": "syn", "targetPrefix": "Syn", "protocol": "json"},
    "operations": {
        "Op": {"name": "Op", "input": {"shape": "OpInput"}},
        "NoInput": {"name": "NoInput"},
    },
    "shapes": {
        "OpInput": {
            "type": "structure",
            "members": {
                "Labels": {"shape": "LabelMap"},
                "Nested": {"shape": "NodeMap"},
                "Tree": {"shape": "Tree"},
                "Creds": {"shape": "Creds"},
                "CredList": {"shape": "CredList"},
                "Doc": {"shape": "Doc"},
                "Ratio": {"shape": "Ratio"},
                "SAMLOptions": {"shape": "Str"},
                "Wire": {"shape": "Str", "locationName": "wireName"},
            },
        },
        "LabelMap": {
            "type": "map",
            "key": {"shape": "LabelKey"},
            "value": {"shape": "LabelValue"},
            "max": 2,
        },
        "LabelKey": {"type": "string", "min": 1, "max": 3},
        "LabelValue": {"type": "string", "pattern": "^[a-z]+$"},
        "NodeMap": {"type": "map", "key": {"shape": "Str"}, "value": {"shape": "Tree"}},
        "Tree": {
            "type": "structure",
            "required": ["Name"],
            "members": {"Name": {"shape": "LabelKey"}, "Children": {"shape": "TreeList"}},
        },
        "TreeList": {"type": "list", "member": {"shape": "Tree"}},
        "Creds": {
            "type": "structure",
            "members": {"User": {"shape": "Str"}, "Password": {"shape": "Secret"}},
        },
        "CredList": {"type": "list", "member": {"shape": "Creds"}, "max": 1},
        "Secret": {"type": "string", "sensitive": True, "min": 8},
        "Str": {"type": "string", "max": 5},
        "Doc": {"type": "structure", "members": {}, "document": True},
        "Ratio": {"type": "double", "min": 0, "max": 1},
    },
}


@pytest.fixture(scope="module")
def syn() -> ServiceModel:
    return ServiceModel("synthetic", SYNTHETIC)


def test_synthetic_metadata(syn: ServiceModel) -> None:
    assert syn.signing_name == "syn"
    assert syn.target_prefix == "Syn"
    assert syn.parse_input("NoInput", b"") == {}
    with pytest.raises(MalformedRequest):
        syn.parse_input("NoInput", b"[]")


def test_map_keys_and_values_use_coral_brackets(syn: ServiceModel) -> None:
    errors = errors_of(syn, "Op", {"Labels": {"toolong": "ok", "a": "BAD", "b": "x"}})
    assert [(e.member, e.constraint, e.value) for e in errors.errors] == [
        ("labels", "Member must have length less than or equal to 2", "{toolong=ok, a=BAD, b=x}"),
        (
            "labels",
            "Map keys must satisfy constraint: [Member must have length less than or equal "
            "to 3, Member must have length greater than or equal to 1]",
            "{toolong=ok, a=BAD, b=x}",
        ),
        (
            "labels",
            "Map value must satisfy constraint: "
            "[Member must satisfy regular expression pattern: ^[a-z]+$]",
            "{toolong=ok, a=BAD, b=x}",
        ),
    ]


def test_map_of_structures_and_recursive_shapes(syn: ServiceModel) -> None:
    params = {"Nested": {"k": {"Name": "ok", "Children": [{"Name": "ok"}, {"Children": []}]}}}
    assert one_error(syn, "Op", params) == (
        "nested.k.member.children.2.member.name",
        NOT_NULL,
        None,
    )
    deep: dict[str, Any] = {"Name": "a"}
    for _ in range(50):
        deep = {"Name": "a", "Children": [deep]}
    assert syn.parse_input("Op", body({"Tree": deep}))["Tree"]["Name"] == "a"


def test_member_names_lower_only_the_first_letter(syn: ServiceModel) -> None:
    assert one_error(syn, "Op", {"SAMLOptions": "toolong"})[0] == "sAMLOptions"


def test_location_name_is_the_wire_key(syn: ServiceModel) -> None:
    assert syn.parse_input("Op", body({"wireName": "abc"})) == {"Wire": "abc"}
    assert one_error(syn, "Op", {"wireName": "toolong"})[0] == "wire"


def test_containers_holding_secrets_are_not_rendered(syn: ServiceModel) -> None:
    params = {"CredList": [{"User": "u", "Password": "p4ssw0rd!"}] * 2}
    member, _, value = one_error(syn, "Op", params)
    assert (member, value) == ("credList", None)
    member, _, value = one_error(syn, "Op", {"Creds": {"User": "u", "Password": "short"}})
    assert (member, value) == ("creds.password", None)
    member, _, value = one_error(syn, "Op", {"Creds": {"User": "toolong", "Password": "x" * 9}})
    assert (member, value) == ("creds.user", "toolong")


def test_documents_pass_through_and_doubles_are_ranged(syn: ServiceModel) -> None:
    doc = {"anything": [1, "two", {"three": None}]}
    assert syn.parse_input("Op", body({"Doc": doc, "Ratio": 1})) == {"Doc": doc, "Ratio": 1.0}
    assert one_error(syn, "Op", {"Ratio": 1.5}) == (
        "ratio",
        "Member must have value less than or equal to 1",
        "1.5",
    )


# --- Java regex translation ---------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        (FILTER_PATTERN, "!tag-key:prod", True),
        (FILTER_PATTERN, "a*b", False),
        (FILTER_PATTERN, "abc\n", False),  # matches() needs the whole input
        (r"[0-9]+h", "12h", True),
        (r"[0-9]+h", "x12h", False),  # unanchored patterns still match the whole value
        (r"[\w-_]*", "a-b_c", True),  # Java: '-' after \w is a literal
        (r"^[a-zA-Z0-9\s-_()\[\]]+$", "a b-c_(d)[e]", True),
        (r"\A[a-zA-Z0-9_]+\z", "abc", True),
        (r"\A[a-zA-Z0-9_]+\z", "abc\n", False),
        (r"^(?i)(true|false)$", "TrUe", True),
        (r"(?!(?i)AWS_)[a-zA-Z_][a-zA-Z0-9_]*", "aws_thing", False),
        (r"(?!(?i)AWS_)[a-zA-Z_][a-zA-Z0-9_]*", "AWX_thing", True),
        (r"(?i)all|[0-9]{12}", "ALL", True),
        (r"(?i)all|[0-9]{12}", "123456789012", True),
        (r"[\p{Print}&&[^|:/]]+", "abc def", True),
        (r"[\p{Print}&&[^|:/]]+", "a|b", False),
        (r"[\p{Print}&&[^|:/]]+", "é", False),  # POSIX classes are ASCII in Java
        (r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*", "héllo wörld 42", True),
        (r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*", "bad!", False),
        (r"^\p{ASCII}+$", "キー", False),
        (r"[\P{C}\n\r\t]*", "line\nbreak", True),
        (r"[\P{C}\n\r\t]*", "nul\x00", False),
        (r"[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\t]+", "emoji \U0001f600", True),
        (r"[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\t]+", "bell\x07", False),
        (r"[a-zA-Z0-9\s'\x{0022},.:\\\/{$}\[\]=_\-\+]+", 'say "hi"', True),
        (r"^[-_a-zA-Z0-9]*${2,64}$", "abc", True),
        (r"^arn:\S+:rbin:[a-z\-0-9]{0,63}:[0-9]{12}:rule/[0-9a-zA-Z]{11}{0,1011}$", "x", False),
        (r"(?s).{1,3}", "a\nb", True),
        (r"a.b", "a\rb", False),  # Java's '.' excludes every line terminator
        (r"a.b", "a\x85b", False),
        (r"\Qa.b\E+", "a.bb", True),
        (r"\Qa.b\E+", "axb", False),
        (r"[^\p{L}]+", "123", True),
        (r"[^\p{L}]+", "1a", False),
        (r"(?<word>ab)\k<word>", "abab", True),
        (r"\p{IsAlphabetic}+", "Ωmega", True),
        (r"a*+a", "aaa", False),  # possessive quantifiers keep Java meaning
    ],
)
def test_java_patterns(pattern: str, text: str, matches: bool) -> None:
    compiled = compile_java_pattern(pattern)
    assert compiled is not None
    assert (compiled.fullmatch(text) is not None) is matches


@pytest.mark.parametrize("pattern", [r"\p{InGreek}", r"(?x)a b", r"(a", r"\G", r"[a"])
def test_untranslatable_patterns_report_none(pattern: str) -> None:
    assert compile_java_pattern(pattern) is None


@pytest.mark.slow
def test_every_botocore_pattern_translates() -> None:
    loader = botocore.loaders.Loader()
    patterns: set[str] = set()
    for service in loader.list_available_services("service-2"):
        shapes = loader.load_service_model(service, "service-2")["shapes"]
        patterns.update(s["pattern"] for s in shapes.values() if "pattern" in s)
    failed = sorted(p for p in patterns if compile_java_pattern(p) is None)
    assert failed == []


# --- property tests -----------------------------------------------------------------

_SESSION = botocore.session.get_session()
_BOTO_MODELS = {name: _SESSION.get_service_model(name) for name in ("secretsmanager", "kms")}
_SERIALIZER = botocore.serialize.create_serializer("json")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _strategy(shape: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    meta = shape.metadata
    kind = shape.type_name
    low = int(meta.get("min", 0))
    if kind == "structure":
        required = set(shape.required_members)
        return st.fixed_dictionaries(
            {n: _strategy(s, depth + 1) for n, s in shape.members.items() if n in required},
            optional={
                n: _strategy(s, depth + 1)
                for n, s in shape.members.items()
                if n not in required and depth < 4
            },
        )
    if kind == "list":
        high = min(int(meta.get("max", 3)), max(low, 3))
        return st.lists(_strategy(shape.member, depth + 1), min_size=low, max_size=high)
    if kind == "map":
        high = min(int(meta.get("max", 3)), max(low, 3))
        return st.dictionaries(
            _strategy(shape.key, depth + 1),
            _strategy(shape.value, depth + 1),
            min_size=low,
            max_size=high,
        )
    if kind == "string":
        if shape.enum:
            return st.sampled_from(shape.enum)
        high = int(meta.get("max", low + 30))
        if "pattern" in meta:
            return st.from_regex(re.compile(meta["pattern"], re.ASCII), fullmatch=True).filter(
                lambda s: low <= len(s) <= high
            )
        return st.text(min_size=low, max_size=min(high, low + 40))
    if kind == "blob":
        high = int(meta.get("max", low + 30))
        return st.binary(min_size=low, max_size=min(high, low + 40))
    if kind in ("integer", "long"):
        bits = 31 if kind == "integer" else 63
        return st.integers(int(meta.get("min", -(2**bits))), int(meta.get("max", 2**bits - 1)))
    if kind == "boolean":
        return st.booleans()
    if kind in ("float", "double"):
        return st.floats(meta.get("min"), meta.get("max"), allow_nan=False, allow_infinity=False)
    if kind == "timestamp":
        return st.datetimes(
            min_value=dt.datetime(1971, 1, 1),
            max_value=dt.datetime(2100, 1, 1),
            timezones=st.just(dt.UTC),
        )
    raise AssertionError(f"no strategy for {kind}")


_OPERATIONS = sorted(
    (service, name)
    for service, model in _BOTO_MODELS.items()
    for name in model.operation_names
    if model.operation_model(name).input_shape is not None
)


@st.composite
def _botocore_request(draw: st.DrawFn) -> tuple[str, str, dict[str, Any]]:
    service, operation = draw(st.sampled_from(_OPERATIONS))
    shape = _BOTO_MODELS[service].operation_model(operation).input_shape
    return service, operation, draw(_strategy(shape))


def _same(parsed: Any, expected: Any) -> bool:
    """Equal, with timestamps compared as epoch seconds (botocore may drop the fraction)."""
    if isinstance(expected, dt.datetime):
        seconds = (expected - _EPOCH).total_seconds()
        return type(parsed) is float and abs(parsed - seconds) < 1
    if isinstance(expected, dict):
        return (
            isinstance(parsed, dict)
            and parsed.keys() == expected.keys()
            and all(_same(parsed[k], v) for k, v in expected.items())
        )
    if isinstance(expected, list):
        return (
            isinstance(parsed, list)
            and len(parsed) == len(expected)
            and all(_same(p, e) for p, e in zip(parsed, expected, strict=True))
        )
    return bool(parsed == expected) and type(parsed) is type(expected)


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(_botocore_request())
def test_botocore_serialised_valid_params_round_trip(
    request_parts: tuple[str, str, dict[str, Any]],
) -> None:
    service, operation, params = request_parts
    operation_model = _BOTO_MODELS[service].operation_model(operation)
    wire = _SERIALIZER.serialize_to_request(params, operation_model)
    parsed = ServiceModel.load(service).parse_input(operation, wire["body"])
    assert _same(parsed, params), (parsed, params)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@st.composite
def _junk_request(draw: st.DrawFn) -> tuple[str, str, bytes]:
    service, operation = draw(st.sampled_from(_OPERATIONS))
    shape = _BOTO_MODELS[service].operation_model(operation).input_shape
    members = st.sampled_from(sorted(shape.members))
    params = draw(st.dictionaries(members | st.text(max_size=5), _JSON, max_size=5))
    return service, operation, json.dumps(params).encode()


@settings(max_examples=300, deadline=None)
@given(_junk_request())
def test_arbitrary_json_only_raises_strongroom_errors(
    request_parts: tuple[str, str, bytes],
) -> None:
    service, operation, raw = request_parts
    try:
        ServiceModel.load(service).parse_input(operation, raw)
    except StrongroomError as caught:
        failure = caught
    else:
        return
    assert isinstance(failure, ValidationErrors | MalformedRequest)
    if isinstance(failure, ValidationErrors):
        assert 1 <= len(failure.errors) <= MAX_REPORTED_ERRORS
        assert format_validation_message(failure).startswith(f"{len(failure.errors)} validation")
