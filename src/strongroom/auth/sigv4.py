"""AWS Signature Version 4 verification as pure logic: parsing, clock and scope checks,
canonicalization and the constant-time comparison, raising AWS's own error texts.

It never looks up keys, never reads the clock (callers pass ``now``) and never logs; no
canonical request, string to sign, secret, signing key or session token may appear in an
exception message or a repr. Paths and queries are the raw percent-encoded wire text and header
values are latin-1 decoded, as ``strongroom.server`` delivers them.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from functools import lru_cache
from urllib.parse import quote, unquote, unquote_to_bytes

from strongroom.auth.errors import IncompleteSignature, InvalidSignature, MissingAuthentication

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
MAX_PRESIGN_EXPIRES = 604800  # seven days, the longest a presigned URL may live

# --- AWS's texts, kept in one place so they can be corrected. AWS-recorded (reference
# iam-policy-and-auth.md 1.5 and the GitHub issues it cites): the signature mismatch, the
# missing-part and missing equal-sign texts and "Signature expired". Recorded by emulators
# written against real JSON-protocol (Coral) services (dynalite, scratchstack-aws-signature),
# not yet seen from Secrets Manager itself: both-forms, Host, algorithm, credential shape, date
# format, query-string and credential-scope texts. UNCONFIRMED: as marked below.
MSG_SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)
MSG_BOTH_AUTH_FORMS = (
    "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
)
MSG_HOST_NOT_SIGNED = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
MSG_HEADER_REQUIRES_DATE = (
    "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
)
MSG_REEXAMINE_QUERY = "Re-examine the query-string parameters."
# UNCONFIRMED for JSON services: these are S3's texts for the same conditions.
MSG_CONTENT_SHA256_MISMATCH = (
    "The provided 'x-amz-content-sha256' header does not match what was computed."
)
MSG_EXPIRES_NOT_A_NUMBER = "X-Amz-Expires should be a number"
MSG_EXPIRES_TOO_SMALL = "X-Amz-Expires must be non-negative"
MSG_EXPIRES_TOO_LARGE = "X-Amz-Expires must be less than a week (in seconds) that is 604800"

_HEADER_AUTH_PARTS = ("Credential", "Signature", "SignedHeaders")
_QUERY_AUTH_PARAMS = (
    "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date",
)
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
_URI_SAFE = _UNRESERVED | {"/"}
_DIGITS = frozenset("0123456789")


@dataclass(frozen=True)
class HttpRequest:
    """One HTTP request as received, before any interpretation."""

    method: str  # "POST"
    path: str  # raw path as received, still percent-encoded, e.g. "/"
    query: str  # raw query string without "?", "" if none
    headers: tuple[tuple[str, str], ...]  # as received; names in any case; repeats allowed
    body: bytes


@dataclass(frozen=True)
class SignedRequest:
    """The SigV4 claims a request makes, parsed but not yet checked against a key or a clock."""

    access_key_id: str
    date_stamp: str  # YYYYMMDD from the credential scope
    region: str
    service: str
    signed_headers: tuple[str, ...]  # lowercase, in the order the client listed them
    signature: str
    amz_date: str  # the YYYYMMDDTHHMMSSZ string used in the string to sign
    request_time: float  # epoch seconds parsed from amz_date (or the Date header)
    session_token: str | None = field(repr=False)  # X-Amz-Security-Token, header or query
    presigned: bool
    expires: int | None  # X-Amz-Expires for presigned
    terminator: str = TERMINATOR  # last element of the credential scope, checked by check_scope

    @property
    def credential_scope(self) -> str:
        return f"{self.date_stamp}/{self.region}/{self.service}/{self.terminator}"


# --------------------------------------------------------------------------- parsing


def parse_request(request: HttpRequest) -> SignedRequest:
    """Extract the SigV4 claims from the Authorization header or the presigned query string.

    Needs no secret. Raises MissingAuthentication, IncompleteSignature or InvalidSignature
    with AWS's texts, checking in the order AWS's JSON services are observed to.
    """
    authorization: str | None = None
    x_amz_date: str | None = None
    date_header: str | None = None
    token_header: str | None = None
    for name, value in request.headers:
        lname = name.lower()
        if lname == "authorization":
            if authorization is None:
                authorization = value
        elif lname == "x-amz-date":
            if not x_amz_date:  # an empty X-Amz-Date counts as absent, as in AWS
                x_amz_date = value
        elif lname == "date":
            if not date_header:
                date_header = value
        elif lname == "x-amz-security-token" and token_header is None:
            token_header = value

    params = _auth_query_params(request.query) if "X-Amz-" in request.query else {}
    query_auth = "X-Amz-Algorithm" in params
    if authorization is not None and query_auth:
        raise InvalidSignature(MSG_BOTH_AUTH_FORMS)
    if query_auth:
        return _parse_query_auth(params, token_header)
    if authorization is None or not authorization.strip().startswith("AWS4-"):
        raise MissingAuthentication()
    return _parse_header_auth(authorization, x_amz_date, date_header, token_header)


def _parse_header_auth(
    authorization: str, x_amz_date: str | None, date_header: str | None, token: str | None,
) -> SignedRequest:
    tokens = authorization.replace(",", " ").split()
    algorithm = tokens[0]
    parts: dict[str, str] = {}
    for token_text in tokens[1:]:
        key, equals, value = token_text.partition("=")
        if not equals:
            raise IncompleteSignature(
                f"'{token_text}' not a valid key=value pair (missing equal-sign) "
                f"in Authorization header: '{authorization}'."
            )
        parts[key] = value

    problems = [
        f"Authorization header requires '{part}' parameter."
        for part in _HEADER_AUTH_PARTS
        # An empty SignedHeaders is "present"; it fails the Host check below instead.
        if (part not in parts if part == "SignedHeaders" else not parts.get(part))
    ]
    if not x_amz_date and not date_header:
        problems.append(MSG_HEADER_REQUIRES_DATE)
    if problems:
        raise IncompleteSignature(" ".join(problems) + f" Authorization={authorization}")

    if x_amz_date:
        amz_date, request_time = _parse_amz_date(x_amz_date)
    else:
        amz_date, request_time = _parse_http_date(date_header or "")
    signed_headers = _split_signed_headers(parts["SignedHeaders"])
    return _finish(
        algorithm=algorithm, credential=parts["Credential"], signed_headers=signed_headers,
        signature=parts["Signature"], amz_date=amz_date, request_time=request_time,
        session_token=token, presigned=False, expires=None,
    )


def _parse_query_auth(params: dict[str, str], token_header: str | None) -> SignedRequest:
    missing = [
        f"AWS query-string parameters must include '{name}'."
        for name in _QUERY_AUTH_PARAMS
        if not params.get(name)
    ]
    if missing:
        raise IncompleteSignature(" ".join(missing) + " " + MSG_REEXAMINE_QUERY)
    amz_date, request_time = _parse_amz_date(params["X-Amz-Date"])
    expires: int | None = None
    raw_expires = params.get("X-Amz-Expires")
    if raw_expires is not None:
        text = raw_expires[1:] if raw_expires[:1] == "-" else raw_expires
        if not text or not _DIGITS.issuperset(text):
            raise InvalidSignature(MSG_EXPIRES_NOT_A_NUMBER)
        expires = int(raw_expires)
    token = params.get("X-Amz-Security-Token", token_header)
    return _finish(
        algorithm=params["X-Amz-Algorithm"], credential=params["X-Amz-Credential"],
        signed_headers=_split_signed_headers(params["X-Amz-SignedHeaders"]),
        signature=params["X-Amz-Signature"], amz_date=amz_date, request_time=request_time,
        session_token=token, presigned=True, expires=expires,
    )


def _finish(
    *, algorithm: str, credential: str, signed_headers: tuple[str, ...], signature: str,
    amz_date: str, request_time: float, session_token: str | None, presigned: bool,
    expires: int | None,
) -> SignedRequest:
    if "host" not in signed_headers and ":authority" not in signed_headers:
        raise InvalidSignature(MSG_HOST_NOT_SIGNED)
    if algorithm != ALGORITHM:
        raise IncompleteSignature(
            f"Unsupported AWS 'algorithm': '{algorithm}' (only {ALGORITHM} for now). "
        )
    scope = credential.rstrip("/").split("/")  # AWS ignores trailing slashes here
    if len(scope) != 5:
        raise IncompleteSignature(
            "Credential must have exactly 5 slash-delimited elements, "
            f"e.g. keyid/date/region/service/term, got '{credential}'"
        )
    access_key_id, date_stamp, region, service, terminator = scope
    return SignedRequest(
        access_key_id=access_key_id, date_stamp=date_stamp, region=region, service=service,
        signed_headers=signed_headers, signature=signature, amz_date=amz_date,
        request_time=request_time, session_token=session_token, presigned=presigned,
        expires=expires, terminator=terminator,
    )


def _auth_query_params(query: str) -> dict[str, str]:
    """Decoded ``X-Amz-*`` query parameters; the first occurrence of a name wins."""
    params: dict[str, str] = {}
    for pair in query.split("&"):
        if not pair.startswith("X-Amz-"):
            continue
        name, _, value = pair.partition("=")
        if name not in params:
            params[name] = unquote(value) if "%" in value else value
    return params


def _split_signed_headers(value: str) -> tuple[str, ...]:
    return tuple(name for name in value.lower().split(";") if name)


def _bad_date(value: str) -> IncompleteSignature:
    return IncompleteSignature(
        f"Date must be in ISO-8601 'basic format'. Got '{value}'. "
        "See http://en.wikipedia.org/wiki/ISO_8601"
    )


@lru_cache(maxsize=256)
def _parse_amz_date(value: str) -> tuple[str, float]:
    """Parse ``YYYYMMDDTHHMMSSZ`` strictly; returns the text and its epoch seconds."""
    if (
        len(value) != 16 or value[8] != "T" or value[15] != "Z"
        or not _DIGITS.issuperset(value[:8]) or not _DIGITS.issuperset(value[9:15])
    ):
        raise _bad_date(value)
    year, month, day = int(value[0:4]), int(value[4:6]), int(value[6:8])
    hour, minute, second = int(value[9:11]), int(value[11:13]), int(value[13:15])
    if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]
            and hour <= 23 and minute <= 59 and second <= 59):
        raise _bad_date(value)
    return value, float(calendar.timegm((year, month, day, hour, minute, second)))


def _parse_http_date(value: str) -> tuple[str, float]:
    """Parse an RFC 1123 ``Date`` header into the string-to-sign timestamp and epoch seconds."""
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        raise _bad_date(value) from None
    if parsed.tzinfo is None:  # "-0000" means UTC with no claim about the local zone
        epoch = float(calendar.timegm(parsed.timetuple()))
    else:
        epoch = float(int(parsed.timestamp()))
    return _format_amz_date(epoch), epoch


def _format_amz_date(epoch: float) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(int(epoch // 1)))


# --------------------------------------------------------------------------- scope and time


def check_scope(
    signed: SignedRequest, *, now: float, service: str, valid_regions: frozenset[str],
    max_skew: float = 300.0,
) -> None:
    """Check the request time against ``now`` and the credential scope against this server.

    Raises InvalidSignature in AWS's order: the time first (for a presigned request, its
    X-Amz-Expires window), then every scope problem at once, joined into one message.
    """
    if signed.presigned and signed.expires is not None:
        if signed.expires < 1:
            raise InvalidSignature(MSG_EXPIRES_TOO_SMALL)
        if signed.expires > MAX_PRESIGN_EXPIRES:
            raise InvalidSignature(MSG_EXPIRES_TOO_LARGE)
        if now > signed.request_time + signed.expires:
            raise InvalidSignature(
                f"Signature expired: {signed.amz_date} is now earlier than "
                f"{_format_amz_date(now - signed.expires)} "
                f"({_format_amz_date(now)} - {_duration(signed.expires)})"
            )
    elif signed.request_time < now - max_skew:
        raise InvalidSignature(
            f"Signature expired: {signed.amz_date} is now earlier than "
            f"{_format_amz_date(now - max_skew)} ({_format_amz_date(now)} - {_duration(max_skew)})"
        )
    if signed.request_time > now + max_skew:
        raise InvalidSignature(
            f"Signature not yet current: {signed.amz_date} is still later than "
            f"{_format_amz_date(now + max_skew)} ({_format_amz_date(now)} + {_duration(max_skew)})"
        )

    problems: list[str] = []
    if signed.region not in valid_regions:
        problems.append(f"Credential should be scoped to a valid region, not '{signed.region}'.")
    if signed.service != service:
        problems.append(f"Credential should be scoped to correct service: '{service}'.")
    if signed.terminator != TERMINATOR:
        problems.append(
            f"Credential should be scoped with a valid terminator: '{TERMINATOR}', "
            f"not '{signed.terminator}'."
        )
    request_day = signed.amz_date[:8]
    if signed.date_stamp != request_day:
        problems.append(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{signed.date_stamp}' != '{request_day}', from '{signed.amz_date}'."
        )
    if problems:
        raise InvalidSignature(" ".join(problems))


def _duration(seconds: float) -> str:
    """AWS's rendering of an allowed window: ``5 min.``; whole seconds otherwise."""
    whole = int(seconds)
    if whole == seconds and whole % 60 == 0:
        return f"{whole // 60} min."
    return f"{seconds:g} sec."


