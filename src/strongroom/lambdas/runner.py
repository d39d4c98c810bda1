"""Running one invocation: a child process of the server's interpreter (or the one the
sandbox names).

The child runs `bootstrap.py` in isolated mode (-I: no PYTHON* variables, no user site,
no script directory on sys.path) with exactly the environment it is given, in its own
process group, in the unpacked package directory, with a private TMPDIR removed
afterwards and resource limits (no core dumps, 1024 files, address space from its
MemorySize). When the sandbox names a user (the server runs as root), the child runs as
that user with no supplementary groups, and the code is made readable — never writable —
for it. Its stdout and stderr are the log (capped); the outcome comes back on a separate
pipe the function's prints cannot reach by accident. At the timeout the whole process
group is killed. Nothing here logs the event, the environment or the result.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from strongroom.lambdas.model import LATEST

BOOTSTRAP = str(Path(__file__).with_name("bootstrap.py"))
LOG_CAP = 64 * 1024  # bytes of function output kept per invocation
RESULT_CAP = 6 * 1024 * 1024  # Lambda's synchronous response payload limit
_JOIN_SECONDS = 5.0
OPEN_FILES = 1024  # Lambda's file descriptor limit
# Address space on top of MemorySize: the interpreter, shared libraries and thread stacks
# are mapped, not used (python + boto3 peaks near 50 MB of virtual memory; psycopg's
# libpq and OpenSSL add some). Measured 2026-11 on CPython 3.11.
ADDRESS_SPACE_HEADROOM_MB = 512
_SHARED_DIR_MODE = 0o755
LAMBDA_CA_BUNDLE = "/etc/pki/tls/cert.pem"  # Amazon Linux's, which Lambda functions see
HOST_CA_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
                   "/etc/ssl/cert.pem")


@dataclass(frozen=True)
class Sandbox:
    """How invocations are confined. `uid`/`gid` set (only when the server runs as root):
    every function runs as that user, without supplementary groups. `python` is the
    interpreter functions run on; the function user must be able to run it."""

    python: str = field(default_factory=lambda: sys.executable)
    uid: int | None = None
    gid: int | None = None


def user_sandbox(user: str, python: str | None = None) -> Sandbox:
    """The sandbox running functions as `user` (a name or a numeric uid); KeyError if the
    system has no such user."""
    entry = pwd.getpwuid(int(user)) if user.isdigit() else pwd.getpwnam(user)
    if entry.pw_uid == 0:
        raise KeyError(f"{user} is root")
    return Sandbox(python=python or sys.executable, uid=entry.pw_uid, gid=entry.pw_gid)


def sandbox_problem(sandbox: Sandbox) -> str | None:
    """Why the sandbox cannot start a function (the interpreter unreadable for its user,
    say, as under /root), or None when a trivial child starts."""
    try:
        done = subprocess.run(  # noqa: S603 - our interpreter, a fixed statement
            [sandbox.python, "-I", "-c", "import json, ssl"], env={"LANG": "C.UTF-8"},
            cwd="/", capture_output=True, timeout=30, check=False,
            **_user_arguments(sandbox))
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{type(exc).__name__}: {exc}"
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
        return lines[-1] if lines else f"exit status {done.returncode}"
    return None


def _user_arguments(sandbox: Sandbox | None) -> dict[str, Any]:
    if sandbox is None or sandbox.uid is None:
        return {}
    return {"user": sandbox.uid, "group": sandbox.gid, "extra_groups": []}


def log_stream_name(started: float, request_id: str) -> str:
    """Lambda's stream name, `2024/01/01/[$LATEST]<32 hex>`: one stream per invocation
    here (each runs in a fresh process), named from its start day and request id so the
    name can be derived again from the recorded invocation."""
    day = datetime.fromtimestamp(started, tz=UTC).strftime("%Y/%m/%d")
    try:
        suffix = uuid.UUID(request_id).hex
    except ValueError:
        suffix = hashlib.sha256(request_id.encode()).hexdigest()[:32]
    return f"{day}/[{LATEST}]{suffix}"


@dataclass(frozen=True)
class RunSpec:
    request_id: str
    function_arn: str
    code_dir: Path
    timeout: int
    memory_size: int
    environment: Mapping[str, str]
    event: bytes
    sandbox: Sandbox | None = None  # None: the server's interpreter and user


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


def _share_code(code_dir: Path) -> None:
    """Let the function user read (never write) the unpacked code: directories 0755,
    files 0644 or 0755, all still owned by the server. The package directory's own mode
    is set last and marks the work as done (unpacking leaves it 0700)."""
    if code_dir.parent.stat().st_mode & 0o777 != _SHARED_DIR_MODE:
        os.chmod(code_dir.parent, _SHARED_DIR_MODE)
    if code_dir.stat().st_mode & 0o777 == _SHARED_DIR_MODE:
        return
    for folder, directories, files in os.walk(code_dir):
        for name in directories:
            os.chmod(os.path.join(folder, name), _SHARED_DIR_MODE)
        for name in files:
            path = os.path.join(folder, name)
            executable = os.lstat(path).st_mode & 0o111
            os.chmod(path, 0o755 if executable else 0o644)
    os.chmod(code_dir, _SHARED_DIR_MODE)


def _scratch(sandbox: Sandbox | None) -> str:
    """A private, empty TMPDIR for one invocation (0700, owned by the function user)."""
    path = tempfile.mkdtemp(prefix="strongroom-fn-")
    if sandbox is not None and sandbox.uid is not None and sandbox.gid is not None:
        os.chown(path, sandbox.uid, sandbox.gid)
    return path


# The child first lowers its own limits and makes itself non-dumpable, then runs the
# bootstrap in the same process.
# (prlimit from the server would need CAP_SYS_RESOURCE once the child is another user,
# and preexec_fn is unsafe in a threaded server.) Lowering a limit needs no privilege.
# When it must give the function Amazon Linux's CA bundle path, it starts as root: it
# mounts an overlay on /etc in a mount namespace of its own, then drops to the function
# user (no supplementary groups) and checks that it did, all before any function code
# is imported (-I: not even the code directory is on sys.path until the bootstrap).
_LAUNCHER = """
import ctypes, os, resource, runpy, sys
libc = ctypes.CDLL(None, use_errno=True)
uid, gid, overlay = int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
if overlay:
    options = f"lowerdir=/etc,upperdir={overlay}/upper,workdir={overlay}/work".encode()
    if (libc.unshare(0x00020000) != 0  # CLONE_NEWNS
            or libc.mount(b"none", b"/", None, 0x4000 | 0x40000, None) != 0  # MS_REC|PRIVATE
            or libc.mount(b"overlay", b"/etc", b"overlay", 0, options) != 0):
        print("[strongroom] could not provide /etc/pki/tls/cert.pem", file=sys.stderr)
