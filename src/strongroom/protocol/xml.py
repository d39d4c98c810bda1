"""XML documents of the AWS query protocol (IAM, STS): operation results and errors.

This module owns the shape of what query services answer: the ``<{Op}Response>``
envelope with the output shape's ``resultWrapper`` and ``ResponseMetadata``, members
written from the botocore model (lists as ``<member>`` children or flattened, maps as
``<entry><key/><value/></entry>``), and the ``<ErrorResponse>`` document. It never
decides which error to report and never touches requests.

Layout follows real responses, which botocore does not need but a byte-for-byte
comparison does: no XML declaration, two-space indentation, a leaf per line, a
trailing newline, ``Content-Type: text/xml`` (IAM ListGroups as captured in the AWS CLI
user guide's troubleshooting page; STS GetCallerIdentity/AssumeRole and error goldens
in justincormack/argmin crates/s3-tests/src/bin/sts_oracle.rs). Timestamps are whole
seconds with ``Z`` (IAM ``<CreateDate>2019-08-12T19:34:04Z</CreateDate>``, same page;
STS ``Expiration`` likewise); fractions are truncated. Empty containers are written as
``<Name/>``. Characters XML 1.0 cannot carry become U+FFFD; ``\\r`` is written as
``&#13;`` so parsers do not fold it into ``\\n``.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "AWS_FAULT_NAMESPACE",
    "CONTENT_TYPE",
    "escape_text",
    "format_timestamp",
    "render_error",
    "render_result",
]

CONTENT_TYPE = "text/xml"
# Dispatch errors (InvalidAction) come from AWS's front door in this namespace, not the
# service's (argmin sts_oracle.rs: "AWSFault error namespace").
AWS_FAULT_NAMESPACE = "http://webservices.amazon.com/AWSFault/2005-15-09"

_INDENT = "  "
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_INTEGERS = frozenset({"byte", "short", "integer", "long"})


def escape_text(text: str) -> str:
    """`text` as XML character data."""
    text = _NOT_XML.sub("\ufffd", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace(
        "\r", "&#13;"
    )


def _attribute(text: str) -> str:
    return escape_text(text).replace('"', "&quot;")


def format_timestamp(value: Any) -> str:
    """ISO 8601 in UTC, whole seconds, ``Z``: a datetime (naive means UTC) or epoch seconds."""
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        moment = moment.astimezone(dt.UTC)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        moment = dt.datetime.fromtimestamp(math.floor(value), dt.UTC)
    else:
        raise TypeError(f"a timestamp must be a datetime or epoch seconds, not {type(value)}")
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z"
    )


def _format_float(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, not {type(value)}")
    number = float(value)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return repr(number)


def _scalar_text(kind: str, value: Any) -> str:
    if kind == "string":
        if not isinstance(value, str):
            raise TypeError(f"expected a string, not {type(value)}")
        return escape_text(value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise TypeError(f"expected a boolean, not {type(value)}")
        return "true" if value else "false"
    if kind in _INTEGERS:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"expected an integer, not {type(value)}")
        return str(value)
    if kind in ("float", "double"):
        return _format_float(value)
    if kind == "timestamp":
        return format_timestamp(value)
    if kind == "blob":
        if isinstance(value, str):
            value = value.encode("utf-8")
        if not isinstance(value, bytes | bytearray | memoryview):
            raise TypeError(f"expected bytes, not {type(value)}")
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"cannot write a {kind} shape")


class _Writer:
    """Appends the lines of one document; shapes are the model's ``shapes`` table."""

    def __init__(self, shapes: Mapping[str, Any]) -> None:
        self.shapes = shapes
        self.lines: list[str] = []

    def open(self, name: str, depth: int) -> None:
        self.lines.append(f"{_INDENT * depth}<{name}>")

    def close(self, name: str, depth: int) -> None:
        self.lines.append(f"{_INDENT * depth}</{name}>")

    def leaf(self, name: str, text: str, depth: int) -> None:
        self.lines.append(f"{_INDENT * depth}<{name}>{text}</{name}>")

    def empty(self, name: str, depth: int) -> None:
        self.lines.append(f"{_INDENT * depth}<{name}/>")

    def members(self, shape: Mapping[str, Any], value: Any, depth: int) -> None:
        """The member elements of a structure value (model member names as keys)."""
        if not isinstance(value, Mapping):
            raise TypeError(f"expected a mapping for a structure, not {type(value)}")
        members: Mapping[str, Any] = shape.get("members", {})
        unknown = [key for key in value if key not in members]
        if unknown:
            raise ValueError(f"result members not in the model: {sorted(map(str, unknown))}")
        for member_name, ref in members.items():
            item = value.get(member_name)
            if item is None:
                continue
            name = ref.get("locationName", member_name)
            target = self.shapes[ref["shape"]]
            if target["type"] == "list" and target.get("flattened"):
                # botocore reads a flattened list under its member's locationName if any.
                self.flat_list(target["member"].get("locationName", name), target, item, depth)
            elif target["type"] == "map" and target.get("flattened"):
                self.flat_map(name, target, item, depth)
            else:
                self.element(name, ref["shape"], item, depth)

    def element(self, name: str, shape_name: str, value: Any, depth: int) -> None:
        shape = self.shapes[shape_name]
        kind = shape["type"]
        if kind == "structure":
            mark = len(self.lines)
            self.open(name, depth)
            self.members(shape, value, depth + 1)
            if len(self.lines) == mark + 1:
                self.lines[mark] = f"{_INDENT * depth}<{name}/>"
            else:
                self.close(name, depth)
        elif kind == "list":
            self.list(name, shape, value, depth)
        elif kind == "map":
            self.map(name, shape, value, depth)
        else:
            self.leaf(name, _scalar_text(kind, value), depth)

    def list(self, name: str, shape: Mapping[str, Any], value: Any, depth: int) -> None:
        if shape.get("flattened"):
            self.flat_list(name, shape, value, depth)
            return
        items = _sequence(value)
        if not items:
            self.empty(name, depth)
            return
        ref = shape["member"]
        inner = ref.get("locationName", "member")
        self.open(name, depth)
        for item in items:
            self.element(inner, ref["shape"], item, depth + 1)
        self.close(name, depth)

    def flat_list(self, name: str, shape: Mapping[str, Any], value: Any, depth: int) -> None:
        for item in _sequence(value):
            self.element(name, shape["member"]["shape"], item, depth)

    def entry(self, name: str, shape: Mapping[str, Any], key: Any, item: Any, depth: int) -> None:
        key_ref, value_ref = shape["key"], shape["value"]
        self.open(name, depth)
        self.element(key_ref.get("locationName", "key"), key_ref["shape"], key, depth + 1)
        self.element(value_ref.get("locationName", "value"), value_ref["shape"], item, depth + 1)
        self.close(name, depth)

    def map(self, name: str, shape: Mapping[str, Any], value: Any, depth: int) -> None:
        if shape.get("flattened"):
            self.flat_map(name, shape, value, depth)
            return
        if not isinstance(value, Mapping):
            raise TypeError(f"expected a mapping for a map, not {type(value)}")
        if not value:
            self.empty(name, depth)
            return
        self.open(name, depth)
        for key, item in value.items():
            self.entry("entry", shape, key, item, depth + 1)
        self.close(name, depth)

    def flat_map(self, name: str, shape: Mapping[str, Any], value: Any, depth: int) -> None:
        if not isinstance(value, Mapping):
            raise TypeError(f"expected a mapping for a map, not {type(value)}")
        for key, item in value.items():
            self.entry(name, shape, key, item, depth)


