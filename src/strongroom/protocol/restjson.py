"""The AWS rest-json protocol: operations addressed by HTTP method and path template.

Generic over any botocore rest-json model: it matches `http.requestUri` templates,
binds uri, querystring, header and body members (a blob payload is the raw body),
validates the result with the model validator, calls the operation, and renders the
output with header-bound members as headers, a `statusCode` member as the status and a
payload member as the raw body. Errors go out as `x-amzn-ErrorType` plus a JSON body
`{"Type": "User", "Message": ...}` (the message key as the model's error shape spells
it), which is what botocore's rest-json parser reads. No framework types.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

from strongroom.audit.trail import ApiCall, AuditTrail
from strongroom.auth.authenticator import Authenticator
from strongroom.auth.sigv4 import HttpRequest
from strongroom.core.errors import MalformedRequest, NotImplementedOperation, StrongroomError
from strongroom.core.types import RequestContext
from strongroom.protocol.credential import claimed_later
from strongroom.protocol.errors import to_wire
from strongroom.protocol.json11 import ClientFacts, HttpResponse, audited
from strongroom.protocol.model import ServiceModel

log = logging.getLogger("strongroom.protocol")

CONTENT_TYPE = "application/json"
Handler = Callable[[Any, RequestContext, dict[str, Any]], dict[str, Any]]
_LABEL = re.compile(r"\{([A-Za-z0-9_]+)(\+?)\}")


@dataclass(frozen=True)
class RestJsonService:
    """One AWS service spoken over rest-json: its model, its operations, their backend,
    and the HTTP status of error codes the model does not list (e.g. AccessDenied)."""

    model: ServiceModel
    operations: dict[str, Handler]
    api: Any
    error_statuses: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Route:
    service: RestJsonService
    operation: str
    method: str
    pattern: re.Pattern[str]
    literal: int  # characters of literal path: the more specific template wins
    labels: dict[str, str]  # regex group -> label name


@dataclass(frozen=True)
class RestMatch:
    service: RestJsonService
    operation: str
    labels: dict[str, str]


def _compile(template: str) -> tuple[re.Pattern[str], int, dict[str, str]]:
    path = template.split("?", 1)[0]
    parts: list[str] = []
    labels: dict[str, str] = {}
    position = 0
    literal = 0
    for index, found in enumerate(_LABEL.finditer(path)):
        text = path[position:found.start()]
        parts.append(re.escape(text))
        literal += len(text)
        group = f"g{index}"
        labels[group] = found.group(1)
        parts.append(f"(?P<{group}>.+)" if found.group(2) else f"(?P<{group}>[^/]+)")
        position = found.end()
    parts.append(re.escape(path[position:]))
    literal += len(path) - position
    return re.compile("".join(parts)), literal, labels


class RestJsonProtocol:
    def __init__(self, services: list[RestJsonService], authenticator: Authenticator,
                 trail: AuditTrail | None = None) -> None:
        self._authenticator = authenticator
        self._trail = trail or AuditTrail.disabled()
        self._routes: list[_Route] = []
        for service in services:
            for name, operation in service.model.definition["operations"].items():
                http = operation.get("http", {})
                pattern, literal, labels = _compile(http.get("requestUri", "/"))
                self._routes.append(_Route(service, name, http.get("method", "POST"), pattern,
                                           literal, labels))
        self._routes.sort(key=lambda r: -r.literal)

    def match(self, method: str, path: str) -> RestMatch | None:
        """The operation a request addresses, or None if no template matches."""
        raw = path.split("?", 1)[0]
        if len(raw) > 1 and raw.endswith("/"):
            raw = raw[:-1]
        for route in self._routes:
            if route.method != method:
                continue
            found = route.pattern.fullmatch(raw)
            if found is not None:
                labels = {name: unquote(found.group(group))
                          for group, name in route.labels.items()}
                return RestMatch(route.service, route.operation, labels)
        return None

    def handle(self, request: HttpRequest, match: RestMatch, facts: ClientFacts
               ) -> HttpResponse:
        request_id = str(uuid.uuid4())
        service, operation = match.service, match.operation
        model = service.model
        user_agent = _header(request, "user-agent")
        call = self._trail.begin(request_id, service=model.signing_name, operation=operation,
                                 source_ip=facts.source_ip, user_agent=user_agent,
                                 claimed=claimed_later(request))
        try:
            principal, region = self._authenticator.authenticate(request, model.signing_name)
            call.authenticated(principal, region)
            handler = service.operations.get(operation)
            if handler is None:
                raise NotImplementedOperation(operation)
            params = self._input(model, operation, request, match.labels)
            call.parsed(params)
            ctx = RequestContext(
                principal=principal, region=region, request_id=request_id,
                source_ip=facts.source_ip, user_agent=user_agent,
                secure_transport=facts.secure_transport,
            )
            result = call.run(lambda: handler(service.api, ctx, params))
            response = self._output(model, operation, result, request_id)
        except StrongroomError as exc:
            response = self.error(exc, request_id, service, call)
        except Exception:
            log.exception("request %s failed (%s.%s)", request_id, model.service_name,
                          operation)
            response = self.error(RuntimeError("internal"), request_id, service, call)
        return audited(call, response, lambda exc: self.error(exc, request_id, service))

    # --- input ---------------------------------------------------------------------

    def _input(self, model: ServiceModel, operation: str, request: HttpRequest,
               labels: Mapping[str, str]) -> dict[str, Any]:
        definition = model.definition
        ref = definition["operations"][operation].get("input")
        if ref is None:
            return {}
        shapes = definition["shapes"]
        shape = shapes[ref["shape"]]
        payload_name = shape.get("payload")
        query = parse_qs(request.query, keep_blank_values=True)
        data: dict[str, Any] = {}
        body_members: dict[str, str] = {}
        raw_payload: tuple[str, bytes] | None = None
        for member, member_ref in shape.get("members", {}).items():
            wire = member_ref.get("locationName", member)
            target = shapes[member_ref["shape"]]
            location = member_ref.get("location")
            if location == "uri":
                if wire in labels:
                    data[wire] = _scalar(target, labels[wire], wire)
            elif location == "querystring":
                if wire in query:
                    values = query[wire]
                    data[wire] = ([_scalar(shapes[target["member"]["shape"]], v, wire)
                                   for v in values] if target["type"] == "list"
                                  else _scalar(target, values[0], wire))
            elif location == "header":
                value = _header_or_none(request, wire.lower())
                if value is not None:
                    data[wire] = _scalar(target, value, wire)
            elif location is None:
                if member == payload_name and target["type"] in ("blob", "string"):
                    raw_payload = (member, request.body)
                else:
                    body_members[wire] = member
        if payload_name is not None and raw_payload is None and request.body.strip():
            data[shape["members"][payload_name].get("locationName", payload_name)] = (
                _json_object(request.body))
        elif body_members and request.body.strip():
            body = _json_object(request.body)
            data.update({k: v for k, v in body.items() if k in body_members})
        params = model.validate_input(operation, data)
        if raw_payload is not None:
            member, body_bytes = raw_payload
            params[member] = body_bytes
        return params

    # --- output --------------------------------------------------------------------

    def _output(self, model: ServiceModel, operation: str, result: Mapping[str, Any],
                request_id: str) -> HttpResponse:
        definition = model.definition
        spec = definition["operations"][operation]
        status = int(spec.get("http", {}).get("responseCode", 200))
        headers: list[tuple[str, str]] = [("x-amzn-RequestId", request_id)]
        ref = spec.get("output")
        if ref is None:
            return HttpResponse(status, tuple(headers), b"")
        shape = definition["shapes"][ref["shape"]]
        payload_name = shape.get("payload")
        body: dict[str, Any] = {}
        raw: bytes | None = None
        for member, member_ref in shape.get("members", {}).items():
            if member not in result or result[member] is None:
                continue
            value = result[member]
            location = member_ref.get("location")
            wire = member_ref.get("locationName", member)
            if location == "statusCode":
                status = int(value)
            elif location == "header":
                headers.append((wire, _header_text(value)))
            elif member == payload_name:
                raw = value if isinstance(value, bytes) else _dump(value)
            elif location is None:
                body[wire] = value
        headers.append(("content-type", CONTENT_TYPE))
        if raw is not None:
            return HttpResponse(status, tuple(headers), raw)
        if payload_name is not None or (not body and status == 204):
            return HttpResponse(status, tuple(headers), b"")
        return HttpResponse(status, tuple(headers), _dump(body))

    # --- errors --------------------------------------------------------------------

    def error(self, exc: BaseException, request_id: str,
              service: RestJsonService | None = None, call: ApiCall | None = None
              ) -> HttpResponse:
        wire = to_wire(exc, request_id)
        status = wire.status
        message_key = "message"
        if service is not None:
            shape = service.model.definition["shapes"].get(wire.code)
            if shape is not None and shape.get("exception"):
                status = int(shape.get("error", {}).get("httpStatusCode", status))
                if "Message" in shape.get("members", {}):
                    message_key = "Message"
            else:
                status = service.error_statuses.get(wire.code, status)
        if call is not None:
            call.failed(wire.code, wire.message)
        body = {"Type": "Service" if status >= 500 else "User", message_key: wire.message}
        headers = (("content-type", CONTENT_TYPE), ("x-amzn-RequestId", request_id),
                   ("x-amzn-ErrorType", wire.code))
        return HttpResponse(status, headers, json.dumps(body).encode())


def _encode_default(value: object) -> object:
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"cannot encode {type(value).__name__}")


def _dump(payload: object) -> bytes:
    return json.dumps(payload, default=_encode_default, separators=(",", ":")).encode()


def _scalar(shape: Mapping[str, Any], text: str, where: str) -> Any:
    """A uri, query or header value as the JSON value its shape would have in a body."""
    kind = shape.get("type")
    if kind in ("integer", "long", "short", "byte"):
        try:
            return int(text)
        except ValueError:
            raise MalformedRequest(f"{where}: expected an integer") from None
    if kind in ("float", "double"):
        try:
            return float(text)
        except ValueError:
            raise MalformedRequest(f"{where}: expected a number") from None
    if kind == "boolean":
        if text.lower() not in ("true", "false"):
            raise MalformedRequest(f"{where}: expected a boolean")
        return text.lower() == "true"
    return text


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):
        raise MalformedRequest("body is not valid JSON") from None
    if not isinstance(data, dict):
        raise MalformedRequest("body: expected an object")
    return data


def _header_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _header_or_none(request: HttpRequest, name: str) -> str | None:
    for key, value in request.headers:
        if key.lower() == name:
            return value
    return None


def _header(request: HttpRequest, name: str) -> str:
    return _header_or_none(request, name) or ""
