"""The AWS JSON 1.1 protocol: `POST /` with `X-Amz-Target: <prefix>.<Operation>`.

Takes plain request values and returns (status, headers, body); no framework
types. It authenticates, validates the body against the botocore model, calls
the operation, and renders results and errors in AWS's wire shape.
"""

from __future__ import annotations

import base64
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from strongroom.auth.authenticator import Authenticator
from strongroom.auth.sigv4 import HttpRequest
from strongroom.core.errors import StrongroomError, UnknownOperation
from strongroom.core.types import RequestContext
from strongroom.protocol.errors import to_wire
from strongroom.protocol.model import ServiceModel

log = logging.getLogger("strongroom.protocol")

CONTENT_TYPE = "application/x-amz-json-1.1"
Handler = Callable[[Any, RequestContext, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


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
    def __init__(self, services: list[JsonService], authenticator: Authenticator) -> None:
        self._by_prefix = {s.model.target_prefix: s for s in services}
        self._authenticator = authenticator

    def handles(self, target: str) -> bool:
        return target.partition(".")[0] in self._by_prefix

    def handle(self, request: HttpRequest, target: str, facts: ClientFacts) -> HttpResponse:
        request_id = str(uuid.uuid4())
        prefix, _, operation = target.partition(".")
        try:
            service = self._by_prefix.get(prefix)
            if service is None:
                raise UnknownOperation(target)
            principal, region = self._authenticator.authenticate(
                request, service.model.signing_name)
            handler = service.operations.get(operation)
            if handler is None or operation not in service.model.operation_names:
                raise UnknownOperation(operation)
            params = service.model.parse_input(operation, request.body)
            ctx = RequestContext(
                principal=principal, region=region, request_id=request_id,
                source_ip=facts.source_ip, user_agent=_header(request, "user-agent"),
                secure_transport=facts.secure_transport,
            )
            result = handler(service.api, ctx, params)
        except StrongroomError as exc:
            return self.error(exc, request_id)
        except Exception:
            log.exception("request %s failed (%s)", request_id, target)
            return self.error(RuntimeError("internal"), request_id)
        return HttpResponse(200, self._headers(request_id), _dump(result))

    def error(self, exc: BaseException, request_id: str) -> HttpResponse:
        wire = to_wire(exc, request_id)
        headers = (*self._headers(request_id), ("x-amzn-ErrorType", wire.code))
        body = _dump({"__type": wire.code, "message": wire.message})
        return HttpResponse(wire.status, headers, body)

    def error_for_unroutable(self, method: str, path: str) -> HttpResponse:
        """A request that names no operation (no X-Amz-Target, or not POST)."""
        return self.error(UnknownOperation(f"{method} {path}"), str(uuid.uuid4()))

    @staticmethod
    def _headers(request_id: str) -> tuple[tuple[str, str], ...]:
        return (("content-type", CONTENT_TYPE), ("x-amzn-RequestId", request_id))


def _header(request: HttpRequest, name: str) -> str:
    for key, value in request.headers:
        if key.lower() == name:
            return value
    return ""
