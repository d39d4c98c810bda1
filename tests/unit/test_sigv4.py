"""SigV4 verification against requests signed by real botocore, and every auth error text."""

from __future__ import annotations

import calendar
import contextlib
import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from unittest import mock
from urllib.parse import urlsplit

import botocore.auth
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.utils import percent_encode, percent_encode_sequence
from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom.auth.errors import IncompleteSignature, InvalidSignature, MissingAuthentication
from strongroom.auth.sigv4 import (
    MSG_SIGNATURE_MISMATCH,
    HttpRequest,
    SignedRequest,
    canonical_query_string,
    canonical_request,
    canonical_uri,
    check_scope,
    parse_request,
    signing_key,
    string_to_sign,
    verify_signature,
)

SERVICE = "secretsmanager"
REGION = "us-east-1"
REGIONS = frozenset({"us-east-1", "eu-west-1"})
ENDPOINT = "https://secretsmanager.us-east-1.amazonaws.com/"
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
OTHER_ACCESS_KEY = "AKIAI44QH8DHBEXAMPLE"
OTHER_SECRET_KEY = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
KEYS = {ACCESS_KEY: SECRET_KEY, OTHER_ACCESS_KEY: OTHER_SECRET_KEY}
TOKEN = "FwoGZXIvYXdzEXAMPLE//session+token/with=odd&chars"
T0 = float(calendar.timegm((2024, 5, 17, 9, 30, 15)))  # 20240517T093015Z
T0_STAMP = "20240517T093015Z"


# --------------------------------------------------------------------------- helpers


@contextlib.contextmanager
def botocore_clock(epoch: float) -> Iterator[None]:
    """Make botocore sign as if it were ``epoch``."""
    frozen = datetime.fromtimestamp(epoch, tz=UTC)
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=frozen):
        yield


def json_call(
    body: bytes = b'{"SecretId": "prod/db"}', *, url: str = ENDPOINT,
    target: str = "secretsmanager.GetSecretValue", headers: dict[str, str] | None = None,
) -> AWSRequest:
    all_headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target}
    all_headers.update(headers or {})
    return AWSRequest(method="POST", url=url, data=body, headers=all_headers)


def _host(url: str) -> str:
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname or ""
    return host if parts.port in (None, default) else f"{host}:{parts.port}"


def to_http(request: AWSRequest) -> HttpRequest:
    """What the server sees: the prepared request plus the Host header urllib3 adds."""
    prepared = request.prepare()
    parts = urlsplit(prepared.url)
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    headers = (("Host", _host(prepared.url)), *prepared.headers.items())
    return HttpRequest(method=prepared.method, path=parts.path or "/", query=parts.query,
                       headers=tuple(headers), body=body)


def sign(request: AWSRequest, *, token: str | None = None, secret: str = SECRET_KEY,
         access_key: str = ACCESS_KEY, at: float = T0, region: str = REGION) -> HttpRequest:
    with botocore_clock(at):
        SigV4Auth(Credentials(access_key, secret, token), SERVICE, region).add_auth(request)
    return to_http(request)


def presign(request: AWSRequest, *, expires: int = 300, token: str | None = None,
            at: float = T0) -> HttpRequest:
    with botocore_clock(at):
        SigV4QueryAuth(Credentials(ACCESS_KEY, SECRET_KEY, token), SERVICE, REGION,
                       expires=expires).add_auth(request)
    return to_http(request)


def accept(request: HttpRequest, *, now: float = T0) -> SignedRequest:
    """The whole server-side pipeline, with the secret looked up by access key id."""
    signed = parse_request(request)
    check_scope(signed, now=now, service=SERVICE, valid_regions=REGIONS)
    verify_signature(request, signed, KEYS[signed.access_key_id])
    return signed


def replace_header(request: HttpRequest, name: str, value: str) -> HttpRequest:
    headers = tuple((k, value if k.lower() == name.lower() else v) for k, v in request.headers)
    return HttpRequest(request.method, request.path, request.query, headers, request.body)


