"""The ASGI application: one port for every API, plus a health endpoint.

It reads the request (bounded), picks the protocol adapter, and runs it on a
worker thread, because the services below are synchronous. It also starts and
stops background work with the server's lifespan.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from strongroom.auth.sigv4 import HttpRequest
from strongroom.protocol.json11 import ClientFacts, HttpResponse
from strongroom.protocol.query import signing_service
from strongroom.server.background import Background
from strongroom.server.compose import Application

log = logging.getLogger("strongroom.server")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

HEALTH_PATHS = ("/health", "/_strongroom/health")


class BodyTooLarge(Exception):
    pass


def _json_response(status: int, payload: dict[str, Any], extra: tuple[tuple[str, str], ...] = ()
                   ) -> HttpResponse:
    return HttpResponse(
        status, (("content-type", "application/json"), *extra), json.dumps(payload).encode())


class StrongroomApp:
    def __init__(self, application: Application) -> None:
        self.application = application
        self._pool = ThreadPoolExecutor(
            max_workers=application.config.worker_threads, thread_name_prefix="strongroom")
        self._background = Background(application)
        self._limit = application.config.max_body_bytes

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
        if method == "GET" and path_text in HEALTH_PATHS:
            return _json_response(200, {"status": "ok", "sealed": False})
        try:
            body = await self._read_body(receive)
        except BodyTooLarge:
            return _json_response(413, {
                "__type": "RequestEntityTooLargeException",
                "message": f"Request body must be at most {self._limit} bytes.",
            }, (("x-amzn-ErrorType", "RequestEntityTooLargeException"),))
        request = HttpRequest(
            method=method, path=path_text,
            query=scope.get("query_string", b"").decode("latin-1"), headers=headers, body=body,
        )
        target = next((v for k, v in headers if k.lower() == "x-amz-target"), "")
        client = scope.get("client") or ("", 0)
        facts = ClientFacts(source_ip=client[0], secure_transport=scope.get("scheme") == "https")
        json11 = self.application.json11
        loop = asyncio.get_running_loop()
        if method == "POST" and target:
            return await loop.run_in_executor(self._pool, json11.handle, request, target, facts)
        query = self.application.query
        service = query.service_for(signing_service(request) or "") or query.service_for(
            next((v for k, v in headers if k.lower() == "host"), ""))
        if service is not None and method in ("POST", "GET"):
            return await loop.run_in_executor(self._pool, query.handle, request, service, facts)
        return json11.error_for_unroutable(method, path_text)

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
                self.application.store.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
