"""Running one invocation: a child process of the server's own interpreter.

The child runs `bootstrap.py` in isolated mode (-I: no PYTHON* variables, no user site,
no script directory on sys.path) with exactly the environment it is given, in its own
process group, in the unpacked package directory. Its stdout and stderr are the log
(capped); the outcome comes back on a separate pipe the function's prints cannot reach
by accident. At the timeout the whole process group is killed. Nothing here logs the
event, the environment or the result.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from strongroom.lambdas.model import LATEST

BOOTSTRAP = str(Path(__file__).with_name("bootstrap.py"))
LOG_CAP = 64 * 1024  # bytes of function output kept per invocation
RESULT_CAP = 6 * 1024 * 1024  # Lambda's synchronous response payload limit
_JOIN_SECONDS = 5.0


@dataclass(frozen=True)
class RunSpec:
    request_id: str
    function_arn: str
    code_dir: Path
    timeout: int
    memory_size: int
    environment: Mapping[str, str]
    event: bytes


@dataclass(frozen=True)
class RunResult:
    ok: bool
    payload: bytes  # the handler's result as JSON, or Lambda's error document
    error_type: str | None
    log: str
    started: float
    duration_ms: float


class _Capped:
    """Reads a stream to its end, keeping the first `cap` bytes (then a marker)."""

    def __init__(self, stream: IO[bytes], cap: int) -> None:
        self.data = bytearray()
        self.truncated = False
        self._stream = stream
        self._cap = cap
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            while chunk := self._stream.read1(65536):  # type: ignore[attr-defined]
                room = self._cap - len(self.data)
                if room > 0:
                    self.data += chunk[:room]
                if len(chunk) > room:
                    self.truncated = True
        except (OSError, ValueError):
            pass
        finally:
            self._stream.close()


def _feed(stream: IO[bytes], data: bytes) -> None:
    try:
        stream.write(data)
    except (BrokenPipeError, OSError, ValueError):
        pass
    finally:
        with contextlib.suppress(OSError):
            stream.close()


def _error_document(message: str, error_type: str) -> bytes:
    return json.dumps({"errorMessage": message, "errorType": error_type}).encode()


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def run(spec: RunSpec) -> RunResult:
    """Run the function once and wait for it (at most its timeout, plus a little)."""
    started_wall = time.time()
    started = time.monotonic()
    deadline_ms = int((started_wall + spec.timeout) * 1000)
    read_end, write_end = os.pipe()
    try:
        process = subprocess.Popen(  # noqa: S603 - our interpreter and our bootstrap
            [sys.executable, "-I", BOOTSTRAP, str(write_end), spec.request_id,
             str(deadline_ms), spec.function_arn],
            cwd=spec.code_dir, env=dict(spec.environment), stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, pass_fds=(write_end,),
            start_new_session=True, close_fds=True,
        )
    except OSError:
        os.close(read_end)
        os.close(write_end)
        raise
    os.close(write_end)
    if process.stdin is None or process.stdout is None:  # cannot happen: PIPE was asked for
        raise RuntimeError("the function process has no pipes")
    output = _Capped(process.stdout, LOG_CAP)
    result = _Capped(os.fdopen(read_end, "rb"), RESULT_CAP)
    feeder = threading.Thread(target=_feed, args=(process.stdin, spec.event), daemon=True)
    feeder.start()
    timed_out = False
    try:
        process.wait(timeout=spec.timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
    _kill_group(process.pid)  # the function's stray children end with it, as in Lambda
    process.wait()
    duration_ms = (time.monotonic() - started) * 1000
    for reader in (output.thread, result.thread, feeder):
        reader.join(_JOIN_SECONDS)
    return _outcome(spec, process.returncode, timed_out, output, result, started_wall,
                    duration_ms)


def _outcome(spec: RunSpec, returncode: int, timed_out: bool, output: _Capped,
             result: _Capped, started: float, duration_ms: float) -> RunResult:
    rid = spec.request_id
    lines = [f"START RequestId: {rid} Version: {LATEST}\n"]
    text = output.data.decode("utf-8", errors="replace")
    if text:
        lines.append(text if text.endswith("\n") else text + "\n")
    if output.truncated:
        lines.append(f"[strongroom] log truncated after {LOG_CAP} bytes\n")
    ok, payload, error_type = False, b"", None
    if timed_out:
        # Lambda's newer runtimes answer {"errorType": "Sandbox.Timedout", "errorMessage":
        # "RequestId: <id> Error: Task timed out after 3.00 seconds"}. UNCONFIRMED: older
        # ones gave only errorMessage "<time> <id> Task timed out after 3.00 seconds".
        stamp = datetime.fromtimestamp(started + duration_ms / 1000, tz=UTC)
        lines.append(f"{stamp.strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3]}Z {rid} "
                     f"Task timed out after {spec.timeout:.2f} seconds\n")
        error_type = "Sandbox.Timedout"
        payload = _error_document(
            f"RequestId: {rid} Error: Task timed out after {spec.timeout:.2f} seconds",
            error_type)
    else:
        try:
            document = json.loads(bytes(result.data)) if not result.truncated else None
        except ValueError:
            document = None
        if isinstance(document, dict) and document.get("ok") is True:
            ok, payload = True, json.dumps(document.get("result")).encode()
        elif isinstance(document, dict) and isinstance(document.get("error"), dict):
            error = document["error"]
            error_type = str(error.get("errorType") or "Unhandled")
            payload = json.dumps(error).encode()
        elif result.truncated:
            error_type = "Function.ResponseSizeTooLarge"  # UNCONFIRMED text below
            payload = _error_document(
                f"Response payload size exceeded maximum allowed payload size "
                f"({RESULT_CAP} bytes).", error_type)
        else:
            status = (f"signal: {signal.Signals(-returncode).name}" if returncode < 0
                      else f"exit status {returncode}")
            error_type = "Runtime.ExitError"
            payload = _error_document(
                f"RequestId: {rid} Error: Runtime exited with error: {status}", error_type)
            lines.append(f"RequestId: {rid} Error: Runtime exited with error: {status}\n"
                         f"Runtime.ExitError\n")
    lines.append(f"END RequestId: {rid}\n")
    lines.append(f"REPORT RequestId: {rid}\tDuration: {duration_ms:.2f} ms\t"
                 f"Billed Duration: {math.ceil(duration_ms)} ms\t"
                 f"Memory Size: {spec.memory_size} MB\t\n")
    return RunResult(ok, payload, error_type, "".join(lines), started, duration_ms)