# --------------------------------------------------------------------------- signing


@lru_cache(maxsize=1024)
def signing_key(secret_access_key: str, date_stamp: str, region: str, service: str) -> bytes:
    """kSigning = HMAC chain over date, region, service and ``aws4_request``; cached."""
    key = hmac.digest(("AWS4" + secret_access_key).encode("utf-8"), date_stamp.encode(), "sha256")
    key = hmac.digest(key, region.encode("utf-8"), "sha256")
    key = hmac.digest(key, service.encode("utf-8"), "sha256")
    return hmac.digest(key, TERMINATOR.encode(), "sha256")


def verify_signature(request: HttpRequest, signed: SignedRequest, secret_access_key: str) -> None:
    """Recompute the signature as botocore does and compare it in constant time.

    Raises InvalidSignature with AWS's mismatch text; nothing derived from the secret or
    the canonical strings is ever put into the exception.
    """
    payload_hash = hashlib.sha256(request.body).hexdigest()
    if "x-amz-content-sha256" in signed.signed_headers:
        claimed = _header_values(request.headers, {"x-amz-content-sha256"}).get(
            "x-amz-content-sha256", [])
        if claimed != [payload_hash]:
            raise InvalidSignature(MSG_CONTENT_SHA256_MISMATCH)
    canonical = _canonical_request(request, signed, payload_hash)
    expected = hmac.new(
        signing_key(secret_access_key, signed.date_stamp, signed.region, signed.service),
        string_to_sign(signed, canonical).encode("utf-8"),
        hashlib.sha256,
    ).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"),
                               signed.signature.encode("utf-8", "replace")):
        raise InvalidSignature(MSG_SIGNATURE_MISMATCH)


