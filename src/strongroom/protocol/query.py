"""The AWS query protocol (IAM, STS): ``Action=<Op>&Version=<date>&...`` in, XML out.

Like ``json11`` it maps plain request values to (status, headers, body): it resolves
the operation, authenticates, rebuilds the input from botocore's query encoding
(``Name.member.N``, flattened ``Name.N``, ``Name.entry.N.key``, ``Name.Member``), checks
it with the JSON side's validator and writes the result or error as XML (``.xml``).

Wire decisions; "argmin" is justincormack/argmin crates/s3-tests/src/bin/sts_oracle.rs,
golden responses recorded from real STS:

* Parameters: query string (any method), then the body of a form-encoded POST; the
  first occurrence of a name wins, unknown names are ignored (argmin).
* Unknown, empty or missing (``NO_VERSION_SPECIFIED``) Version, or unknown Action:
  400 ``InvalidAction`` "Could not find operation <A> for version <V>", AWSFault
  namespace, before authentication (argmin). Without an Action AWS redirects to
  https://aws.amazon.com/iam; strongroom answers as for an empty Action instead.
* Numbers parse as Java's: ``+900``/``0900`` are 900; decimals, words and values out of
  range are 400 ``MalformedInput`` with no ``<Message>``, an empty value "missing value
  for decimal type" (argmin). Booleans are true/false in any case, timestamps ISO 8601
  or epoch seconds, blobs base64.
* Constraints: 400 ``ValidationError`` in Coral's words (argmin; IAM in
  NixOS/nixops#328). STS put a pattern failure before a length failure of one member;
  the shared validator lists length first.
* Authentication, service namespace: MissingAuthenticationToken 403
  (amzn/selling-partner-api-docs#3081), IncompleteSignature 400 (brendanhay/amazonka#316,
  aws/aws-cli#4385), SignatureDoesNotMatch 403 for bad, expired or mis-scoped
  signatures (devsecops/bootcamp#101, cognitect-labs/aws-api#27, JuliaCloud/AWS.jl#565),
  InvalidClientTokenId 403 (aws-azure-login#251), ExpiredToken 403
  (cfn-sphere/cfn-sphere#55, aws/aws-sdk-java-v2#1649).
* AccessDenied: 403, the JSON side's text (argmin). Other errors go through
  ``protocol.errors.to_wire``; a code naming a modeled exception shape
  (``MalformedPolicyDocumentException``) or its code (``NoSuchEntity``) takes the model's
  query code and HTTP status. Type is Receiver for 5xx, else Sender.
* Operations the model marks unsigned (STS AssumeRoleWithWebIdentity) are authenticated
  like the rest.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

from strongroom.audit.trail import ApiCall, AuditTrail, AuditUnavailable
from strongroom.auth import errors as auth
from strongroom.auth.authenticator import Authenticator
from strongroom.auth.sigv4 import HttpRequest
from strongroom.core import errors as core
from strongroom.core.types import RequestContext
from strongroom.protocol.credential import claimed_later, claimed_scope
from strongroom.protocol.errors import AUDIT_UNAVAILABLE, WireError, to_wire
from strongroom.protocol.json11 import ClientFacts, HttpResponse, audited
from strongroom.protocol.model import ServiceModel, format_validation_message
from strongroom.protocol.xml import AWS_FAULT_NAMESPACE, CONTENT_TYPE, render_error, render_result

log = logging.getLogger("strongroom.protocol")

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
NO_VERSION = "NO_VERSION_SPECIFIED"
MISSING_DECIMAL = "missing value for decimal type"
Handler = Callable[[Any, RequestContext, dict[str, Any]], dict[str, Any]]

_INT_BOUNDS = {"byte": 7, "short": 15, "integer": 31, "long": 63}  # bits after the sign
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:NaN|Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
_EPOCH = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


class InvalidAction(core.UnknownOperation):
    """No operation answers to this Action at this Version."""

    def __init__(self, operation: str, version: str) -> None:
        super().__init__(operation)
        self.version = version


@dataclass(frozen=True)
class QueryService:
    """One AWS service spoken over the query protocol: model, namespace, operations."""

    model: ServiceModel
    xml_namespace: str
    operations: dict[str, Handler]
    api: Any


# --------------------------------------------------------------------------------------
# Errors

_Row = Callable[[Any], WireError]

QUERY_TABLE: dict[type[Exception], _Row] = {
    auth.MissingAuthentication: lambda e: WireError(
        "MissingAuthenticationToken", "Request is missing Authentication Token", 403),
    auth.IncompleteSignature: lambda e: WireError("IncompleteSignature", e.detail, 400),
    auth.InvalidSignature: lambda e: WireError("SignatureDoesNotMatch", e.detail, 403),
    auth.UnrecognizedClient: lambda e: WireError(
        "InvalidClientTokenId", "The security token included in the request is invalid.", 403),
    auth.ExpiredToken: lambda e: WireError(
        "ExpiredToken", "The security token included in the request is expired", 403),
    core.ValidationFailed: lambda e: WireError(
        "ValidationError", format_validation_message(core.ValidationErrors([e]))),
    core.ValidationErrors: lambda e: WireError(
        "ValidationError", format_validation_message(e)),
    core.MalformedRequest: lambda e: WireError("MalformedInput", e.detail),
    core.UnknownOperation: lambda e: WireError(
        "InvalidAction",
        f"Could not find operation {e.operation} for version {getattr(e, 'version', NO_VERSION)}"),
    core.NotImplementedOperation: lambda e: WireError(
        "InvalidAction", f"{e.operation} is not supported by this strongroom server yet."),
    core.AccessDenied: lambda e: dataclasses.replace(
        to_wire(e, ""), code="AccessDenied", status=403),
    AuditUnavailable: lambda e: WireError("ServiceUnavailable", AUDIT_UNAVAILABLE, 503),
}


def _modeled_errors(model: ServiceModel) -> dict[str, tuple[str, int]]:
    """Exception shape names and query codes of `model`, each to (code, HTTP status)."""
    table: dict[str, tuple[str, int]] = {}
    for name, shape in model.definition["shapes"].items():
        error = shape.get("error") if shape.get("exception") else None
        if error is None:
            continue
        entry = (error.get("code", name), int(error.get("httpStatusCode", 400)))
        table[name] = entry
        table.setdefault(entry[0], entry)
    return table


def query_wire(
    error: BaseException, request_id: str, modeled: Mapping[str, tuple[str, int]] | None = None
) -> WireError:
    """The query-protocol error for `error`; `modeled` is from the service's model."""
    for cls in type(error).__mro__:
        row = QUERY_TABLE.get(cls)
        if row is not None:
            return row(error)
    wire = to_wire(error, request_id)
    translated = (modeled or {}).get(wire.code)
    if translated is not None:
        return WireError(translated[0], wire.message, translated[1])
    return wire


