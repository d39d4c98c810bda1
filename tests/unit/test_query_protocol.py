"""The query protocol (IAM, STS) against botocore's own query serializer and parser.

Requests are built by botocore's serializer from the real iam/sts models and must
decode back to the same params; results and errors are written as XML and must parse,
through botocore's QueryParser, to the same dict. Expected AWS texts come from real
exchanges (see the module docstrings of strongroom.protocol.query and .xml).
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import re
import string
from typing import Any
from urllib.parse import urlencode, urlsplit

import botocore.auth
import botocore.credentials
import botocore.model
import botocore.parsers
import botocore.serialize
import botocore.session
import pytest
from botocore.awsrequest import AWSResponse, create_request_object, prepare_request_dict
from botocore.config import Config
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strongroom.auth import errors as auth_errors
from strongroom.auth import sigv4
from strongroom.auth.sigv4 import HttpRequest
from strongroom.core import errors as core_errors
from strongroom.core.types import Principal, RequestContext
from strongroom.policy.errors import MalformedPolicy
from strongroom.protocol import query, xml
from strongroom.protocol.errors import WireError
from strongroom.protocol.json11 import ClientFacts
from strongroom.protocol.model import ServiceModel, compile_java_pattern

IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
KEY_ID = "AKIDEXAMPLE0000000001"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
PRINCIPAL = Principal(
    account_id="111122223333", arn="arn:aws:iam::111122223333:user/alice",
    user_id="AIDAEXAMPLE000000001", name="alice", kind="IAMUser", access_key_id=KEY_ID,
)
SESSION = botocore.session.get_session()
SERIALIZER = botocore.serialize.create_serializer("query")
PARSER = botocore.parsers.create_parser("query")


@pytest.fixture(scope="module")
def models() -> dict[str, ServiceModel]:
    return {"iam": ServiceModel.load("iam"), "sts": ServiceModel.load("sts")}


def op_model(service: str, operation: str) -> botocore.model.OperationModel:
    return SESSION.get_service_model(service).operation_model(operation)


def prepared(service: str, operation: str, params: dict[str, Any]) -> Any:
    """The request botocore would send (unsigned) for `params`."""
    request_dict = SERIALIZER.serialize_to_request(params, op_model(service, operation))
    prepare_request_dict(request_dict, endpoint_url=f"https://{service}.amazonaws.com")
    return create_request_object(request_dict).prepare()


def wire_request(
    service: str, operation: str, params: dict[str, Any], *, method: str = "POST"
) -> HttpRequest:
    request = prepared(service, operation, params)
    body = request.body if isinstance(request.body, bytes) else request.body.encode()
    headers = tuple((k, v.decode() if isinstance(v, bytes) else v)
                    for k, v in request.headers.items())
    if method == "GET":
        return HttpRequest("GET", "/", body.decode(), (), b"")
    return HttpRequest("POST", "/", "", headers, body)


def form(body: str, *, query_string: str = "", content_type: str | None = None) -> HttpRequest:
    headers = (("Content-Type", content_type or "application/x-www-form-urlencoded"),)
    return HttpRequest("POST", "/", query_string, headers, body.encode())


def decoded(models: dict[str, ServiceModel], service: str, request: HttpRequest) -> Any:
    model = models[service]
    params = query.read_params(request)
    return query.decode_input(model, query.resolve_action(model, params), params)


def parse_xml(body: bytes, status: int, service: str, operation: str) -> dict[str, Any]:
    response = {"body": body, "headers": {}, "status_code": status}
    return PARSER.parse(response, op_model(service, operation).output_shape)


# --------------------------------------------------------------------------------------
# Requests: botocore's encoding decodes back to the same params

POLICY = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*",' \
         '"Resource":"*","Condition":{"StringLike":{"x":"a&b=c+d %25"}}}]}'

EXAMPLES = [
    ("sts", "AssumeRole", {
        "RoleArn": "arn:aws:iam::111122223333:role/app", "RoleSessionName": "s1",
        "PolicyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
                       {"arn": "arn:aws:iam::111122223333:policy/p"}],
        "Policy": POLICY, "DurationSeconds": 900,
        "Tags": [{"Key": "team", "Value": "a b"}, {"Key": "cost-centre", "Value": ""}],
        "TransitiveTagKeys": ["team"], "ExternalId": "ext-1", "SourceIdentity": "me@x",
        "ProvidedContexts": [{"ProviderArn": "arn:aws:iam::aws:contextProvider/IdentityCenter",
                              "ContextAssertion": "x" * 8}],
    }),
    ("sts", "AssumeRole", {"RoleArn": "arn:aws:iam::111122223333:role/app",
                           "RoleSessionName": "s1", "Tags": [], "PolicyArns": []}),
    ("sts", "GetSessionToken", {"DurationSeconds": 129600, "SerialNumber": "arn:aws:iam::1:mfa/a",
                                "TokenCode": "123456"}),
    ("sts", "GetFederationToken", {"Name": "bob", "Policy": POLICY,
                                   "Tags": [{"Key": "k", "Value": "v"}]}),
    ("sts", "GetCallerIdentity", {}),
    ("sts", "DecodeAuthorizationMessage", {"EncodedMessage": "é&=+%20\r\n日本"}),
    ("iam", "CreateUser", {"Path": "/eng/", "UserName": "alice",
                           "PermissionsBoundary": "arn:aws:iam::111122223333:policy/b",
                           "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]}),
    ("iam", "CreateRole", {"RoleName": "app", "AssumeRolePolicyDocument": POLICY,
                           "MaxSessionDuration": 43200, "Description": "d"}),
    ("iam", "ListUsers", {"PathPrefix": "/eng/", "Marker": "abc", "MaxItems": 1000}),
    ("iam", "UntagRole", {"RoleName": "app", "TagKeys": ["a", "b", "c"]}),
    ("iam", "UpdateAccountPasswordPolicy", {
        "MinimumPasswordLength": 14, "RequireSymbols": True, "RequireNumbers": False,
        "AllowUsersToChangePassword": True, "MaxPasswordAge": 90, "HardExpiry": False}),
    ("iam", "SimulatePrincipalPolicy", {
        "PolicySourceArn": "arn:aws:iam::111122223333:user/alice",
        "ActionNames": ["s3:GetObject", "s3:PutObject"], "ResourceArns": ["*"],
        "ContextEntries": [{"ContextKeyName": "aws:SourceIp", "ContextKeyType": "ipList",
                            "ContextKeyValues": ["10.0.0.1", "10.0.0.2"]},
                           {"ContextKeyName": "aws:MultiFactorAuthPresent",
                            "ContextKeyType": "boolean", "ContextKeyValues": ["true"]}]}),
    ("iam", "GetAccountAuthorizationDetails", {"Filter": ["User", "Role"], "MaxItems": 5}),
    ("iam", "CreateAccessKey", {}),
]


@pytest.mark.parametrize(("service", "operation", "params"), EXAMPLES)
@pytest.mark.parametrize("method", ["POST", "GET"])
def test_botocore_requests_decode_to_their_params(models, service, operation, params, method):
    request = wire_request(service, operation, params, method=method)
    assert decoded(models, service, request) == params


def test_input_maps_decode(models):
    op = "PutAccountProperties"
    shape = models["iam"].definition["shapes"]["accountPropertiesMapType"]
    key = shape["key"]["shape"]
    keys = models["iam"].definition["shapes"][key].get("enum") or ["k1"]
    params = {"Properties": {keys[0]: "on"}}
    request = wire_request("iam", op, params)
    assert b"Properties.entry.1.key=" in request.body
    assert decoded(models, "iam", request) == params


def test_first_occurrence_wins_and_unknown_params_are_ignored(models):
    base = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fapp1"
    request = form(base + "&RoleSessionName=s1&RoleSessionName=bad%2Fname"
                   "&DurationSeconds=900&DurationSeconds=899&Unknown=x&Unknown.member.1=y")
    params = decoded(models, "sts", request)
    assert params["RoleSessionName"] == "s1"
    assert params["DurationSeconds"] == 900
    assert "Unknown" not in params


def test_query_string_comes_before_the_body_and_other_bodies_are_ignored():
    request = form("Action=B&Version=2&X=body", query_string="Action=A&Y=q")
    assert query.read_params(request) == {"Action": "A", "Y": "q", "Version": "2", "X": "body"}
    plain = form("Action=B", content_type="text/plain")
    assert query.read_params(plain) == {}
    charset = form("Action=B", content_type="Application/X-WWW-Form-URLEncoded; charset=utf-8")
    assert query.read_params(charset) == {"Action": "B"}
    assert query.read_params(form("a=%E6%97%A5+%ZZ&b&=c")) == {"a": "日 %ZZ", "b": "", "": "c"}


@pytest.mark.parametrize(("value", "expected"), [("%2B900", 900), ("0900", 900), ("43200", 43200)])
def test_integers_parse_as_java_does(models, value, expected):
    request = form("Action=AssumeRole&Version=2011-06-15&RoleSessionName=s1"
                   f"&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fapp1&DurationSeconds={value}")
    assert decoded(models, "sts", request)["DurationSeconds"] == expected


def test_list_indexes_are_ordered_and_gaps_closed(models):
    request = form("Action=UntagRole&Version=2010-05-08&RoleName=r&TagKeys.member.10=c"
                   "&TagKeys.member.2=b&TagKeys.member.1=a&TagKeys.member.x=z&TagKeys.member.0=z")
    assert decoded(models, "iam", request)["TagKeys"] == ["a", "b", "c"]


# --------------------------------------------------------------------------------------
# Strategies from shapes

CANDIDATES = string.ascii_letters + string.digits + " _+=,.@-/:*?!#$%&'()[]{}~^`|<>;\"\\\t\néü日€😀"
XML_TEXT = st.characters(blacklist_categories=("Cs",), blacklist_characters="\ufffe\uffff",
                         min_codepoint=0x20) | st.sampled_from("\t\n\r")


def _pattern_strings(pattern: str, low: int, high: int) -> st.SearchStrategy[str]:
    compiled = compile_java_pattern(pattern)
    if compiled is None:
        return st.text(alphabet=string.ascii_letters, min_size=low, max_size=high)
    alphabet = [c for c in CANDIDATES if compiled.fullmatch(c * max(low, 1))]
    strategies = []
    # from_regex is slow on \p{..} classes and mostly too short for a minimum length
    if not alphabet or (low <= 1 and "\\p" not in pattern):
        strategies.append(
            st.from_regex(compiled, fullmatch=True).filter(lambda s: low <= len(s) <= high))
    if alphabet:
        strategies.insert(0, st.text(alphabet=alphabet, min_size=low,
                                     max_size=min(high, low + 12)).filter(compiled.fullmatch))
    return st.one_of(strategies).filter(_utf8)


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def strategy(shapes: dict[str, Any], name: str, *, valid: bool, depth: int = 0) -> Any:
    """Values of shape `name`: constraint-valid inputs, or XML-safe outputs."""
    shape = shapes[name]
    kind = shape["type"]
    low = shape.get("min", 0) if valid else 0
    high = shape.get("max", low + 12) if valid else 3
    if shape.get("union"):  # exactly one member
        return st.one_of([
            strategy(shapes, ref["shape"], valid=valid, depth=depth + 1).map(
                lambda value, member=member: {member: value})
            for member, ref in shape["members"].items()])
    if kind == "structure":
        required = set(shape.get("required", ())) if valid else set()
        members = shape.get("members", {})
        fixed = {m: strategy(shapes, r["shape"], valid=valid, depth=depth + 1)
                 for m, r in members.items() if m in required}
        optional = {} if depth > 3 else {
            m: strategy(shapes, r["shape"], valid=valid, depth=depth + 1)
            for m, r in members.items() if m not in required}
        return st.fixed_dictionaries(fixed, optional=optional)
    if kind == "list":
        item = strategy(shapes, shape["member"]["shape"], valid=valid, depth=depth + 1)
        if shapes[shape["member"]["shape"]]["type"] == "structure":
            item = item.filter(bool)  # botocore sends nothing for an empty structure
        return st.lists(item, min_size=low, max_size=min(high, low + 3))
    if kind == "map":
        keys = strategy(shapes, shape["key"]["shape"], valid=valid, depth=depth + 1)
        values = strategy(shapes, shape["value"]["shape"], valid=valid, depth=depth + 1)
        return st.dictionaries(keys, values, min_size=max(low, 1), max_size=min(high, 3))
    if kind == "string":
        if shape.get("enum"):
            return st.sampled_from(shape["enum"])
        high = min(high, low + 24)
        if not valid:
            return st.text(alphabet=XML_TEXT, max_size=8)
        if shape.get("pattern"):
            return _pattern_strings(shape["pattern"], low, high)
        return st.text(alphabet=st.characters(blacklist_categories=("Cs",)),
                       min_size=low, max_size=high)
    if kind in ("integer", "long"):
        bits = 31 if kind == "integer" else 63
        return st.integers(shape.get("min", -(2**bits)) if valid else -(2**bits),
                           shape.get("max", 2**bits - 1) if valid else 2**bits - 1)
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return st.datetimes(min_value=dt.datetime(1970, 1, 2), max_value=dt.datetime(2200, 1, 1),
                            timezones=st.just(dt.UTC))
    if kind == "blob":
        return st.binary(min_size=low, max_size=min(high, low + 16))
    if kind in ("float", "double"):
        return st.floats(allow_nan=False, allow_infinity=False)
    raise AssertionError(kind)


def drop_empty(value: Any) -> Any:
    """What survives botocore's encoding: empty structures and maps are not sent."""
    if isinstance(value, dict):
        cleaned = {k: drop_empty(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v != {}}
    if isinstance(value, list):
        return [drop_empty(v) for v in value]
    return value


INPUT_OPERATIONS = [
    ("sts", "AssumeRole"), ("sts", "GetFederationToken"), ("sts", "GetSessionToken"),
    ("iam", "CreateUser"), ("iam", "CreateRole"), ("iam", "TagRole"),
    ("iam", "UpdateAccountPasswordPolicy"), ("iam", "SimulatePrincipalPolicy"),
    ("iam", "PutAccountProperties"), ("iam", "ListPolicies"),
]


@pytest.mark.parametrize(("service", "operation"), INPUT_OPERATIONS)
def test_random_valid_inputs_round_trip(models, service, operation):
    definition = models[service].definition
    shape = definition["operations"][operation]["input"]["shape"]

    @settings(max_examples=25, deadline=None,
              suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow,
                                     HealthCheck.data_too_large])
    @given(strategy(definition["shapes"], shape, valid=True))
    def round_trip(params: dict[str, Any]) -> None:
        expected = drop_empty(params)
        assert decoded(models, service, wire_request(service, operation, params)) == expected

    round_trip()


