"""The ASGI application: one port for every API, plus health and operator endpoints.

It reads the request (bounded), picks the protocol adapter, and runs it on a
worker thread, because the services below are synchronous. It also starts and
stops background work with the server's lifespan.

While the root key is sealed every API request gets HTTP 503 (AWS's
ServiceUnavailable shapes) and /health says so. The operator endpoint
(`POST /_strongroom/operator/{status,seal,unseal}`) answers loopback clients only,
and only with the token the server wrote to `<data-dir>/operator.token` (mode 0600):
whoever can read the data directory can seal and unseal, nobody else.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import partial
from typing import Any

from strongroom.audit.trail import Ticket
from strongroom.auth.sigv4 import HttpRequest
from strongroom.core.errors import StrongroomError
from strongroom.keys.seal import RootKeyHolder, SealMode, SealStatus, ShareInvalid, UnsealFailed
from strongroom.protocol.credential import claimed_later
from strongroom.protocol.json11 import CONTENT_TYPE as JSON11_CONTENT_TYPE
from strongroom.protocol.json11 import ClientFacts, HttpResponse, audited
from strongroom.protocol.query import signing_service
from strongroom.protocol.xml import CONTENT_TYPE as XML_CONTENT_TYPE
from strongroom.protocol.xml import render_error
from strongroom.server.background import Background
from strongroom.server.compose import Application, forget_operator_token
from strongroom.server.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from strongroom.server.metrics import Metrics, query_action

log = logging.getLogger("strongroom.server")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

HEALTH_PATHS = ("/health", "/_strongroom/health")
METRICS_PATH = "/metrics"
OPERATOR_PREFIX = "/_strongroom/operator/"
OPERATOR_HEADER = "x-strongroom-operator-token"
SEALED_MESSAGE = ("strongroom is sealed; an operator must unseal it "
                  "(strongroom operator unseal).")
DRAIN_SECONDS = 10.0
INVOKE_THREADS = 32  # synchronous Lambda invocations waiting at once


class BodyTooLarge(Exception):
    pass


def _expire(durable: asyncio.Future[bool]) -> None:
    """An audit record's deadline passed: its reply becomes the 503 fallback."""
    if not durable.done():
        durable.set_result(False)


def _deliver(done: asyncio.Future[tuple[HttpResponse, bool | None]], response: HttpResponse,
             durable: bool | None) -> None:
    """On the loop: a worker's response, with whether its record is durable (None: not
    known here; see `_durable`)."""
    if not done.done():  # cancelled: the client went away
        done.set_result((response, durable))


def _fail(done: asyncio.Future[Any], exc: BaseException) -> None:
    if not done.done():
        done.set_exception(exc)


def _json_response(status: int, payload: dict[str, Any], extra: tuple[tuple[str, str], ...] = ()
                   ) -> HttpResponse:
    return HttpResponse(
        status, (("content-type", "application/json"), *extra), json.dumps(payload).encode())


def _sealed_json() -> HttpResponse:
    request_id = str(uuid.uuid4())
    body = {"__type": "ServiceUnavailableException", "message": SEALED_MESSAGE}
    return HttpResponse(503, (("content-type", JSON11_CONTENT_TYPE),
                              ("x-amzn-RequestId", request_id),
                              ("x-amzn-ErrorType", "ServiceUnavailableException")),
                        json.dumps(body).encode())


def _sealed_xml(namespace: str) -> HttpResponse:
    request_id = str(uuid.uuid4())
    return HttpResponse(503, (("content-type", XML_CONTENT_TYPE), ("x-amzn-RequestId", request_id)),
                        render_error(namespace, "ServiceUnavailable", SEALED_MESSAGE, request_id,
                                     sender=False))


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _unseal(holder: RootKeyHolder, request: dict[str, Any]) -> SealStatus:
    """One unseal step from the operator's request: a share, a passphrase, or (file mode)
    nothing — the key file is read again."""
    share, passphrase = request.get("share"), request.get("passphrase")
    if isinstance(share, str) and share:
        return holder.submit_share(share)
    if isinstance(passphrase, str) and passphrase:
        return holder.unseal_with_passphrase(passphrase)
    if holder.mode is SealMode.FILE:
        return holder.unseal_from_file()
    if holder.sealed:
        raise UnsealFailed(f"this data directory is sealed in {holder.mode} mode: give a "
                           + ("share" if holder.mode is SealMode.SHAMIR else "passphrase"))
    return holder.status()


