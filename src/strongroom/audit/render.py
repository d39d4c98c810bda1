"""Request and response members as an audit record shows them: only allow-listed members
(audit.allowlist), keys in CloudTrail's lowerCamelCase, walked along the botocore model.

The model decides the shape of every value, so map keys (tags, encryption contexts) stay
as given while structure members are renamed. Whatever the model marks sensitive, and
every blob, is dropped here as well, even inside an allowed member: the allow-list is
the rule, this is the second lock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Set
from typing import Any

from strongroom.audit.records import event_time

TRUNCATED = {"truncated": True}  # what a record too large to keep shows instead
_SKIP: Any = object()


def lower_camel(name: str) -> str:
    """CloudTrail's spelling of a member: `SecretId` -> `secretId`, `ARN` -> `arn`."""
    if name.isupper():
        return name.lower()
    return name[:1].lower() + name[1:]


class Renderer:
    """Renders the members of one service's operations; built once per service."""

    def __init__(self, definition: Mapping[str, Any]) -> None:
        self._shapes: Mapping[str, Any] = definition["shapes"]
        self._operations: Mapping[str, Any] = definition["operations"]

    def request(self, operation: str, allowed: Set[str], params: Mapping[str, Any] | None
                ) -> dict[str, Any] | None:
        return self._members(operation, "input", allowed, params)

    def response(self, operation: str, allowed: Set[str], result: Mapping[str, Any] | None
                 ) -> dict[str, Any] | None:
        return self._members(operation, "output", allowed, result)

    def _members(self, operation: str, direction: str, allowed: Set[str],
                 values: Mapping[str, Any] | None) -> dict[str, Any] | None:
        spec = self._operations.get(operation)
        ref = spec.get(direction) if spec is not None else None
        if not allowed or not values or ref is None:
            return None
        rendered = self._structure(ref["shape"], allowed, values)
        return rendered or None

    def _structure(self, shape_name: str, allowed: Set[str], values: Mapping[str, Any]
                   ) -> dict[str, Any]:
        nested: dict[str, set[str]] = {}
        for name in allowed:
            head, _, rest = name.partition(".")
            if rest:
                nested.setdefault(head, set()).add(rest)
        out: dict[str, Any] = {}
        for name, ref in self._shapes[shape_name].get("members", {}).items():
            value = values.get(name)
            if value is None or ref.get("sensitive"):
                continue
            if name in allowed:
                shown = self._value(ref["shape"], value)
            elif name in nested and isinstance(value, Mapping):
                shown = self._structure(ref["shape"], nested[name], value)
            else:
                continue
            if shown is not _SKIP:
                out[lower_camel(name)] = shown
        return out

    def _value(self, shape_name: str, value: Any) -> Any:
        shape = self._shapes[shape_name]
        if shape.get("sensitive"):
            return _SKIP
        kind = shape["type"]
        if kind == "structure":
            if shape.get("document") or not isinstance(value, Mapping):
                return _SKIP  # free-form documents may hold anything
            members = {name for name, ref in shape.get("members", {}).items()
                       if not ref.get("sensitive")}
            return self._structure(shape_name, members, value)
        if kind == "list":
            if not isinstance(value, list | tuple):
                return _SKIP
            items = (self._value(shape["member"]["shape"], item) for item in value)
            return [item for item in items if item is not _SKIP]
        if kind == "map":
            if not isinstance(value, Mapping) or shape["key"].get("sensitive") \
                    or shape["value"].get("sensitive"):
                return _SKIP
            entries = {str(k): self._value(shape["value"]["shape"], v) for k, v in value.items()}
            return {k: v for k, v in entries.items() if v is not _SKIP}
        if kind == "blob":
            return _SKIP
        if kind == "timestamp":
            return _timestamp(value)
        if isinstance(value, str | int | float | bool):
            return value
        return _SKIP


def _timestamp(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return event_time(value.timestamp())
    if isinstance(value, int | float) and not isinstance(value, bool):
        return event_time(float(value))
    if isinstance(value, str):
        return value
    return _SKIP