# --------------------------------------------------------------------------------------
# Requests


def _unquote(raw: bytes) -> str:
    return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8", "replace")


def _form_pairs(raw: bytes) -> Iterator[tuple[str, str]]:
    for field in raw.split(b"&"):
        if field:
            name, _, value = field.partition(b"=")
            yield _unquote(name), _unquote(value)


def _header(request: HttpRequest, name: str) -> str:
    for key, value in request.headers:
        if key.lower() == name:
            return value
    return ""


def read_params(request: HttpRequest) -> dict[str, str]:
    """Query-string, then form-body parameters; the first occurrence of a name wins."""
    params: dict[str, str] = {}
    sources = [request.query.encode("latin-1", "replace")]
    content_type = _header(request, "content-type").split(";", 1)[0].strip().lower()
    if request.method.upper() == "POST" and content_type == FORM_CONTENT_TYPE:
        sources.append(request.body)
    for source in sources:
        for name, value in _form_pairs(source):
            params.setdefault(name, value)
    return params


def resolve_action(model: ServiceModel, params: Mapping[str, str]) -> str:
    """The operation named by Action at Version; raises InvalidAction."""
    action = params.get("Action", "")
    version = params.get("Version", NO_VERSION)
    if action not in model.operation_names or version != model.api_version:
        raise InvalidAction(action, version)
    return action


def signing_service(request: HttpRequest) -> str | None:
    """The service of the SigV4 credential scope (``iam``, ``sts``), unverified; None when
    the request claims no well-formed scope (unsigned requests included)."""
    return claimed_scope(request).service or None