class StrongroomApp:
    def __init__(self, application: Application) -> None:
        self.application = application
        self._pool = ThreadPoolExecutor(
            max_workers=application.config.worker_threads, thread_name_prefix="strongroom")
        # Invoke waits for a function that may call this server back: on the request
        # workers, a few concurrent invocations would take every worker and their callbacks
        # none would be left (each invocation is its own process; these threads only wait).
        self._invocations = ThreadPoolExecutor(
            max_workers=INVOKE_THREADS, thread_name_prefix="strongroom-invoke")
        self._background = Background(application)
        self._limit = application.config.max_body_bytes
        self._in_flight = 0  # API requests on the pool; touched only on the event loop
        self._trail = application.trail
        self._metrics = Metrics(
            lambda: application.holder.sealed,
            application.dispatcher.stats if application.dispatcher is not None else None,
            audit=self._trail.stats)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        response = await self._http(scope, receive)
        await send({
            "type": "http.response.start",
            "status": response.status,
            "headers": [(k.encode(), v.encode()) for k, v in response.headers]
            + [(b"content-length", str(len(response.body)).encode())],
        })
        await send({"type": "http.response.body", "body": response.body})

    async def _http(self, scope: Scope, receive: Receive) -> HttpResponse:
        method = scope["method"]
        path = scope.get("raw_path") or scope["path"].encode()
        path_text = path.decode("latin-1") if isinstance(path, bytes) else str(path)
        headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"])
        if method == "GET" and path_text == METRICS_PATH:
            return HttpResponse(200, (("content-type", METRICS_CONTENT_TYPE),),
                                self._metrics.render())
        if method == "GET" and path_text in HEALTH_PATHS:
            sealed = self.application.holder.sealed
            return _json_response(200, {"status": "sealed" if sealed else "ok",
                                        "sealed": sealed})
        client = scope.get("client") or ("", 0)
        try:
            body = await self._read_body(receive)
        except BodyTooLarge:
            too_large = _json_response(413, {
                "__type": "RequestEntityTooLargeException",
                "message": f"Request body must be at most {self._limit} bytes.",
            }, (("x-amzn-ErrorType", "RequestEntityTooLargeException"),
                ("x-amzn-RequestId", str(uuid.uuid4()))))
            target = next((v for k, v in headers if k.lower() == "x-amz-target"), "")
            return await self._refused(too_large, HttpRequest(
                method=method, path=path_text, query=scope.get("query_string", b"").decode(
                    "latin-1"), headers=headers, body=b""), client[0],
                target.rpartition(".")[2], self.application.json11.signing_name(target))
        if path_text.startswith(OPERATOR_PREFIX):
            return await self._operator(scope, method, path_text[len(OPERATOR_PREFIX):],
                                        headers, body)
        request = HttpRequest(
            method=method, path=path_text,
            query=scope.get("query_string", b"").decode("latin-1"), headers=headers, body=body,
        )
        target = next((v for k, v in headers if k.lower() == "x-amz-target"), "")
        facts = ClientFacts(source_ip=client[0], secure_transport=scope.get("scheme") == "https")
        json11 = self.application.json11
        loop = asyncio.get_running_loop()
        if method == "POST" and target:
            if self.application.holder.sealed:
                return await self._refused(_sealed_json(), request, client[0],
                                           target.rpartition(".")[2], json11.signing_name(target))
            prefix, _, operation = target.rpartition(".")  # CloudTrail's has dots
            return await self._measured(prefix.rpartition(".")[2], operation[:64], self._on_pool(
                loop, json11.handle, request, target, facts))
        restjson = self.application.restjson
        rest = restjson.match(method, path_text)
        if rest is not None:  # rest-json (Lambda): addressed by method and path
            if self.application.holder.sealed:
                return await self._refused(_sealed_json(), request, client[0], rest.operation,
                                           rest.service.model.signing_name)
            pool = self._invocations if rest.operation == "Invoke" else None
            return await self._measured(rest.service.model.signing_name, rest.operation,
                                        self._on_pool(loop, restjson.handle, request, rest,
                                                      facts, pool=pool))
        query = self.application.query
        service = query.service_for(signing_service(request) or "") or query.service_for(
            next((v for k, v in headers if k.lower() == "host"), ""))
        if service is not None and method in ("POST", "GET"):
            if self.application.holder.sealed:
                return await self._refused(
                    _sealed_xml(service.xml_namespace), request, client[0],
                    query_action(body, request.query), service.model.signing_name)
            return await self._measured(
                service.model.signing_name, query_action(body, request.query),
                self._on_pool(loop, query.handle, request, service, facts))
        if self.application.holder.sealed:
            return await self._refused(_sealed_json(), request, client[0], "")
        return await self._durable(json11.error_for_unroutable(request, facts))

    async def _refused(self, response: HttpResponse, request: HttpRequest, source_ip: str,
                       operation: str, service: str | None = None) -> HttpResponse:
        """A call answered before any protocol adapter saw it (sealed, body too large) is
        recorded too; if its record cannot be written it is refused all the same."""
        request_id = next((v for k, v in response.headers if k.lower() == "x-amzn-requestid"),
                          str(uuid.uuid4()))
        code = next((v for k, v in response.headers if k.lower() == "x-amzn-errortype"),
                    "ServiceUnavailable")
        call = self._trail.begin(
            request_id, service=service or signing_service(request), operation=operation,
            source_ip=source_ip, user_agent=next(
                (v for k, v in request.headers if k.lower() == "user-agent"), ""),
            claimed=claimed_later(request))
        call.failed(code, SEALED_MESSAGE if response.status == 503 else "Request too large")
        return await self._durable(audited(call, response, lambda _: response))

    async def _durable(self, response: HttpResponse) -> HttpResponse:
        """The response once its audit record is durable; its 503 fallback if the record
        failed or is not durable in time. Waits on the event loop, so worker threads are
        free meanwhile and the records of many requests share one commit."""
        pending, fallback = response.pending, response.fallback
        if pending is None or fallback is None:
            return response
        loop = asyncio.get_running_loop()
        durable = pending.watch(loop)
        if not durable.done():
            timer = loop.call_later(pending.remaining(), _expire, durable)
            try:
                await durable
            finally:
                timer.cancel()
        return self._settled(response, durable.result())  # False: failed, or too late

    async def _measured(self, service: str, operation: str,
                        call: Awaitable[HttpResponse]) -> HttpResponse:
        started = time.perf_counter()
        response = await call  # `_on_pool`'s: settled already
        error = next((v for k, v in response.headers if k.lower() == "x-amzn-errortype"), "")
        self._metrics.observe(service, operation, response.status, error,
                              time.perf_counter() - started)
        return response

    async def _on_pool(self, loop: asyncio.AbstractEventLoop, handler: Callable[..., HttpResponse],
                       *args: Any, pool: ThreadPoolExecutor | None = None) -> HttpResponse:
        """Run `handler(*args)` on a worker thread; its response once its audit record is
        durable (else its 503 fallback). A response that waits for its record is handed
        back by the audit writer, with the rest of its batch, so the loop is woken once
        per batch rather than once when the worker ends and again when the record is
        durable."""
        self._in_flight += 1
        # The request pool's calls are short: the audit writer may wait for their records
        # (a ticket each) to commit them in one batch. Invocations may take minutes: not.
        ticket = self._trail.ticket() if pool is None else None
        done: asyncio.Future[tuple[HttpResponse, bool | None]] = loop.create_future()
        try:
            (pool or self._pool).submit(self._work, loop, done, ticket, handler, args)
            response, durable = await done
        finally:
            if ticket is not None:
                ticket.close()  # if the worker never ran it
            self._in_flight -= 1
        if durable is None:  # nothing to wait for, or settled before the writer could tell
            return await self._durable(response)
        return self._settled(response, durable)

    def _work(self, loop: asyncio.AbstractEventLoop,
              done: asyncio.Future[tuple[HttpResponse, bool | None]], ticket: Ticket | None,
              handler: Callable[..., HttpResponse], args: tuple[Any, ...]) -> None:
        """On a worker thread: handle the request, then let the audit writer tell the loop
        once its record is durable, or tell the loop now if there is nothing to wait for."""
        try:
            response = self._trail.handle(ticket, handler, *args)
        except BaseException as exc:  # the adapters answer every error; this is a bug
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits
                loop.call_soon_threadsafe(_fail, done, exc)
            raise
        pending = response.pending
        if pending is not None and pending.notify(loop, partial(_deliver, done, response)):
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_deliver, done, response, None)

    def _settled(self, response: HttpResponse, durable: bool) -> HttpResponse:
        """`response` to send once its record settled: itself if durable, else its 503."""
        if durable or response.pending is None or response.fallback is None:
            return replace(response, pending=None, fallback=None)
        response.pending.abandon()
        self._trail.note_unavailable()
        return response.fallback()

    async def _operator(self, scope: Scope, method: str, action: str,
                        headers: tuple[tuple[str, str], ...], body: bytes) -> HttpResponse:
        client = scope.get("client") or ("", 0)
        if not _is_loopback(client[0]):
            return _json_response(404, {"error": "not found"})
        given = next((v for k, v in headers if k.lower() == OPERATOR_HEADER), "")
        expected = self.application.operator_token
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return _json_response(401, {"error": "operator token missing or wrong (read it "
                                        "from <data-dir>/operator.token)"})
        if method != "POST" or action not in ("status", "seal", "unseal"):
            return _json_response(404, {"error": "unknown operator action"})
        holder = self.application.holder
        try:
            request = json.loads(body or b"{}")
            if not isinstance(request, dict):
                raise ValueError("body")
        except ValueError:
            return _json_response(400, {"error": "the body must be a JSON object"})
        try:
            if action == "seal":
                status = holder.seal()
                log.warning("sealed by an operator")
                await self._drain()
                holder.root.forget_derived()  # what requests in flight may have cached again
            elif action == "unseal":
                status = await asyncio.get_running_loop().run_in_executor(
                    None, _unseal, holder, request)
                if not status.sealed:
                    log.warning("unsealed by an operator")
            else:
                status = holder.status()
        except (UnsealFailed, ShareInvalid) as exc:
            return _json_response(400, {"error": exc.reason, **holder.status().to_json()})
        except StrongroomError as exc:
            return _json_response(400, {"error": str(exc), **holder.status().to_json()})
        return _json_response(200, status.to_json())

    async def _drain(self) -> None:
        """Wait (bounded) for API requests already past the seal check to finish."""
        deadline = time.monotonic() + DRAIN_SECONDS
        while self._in_flight and time.monotonic() < deadline:
            await asyncio.sleep(0.01)

    async def _read_body(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self._limit:
                raise BodyTooLarge()
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        return b"".join(chunks)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._background.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self._background.stop()
                self._pool.shutdown(wait=True)
                self._invocations.shutdown(wait=True)
                self._trail.close()  # writes what is queued: those calls got no reply yet
                self.application.store.close()
                forget_operator_token(self.application)
                await send({"type": "lifespan.shutdown.complete"})
                return
