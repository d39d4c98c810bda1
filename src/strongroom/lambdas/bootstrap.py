"""The function runtime: run as a script (never imported by strongroom) in a child process.

It imports the handler named by `_HANDLER` from `LAMBDA_TASK_ROOT` (the unpacked
package, first on sys.path), builds a Lambda-like context, reads the event (JSON) from
stdin, calls the handler and writes the outcome as one JSON document to the file
descriptor given as its first argument: {"ok": true, "result": ...} or
{"ok": false, "error": <Lambda's error document>}. stdout and stderr belong to the
function (they are its log). It imports only the standard library, so it works from
any working directory and whatever strongroom's own layout.

Usage: python -I bootstrap.py <result-fd> <request-id> <deadline-epoch-ms> <function-arn>
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import time
import traceback
from typing import Any


class LambdaContext:
    """The attributes and method of the context object Lambda's Python runtime passes."""

    def __init__(self, request_id: str, deadline_ms: int, invoked_arn: str) -> None:
        self.aws_request_id = request_id
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = invoked_arn
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))

    def __repr__(self) -> str:
        return (f"LambdaContext([aws_request_id={self.aws_request_id},"
                f"function_name={self.function_name},"
                f"function_version={self.function_version}])")


def _error(message: str, error_type: str, request_id: str,
           stack: list[str] | None = None) -> dict[str, Any]:
    return {"errorMessage": message, "errorType": error_type, "requestId": request_id,
            "stackTrace": stack or []}


def _load_handler(spec: str, request_id: str) -> tuple[Any, dict[str, Any] | None]:
    """The handler callable, or Lambda's error document for why it cannot be loaded."""
    try:
        module_path, function_name = spec.rsplit(".", 1)
    except ValueError as exc:
        return None, _error(f"Bad handler '{spec}': {exc}", "Runtime.MalformedHandlerName",
                            request_id)
    module_name = module_path.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        return None, _error(f"Unable to import module '{module_name}': {exc}",
                            "Runtime.ImportModuleError", request_id)
    except SyntaxError as exc:
        return None, _error(f"Syntax error in module '{module_name}': {exc}",
                            "Runtime.UserCodeSyntaxError", request_id)
    except Exception as exc:
        return None, _failure(exc, request_id)
    handler = getattr(module, function_name, None)
    if handler is None:
        return None, _error(f"Handler '{function_name}' missing on module '{module_name}'",
                            "Runtime.HandlerNotFound", request_id)
    return handler, None


def _failure(exc: BaseException, request_id: str) -> dict[str, Any]:
    frames = traceback.extract_tb(exc.__traceback__)[1:]  # drop the runtime's own frame
    error_type = type(exc).__name__
    print(f"[ERROR] {error_type}: {exc}", file=sys.stderr)
    traceback.print_exception(exc, file=sys.stderr)
    return _error(str(exc), error_type, request_id, traceback.format_list(frames))


class _RequestId(logging.Filter):
    def __init__(self, request_id: str) -> None:
        super().__init__()
        self.request_id = request_id

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


def _lambda_logging(request_id: str) -> None:
    """What Lambda's Python runtime does: a handler on the root logger writing each record
    to the log as `[LEVEL]\t<UTC time>Z\t<request id>\t<message>`, so functions that only
    set a level on `logging.getLogger()` (AWS's rotation templates) are heard."""
    formatter = logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
        "%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    handler.addFilter(_RequestId(request_id))
    logging.getLogger().addHandler(handler)


def main() -> int:
    result_fd, request_id, deadline_ms = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    invoked_arn = sys.argv[4]
    result = os.fdopen(result_fd, "w", encoding="utf-8")
    os.set_inheritable(result_fd, False)
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(line_buffering=True)
    _lambda_logging(request_id)
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    sys.path.insert(0, task_root)
    raw = sys.stdin.buffer.read()
    try:
        event = json.loads(raw) if raw.strip() else {}
    except ValueError:
        event = {}
    outcome: dict[str, Any]
    handler, problem = _load_handler(os.environ.get("_HANDLER", ""), request_id)
    if problem is not None:
        print(f"[ERROR] {problem['errorType']}: {problem['errorMessage']}", file=sys.stderr)
        outcome = {"ok": False, "error": problem}
    else:
        try:
            value = handler(event, LambdaContext(request_id, deadline_ms, invoked_arn))
        except Exception as exc:
            outcome = {"ok": False, "error": _failure(exc, request_id)}
        else:
            try:
                outcome = {"ok": True, "result": json.loads(json.dumps(value))}
            except (TypeError, ValueError) as exc:
                problem = _error(f"Unable to marshal response: {exc}",
                                 "Runtime.MarshalError", request_id)
                print(f"[ERROR] Runtime.MarshalError: {problem['errorMessage']}",
                      file=sys.stderr)
                outcome = {"ok": False, "error": problem}
    sys.stdout.flush()
    sys.stderr.flush()
    json.dump(outcome, result)
    result.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