def with_headers(request: HttpRequest, *extra: tuple[str, str]) -> HttpRequest:
    return HttpRequest(request.method, request.path, request.query,
                       (*request.headers, *extra), request.body)


def with_query(request: HttpRequest, query: str) -> HttpRequest:
    return HttpRequest(request.method, request.path, query, request.headers, request.body)


def header(request: HttpRequest, name: str) -> str:
    return next(v for k, v in request.headers if k.lower() == name.lower())


def bare(*headers: tuple[str, str], query: str = "") -> HttpRequest:
    return HttpRequest("POST", "/", query, (("Host", "localhost"), *headers), b"{}")


def mismatch(request: HttpRequest) -> None:
    with pytest.raises(InvalidSignature) as caught:
        accept(request)
    assert caught.value.detail == MSG_SIGNATURE_MISMATCH


# --------------------------------------------------------------------------- botocore, header form


@pytest.mark.parametrize("token", [None, TOKEN])
def test_botocore_signed_json_call_verifies(token: str | None) -> None:
    request = sign(json_call(), token=token)
    signed = accept(request)
    assert signed.access_key_id == ACCESS_KEY
    assert (signed.date_stamp, signed.region, signed.service) == ("20240517", REGION, SERVICE)
    assert signed.amz_date == T0_STAMP
    assert signed.request_time == T0
    assert signed.session_token == token
    assert not signed.presigned
    assert signed.expires is None
    expected = ["content-type", "host", "x-amz-date", "x-amz-target"]
    if token:
        expected.insert(3, "x-amz-security-token")
    assert list(signed.signed_headers) == expected


@pytest.mark.parametrize("url", [
    "http://localhost:4566/", "https://127.0.0.1:8443/", "http://strongroom.internal/",
])
def test_custom_endpoints_verify(url: str) -> None:
    accept(sign(json_call(url=url)))


def test_header_names_case_and_order_do_not_matter() -> None:
    request = sign(json_call())
    shuffled = tuple((k.lower(), v) for k, v in reversed(request.headers))
    accept(HttpRequest(request.method, request.path, request.query, shuffled, request.body))


def test_unsigned_headers_may_be_added_or_changed() -> None:
    request = sign(json_call())
    accept(with_headers(request, ("User-Agent", "Boto3/1.34"), ("X-Forwarded-For", "10.0.0.1")))


def test_tampered_body_fails() -> None:
    request = sign(json_call())
    mismatch(HttpRequest(request.method, request.path, request.query, request.headers,
                         b'{"SecretId": "prod/dc"}'))


def test_tampered_signed_header_fails() -> None:
    mismatch(replace_header(sign(json_call()), "X-Amz-Target", "secretsmanager.DeleteSecret"))


def test_extra_value_for_signed_header_fails() -> None:
    mismatch(with_headers(sign(json_call()), ("X-Amz-Target", "secretsmanager.DeleteSecret")))


def test_tampered_date_fails() -> None:
    mismatch(replace_header(sign(json_call()), "X-Amz-Date", "20240517T093016Z"))


def test_tampered_path_or_query_fails() -> None:
    request = sign(json_call())
    mismatch(HttpRequest(request.method, "/x", request.query, request.headers, request.body))
    mismatch(with_query(request, "a=b"))


def test_tampered_method_fails() -> None:
    request = sign(json_call())
    mismatch(HttpRequest("PUT", request.path, request.query, request.headers, request.body))


def test_tampered_access_key_fails() -> None:
    """The access key is not in the string to sign: the server's key lookup is what binds it."""
    request = sign(json_call())
    forged = header(request, "Authorization").replace(ACCESS_KEY, OTHER_ACCESS_KEY)
    mismatch(replace_header(request, "Authorization", forged))


def test_wrong_secret_fails() -> None:
    mismatch(sign(json_call(), secret="not-the-secret"))


def test_tampered_session_token_fails() -> None:
    mismatch(replace_header(sign(json_call(), token=TOKEN), "X-Amz-Security-Token", TOKEN + "x"))


