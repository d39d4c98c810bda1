"""Publishing one event to a NATS subject: just enough of the client protocol, over TCP.

Core NATS: CONNECT, PUB, then PING — the server's PONG says it took the PUB (an `-ERR`
says it did not). Core NATS hands a message only to subscribers connected at that
moment; for durable delivery, capture the subject in a JetStream stream and subscribe
with `jetstream`: the event is then published with a reply inbox and the `Nats-Msg-Id`
header (the event id, which JetStream de-duplicates on), and counts as delivered only
when the stream acknowledges it. No TLS: use it on a trusted network or loopback.
"""

from __future__ import annotations

import json
import socket
import uuid
from urllib.parse import unquote, urlsplit

from strongroom.notify.errors import DeliveryFailed
from strongroom.notify.model import NatsTarget

_CRLF = b"\r\n"
_MAX_LINE = 64 * 1024


class _Lines:
    """Reads CRLF-terminated protocol lines and sized payloads from a socket."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = b""

    def _fill(self) -> None:
        chunk = self._sock.recv(65536)
        if not chunk:
            raise DeliveryFailed("the NATS server closed the connection")
        self._buffer += chunk

    def line(self) -> bytes:
        while _CRLF not in self._buffer:
            if len(self._buffer) > _MAX_LINE:
                raise DeliveryFailed("the NATS server sent an over-long line")
            self._fill()
        line, _, self._buffer = self._buffer.partition(_CRLF)
        return line

    def payload(self, size: int) -> bytes:
        while len(self._buffer) < size + 2:
            self._fill()
        data, self._buffer = self._buffer[:size], self._buffer[size + 2:]
        return data


def _connect_options(target: NatsTarget, info: dict[str, object]) -> dict[str, object]:
    options: dict[str, object] = {"verbose": False, "pedantic": False, "lang": "python",
                                  "version": "strongroom", "protocol": 1,
                                  "headers": True, "no_responders": True}
    parts = urlsplit(target.url)
    if parts.username and parts.password is not None:
        options["user"], options["pass"] = unquote(parts.username), unquote(parts.password)
    elif parts.username:
        options["auth_token"] = unquote(parts.username)
    if info.get("tls_required"):
        raise DeliveryFailed("the NATS server requires TLS, which strongroom's client does "
                             "not speak")
    return options


def publish(target: NatsTarget, payload: bytes, *, event_id: str, timeout: float) -> None:
    """Publish and wait for the server (core) or the stream (JetStream) to confirm."""
    host, port = target.address()
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            lines = _Lines(sock)
            first = lines.line()
            if not first.startswith(b"INFO "):
                raise DeliveryFailed("not a NATS server")
            info = json.loads(first[5:])
            max_payload = int(info.get("max_payload", 1024 * 1024))
            if len(payload) > max_payload:
                raise DeliveryFailed(f"the event ({len(payload)} bytes) exceeds the NATS "
                                     f"server's max_payload ({max_payload})")
            options = _connect_options(target, info)
            out = b"CONNECT " + json.dumps(options).encode() + _CRLF
            subject = target.subject.encode()
            if target.jetstream:
                inbox = f"_INBOX.strongroom.{uuid.uuid4().hex}".encode()
                headers = f"NATS/1.0\r\nNats-Msg-Id: {event_id}\r\n\r\n".encode()
                out += b"SUB " + inbox + b" 1" + _CRLF
                out += (b"HPUB " + subject + b" " + inbox + b" " + str(len(headers)).encode()
                        + b" " + str(len(headers) + len(payload)).encode() + _CRLF
                        + headers + payload + _CRLF)
            else:
                out += (b"PUB " + subject + b" " + str(len(payload)).encode() + _CRLF
                        + payload + _CRLF)
            sock.sendall(out + b"PING" + _CRLF)
            _await_confirmation(sock, lines, jetstream=target.jetstream)
    except DeliveryFailed:
        raise
    except (OSError, ValueError) as exc:
        raise DeliveryFailed(f"nats://{host}:{port}: {type(exc).__name__}: {exc}") from None


def _await_confirmation(sock: socket.socket, lines: _Lines, *, jetstream: bool) -> None:
    while True:
        line = lines.line()
        if line == b"PING":
            sock.sendall(b"PONG" + _CRLF)
        elif line == b"PONG" and not jetstream:
            return
        elif line.startswith(b"-ERR"):
            raise DeliveryFailed(f"the NATS server refused: {line[5:].decode(errors='replace')}")
        elif line.startswith((b"MSG ", b"HMSG ")):
            _jetstream_answer(line, lines)
            return
        # anything else (+OK, a new INFO) needs no answer


def _jetstream_answer(line: bytes, lines: _Lines) -> None:
    """MSG <subject> <sid> <size> (or HMSG ... <header size> <size>): the stream's ack
    (`{"stream": ..., "seq": ...}`), its error, or a 503 "no responders" status."""
    fields = line.split()
    size = int(fields[-1])
    body = lines.payload(size)
    if line.startswith(b"HMSG "):
        header_size = int(fields[-2])
        status = body[:header_size].split(_CRLF, 1)[0]
        if b" 503" in status:
            raise DeliveryFailed("no JetStream stream captures this subject")
        body = body[header_size:]
    try:
        answer = json.loads(body or b"{}")
    except ValueError as exc:
        raise DeliveryFailed("JetStream answered with something that is not JSON") from exc
    if not isinstance(answer, dict) or "error" in answer or "stream" not in answer:
        error = answer.get("error") if isinstance(answer, dict) else None
        raise DeliveryFailed(f"JetStream did not store the event: {error}")