# --------------------------------------------------------------------------------------
# Results: botocore's parser reads our XML back

CREATED = dt.datetime(2026, 11, 22, 10, 13, 32, 987654, tzinfo=dt.UTC)


def render(models: dict[str, ServiceModel], service: str, operation: str, result: Any) -> bytes:
    definition = models[service].definition
    namespace = IAM_NS if service == "iam" else STS_NS
    return xml.render_result(definition["shapes"], definition["operations"][operation], result,
                             "req-1", namespace)


def expected_output(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: expected_output(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [expected_output(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0)
    return value


def parsed_result(models, service, operation, result):
    body = render(models, service, operation, result)
    parsed = parse_xml(body, 200, service, operation)
    assert parsed.pop("ResponseMetadata")["RequestId"] == "req-1"
    return parsed


RESULTS = [
    ("sts", "AssumeRole", {
        "Credentials": {"AccessKeyId": "ASIAEXAMPLE000000001", "SecretAccessKey": "s/+=<&>",
                        "SessionToken": "t" * 40, "Expiration": CREATED},
        "AssumedRoleUser": {"AssumedRoleId": "AROAEXAMPLE:s1",
                            "Arn": "arn:aws:sts::111122223333:assumed-role/app/s1"},
        "PackedPolicySize": 3, "SourceIdentity": "me"}),
    ("sts", "GetCallerIdentity", {"UserId": "AIDAEXAMPLE", "Account": "111122223333",
                                  "Arn": "arn:aws:iam::111122223333:user/alice"}),
    ("iam", "ListUsers", {"Users": [
        {"Path": "/", "UserName": "a", "UserId": "AIDA1", "Arn": "arn:aws:iam::1:user/a",
         "CreateDate": CREATED, "Tags": [{"Key": "k", "Value": ""}]},
        {"Path": "/x/", "UserName": "b", "UserId": "AIDA2", "Arn": "arn:aws:iam::1:user/x/b",
         "CreateDate": CREATED, "PasswordLastUsed": dt.datetime(2020, 1, 1, tzinfo=dt.UTC)}],
        "IsTruncated": True, "Marker": "m"}),
    ("iam", "ListUsers", {"Users": [], "IsTruncated": False}),
    ("iam", "GetAccountSummary",
     {"SummaryMap": {"Users": 3, "Groups": 0, "AccessKeysPerUserQuota": 2}}),
    ("iam", "GetAccountSummary", {"SummaryMap": {}}),
    ("iam", "GetRole", {"Role": {
        "Path": "/", "RoleName": "app", "RoleId": "AROA1", "Arn": "arn:aws:iam::1:role/app",
        "CreateDate": CREATED, "AssumeRolePolicyDocument": "%7B%22Version%22%7D",
        "MaxSessionDuration": 3600, "RoleLastUsed": {}}}),
    ("iam", "ListAttachedRolePolicies", {"AttachedPolicies": [
        {"PolicyName": "p", "PolicyArn": "arn:aws:iam::aws:policy/p"}], "IsTruncated": False}),
]


@pytest.mark.parametrize(("service", "operation", "result"), RESULTS)
def test_results_parse_back_through_botocore(models, service, operation, result):
    assert parsed_result(models, service, operation, result) == expected_output(result)


OUTPUT_OPERATIONS = [
    ("sts", "AssumeRole"), ("sts", "GetSessionToken"), ("sts", "GetFederationToken"),
    ("iam", "GetUser"), ("iam", "ListRoles"), ("iam", "GetAccountSummary"),
    ("iam", "ListAccessKeys"), ("iam", "GetAccountAuthorizationDetails"),
    ("iam", "SimulatePrincipalPolicy"), ("iam", "GetAccountPasswordPolicy"),
]


@pytest.mark.parametrize(("service", "operation"), OUTPUT_OPERATIONS)
def test_random_results_round_trip(models, service, operation):
    definition = models[service].definition
    shape = definition["operations"][operation]["output"]["shape"]

    @settings(max_examples=30, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(strategy(definition["shapes"], shape, valid=False))
    def round_trip(result: dict[str, Any]) -> None:
        assert parsed_result(models, service, operation, result) == expected_output(result)

    round_trip()


def test_operation_without_output_has_only_metadata(models):
    body = render(models, "iam", "DeleteUser", None)
    assert body.decode() == (
        f'<DeleteUserResponse xmlns="{IAM_NS}">\n  <ResponseMetadata>\n'
        "    <RequestId>req-1</RequestId>\n  </ResponseMetadata>\n</DeleteUserResponse>\n"
    )
    assert parse_xml(body, 200, "iam", "DeleteUser")["ResponseMetadata"]["RequestId"] == "req-1"


def test_layout_matches_the_captured_sts_response(models):
    result = {"Arn": "arn:aws:iam::1:user/a", "UserId": "AIDA1", "Account": "1"}
    assert render(models, "sts", "GetCallerIdentity", result).decode() == (
        f'<GetCallerIdentityResponse xmlns="{STS_NS}">\n  <GetCallerIdentityResult>\n'
        "    <UserId>AIDA1</UserId>\n    <Account>1</Account>\n"
        "    <Arn>arn:aws:iam::1:user/a</Arn>\n  </GetCallerIdentityResult>\n"
        "  <ResponseMetadata>\n    <RequestId>req-1</RequestId>\n  </ResponseMetadata>\n"
        "</GetCallerIdentityResponse>\n"
    )


def test_timestamps_are_whole_seconds_in_utc():
    assert xml.format_timestamp(CREATED) == "2026-11-22T10:13:32Z"
    east = dt.timezone(dt.timedelta(hours=2))
    two_am = dt.datetime(2026, 1, 1, 2, 0, tzinfo=east)
    assert xml.format_timestamp(two_am) == "2026-01-01T00:00:00Z"
    assert xml.format_timestamp(dt.datetime(2026, 1, 1)) == "2026-01-01T00:00:00Z"
    assert xml.format_timestamp(1_800_000_000.9) == "2027-01-15T08:00:00Z"
    with pytest.raises(TypeError):
        xml.format_timestamp("2026-01-01")


def test_text_is_escaped_and_unrepresentable_characters_replaced():
    assert xml.escape_text("a<b>&c\r\x00\ud800\uffff") == "a&lt;b&gt;&amp;c&#13;\ufffd\ufffd\ufffd"


def test_results_outside_the_model_are_handler_bugs(models):
    with pytest.raises(ValueError, match="Nope"):
        render(models, "sts", "GetCallerIdentity", {"Nope": "x"})
    with pytest.raises(TypeError):
        render(models, "sts", "AssumeRole", {"PackedPolicySize": "3"})
    with pytest.raises(ValueError, match="no output"):
        render(models, "iam", "DeleteUser", {"X": 1})


# --------------------------------------------------------------------------------------
# A synthetic model: flattened lists and maps, locationNames, every scalar type

SYNTHETIC = {
    "version": "2.0",
    "metadata": {"apiVersion": "2020-01-01", "endpointPrefix": "synth", "protocol": "query",
                 "serviceId": "Synth", "signatureVersion": "v4",
                 "xmlNamespace": "https://synth.example/doc/2020-01-01/"},
    "operations": {"Echo": {
        "name": "Echo", "http": {"method": "POST", "requestUri": "/"},
        "input": {"shape": "Payload"},
        "output": {"shape": "Payload", "resultWrapper": "EchoResult"}}},
    "shapes": {
        "Payload": {"type": "structure", "members": {
            "Flat": {"shape": "FlatList"},
            "FlatNamed": {"shape": "FlatNamedList"},
            "Named": {"shape": "NamedList", "locationName": "Renamed"},
            "Attrs": {"shape": "FlatMap"},
            "Pairs": {"shape": "NamedMap"},
            "When": {"shape": "Time"}, "Data": {"shape": "Blob"}, "On": {"shape": "Bool"},
            "Ratio": {"shape": "Double"}, "Big": {"shape": "Long"}, "Inner": {"shape": "Payload"},
        }},
        "FlatList": {"type": "list", "member": {"shape": "Str"}, "flattened": True},
        "FlatNamedList": {"type": "list", "member": {"shape": "Str", "locationName": "Item"},
                          "flattened": True},
        "NamedList": {"type": "list", "member": {"shape": "Str", "locationName": "Thing"}},
        "FlatMap": {"type": "map", "key": {"shape": "Str"}, "value": {"shape": "Str"},
                    "flattened": True},
        "NamedMap": {"type": "map", "key": {"shape": "Str", "locationName": "Name"},
                     "value": {"shape": "Long", "locationName": "Count"}},
        "Str": {"type": "string"}, "Time": {"type": "timestamp"}, "Blob": {"type": "blob"},
        "Bool": {"type": "boolean"}, "Double": {"type": "double"}, "Long": {"type": "long"},
    },
}


@pytest.fixture(scope="module")
def synth() -> tuple[ServiceModel, botocore.model.OperationModel]:
    botocore_model = botocore.model.ServiceModel(copy.deepcopy(SYNTHETIC), "synth")
    return ServiceModel("synth", copy.deepcopy(SYNTHETIC)), botocore_model.operation_model("Echo")


def synth_payloads(depth: int = 0) -> Any:
    text = st.text(alphabet=XML_TEXT, max_size=6)
    members = {
        "Flat": st.lists(text, min_size=1, max_size=3),
        "FlatNamed": st.lists(text, min_size=1, max_size=3),
        "Named": st.lists(text, max_size=3),
        "Attrs": st.dictionaries(text, text, min_size=1, max_size=3),
        "Pairs": st.dictionaries(text, st.integers(-(2**63), 2**63 - 1), min_size=1, max_size=3),
        "When": st.datetimes(min_value=dt.datetime(1970, 1, 2), timezones=st.just(dt.UTC),
                             max_value=dt.datetime(2200, 1, 1)).map(
                                 lambda d: d.replace(microsecond=0)),
        "Data": st.binary(max_size=12), "On": st.booleans(),
        "Ratio": st.floats(allow_nan=False, allow_infinity=False),
        "Big": st.integers(-(2**63), 2**63 - 1),
    }
    if depth < 2:
        members["Inner"] = synth_payloads(depth + 1).filter(bool)
    return st.fixed_dictionaries({}, optional=members)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(synth_payloads())
def test_synthetic_model_round_trips_both_ways(synth, payload):
    model, operation = synth
    request_dict = SERIALIZER.serialize_to_request(payload, operation)
    body = urlencode(list(request_dict["body"].items())).encode()
    params = query.read_params(form(body.decode()))
    decoded_payload = query.decode_input(model, "Echo", params)
    expected = copy.deepcopy(payload)

    def as_input(value: dict[str, Any]) -> dict[str, Any]:
        out = dict(value)
        if "When" in out:
            out["When"] = out["When"].timestamp()
        if "Inner" in out:
            out["Inner"] = as_input(out["Inner"])
        return out

    assert decoded_payload == as_input(expected)

    rendered = xml.render_result(model.definition["shapes"], model.definition["operations"]["Echo"],
                                 payload, "r", "https://synth.example/doc/2020-01-01/")
    parsed = PARSER.parse({"body": rendered, "headers": {}, "status_code": 200},
                          operation.output_shape)
    parsed.pop("ResponseMetadata")
    assert parsed == payload


def test_synthetic_wire_names(synth):
    model, operation = synth
    payload = {"Flat": ["a"], "FlatNamed": ["b"], "Named": ["c"], "Attrs": {"k": "v"},
               "Pairs": {"n": 1}, "Data": b"\x00\xff", "When": CREATED, "On": False}
    body = SERIALIZER.serialize_to_request(payload, operation)["body"]
    assert {"Flat.1", "Item.1", "Renamed.Thing.1", "Attrs.1.key", "Pairs.entry.1.Name",
            "Pairs.entry.1.Count"} <= set(body)
    decoded_payload = query.decode_input(model, "Echo", {k: str(v) for k, v in body.items()})
    assert decoded_payload["Data"] == b"\x00\xff"
    assert decoded_payload["When"] == CREATED.timestamp()
    text = xml.render_result(model.definition["shapes"], model.definition["operations"]["Echo"],
                             payload, "r", "ns").decode()
    for fragment in ("<Flat>a</Flat>", "<Item>b</Item>", "<Renamed>\n      <Thing>c</Thing>",
                     "<Attrs>\n      <key>k</key>\n      <value>v</value>\n    </Attrs>",
                     "<entry>\n        <Name>n</Name>\n        <Count>1</Count>",
                     "<Data>AP8=</Data>", "<When>2026-11-22T10:13:32Z</When>", "<On>false</On>"):
        assert fragment in text


@pytest.mark.parametrize("value", ["2026-11-22T10:13:32Z", "2026-11-22T10:13:32.000Z",
                                   "2026-11-22T12:13:32+02:00", "1795342412"])
def test_timestamp_inputs(synth, value):
    model, _ = synth
    assert query.decode_input(model, "Echo", {"When": value})["When"] == 1795342412.0


@pytest.mark.parametrize(("name", "value"), [
    ("On", "yes"), ("On", ""), ("Big", "1.5"), ("Big", "9223372036854775808"), ("Big", " 1"),
    ("Big", "1_0"), ("Ratio", "1,5"), ("When", "yesterday"), ("Data", "not base64!"),
])
def test_values_of_the_wrong_type_are_malformed(synth, name, value):
    model, _ = synth
    with pytest.raises(core_errors.MalformedRequest):
        query.decode_input(model, "Echo", {name: value})


def test_case_insensitive_booleans_and_java_doubles(synth):
    model, _ = synth
    assert query.decode_input(model, "Echo", {"On": "TRUE", "Ratio": "-1.5e3"}) == {
        "On": True, "Ratio": -1500.0}


# --------------------------------------------------------------------------------------
# The adapter: dispatch, authentication, validation, errors


class Accepting:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def authenticate(self, request: HttpRequest, service: str,
                     *, global_service: bool = False) -> tuple[Principal, str]:
        self.calls.append(service)
        return PRINCIPAL, "us-east-1"


class Refusing:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def authenticate(self, request: HttpRequest, service: str,
                     *, global_service: bool = False) -> tuple[Principal, str]:
        raise self.error


class Verifying:
    """Checks the SigV4 signature botocore made, with the one key it knows."""

    def authenticate(self, request: HttpRequest, service: str,
                     *, global_service: bool = False) -> tuple[Principal, str]:
        signed = sigv4.parse_request(request)
        if signed.service != service:
            raise auth_errors.InvalidSignature("wrong service")
        if signed.access_key_id != KEY_ID:
            raise auth_errors.UnrecognizedClient()
        sigv4.verify_signature(request, signed, SECRET)
        return PRINCIPAL, signed.region


class Api:
    def __init__(self) -> None:
        self.seen: list[tuple[RequestContext, dict[str, Any]]] = []


def caller_identity(api: Api, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    api.seen.append((ctx, params))
    return {"UserId": ctx.principal.user_id, "Account": ctx.principal.account_id,
            "Arn": ctx.principal.arn}


def assume_role(api: Api, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    api.seen.append((ctx, params))
    return RESULTS[0][2]


def list_users(api: Api, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    api.seen.append((ctx, params))
    return RESULTS[2][2]


def delete_user(api: Api, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    api.seen.append((ctx, params))
    if params["UserName"] == "root":
        raise core_errors.AccessDenied(ctx.principal.arn, "iam:DeleteUser",
                                       "arn:aws:iam::111122223333:user/root")
    if params["UserName"] == "policy":
        raise MalformedPolicy("Syntax errors in policy.")
    if params["UserName"] == "boom":
        raise RuntimeError("secret detail")
    return {}


def make_protocol(models, authenticator) -> tuple[query.QueryProtocol, Api]:
    api = Api()
    services = [
        query.QueryService(models["sts"], STS_NS, {"GetCallerIdentity": caller_identity,
                                                   "AssumeRole": assume_role}, api),
        query.QueryService(models["iam"], IAM_NS, {"ListUsers": list_users,
                                                   "DeleteUser": delete_user}, api),
    ]
    return query.QueryProtocol(services, authenticator), api


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **kwargs: Any) -> Any:
        yield self.body


def client(models, service: str, authenticator: Any = None) -> tuple[Any, Api]:
    protocol, api = make_protocol(models, authenticator or Verifying())

    def send(request: Any, **kwargs: Any) -> AWSResponse:
        url = urlsplit(request.url)
        headers = [(k, v.decode() if isinstance(v, bytes) else v)
                   for k, v in request.headers.items()]
        if not any(k.lower() == "host" for k, _ in headers):
            headers.append(("Host", url.netloc))
        body = request.body or b""
        http = HttpRequest(request.method, url.path or "/", url.query, tuple(headers),
                           body if isinstance(body, bytes) else body.encode())
        target = protocol.service_for(query.signing_service(http) or url.netloc)
        assert target is not None
        response = protocol.handle(http, target, ClientFacts(source_ip="10.1.2.3"))
        return AWSResponse(request.url, response.status, dict(response.headers),
                           _Raw(response.body))

    boto = SESSION.create_client(
        service, region_name="us-east-1", endpoint_url=f"https://{service}.amazonaws.com",
        aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET,
        config=Config(retries={"total_max_attempts": 1}))
    boto.meta.events.register("before-send", send)
    return boto, api


def test_botocore_client_end_to_end(models):
    sts, api = client(models, "sts")
    identity = sts.get_caller_identity()
    assert identity["Arn"] == PRINCIPAL.arn
    assert identity["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "text/xml"
    ctx, params = api.seen[-1]
    assert (params, ctx.source_ip, ctx.region) == ({}, "10.1.2.3", "us-east-1")
    assert ctx.request_id == identity["ResponseMetadata"]["RequestId"]
    assumed = sts.assume_role(RoleArn="arn:aws:iam::111122223333:role/app", RoleSessionName="s1",
                              Tags=[{"Key": "team", "Value": "a"}],
                              PolicyArns=[{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}])
    assert assumed["Credentials"]["Expiration"] == CREATED.replace(microsecond=0)
    assert api.seen[-1][1]["PolicyArns"] == [{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}]
    iam, _ = client(models, "iam")
    users = iam.list_users(MaxItems=10)
    assert users["Users"][0]["Tags"] == [{"Key": "k", "Value": ""}]
    assert iam.delete_user(UserName="bob")["ResponseMetadata"]["HTTPStatusCode"] == 200


@pytest.mark.parametrize(("user", "code", "status", "message"), [
    ("root", "AccessDenied", 403, "User: arn:aws:iam::111122223333:user/alice is not authorized "
     "to perform: iam:DeleteUser on resource: arn:aws:iam::111122223333:user/root"),
    ("policy", "MalformedPolicyDocument", 400, "Syntax errors in policy."),
    ("x" * 129, "ValidationError", 400, f"1 validation error detected: Value '{'x' * 129}' at "
     "'userName' failed to satisfy constraint: Member must have length less than or equal to 128"),
])
def test_botocore_client_sees_service_errors(models, user, code, status, message):
    iam, _ = client(models, "iam")
    with pytest.raises(ClientError) as caught:
        iam.delete_user(UserName=user)
    error = caught.value.response
    assert (error["Error"]["Code"], error["Error"]["Type"]) == (code, "Sender")
    assert error["Error"]["Message"] == message
    assert error["ResponseMetadata"]["HTTPStatusCode"] == status


def test_internal_failures_reveal_only_the_request_id(models):
    iam, _ = client(models, "iam")
    with pytest.raises(ClientError) as caught:
        iam.delete_user(UserName="boom")
    error = caught.value.response
    assert (error["Error"]["Code"], error["Error"]["Type"]) == ("InternalFailure", "Receiver")
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert "secret" not in error["Error"]["Message"]
    assert error["ResponseMetadata"]["RequestId"] in error["Error"]["Message"]


def test_wrong_secret_is_signature_does_not_match(models):
    sts, _ = client(models, "sts")
    sts._request_signer._credentials.secret_key = "wrong"
    with pytest.raises(ClientError) as caught:
        sts.get_caller_identity()
    error = caught.value.response
    assert error["Error"]["Code"] == "SignatureDoesNotMatch"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403


def call(models, body: str, *, service: str = "sts", authenticator: Any = None,
         method: str = "POST") -> tuple[int, bytes, dict[str, Any], Api]:
    protocol, api = make_protocol(models, authenticator or Accepting())
    target = protocol.service_for(service)
    assert target is not None
    request = form(body) if method == "POST" else HttpRequest("GET", "/", body, (), b"")
    response = protocol.handle(request, target, ClientFacts())
    assert dict(response.headers)["content-type"] == "text/xml"
    parsed = PARSER.parse({"body": response.body, "headers": {}, "status_code": response.status},
                          op_model("sts", "GetCallerIdentity").output_shape)
    return response.status, response.body, parsed, api


def error_of(models, body: str, **kwargs: Any) -> tuple[int, str, str | None, str]:
    status, raw, parsed, _ = call(models, body, **kwargs)
    namespace = re.search(rb'xmlns="([^"]+)"', raw)
    assert namespace is not None
    error = parsed["Error"]
    return status, error["Code"], error.get("Message"), namespace.group(1).decode()


FAULT = xml.AWS_FAULT_NAMESPACE
AR = ("Action=AssumeRole&Version=2011-06-15&RoleSessionName=s1"
      "&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fapp1")


@pytest.mark.parametrize(("body", "expected"), [
    # STS goldens (argmin sts_oracle.rs)
    ("Action=NoSuchAction&Version=2011-06-15",
     (400, "InvalidAction", "Could not find operation NoSuchAction for version 2011-06-15", FAULT)),
    ("Action=GetCallerIdentity", (400, "InvalidAction", "Could not find operation "
                                  "GetCallerIdentity for version NO_VERSION_SPECIFIED", FAULT)),
    ("Action=GetCallerIdentity&Version=",
     (400, "InvalidAction", "Could not find operation GetCallerIdentity for version ", FAULT)),
    ("Action=GetCallerIdentity&Version=2000-01-01&Version=2011-06-15",
     (400, "InvalidAction", "Could not find operation GetCallerIdentity for version 2000-01-01",
      FAULT)),
    ("Action=&Version=2011-06-15",
     (400, "InvalidAction", "Could not find operation  for version 2011-06-15", FAULT)),
    ("Version=2011-06-15",
     (400, "InvalidAction", "Could not find operation  for version 2011-06-15", FAULT)),
    ("Action=GetSessionToken&Version=2011-06-15",
     (400, "InvalidAction", "GetSessionToken is not supported by this strongroom server yet.",
      STS_NS)),
    ("Action=AssumeRole&Version=2011-06-15&RoleSessionName=s1",
     (400, "ValidationError", "1 validation error detected: Value null at 'roleArn' failed to "
      "satisfy constraint: Member must not be null", STS_NS)),
    ("Action=AssumeRole&Version=2011-06-15&RoleArn=not-an-arn&RoleSessionName=s1",
     (400, "ValidationError", "1 validation error detected: Value 'not-an-arn' at 'roleArn' "
      "failed to satisfy constraint: Member must have length greater than or equal to 20",
      STS_NS)),
    (AR.replace("RoleSessionName=s1", "RoleSessionName=a"),
     (400, "ValidationError", "1 validation error detected: Value 'a' at 'roleSessionName' "
      "failed to satisfy constraint: Member must have length greater than or equal to 2",
      STS_NS)),
    (AR.replace("RoleSessionName=s1", "RoleSessionName=bad%2Fname"),
     (400, "ValidationError", "1 validation error detected: Value 'bad/name' at "
      "'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression "
      "pattern: [\\w+=,.@-]*", STS_NS)),
    (AR + "&DurationSeconds=899",
     (400, "ValidationError", "1 validation error detected: Value '899' at 'durationSeconds' "
      "failed to satisfy constraint: Member must have value greater than or equal to 900",
      STS_NS)),
    (AR + "&DurationSeconds=2147483647",
     (400, "ValidationError", "1 validation error detected: Value '2147483647' at "
      "'durationSeconds' failed to satisfy constraint: Member must have value less than or "
      "equal to 43200", STS_NS)),
    (AR + "&DurationSeconds=-2147483648",
     (400, "ValidationError", "1 validation error detected: Value '-2147483648' at "
      "'durationSeconds' failed to satisfy constraint: Member must have value greater than or "
      "equal to 900", STS_NS)),
    (AR + "&DurationSeconds=", (400, "MalformedInput", "missing value for decimal type", STS_NS)),
    (AR + "&DurationSeconds=abc", (400, "MalformedInput", None, STS_NS)),
    (AR + "&DurationSeconds=900.0", (400, "MalformedInput", None, STS_NS)),
    (AR + "&DurationSeconds=2147483648", (400, "MalformedInput", None, STS_NS)),
    (AR + "&DurationSeconds=-2147483649", (400, "MalformedInput", None, STS_NS)),
])
def test_sts_goldens(models, body, expected):
    assert error_of(models, body) == expected


def test_dispatch_errors_come_before_authentication(models):
    refusing = Refusing(auth_errors.MissingAuthentication())
    assert error_of(models, "Action=Nope&Version=2011-06-15", authenticator=refusing)[1] == (
        "InvalidAction")
    assert error_of(models, "Action=GetCallerIdentity&Version=2011-06-15",
                    authenticator=refusing)[1] == "MissingAuthenticationToken"


@pytest.mark.parametrize(("error", "expected"), [
    (auth_errors.MissingAuthentication(),
     (403, "MissingAuthenticationToken", "Request is missing Authentication Token")),
    (auth_errors.IncompleteSignature("Authorization header requires 'Signature' parameter."),
     (400, "IncompleteSignature", "Authorization header requires 'Signature' parameter.")),
    (auth_errors.InvalidSignature("Credential should be scoped to a valid Region, not x"),
     (403, "SignatureDoesNotMatch", "Credential should be scoped to a valid Region, not x")),
    (auth_errors.UnrecognizedClient(),
     (403, "InvalidClientTokenId", "The security token included in the request is invalid.")),
    (auth_errors.ExpiredToken(),
     (403, "ExpiredToken", "The security token included in the request is expired")),
])
@pytest.mark.parametrize("service", ["sts", "iam"])
def test_authentication_errors(models, error, expected, service):
    action = "GetCallerIdentity&Version=2011-06-15" if service == "sts" else (
        "ListUsers&Version=2010-05-08")
    status, code, message, namespace = error_of(
        models, f"Action={action}", service=service, authenticator=Refusing(error))
    assert (status, code, message) == expected
    assert namespace == (STS_NS if service == "sts" else IAM_NS)


def test_get_requests_and_signing_names(models):
    status, _, parsed, api = call(models, "Action=GetCallerIdentity&Version=2011-06-15",
                                  method="GET")
    assert status == 200
    assert parsed["Account"] == "111122223333"
    assert api.seen


def test_modeled_error_codes_take_the_model_status(models):
    iam = query._modeled_errors(models["iam"])
    assert iam["NoSuchEntityException"] == ("NoSuchEntity", 404)
    assert iam["NoSuchEntity"] == ("NoSuchEntity", 404)

    class NoSuchEntity(core_errors.StrongroomError):
        pass

    from strongroom.protocol import errors as table

    table.TABLE[NoSuchEntity] = lambda e: WireError("NoSuchEntity", "The user with name x "
                                                    "cannot be found.")
    try:
        wire = query.query_wire(NoSuchEntity(), "r", iam)
    finally:
        del table.TABLE[NoSuchEntity]
    assert (wire.code, wire.status) == ("NoSuchEntity", 404)
    unavailable = query.query_wire(core_errors.StoreUnavailable(), "r", iam)
    assert (unavailable.code, unavailable.status) == ("ServiceUnavailable", 503)


def test_errors_without_a_service_use_the_aws_fault_namespace(models):
    protocol, _ = make_protocol(models, Accepting())
    response = protocol.error(auth_errors.MissingAuthentication(), "rid")
    assert response.status == 403
    assert f'xmlns="{FAULT}"'.encode() in response.body


def test_error_document_layout():
    assert xml.render_error(STS_NS, "InvalidClientTokenId",
                            "The security token included in the request is invalid", "rid"
                            ).decode() == (
        f'<ErrorResponse xmlns="{STS_NS}">\n  <Error>\n    <Type>Sender</Type>\n'
        "    <Code>InvalidClientTokenId</Code>\n"
        "    <Message>The security token included in the request is invalid</Message>\n"
        "  </Error>\n  <RequestId>rid</RequestId>\n</ErrorResponse>\n"
    )


# --------------------------------------------------------------------------------------
# Routing helpers


def signed_headers(service: str) -> tuple[tuple[str, str], ...]:
    return (("Authorization", f"AWS4-HMAC-SHA256 Credential={KEY_ID}/20260101/us-east-1/"
             f"{service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc"),)


@pytest.mark.parametrize(("request_", "expected"), [
    (HttpRequest("POST", "/", "", signed_headers("sts"), b""), "sts"),
    (HttpRequest("POST", "/", "", signed_headers("iam"), b""), "iam"),
    (HttpRequest("GET", "/", "Action=GetCallerIdentity&X-Amz-Algorithm=AWS4-HMAC-SHA256"
                 f"&X-Amz-Credential={KEY_ID}%2F20260101%2Fus-east-1%2Fsts%2Faws4_request",
                 (), b""), "sts"),
    (HttpRequest("POST", "/", "", (), b"Action=AssumeRoleWithWebIdentity"), None),
    (HttpRequest("POST", "/", "", (("authorization", "AWS4-HMAC-SHA256 Credential= AKID/x"),),
                 b""), None),
    (HttpRequest("POST", "/", "", (("authorization", "Bearer x"),), b""), None),
])
def test_signing_service(request_, expected):
    assert query.signing_service(request_) == expected


def test_signing_service_of_a_botocore_request():
    request_dict = SERIALIZER.serialize_to_request({}, op_model("iam", "ListUsers"))
    prepare_request_dict(request_dict, endpoint_url="https://iam.amazonaws.com")
    request = create_request_object(request_dict)
    signer = botocore.auth.SigV4Auth(botocore.credentials.Credentials(KEY_ID, SECRET), "iam",
                                     "us-east-1")
    signer.add_auth(request)
    headers = tuple((k, v.decode() if isinstance(v, bytes) else v)
                    for k, v in request.headers.items())
    assert query.signing_service(HttpRequest("POST", "/", "", headers, b"")) == "iam"


def test_service_for(models):
    protocol, _ = make_protocol(models, Accepting())
    assert protocol.service_for("sts").xml_namespace == STS_NS
    assert protocol.service_for("IAM").xml_namespace == IAM_NS
    assert protocol.service_for("sts.eu-west-1.amazonaws.com:443").xml_namespace == STS_NS
    assert protocol.service_for("iam.amazonaws.com").xml_namespace == IAM_NS
    assert protocol.service_for("localhost:8080") is None
    assert protocol.service_for("secretsmanager") is None


def test_blob_input_is_bytes_and_base64_is_checked(synth):
    model, _ = synth
    encoded = base64.b64encode(b"\x00hello").decode()
    assert query.decode_input(model, "Echo", {"Data": encoded})["Data"] == b"\x00hello"


def test_hostile_numbers_are_malformed_not_internal_failures(models):
    assert error_of(models, AR + "&DurationSeconds=" + "9" * 5000)[1] == "MalformedInput"
    params = {"RoleName": "r", "TagKeys.member." + "1" * 5000: "a", "TagKeys.member.1": "b"}
    assert query.decode_input(models["iam"], "UntagRole", params)["TagKeys"] == ["b"]