def string_to_sign(signed: SignedRequest, canonical_request: str) -> str:
    digest = hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{signed.amz_date}\n{signed.credential_scope}\n{digest}"


def canonical_request(request: HttpRequest, signed: SignedRequest) -> str:
    """The canonical request botocore would have signed for this request (for tests/debug)."""
    return _canonical_request(request, signed, hashlib.sha256(request.body).hexdigest())


def _canonical_request(request: HttpRequest, signed: SignedRequest, payload_hash: str) -> str:
    values = _header_values(request.headers, set(signed.signed_headers))
    header_lines = "".join(
        f"{name}:{','.join(' '.join(v.split()) for v in values.get(name, ()))}\n"
        for name in signed.signed_headers
    )
    return "\n".join((
        request.method.upper(),
        canonical_uri(request.path),
        canonical_query_string(request.query, presigned=signed.presigned),
        header_lines,
        ";".join(signed.signed_headers),
        payload_hash,
    ))


def _header_values(
    headers: tuple[tuple[str, str], ...], wanted: set[str],
) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in headers:
        lname = name.lower()
        if lname in wanted:
            found.setdefault(lname, []).append(value)
    return found


def canonical_uri(path: str) -> str:
    """botocore's non-S3 rule: remove dot segments and empty segments, then percent-encode
    everything except unreserved characters and ``/`` (so ``%`` itself becomes ``%25``)."""
    if path == "/":
        return path
    normalized = _remove_dot_segments(path) if path else "/"
    if _URI_SAFE.issuperset(normalized):
        return normalized
    return quote(normalized, safe="/~")


def _remove_dot_segments(path: str) -> str:
    output: list[str] = []
    for segment in path.split("/"):
        if not segment or segment == ".":
            continue
        if segment == "..":
            if output:
                output.pop()
        else:
            output.append(segment)
    first = "/" if path[0] == "/" else ""
    last = "/" if path[-1] == "/" and output else ""
    return first + "/".join(output) + last


def canonical_query_string(query: str, *, presigned: bool = False) -> str:
    """Decode and re-encode each name and value (RFC 3986 unreserved kept, ``+`` is literal),
    sort by name then value; a presigned request's X-Amz-Signature is left out."""
    if not query:
        return ""
    pairs: list[tuple[str, str]] = []
    for pair in query.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        if presigned and name == "X-Amz-Signature":
            continue
        pairs.append((_query_encode(name), _query_encode(value)))
    pairs.sort()
    return "&".join(f"{name}={value}" for name, value in pairs)


def _query_encode(text: str) -> str:
    if _UNRESERVED.issuperset(text):
        return text
    return quote(unquote_to_bytes(text), safe="-_.~")