class _Node:
    """Parameters sharing a dotted prefix: this name's value and the next segments."""

    __slots__ = ("children", "value")

    def __init__(self) -> None:
        self.value: str | None = None
        self.children: dict[str, _Node] = {}


def _tree(params: Mapping[str, str]) -> _Node:
    root = _Node()
    for key, value in params.items():
        node = root
        for part in key.split("."):
            child = node.children.get(part)
            if child is None:
                child = node.children[part] = _Node()
            node = child
        if node.value is None:
            node.value = value
    return root


_ABSENT: Any = object()


def _malformed(text: str) -> core.MalformedRequest:
    return core.MalformedRequest(MISSING_DECIMAL if text == "" else "")


class _Decoder:
    """Rebuilds JSON-typed input (as ``validate_input`` takes it) from the tree."""

    def __init__(self, shapes: Mapping[str, Any]) -> None:
        self.shapes = shapes

    def structure(self, shape: Mapping[str, Any], node: _Node) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for member_name, ref in shape.get("members", {}).items():
            wire = ref.get("locationName", member_name)
            target = self.shapes[ref["shape"]]
            if target["type"] == "list" and target.get("flattened"):
                # botocore names a flattened list after its member's locationName if any
                child = node.children.get(target["member"].get("locationName", wire))
            else:
                child = node.children.get(wire)
            if child is not None:
                value = self.value(ref["shape"], child)
                if value is not _ABSENT:
                    out[wire] = value
        return out

    def value(self, shape_name: str, node: _Node) -> Any:
        shape = self.shapes[shape_name]
        kind = shape["type"]
        if kind == "structure":
            return self.structure(shape, node) if node.children else _ABSENT
        if kind in ("list", "map"):
            if not node.children:  # botocore sends an empty list as "Name="
                return ([] if kind == "list" else {}) if node.value == "" else _ABSENT
            if shape.get("flattened"):
                return self.items(shape, node) if kind == "list" else self.entries(shape, node)
            if kind == "list":
                inner = node.children.get(shape["member"].get("locationName", "member"))
                return _ABSENT if inner is None else self.items(shape, inner)
            inner = node.children.get("entry")
            return _ABSENT if inner is None else self.entries(shape, inner)
        if node.value is None:
            return _ABSENT
        return self.scalar(kind, node.value)

    @staticmethod
    def indexed(node: _Node) -> list[_Node]:
        found: dict[int, _Node] = {}
        for key, child in node.children.items():
            if key.isascii() and key.isdigit() and len(key) < 10 and int(key) > 0:
                found.setdefault(int(key), child)
        return [found[index] for index in sorted(found)]

    def items(self, shape: Mapping[str, Any], node: _Node) -> list[Any]:
        member = shape["member"]["shape"]
        values = (self.value(member, child) for child in self.indexed(node))
        return [None if value is _ABSENT else value for value in values]

    def entries(self, shape: Mapping[str, Any], node: _Node) -> dict[str, Any]:
        key_ref, value_ref = shape["key"], shape["value"]
        key_name = key_ref.get("locationName", "key")
        value_name = value_ref.get("locationName", "value")
        out: dict[str, Any] = {}
        for child in self.indexed(node):
            key_node = child.children.get(key_name)
            if key_node is None or key_node.value is None or key_node.value in out:
                continue
            value_node = child.children.get(value_name)
            value = _ABSENT if value_node is None else self.value(value_ref["shape"], value_node)
            out[key_node.value] = None if value is _ABSENT else value
        return out

    @staticmethod
    def scalar(kind: str, text: str) -> Any:
        if kind in _INT_BOUNDS:
            bits = _INT_BOUNDS[kind]
            try:  # int() refuses numbers of more than 4300 digits
                number = int(text) if _INTEGER.fullmatch(text) else None
            except ValueError:
                number = None
            if number is None or not -(2**bits) <= number < 2**bits:
                raise _malformed(text)
            return number
        if kind == "boolean":
            if text.lower() not in ("true", "false"):
                raise core.MalformedRequest("")
            return text.lower() == "true"
        if kind in ("float", "double"):
            if _DECIMAL.fullmatch(text) is None:
                raise _malformed(text)
            return float(text)
        if kind == "timestamp":
            return _timestamp(text)
        return text  # strings, and blobs still in base64 (the validator decodes them)


