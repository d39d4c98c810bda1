"""The AWS JSON 1.1 protocol: `POST /` with `X-Amz-Target: <prefix>.<Operation>`.

Takes plain request values and returns (status, headers, body); no framework
types. It authenticates, validates the body against the botocore model, calls
the operation, and renders results and errors in AWS's wire shape. Every call is
recorded through the audit trail (`audited`): a response that carries a `pending`
record may be sent only once that record is durable, else its `fallback` (503).
"""

from __future__ import annotations

import base64
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from strongroom.audit.trail import ApiCall, AuditTrail, AuditUnavailable, Pending
from strongroom.auth.authenticator import Authenticator
from strongroom.auth.sigv4 import HttpRequest
from strongroom.core.errors import StrongroomError, UnknownOperation
from strongroom.core.types import RequestContext
from strongroom.protocol.credential import claimed_later
from strongroom.protocol.errors import to_wire
from strongroom.protocol.model import ServiceModel

log = logging.getLogger("strongroom.protocol")

CONTENT_TYPE = "application/x-amz-json-1.1"
Handler = Callable[[Any, RequestContext, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class HttpResponse:
    """`pending`: the call's audit record, not yet durable; until it is, the response must
    not be sent, and if it fails, `fallback()` (HTTP 503) is sent instead."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    pending: Pending | None = field(default=None, compare=False)
    fallback: Callable[[], HttpResponse] | None = field(default=None, compare=False)

    def settled(self) -> HttpResponse:
        """This response once its record is durable, else the fallback (blocks)."""
        if self.pending is None or self.fallback is None:
            return self
        return replace(self, pending=None, fallback=None) if self.pending.wait() \
            else self.fallback()


def audited(call: ApiCall, response: HttpResponse,
            refuse: Callable[[AuditUnavailable], HttpResponse]) -> HttpResponse:
    """`response`, held until the call's record is durable; `refuse(error)` if it cannot be."""
    try:
        pending = call.finish()
    except AuditUnavailable as exc:
        return refuse(exc)
    if pending is None:
        return response
    return replace(response, pending=pending,
                   fallback=lambda: refuse(AuditUnavailable("timeout")))


@dataclass(frozen=True)
class JsonService:
    """One AWS service spoken over JSON 1.1: its model, its operations and their backend."""

    model: ServiceModel
    operations: dict[str, Handler]
    api: Any


@dataclass(frozen=True)
class ClientFacts:
    source_ip: str = ""
    secure_transport: bool = False


def _encode_default(value: object) -> object:
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"cannot encode {type(value).__name__}")


def _dump(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, default=_encode_default, separators=(",", ":")).encode()


class Json11Protocol:
    def __init__(self, services: list[JsonService], authenticator: Authenticator,
                 trail: AuditTrail | None = None) -> None:
        self._by_prefix = {s.model.target_prefix: s for s in services}
        self._authenticator = authenticator
        self._trail = trail or AuditTrail.disabled()

    def signing_name(self, target: str) -> str | None:
        """The signing name of the service an X-Amz-Target names, if this serves it."""
        service = self._by_prefix.get(target.rpartition(".")[0])
        return service.model.signing_name if service is not None else None

    def handles(self, target: str) -> bool:
        return target.rpartition(".")[0] in self._by_prefix  # prefixes may hold dots

    def handle(self, request: HttpRequest, target: str, facts: ClientFacts) -> HttpResponse:
        request_id = str(uuid.uuid4())
        prefix, _, operation = target.rpartition(".")
        service = self._by_prefix.get(prefix)
        user_agent = _header(request, "user-agent")
        call = self._trail.begin(
            request_id, service=service.model.signing_name if service else None,
            operation=operation, source_ip=facts.source_ip, user_agent=user_agent,
            claimed=claimed_later(request))
        try:
            if service is None:
                raise UnknownOperation(target)
            principal, region = self._authenticator.authenticate(
                request, service.model.signing_name)
            call.authenticated(principal, region)
            handler = service.operations.get(operation)
            if handler is None or operation not in service.model.operation_names:
                raise UnknownOperation(operation)
            params = service.model.parse_input(operation, request.body)
            call.parsed(params)
            ctx = RequestContext(
                principal=principal, region=region, request_id=request_id,
                source_ip=facts.source_ip, user_agent=user_agent,
                secure_transport=facts.secure_transport,
            )
            result = call.run(lambda: handler(service.api, ctx, params))
            response = HttpResponse(200, self._headers(request_id), _dump(result))
        except StrongroomError as exc:
            response = self.error(exc, request_id, call)
        except Exception:
            log.exception("request %s failed (%s)", request_id, target)
            response = self.error(RuntimeError("internal"), request_id, call)
        return audited(call, response, lambda exc: self.error(exc, request_id))

    def error(self, exc: BaseException, request_id: str, call: ApiCall | None = None
              ) -> HttpResponse:
        wire = to_wire(exc, request_id)
        if call is not None:
            call.failed(wire.code, wire.message)
        headers = (*self._headers(request_id), ("x-amzn-ErrorType", wire.code))
        body = _dump({"__type": wire.code, "message": wire.message})
        return HttpResponse(wire.status, headers, body)

    def error_for_unroutable(self, request: HttpRequest, facts: ClientFacts) -> HttpResponse:
        """A request that names no operation (no X-Amz-Target, or not POST)."""
        request_id = str(uuid.uuid4())
        name = f"{request.method} {request.path}"
        call = self._trail.begin(request_id, service=None, operation=name,
                                 source_ip=facts.source_ip,
                                 user_agent=_header(request, "user-agent"),
                                 claimed=claimed_later(request))
        response = self.error(UnknownOperation(name), request_id, call)
        return audited(call, response, lambda exc: self.error(exc, request_id))

    @staticmethod
    def _headers(request_id: str) -> tuple[tuple[str, str], ...]:
        return (("content-type", CONTENT_TYPE), ("x-amzn-RequestId", request_id))


def _header(request: HttpRequest, name: str) -> str:
    for key, value in request.headers:
        if key.lower() == name:
            return value
    return ""