if uid >= 0:
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    if os.getresuid() != (uid, uid, uid) or os.getresgid() != (gid, gid, gid) \
            or os.getgroups():
        sys.exit(126)
for name, value in zip(("RLIMIT_CORE", "RLIMIT_NOFILE", "RLIMIT_AS"), sys.argv[1:4]):
    limit = getattr(resource, name)
    hard = resource.getrlimit(limit)[1]
    value = int(value) if hard == resource.RLIM_INFINITY else min(int(value), hard)
    resource.setrlimit(limit, (value, value))
try:  # non-dumpable: other functions (the same user) cannot read its memory or environ
    libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE
except AttributeError:
    pass
del sys.argv[:7]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def _limits(memory_size: int) -> list[str]:
    """RLIMIT_CORE, RLIMIT_NOFILE and RLIMIT_AS for the launcher's arguments."""
    address_space = (memory_size + ADDRESS_SPACE_HEADROOM_MB) * 1024 * 1024
    return ["0", str(OPEN_FILES), str(address_space)]


def _etc_overlay() -> str | None:
    """A directory with the upper and work layers of an overlay on /etc that adds Amazon
    Linux's CA bundle path (AWS's MySQL/MariaDB rotation templates open it for every TLS
    attempt), linked to this host's bundle; None if the host has the path already, or no
    bundle. Made per invocation: an overlay's work directory serves one mount."""
    if os.path.exists(LAMBDA_CA_BUNDLE):
        return None
    bundle = next((p for p in HOST_CA_BUNDLES if os.path.isfile(p)), None)
    if bundle is None:
        return None
    root = tempfile.mkdtemp(prefix="strongroom-etc-")  # 0700, root's: only the mount sees it
    upper = os.path.join(root, "upper")
    tls = os.path.join(upper, "pki", "tls")
    os.makedirs(tls)
    os.mkdir(os.path.join(root, "work"))
    etc = os.stat("/etc")
    for folder in (upper, os.path.join(upper, "pki"), tls):
        os.chmod(folder, etc.st_mode & 0o7777)  # the merged /etc takes the upper's mode
    os.symlink(bundle, os.path.join(tls, "cert.pem"))
    return root


def run(spec: RunSpec) -> RunResult:
    """Run the function once and wait for it (at most its timeout, plus a little)."""
    sandbox = spec.sandbox
    if sandbox is not None and sandbox.uid is not None:
        _share_code(spec.code_dir)
    scratch = _scratch(sandbox)
    overlay = _etc_overlay() if sandbox is not None and sandbox.uid is not None else None
    try:
        return _run(spec, scratch, overlay)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if overlay is not None:
            shutil.rmtree(overlay, ignore_errors=True)


def _run(spec: RunSpec, scratch: str, overlay: str | None) -> RunResult:
    started_wall = time.time()
    started = time.monotonic()
    deadline_ms = int((started_wall + spec.timeout) * 1000)
    environment = {"TMPDIR": scratch, **spec.environment,
                   "AWS_LAMBDA_LOG_STREAM_NAME": log_stream_name(started_wall, spec.request_id)}
    sandbox = spec.sandbox
    python = sandbox.python if sandbox is not None else sys.executable
    if overlay is not None and sandbox is not None and sandbox.uid is not None:
        # the launcher mounts, then drops to the function user itself
        identity = [str(sandbox.uid), str(sandbox.gid), overlay]
        user_arguments: dict[str, Any] = {}
    else:
        identity = ["-1", "-1", ""]
        user_arguments = _user_arguments(sandbox)
    read_end, write_end = os.pipe()
    try:
        process = subprocess.Popen(  # noqa: S603 - our interpreter and our bootstrap
            [python, "-I", "-c", _LAUNCHER, *_limits(spec.memory_size), *identity, BOOTSTRAP,
             str(write_end), spec.request_id, str(deadline_ms), spec.function_arn],
            cwd=spec.code_dir, env=environment, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, pass_fds=(write_end,),
            start_new_session=True, close_fds=True, **user_arguments,
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