@pytest.mark.parametrize("transform", [
    lambda s: s[:-1] + ("0" if s[-1] != "0" else "1"),
    str.upper,
    lambda s: s[:-1],
    lambda s: s + "0",
    lambda s: s[:-2] + "\u00e9\u00e9",
])
def test_tampered_signature_fails(transform: object) -> None:
    request = sign(json_call())
    authorization = header(request, "Authorization")
    prefix, _, signature = authorization.rpartition("Signature=")
    new_signature = transform(signature)  # type: ignore[operator]
    mismatch(replace_header(request, "Authorization", f"{prefix}Signature={new_signature}"))


def test_session_token_added_after_signing_is_accepted() -> None:
    """The docs allow the token to be appended after signing (AWS suite post-sts-header-after)."""
    request = with_headers(sign(json_call()), ("X-Amz-Security-Token", TOKEN))
    signed = accept(request)
    assert signed.session_token == TOKEN
    assert "x-amz-security-token" not in signed.signed_headers


def test_mismatch_error_carries_no_secrets_or_canonical_strings() -> None:
    request = sign(json_call(), token=TOKEN)
    tampered = replace_header(request, "X-Amz-Target", "secretsmanager.DeleteSecret")
    signed = parse_request(tampered)
    with pytest.raises(InvalidSignature) as caught:
        verify_signature(tampered, signed, SECRET_KEY)
    text = str(caught.value) + repr(caught.value) + repr(caught.value.args)
    creq = canonical_request(tampered, signed)
    for leak in (SECRET_KEY, TOKEN, creq, string_to_sign(signed, creq),
                 signing_key(SECRET_KEY, "20240517", REGION, SERVICE).hex(), "host:"):
        assert leak not in text
    assert str(caught.value) == MSG_SIGNATURE_MISMATCH
    assert TOKEN not in repr(signed)


def test_body_is_hashed_with_content_sha256_signed() -> None:
    body = b'{"SecretId": "x"}'
    good = hashlib.sha256(body).hexdigest()
    accept(sign(json_call(body, headers={"X-Amz-Content-SHA256": good})))


def test_signed_content_sha256_must_match_body() -> None:
    body = b'{"SecretId": "x"}'
    request = sign(json_call(body, headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}))
    with pytest.raises(InvalidSignature) as caught:
        accept(request)
    assert caught.value.detail == (
        "The provided 'x-amz-content-sha256' header does not match what was computed."
    )


def test_unsigned_content_sha256_is_ignored() -> None:
    request = with_headers(sign(json_call()), ("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD"))
    accept(request)


def test_date_header_is_used_when_x_amz_date_is_absent() -> None:
    """Signed with botocore's canonicalization, but dated by an RFC 1123 Date header."""
    aws = json_call(url="http://localhost:4566/",
                    headers={"Date": "Fri, 17 May 2024 09:30:15 GMT"})
    aws.context["timestamp"] = T0_STAMP
    auth = SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), SERVICE, REGION)
    creq = auth.canonical_request(aws)
    signature = auth.signature(auth.string_to_sign(aws, creq), aws)
    aws.headers["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20240517/{REGION}/{SERVICE}/aws4_request, "
        f"SignedHeaders={auth.signed_headers(auth.headers_to_sign(aws))}, Signature={signature}"
    )
    request = to_http(aws)
    signed = accept(request)
    assert "x-amz-date" not in signed.signed_headers
    assert "date" in signed.signed_headers
    assert (signed.amz_date, signed.request_time) == (T0_STAMP, T0)


def test_x_amz_date_wins_over_date_header() -> None:
    request = with_headers(sign(json_call()), ("Date", "Mon, 01 Jan 2001 00:00:00 GMT"))
    assert accept(request).amz_date == T0_STAMP


# --------------------------------------------------------------------------- botocore, presigned


