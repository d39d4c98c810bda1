"""The wire itself: authentication errors and bad input, sent as raw HTTP.

Every bad request gets an AWS-shaped JSON error with HTTP 400 (never a 500 or a
traceback) and changes nothing.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from tests.e2e.helpers import aws_error


def send(endpoint: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(endpoint + "/", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def signed(account, operation: str, body: bytes, *, region: str = "us-east-1",
           service: str = "secretsmanager", secret: str | None = None,
           access_key: str | None = None) -> dict[str, str]:
    headers = {"Content-Type": "application/x-amz-json-1.1",
               "X-Amz-Target": f"secretsmanager.{operation}"}
    request = AWSRequest(method="POST", url=account.server.endpoint + "/", data=body,
                         headers=headers)
    creds = BotoCredentials(access_key or account.credentials.access_key_id,
                            secret or account.credentials.secret_access_key)
    SigV4Auth(creds, service, region).add_auth(request)
    return dict(request.headers.items())


def call(account, operation: str, payload: Any, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return send(account.server.endpoint, body, signed(account, operation, body, **kwargs))


def test_unsigned_request_is_refused(account):
    status, body = send(account.server.endpoint, b"{}", {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "secretsmanager.ListSecrets"})
    assert status == 400
    assert body["__type"] == "MissingAuthenticationTokenException"


def test_wrong_secret_key_is_invalid_signature(account):
    status, body = call(account, "ListSecrets", {}, secret="x" * 40)
    assert (status, body["__type"]) == (400, "InvalidSignatureException")
    assert body["message"].startswith("The request signature we calculated does not match")


def test_unknown_access_key_is_unrecognized_client(account):
    status, body = call(account, "ListSecrets", {}, access_key="AKIAUNKNOWNUNKNOWN00")
    assert (status, body["__type"]) == (400, "UnrecognizedClientException")
    assert body["message"] == "The security token included in the request is invalid."


def test_unserved_region_is_refused(account):
    status, body = call(account, "ListSecrets", {}, region="mars-north-1")
    assert (status, body["__type"]) == (400, "InvalidSignatureException")
    assert "mars-north-1" in body["message"]


def test_wrong_service_in_scope_is_refused(account):
    status, body = call(account, "ListSecrets", {}, service="kms")
    assert (status, body["__type"]) == (400, "InvalidSignatureException")


def test_tampered_body_is_refused(account):
    body = json.dumps({"Name": "a", "SecretString": "v", "ClientRequestToken": "t" * 32}).encode()
    headers = signed(account, "CreateSecret", body)
    status, reply = send(account.server.endpoint, body.replace(b'"a"', b'"b"'), headers)
    assert (status, reply["__type"]) == (400, "InvalidSignatureException")
    assert account.client().list_secrets()["SecretList"] == []


@pytest.mark.parametrize("payload", [b"{not json", b"[1, 2]", b'"text"'])
def test_malformed_json_is_a_client_error(account, payload):
    status, body = call(account, "ListSecrets", payload)
    assert status == 400
    assert body["__type"] == "SerializationException"


def test_wrong_types_are_client_errors(account):
    status, body = call(account, "GetSecretValue", {"SecretId": 42})
    assert (status, body["__type"]) == (400, "SerializationException")
    status, body = call(account, "ListSecrets", {"MaxResults": "ten"})
    assert (status, body["__type"]) == (400, "SerializationException")


def test_missing_required_member(account):
    status, body = call(account, "GetSecretValue", {})
    assert (status, body["__type"]) == (400, "ValidationException")
    assert "secretId" in body["message"]


def test_over_long_name_is_a_validation_error(account):
    status, body = call(account, "CreateSecret", {"Name": "n" * 513,
                                                  "ClientRequestToken": "t" * 32})
    assert (status, body["__type"]) == (400, "ValidationException")
    assert "512" in body["message"]


def test_oversized_value_is_refused_and_changes_nothing(account):
    status, body = call(account, "CreateSecret", {
        "Name": "big", "SecretString": "x" * 65537, "ClientRequestToken": "t" * 32})
    assert status == 400
    assert body["__type"] == "ValidationException"
    assert "x" * 100 not in body["message"]
    code, _, _ = aws_error(account.client().describe_secret, SecretId="big")
    assert code == "ResourceNotFoundException"


def test_multibyte_value_over_65536_bytes_is_refused(account):
    status, body = call(account, "CreateSecret", {
        "Name": "wide", "SecretString": "é" * 40000, "ClientRequestToken": "t" * 32})
    assert status == 400
    assert body["__type"] == "InvalidParameterException"


def test_raw_create_without_token_is_refused(account):
    status, body = call(account, "CreateSecret", {"Name": "nt", "SecretString": "v"})
    assert (status, body["__type"]) == (400, "InvalidRequestException")
    assert body["message"] == ("You must provide a ClientRequestToken value. We recommend a "
                               "UUID-type value.")


def test_both_string_and_binary_is_refused(account):
    status, body = call(account, "CreateSecret", {
        "Name": "both", "SecretString": "v", "SecretBinary": "AAAA",
        "ClientRequestToken": "t" * 32})
    assert (status, body["__type"]) == (400, "InvalidParameterException")


def test_unknown_operation(account):
    status, body = call(account, "StealAllSecrets", {})
    assert (status, body["__type"]) == (400, "UnknownOperationException")


def test_huge_body_is_refused(account):
    body = b'{"Name": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    status, reply = send(account.server.endpoint, body, {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "secretsmanager.CreateSecret"})
    assert status == 413
    assert reply["__type"] == "RequestEntityTooLargeException"


def test_health_endpoint(account):
    with urllib.request.urlopen(account.server.endpoint + "/health", timeout=5) as response:
        assert response.status == 200
        assert json.loads(response.read())["status"] == "ok"


def test_responses_carry_a_request_id(sm):
    response = sm.list_secrets()
    assert len(response["ResponseMetadata"]["RequestId"]) == 36