def _sequence(value: Any) -> list[Any]:
    if isinstance(value, str | bytes | Mapping) or not hasattr(value, "__iter__"):
        raise TypeError(f"expected a list, not {type(value)}")
    return list(value)


def _document(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def render_result(
    shapes: Mapping[str, Any],
    operation: Mapping[str, Any],
    result: Mapping[str, Any] | None,
    request_id: str,
    namespace: str,
) -> bytes:
    """The ``<{Op}Response>`` document for one operation (its model definition).

    `result` holds output members by model name; None values are left out and a member
    the output shape lacks raises ValueError (a handler bug, not a client error).
    """
    name = operation["name"]
    writer = _Writer(shapes)
    writer.lines.append(f'<{name}Response xmlns="{_attribute(namespace)}">')
    ref = operation.get("output")
    if ref is not None:
        shape = shapes[ref["shape"]]
        wrapper = ref.get("resultWrapper")
        if wrapper is None:
            writer.members(shape, result or {}, 1)
        else:
            writer.element(wrapper, ref["shape"], result or {}, 1)
    elif result:
        raise ValueError(f"{name} has no output, yet the handler returned {sorted(result)}")
    writer.open("ResponseMetadata", 1)
    writer.leaf("RequestId", escape_text(request_id), 2)
    writer.close("ResponseMetadata", 1)
    writer.close(f"{name}Response", 0)
    return _document(writer.lines)


def render_error(
    namespace: str, code: str, message: str | None, request_id: str, *, sender: bool = True
) -> bytes:
    """An ``<ErrorResponse>``; an empty `message` leaves ``<Message>`` out, as AWS does
    for MalformedInput."""
    lines = [
        f'<ErrorResponse xmlns="{_attribute(namespace)}">',
        f"{_INDENT}<Error>",
        f"{_INDENT * 2}<Type>{'Sender' if sender else 'Receiver'}</Type>",
        f"{_INDENT * 2}<Code>{escape_text(code)}</Code>",
    ]
    if message:
        lines.append(f"{_INDENT * 2}<Message>{escape_text(message)}</Message>")
    lines += [
        f"{_INDENT}</Error>",
        f"{_INDENT}<RequestId>{escape_text(request_id)}</RequestId>",
        "</ErrorResponse>",
    ]
    return _document(lines)