@pytest.mark.parametrize("token", [None, TOKEN])
def test_botocore_presigned_url_verifies(token: str | None) -> None:
    request = presign(json_call(), token=token)
    assert "X-Amz-Signature=" in request.query
    signed = accept(request)
    assert signed.presigned
    assert signed.expires == 300
    assert signed.session_token == token
    assert signed.amz_date == T0_STAMP
    # Still valid at the last second, and the skew rule does not cut it shorter.
    accept(request, now=T0 + 300)


def test_presigned_query_order_does_not_matter() -> None:
    request = presign(json_call())
    accept(with_query(request, "&".join(reversed(request.query.split("&")))))


def test_presigned_tampered_parameter_fails() -> None:
    request = presign(json_call())
    mismatch(with_query(request, request.query.replace("SecretId=prod%2Fdb", "SecretId=prod%2Fdc")))
    mismatch(with_query(request, request.query.replace("X-Amz-Expires=300", "X-Amz-Expires=600")))


def test_presigned_url_expires() -> None:
    request = presign(json_call(), expires=300)
    with pytest.raises(InvalidSignature) as caught:
        accept(request, now=T0 + 301)
    assert caught.value.detail == (
        "Signature expired: 20240517T093015Z is now earlier than 20240517T093016Z "
        "(20240517T093516Z - 5 min.)"
    )


def test_presigned_url_not_yet_current() -> None:
    with pytest.raises(InvalidSignature) as caught:
        accept(presign(json_call()), now=T0 - 301)
    assert caught.value.detail == (
        "Signature not yet current: 20240517T093015Z is still later than 20240517T093014Z "
        "(20240517T092514Z + 5 min.)"
    )


@pytest.mark.parametrize(("expires", "message"), [
    (0, "X-Amz-Expires must be non-negative"),
    (-5, "X-Amz-Expires must be non-negative"),
    (604801, "X-Amz-Expires must be less than a week (in seconds) that is 604800"),
])
def test_presigned_expires_limits(expires: int, message: str) -> None:
    request = presign(json_call())
    request = with_query(request, request.query.replace("X-Amz-Expires=300",
                                                        f"X-Amz-Expires={expires}"))
    signed = parse_request(request)
    with pytest.raises(InvalidSignature) as caught:
        check_scope(signed, now=T0, service=SERVICE, valid_regions=REGIONS)
    assert caught.value.detail == message


def test_presigned_expires_upper_limit_is_allowed() -> None:
    request = presign(json_call(), expires=604800)
    accept(request, now=T0 + 604800)


def test_presigned_expires_must_be_a_number() -> None:
    request = presign(json_call())
    request = with_query(request, request.query.replace("X-Amz-Expires=300", "X-Amz-Expires=5m"))
    with pytest.raises(InvalidSignature) as caught:
        parse_request(request)
    assert caught.value.detail == "X-Amz-Expires should be a number"


def test_presigned_without_expires_uses_the_skew_window() -> None:
    query = ("X-Amz-Algorithm=AWS4-HMAC-SHA256"
             f"&X-Amz-Credential={ACCESS_KEY}%2F20240517%2Fus-east-1%2Fsecretsmanager%2Faws4_request"
             f"&X-Amz-Date={T0_STAMP}&X-Amz-SignedHeaders=host&X-Amz-Signature=00")
    signed = parse_request(bare(query=query))
    assert signed.presigned
    assert signed.expires is None
    check_scope(signed, now=T0 + 300, service=SERVICE, valid_regions=REGIONS)
    with pytest.raises(InvalidSignature) as caught:
        check_scope(signed, now=T0 + 301, service=SERVICE, valid_regions=REGIONS)
    assert caught.value.detail.startswith("Signature expired: ")


def test_header_and_query_auth_together_are_refused() -> None:
    request = presign(json_call())
    with pytest.raises(InvalidSignature) as caught:
        parse_request(with_headers(request, ("Authorization", "AWS4-HMAC-SHA256 Credential=x")))
    assert caught.value.detail == (
        "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
    )


# --------------------------------------------------------------------------- error texts: parsing