def _timestamp(text: str) -> float:
    if _EPOCH.fullmatch(text):
        return float(text)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise core.MalformedRequest("") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()


def decode_input(model: ServiceModel, operation: str, params: Mapping[str, str]) -> dict[str, Any]:
    """The validated input of `operation`, keyed by model member names.

    Raises MalformedRequest (a value of the wrong type) or ValidationErrors.
    """
    ref = model.definition["operations"][operation].get("input")
    data: dict[str, Any] = {}
    if ref is not None:
        shapes = model.definition["shapes"]
        try:
            data = _Decoder(shapes).structure(shapes[ref["shape"]], _tree(params))
        except RecursionError:
            raise core.MalformedRequest("") from None
    return model.validate_input(operation, data)


# --------------------------------------------------------------------------------------
# The adapter


class QueryProtocol:
    def __init__(self, services: list[QueryService], authenticator: Authenticator,
                 trail: AuditTrail | None = None) -> None:
        self._by_name = {s.model.signing_name: s for s in services}
        self._modeled = {s.model.signing_name: _modeled_errors(s.model) for s in services}
        self._authenticator = authenticator
        self._trail = trail or AuditTrail.disabled()

    def service_for(self, signing_name_or_host_hint: str) -> QueryService | None:
        """The service for a signing name (``sts``) or a host (``sts.eu-west-1.amazonaws.com``)."""
        hint = signing_name_or_host_hint.strip().lower()
        service = self._by_name.get(hint)
        if service is None:
            service = self._by_name.get(hint.split(":", 1)[0].split(".", 1)[0])
        return service

    def handle(
        self, request: HttpRequest, service: QueryService, facts: ClientFacts
    ) -> HttpResponse:
        request_id = str(uuid.uuid4())
        model = service.model
        user_agent = _header(request, "user-agent")
        call = self._trail.begin(request_id, service=model.signing_name,
                                 source_ip=facts.source_ip, user_agent=user_agent,
                                 claimed=claimed_later(request))
        try:
            params = read_params(request)
            call.resolved(operation=params.get("Action", ""))
            operation = resolve_action(model, params)
            principal, region = self._authenticator.authenticate(
                request, model.signing_name, global_service=True)
            call.authenticated(principal, region)
            handler = service.operations.get(operation)
            if handler is None:
                raise core.NotImplementedOperation(operation)
            inputs = decode_input(model, operation, params)
            call.parsed(inputs)
            ctx = RequestContext(
                principal=principal, region=region, request_id=request_id,
                source_ip=facts.source_ip, user_agent=user_agent,
                secure_transport=facts.secure_transport,
            )
            result = call.run(lambda: handler(service.api, ctx, inputs))
            body = render_result(
                model.definition["shapes"], model.definition["operations"][operation],
                result, request_id, service.xml_namespace,
            )
            response = HttpResponse(200, _headers(request_id), body)
        except core.StrongroomError as exc:
            response = self.error(exc, request_id, service, call)
        except Exception:
            log.exception("request %s failed (%s)", request_id, model.service_name)
            response = self.error(RuntimeError("internal"), request_id, service, call)
        return audited(call, response, lambda exc: self.error(exc, request_id, service))

    def error(
        self, exc: BaseException, request_id: str, service: QueryService | None = None,
        call: ApiCall | None = None,
    ) -> HttpResponse:
        """The XML error response for `exc`; without a service, in the AWSFault namespace."""
        modeled = self._modeled.get(service.model.signing_name) if service else None
        wire = query_wire(exc, request_id, modeled)
        if call is not None:
            call.failed(wire.code, wire.message)
        if service is None or isinstance(exc, core.UnknownOperation):
            namespace = AWS_FAULT_NAMESPACE
        else:
            namespace = service.xml_namespace
        body = render_error(namespace, wire.code, wire.message, request_id,
                            sender=wire.status < 500)
        return HttpResponse(wire.status, (*_headers(request_id), ("x-amzn-ErrorType", wire.code)),
                            body)


def _headers(request_id: str) -> tuple[tuple[str, str], ...]:
    return (("content-type", CONTENT_TYPE), ("x-amzn-RequestId", request_id))