CREDENTIAL = f"{ACCESS_KEY}/20240517/us-east-1/secretsmanager/aws4_request"
AUTHZ = (f"AWS4-HMAC-SHA256 Credential={CREDENTIAL}, "
         "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64)
DATE = ("X-Amz-Date", T0_STAMP)


@pytest.mark.parametrize("request_", [
    bare(DATE),
    bare(DATE, ("Authorization", "")),
    bare(DATE, ("Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x")),
    bare(DATE, ("Authorization", "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=")),
    bare(DATE, query="X-Amz-Credential=abc&X-Amz-Signature=00"),
], ids=["none", "empty", "bearer", "sigv2", "query-without-algorithm"])
def test_missing_authentication(request_: HttpRequest) -> None:
    with pytest.raises(MissingAuthentication):
        parse_request(request_)


def test_header_missing_every_part() -> None:
    with pytest.raises(IncompleteSignature) as caught:
        parse_request(bare(("Authorization", "AWS4-HMAC-SHA256")))
    assert caught.value.detail == (
        "Authorization header requires 'Credential' parameter. "
        "Authorization header requires 'Signature' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. "
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        "Authorization=AWS4-HMAC-SHA256"
    )


def test_header_missing_signature_only() -> None:
    authz = AUTHZ.rpartition(", Signature=")[0]
    with pytest.raises(IncompleteSignature) as caught:
        parse_request(bare(DATE, ("Authorization", authz)))
    assert caught.value.detail == (
        f"Authorization header requires 'Signature' parameter. Authorization={authz}"
    )


def test_header_missing_date_only() -> None:
    with pytest.raises(IncompleteSignature) as caught:
        parse_request(bare(("Authorization", AUTHZ)))
    assert caught.value.detail == (
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        f"Authorization={AUTHZ}"
    )


def test_empty_credential_counts_as_missing() -> None:
    authz = AUTHZ.replace(f"Credential={ACCESS_KEY}/20240517/us-east-1/secretsmanager/aws4_request",
                          "Credential=")
    with pytest.raises(IncompleteSignature) as caught:
        parse_request(bare(DATE, ("Authorization", authz)))
    assert caught.value.detail == (
        f"Authorization header requires 'Credential' parameter. Authorization={authz}"
    )


def test_pair_without_equal_sign() -> None:
    """AWS-recorded shape: a space pasted after 'Credential=' splits the credential off."""
    authz = (f"AWS4-HMAC-SHA256 Credential= {ACCESS_KEY}/20240517/us-east-1/secretsmanager/"
             "aws4_request, SignedHeaders=host;x-amz-date, Signature=abc")
    with pytest.raises(IncompleteSignature) as caught:
        parse_request(bare(DATE, ("Authorization", authz)))
    assert caught.value.detail == (
        f"'{ACCESS_KEY}/20240517/us-east-1/secretsmanager/aws4_request' not a valid key=value "
        f"pair (missing equal-sign) in Authorization header: '{authz}'."
    )


def test_unsupported_algorithm() -> None:
    authz = AUTHZ.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512")
    with pytest.raises(IncompleteSignature) as caught:
        parse_request(bare(DATE, ("Authorization", authz)))
    assert caught.value.detail == (
        "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). "
    )


def test_unsupported_algorithm_in_query() -> None:
    query = ("X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&X-Amz-Credential=a%2Fb%2Fc%2Fd%2Fe"
             f"&X-Amz-Date={T0_STAMP}&X-Amz-SignedHeaders=host&X-Amz-Signature=00")
    with pytest.raises(IncompleteSignature) as caught:
        parse_request(bare(query=query))
    assert caught.value.detail == (
        "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256' (only AWS4-HMAC-SHA256 for now). "
    )


@pytest.mark.parametrize("credential", [
    f"{ACCESS_KEY}/20240517/us-east-1/secretsmanager",
    f"{ACCESS_KEY}/20240517/us-east-1/secretsmanager/aws4_request/extra",
    ACCESS_KEY,
])
def test_credential_must_have_five_parts(credential: str) -> None:
    authz = AUTHZ.replace(CREDENTIAL, credential)
    with pytest.raises(IncompleteSignature) as caught:
        parse_request(bare(DATE, ("Authorization", authz)))
    assert caught.value.detail == (
        "Credential must have exactly 5 slash-delimited elements, "
        f"e.g. keyid/date/region/service/term, got '{credential}'"
    )


def test_credential_trailing_slash_is_ignored() -> None:
    authz = AUTHZ.replace("aws4_request,", "aws4_request/,")
    signed = parse_request(bare(DATE, ("Authorization", authz)))
    assert signed.terminator == "aws4_request"


@pytest.mark.parametrize("value", [
    "2024-05-17T09:30:15Z", "20240517T093015", "20240517 093015Z", "20240230T093015Z",
    "20240517T250000Z", "garbage", " ",
])
def test_bad_x_amz_date(value: str) -> None:
    with pytest.raises(IncompleteSignature) as caught:
        parse_request(bare(("X-Amz-Date", value), ("Authorization", AUTHZ)))
    assert caught.value.detail == (
        f"Date must be in ISO-8601 'basic format'. Got '{value}'. "
        "See http://en.wikipedia.org/wiki/ISO_8601"
    )


def test_empty_x_amz_date_counts_as_missing() -> None:
    with pytest.raises(IncompleteSignature) as caught:
        parse_request(bare(("X-Amz-Date", ""), ("Authorization", AUTHZ)))
    assert caught.value.detail.startswith(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")


def test_bad_date_header() -> None:
    with pytest.raises(IncompleteSignature) as caught:
        parse_request(bare(("Date", "yesterday"), ("Authorization", AUTHZ)))
    assert caught.value.detail == (
        "Date must be in ISO-8601 'basic format'. Got 'yesterday'. "
        "See http://en.wikipedia.org/wiki/ISO_8601"
    )


@pytest.mark.parametrize("signed_headers", ["x-amz-date", "", "hostname;x-amz-date"])
def test_host_must_be_signed(signed_headers: str) -> None:
    authz = AUTHZ.replace("SignedHeaders=host;x-amz-date", f"SignedHeaders={signed_headers}")
    with pytest.raises(InvalidSignature) as caught:
        parse_request(bare(DATE, ("Authorization", authz)))
    assert caught.value.detail == (
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
    )


def test_signed_header_names_are_case_insensitive() -> None:
    authz = AUTHZ.replace("SignedHeaders=host;x-amz-date", "SignedHeaders=Host;X-Amz-Date")
    assert parse_request(bare(DATE, ("Authorization", authz))).signed_headers == (
        "host", "x-amz-date")


def test_query_missing_parameters() -> None:
    with pytest.raises(IncompleteSignature) as caught:
        parse_request(bare(query="X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=60"))
    assert caught.value.detail == (
        "AWS query-string parameters must include 'X-Amz-Credential'. "
        "AWS query-string parameters must include 'X-Amz-Signature'. "
        "AWS query-string parameters must include 'X-Amz-SignedHeaders'. "
        "AWS query-string parameters must include 'X-Amz-Date'. "
        "Re-examine the query-string parameters."
    )


def test_query_empty_algorithm_counts_as_missing() -> None:
    query = (f"X-Amz-Algorithm=&X-Amz-Credential=a%2Fb%2Fc%2Fd%2Fe&X-Amz-Date={T0_STAMP}"
             "&X-Amz-SignedHeaders=host&X-Amz-Signature=00")
    with pytest.raises(IncompleteSignature) as caught:
        parse_request(bare(query=query))
    assert caught.value.detail == (
        "AWS query-string parameters must include 'X-Amz-Algorithm'. "
        "Re-examine the query-string parameters."
    )


def test_query_bad_date() -> None:
    query = ("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2Fb%2Fc%2Fd%2Fe"
             "&X-Amz-Date=20240517&X-Amz-SignedHeaders=host&X-Amz-Signature=00")
    with pytest.raises(IncompleteSignature) as caught:
        parse_request(bare(query=query))
    assert caught.value.detail.startswith(
        "Date must be in ISO-8601 'basic format'. Got '20240517'.")


# --------------------------------------------------------------------------- error texts: scope


def scoped(*, credential: str = f"{ACCESS_KEY}/20240517/us-east-1/secretsmanager/aws4_request",
           date: str = T0_STAMP) -> SignedRequest:
    authz = AUTHZ.replace(f"{ACCESS_KEY}/20240517/us-east-1/secretsmanager/aws4_request",
                          credential)
    return parse_request(bare(("X-Amz-Date", date), ("Authorization", authz)))


def scope_error(signed: SignedRequest, *, now: float = T0, max_skew: float = 300.0) -> str:
    with pytest.raises(InvalidSignature) as caught:
        check_scope(signed, now=now, service=SERVICE, valid_regions=REGIONS, max_skew=max_skew)
    return caught.value.detail


def test_scope_accepts_the_window_edges() -> None:
    for now in (T0 - 300, T0, T0 + 300):
        check_scope(scoped(), now=now, service=SERVICE, valid_regions=REGIONS)


def test_signature_expired() -> None:
    assert scope_error(scoped(), now=T0 + 301) == (
        "Signature expired: 20240517T093015Z is now earlier than 20240517T093016Z "
        "(20240517T093516Z - 5 min.)"
    )


def test_signature_expired_with_a_custom_window() -> None:
    assert scope_error(scoped(), now=T0 + 3600, max_skew=900) == (
        "Signature expired: 20240517T093015Z is now earlier than 20240517T101515Z "
        "(20240517T103015Z - 15 min.)"
    )


def test_signature_not_yet_current() -> None:
    assert scope_error(scoped(), now=T0 - 301.5) == (
        "Signature not yet current: 20240517T093015Z is still later than 20240517T093013Z "
        "(20240517T092513Z + 5 min.)"
    )


def test_scope_wrong_region() -> None:
    signed = scoped(credential=f"{ACCESS_KEY}/20240517/us-west-2/secretsmanager/aws4_request")
    assert scope_error(signed) == "Credential should be scoped to a valid region, not 'us-west-2'."


def test_scope_wrong_service() -> None:
    signed = scoped(credential=f"{ACCESS_KEY}/20240517/us-east-1/kms/aws4_request")
    assert scope_error(signed) == (
        "Credential should be scoped to correct service: 'secretsmanager'.")


def test_scope_wrong_terminator() -> None:
    signed = scoped(credential=f"{ACCESS_KEY}/20240517/us-east-1/secretsmanager/aws5_request")
    assert scope_error(signed) == (
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'."
    )


def test_scope_wrong_date() -> None:
    signed = scoped(credential=f"{ACCESS_KEY}/20240516/us-east-1/secretsmanager/aws4_request")
    assert scope_error(signed) == (
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
        "HTTP: '20240516' != '20240517', from '20240517T093015Z'."
    )


def test_scope_problems_are_reported_together() -> None:
    signed = scoped(credential=f"{ACCESS_KEY}/2024/mars-1/s3/aws5_request")
    assert scope_error(signed) == (
        "Credential should be scoped to a valid region, not 'mars-1'. "
        "Credential should be scoped to correct service: 'secretsmanager'. "
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. "
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
        "HTTP: '2024' != '20240517', from '20240517T093015Z'."
    )


def test_time_is_checked_before_scope() -> None:
    signed = scoped(credential=f"{ACCESS_KEY}/20240517/mars-1/secretsmanager/aws4_request")
    assert scope_error(signed, now=T0 + 3600).startswith("Signature expired: ")


# --------------------------------------------------------------------------- building blocks


def test_signing_key_matches_aws_documentation_example() -> None:
    key = signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "iam")
    assert key.hex() == "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"


def test_signing_key_is_cached() -> None:
    signing_key.cache_clear()
    first = signing_key(SECRET_KEY, "20240517", REGION, SERVICE)
    second = signing_key(SECRET_KEY, "20240517", REGION, SERVICE)
    assert first is second
    assert signing_key.cache_info().hits == 1
    assert signing_key.cache_info().maxsize == 1024


PATHS = ["/", "", "/a/b/c", "/a//b/", "/./a/../b/", "/a%20b", "/a%2Fb", "/%E1%88%B4",
         "/a b", "/\u1234", "/~user/x", "/a/b/..", "/..", "/a/./b/.", "/a+b", "/a:b@c!$'()*,;="]


@pytest.mark.parametrize("path", PATHS)
def test_canonical_uri_matches_botocore(path: str) -> None:
    auth = SigV4Auth(Credentials("a", "b"), SERVICE, REGION)
    assert canonical_uri(path) == auth._normalize_url_path(path)


def test_canonical_uri_double_encodes_like_botocore_for_non_s3() -> None:
    assert canonical_uri("/secrets/prod%2Fdb") == "/secrets/prod%252Fdb"


@pytest.mark.parametrize("params", [
    [("b", "2"), ("a", "1")],
    [("a", "2"), ("a", "1"), ("A", "3")],
    [("k", ""), ("", "v")],
    [("sp ace", "a+b"), ("sl/ash", "%"), ("uni\u1234", "\u00e9"), ("~-._", "~-._")],
])
def test_canonical_query_string_matches_botocore(params: list[tuple[str, str]]) -> None:
    query = percent_encode_sequence(params)
    auth = SigV4Auth(Credentials("a", "b"), SERVICE, REGION)
    assert canonical_query_string(query) == auth._canonical_query_string_url(
        urlsplit(f"https://h/?{query}"))


def test_canonical_query_string_normalizes_other_clients_encoding() -> None:
    assert canonical_query_string("b=%7e&a=x+y&c=%2f&d") == "a=x%2By&b=~&c=%2F&d="
    assert canonical_query_string("X-Amz-Signature=ab&a=1", presigned=True) == "a=1"
    assert canonical_query_string("X-Amz-Signature=ab&a=1") == "X-Amz-Signature=ab&a=1"


# --------------------------------------------------------------------------- properties

segment = st.text(max_size=6).map(lambda s: percent_encode(s))
param = st.tuples(st.text(max_size=6), st.text(max_size=6))


@settings(max_examples=150, deadline=None)
@given(
    body=st.binary(min_size=1, max_size=256),
    segments=st.lists(segment | st.sampled_from([".", "..", ""]), max_size=4),
    params=st.lists(param, max_size=4),
    token=st.none() | st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                       "0123456789+/=", min_size=1, max_size=40),
    flip_at=st.integers(min_value=0),
    flip_with=st.integers(min_value=1, max_value=255),
)
def test_any_botocore_signed_request_verifies_and_any_body_flip_fails(
    body: bytes, segments: list[str], params: list[tuple[str, str]], token: str | None,
    flip_at: int, flip_with: int,
) -> None:
    url = "https://secretsmanager.us-east-1.amazonaws.com/" + "/".join(segments)
    if params:
        url += "?" + percent_encode_sequence(params)
    request = sign(json_call(body, url=url), token=token)
    signed = accept(request)
    assert signed.session_token == token

    index = flip_at % len(body)
    flipped = bytearray(body)
    flipped[index] ^= flip_with
    tampered = HttpRequest(request.method, request.path, request.query, request.headers,
                           bytes(flipped))
    with pytest.raises(InvalidSignature) as caught:
        verify_signature(tampered, signed, SECRET_KEY)
    assert caught.value.detail == MSG_SIGNATURE_MISMATCH


@settings(max_examples=60, deadline=None)
@given(params=st.lists(param, max_size=4), token=st.none() | st.just(TOKEN),
       expires=st.integers(min_value=1, max_value=604800))
def test_any_botocore_presigned_url_verifies(
    params: list[tuple[str, str]], token: str | None, expires: int,
) -> None:
    url = ENDPOINT + ("?" + percent_encode_sequence(params) if params else "")
    request = presign(json_call(url=url), token=token, expires=expires)
    signed = accept(request, now=T0 + expires)
    assert (signed.presigned, signed.expires, signed.session_token) == (True, expires, token)
