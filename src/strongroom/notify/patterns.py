"""EventBridge event patterns: checking one is well formed, and matching events against it.

Pure logic, no I/O. The language is EventBridge's (https://docs.aws.amazon.com/eventbridge/
latest/userguide/eb-event-patterns-content-based-filtering.html): a pattern is a JSON object
whose leaves are non-empty arrays of values or operators — `prefix`, `suffix`,
`anything-but` (a value, a list, or a prefix/suffix/equals-ignore-case/wildcard), `exists`,
`numeric`, `equals-ignore-case`, `wildcard`, `cidr` — and which may hold `$or`. An array in
the event matches when any of its elements does. A field missing from the event matches
only `{"exists": false}`.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from strongroom.notify.errors import InvalidPattern

_OPERATORS = frozenset({"prefix", "suffix", "anything-but", "exists", "numeric",
                        "equals-ignore-case", "wildcard", "cidr"})
_NUMERIC_LIMIT = 5.0e9  # EventBridge accepts numeric operands in [-5e9, 5e9]
_LOWER = frozenset({">", ">="})
_UPPER = frozenset({"<", "<="})


def parse_pattern(text: str) -> dict[str, Any]:
    """A pattern from its JSON text, checked; raises InvalidPattern."""
    try:
        pattern = json.loads(text)
    except ValueError as exc:
        raise InvalidPattern("", f"not JSON ({exc.args[0] if exc.args else exc})") from exc
    validate(pattern)
    return dict(pattern)


def validate(pattern: object, where: str = "") -> None:
    """Raise InvalidPattern unless `pattern` is an object of EventBridge's pattern language."""
    if not isinstance(pattern, dict):
        raise InvalidPattern(where, "a pattern is a JSON object")
    for key, sub in pattern.items():
        path = f"{where}.{key}" if where else str(key)
        if key == "$or":
            if not isinstance(sub, list) or len(sub) < 2:
                raise InvalidPattern(path, "$or takes an array of at least two patterns")
            for i, alternative in enumerate(sub):
                validate(alternative, f"{path}[{i}]")
                if not alternative:
                    raise InvalidPattern(f"{path}[{i}]", "an alternative must not be empty")
        elif isinstance(sub, dict):
            if not sub:
                raise InvalidPattern(path, "a nested pattern must not be empty")
            validate(sub, path)
        elif isinstance(sub, list):
            if not sub:
                raise InvalidPattern(path, "an array of values must not be empty")
            for i, item in enumerate(sub):
                _validate_matcher(item, f"{path}[{i}]")
        else:
            raise InvalidPattern(path, "a field's value must be an array of values or a "
                                 "nested pattern object")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _validate_matcher(item: object, where: str) -> None:
    if item is None or isinstance(item, str | bool) or _is_number(item):
        if isinstance(item, float) and not math.isfinite(item):
            raise InvalidPattern(where, "numbers must be finite")
        return
    if not isinstance(item, dict) or len(item) != 1:
        raise InvalidPattern(where, "a matcher is a value or an object with exactly one "
                             f"operator ({', '.join(sorted(_OPERATORS))})")
    (op, arg), = item.items()
    if op not in _OPERATORS:
        raise InvalidPattern(where, f"unknown operator {op!r}")
    where = f"{where}.{op}"
    if op in ("prefix", "suffix"):
        _validate_text_or_ignore_case(arg, where)
    elif op == "equals-ignore-case":
        _require_str(arg, where)
    elif op == "wildcard":
        _require_str(arg, where)
        wildcard_regex(arg, where)
    elif op == "exists":
        if not isinstance(arg, bool):
            raise InvalidPattern(where, "exists takes true or false")
    elif op == "numeric":
        _validate_numeric(arg, where)
    elif op == "cidr":
        _require_str(arg, where)
        try:
            ipaddress.ip_network(arg, strict=False)
        except ValueError as exc:
            raise InvalidPattern(where, f"{arg!r} is not an IP address range") from exc
    else:
        _validate_anything_but(arg, where)


def _require_str(arg: object, where: str) -> None:
    if not isinstance(arg, str):
        raise InvalidPattern(where, "takes a string")


def _validate_text_or_ignore_case(arg: object, where: str) -> None:
    if isinstance(arg, dict) and set(arg) == {"equals-ignore-case"}:
        _require_str(arg["equals-ignore-case"], f"{where}.equals-ignore-case")
        return
    if not isinstance(arg, str):
        raise InvalidPattern(where, 'takes a string or {"equals-ignore-case": string}')


def _validate_anything_but(arg: object, where: str) -> None:
    if isinstance(arg, str | bool) or _is_number(arg):
        return
    if isinstance(arg, list):
        if not arg:
            raise InvalidPattern(where, "the list must not be empty")
        for i, value in enumerate(arg):
            if not (isinstance(value, str) or _is_number(value)):
                raise InvalidPattern(f"{where}[{i}]", "anything-but lists hold strings or "
                                     "numbers")
        return
    if isinstance(arg, dict) and len(arg) == 1:
        (op, inner), = arg.items()
        if op in ("prefix", "suffix"):
            _require_str(inner, f"{where}.{op}")
            return
        if op in ("equals-ignore-case", "wildcard"):
            values = inner if isinstance(inner, list) else [inner]
            if not values:
                raise InvalidPattern(f"{where}.{op}", "the list must not be empty")
            for value in values:
                _require_str(value, f"{where}.{op}")
                if op == "wildcard":
                    wildcard_regex(value, f"{where}.{op}")
            return
    raise InvalidPattern(where, "anything-but takes a value, a list of values, or one of "
                         "prefix, suffix, equals-ignore-case, wildcard")


def _validate_numeric(arg: object, where: str) -> None:
    if not isinstance(arg, list) or len(arg) not in (2, 4):
        raise InvalidPattern(where, 'numeric takes [op, number] or [">"/">=", number, '
                             '"<"/"<=", number]')
    ops, numbers = arg[0::2], arg[1::2]
    for op, number in zip(ops, numbers, strict=True):
        if op not in ("=", "<", "<=", ">", ">="):
            raise InvalidPattern(where, f"unknown comparison {op!r}")
        if not _is_number(number) or not math.isfinite(float(number)):
            raise InvalidPattern(where, f"{number!r} is not a number")
        if abs(float(number)) > _NUMERIC_LIMIT:
            raise InvalidPattern(where, "numbers must lie between -5e9 and 5e9")
    if len(arg) == 4:
        if ops[0] not in _LOWER or ops[1] not in _UPPER:
            raise InvalidPattern(where, "a range is a lower bound (> or >=) then an upper "
                                 "bound (< or <=)")
        if float(numbers[0]) >= float(numbers[1]):
            raise InvalidPattern(where, "the lower bound must be below the upper bound")


def wildcard_regex(text: str, where: str = "") -> re.Pattern[str]:
    """`*` matches any run of characters; `\\*` and `\\\\` are a literal star and backslash.
    EventBridge refuses consecutive stars, and so do we."""
    parts: list[str] = []
    i = 0
    previous_star = False
    while i < len(text):
        char = text[i]
        if char == "\\":
            if i + 1 >= len(text) or text[i + 1] not in "*\\":
                raise InvalidPattern(where, "a backslash escapes only * or \\")
            parts.append(re.escape(text[i + 1]))
            i += 2
            previous_star = False
            continue
        if char == "*":
            if previous_star:
                raise InvalidPattern(where, "consecutive wildcard characters are not allowed")
            parts.append(".*")
            previous_star = True
        else:
            parts.append(re.escape(char))
            previous_star = False
        i += 1
    return re.compile("".join(parts), re.DOTALL)


# --- matching ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def _wildcard(text: str) -> re.Pattern[str]:
    return wildcard_regex(text)


def matches(pattern: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """Whether `event` matches a pattern that `validate` accepted."""
    return _match_object(pattern, event)


def _match_object(pattern: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    for key, sub in pattern.items():
        if key == "$or":
            if not any(_match_object(alternative, node) for alternative in sub):
                return False
        elif not _match_field(sub, node, key):
            return False
    return True


def _match_field(sub: Any, node: Mapping[str, Any], key: str) -> bool:
    present = key in node
    value = node.get(key)
    if isinstance(sub, dict):
        # EventBridge flattens events to paths: a nested pattern under an array of objects
        # matches when one element does; under anything else, the paths below are absent.
        if isinstance(value, dict):
            candidates: list[Mapping[str, Any]] = [value]
        elif isinstance(value, list):
            candidates = [v for v in value if isinstance(v, dict)] or [{}]
        else:
            candidates = [{}]
        return any(_match_object(sub, candidate) for candidate in candidates)
    values: list[Any] = (value if isinstance(value, list) else [value]) if present else []
    for matcher in sub:
        if isinstance(matcher, dict) and "exists" in matcher:
            if bool(values) == matcher["exists"]:
                return True
        elif any(_match_value(matcher, v) for v in values):
            return True
    return False


def _equal(expected: Any, value: Any) -> bool:
    if expected is None or value is None:
        return expected is None and value is None
    if isinstance(expected, bool) or isinstance(value, bool):
        return isinstance(expected, bool) and isinstance(value, bool) and expected == value
    if _is_number(expected):
        return _is_number(value) and float(expected) == float(value)
    return isinstance(value, str) and expected == value


def _match_value(matcher: Any, value: Any) -> bool:
    if not isinstance(matcher, dict):
        return _equal(matcher, value)
    (op, arg), = matcher.items()
    if op == "numeric":
        return _is_number(value) and _numeric(arg, float(value))
    if op == "anything-but":
        return _anything_but(arg, value)
    if not isinstance(value, str):
        return False
    if op == "prefix":
        return _affix(arg, value, str.startswith)
    if op == "suffix":
        return _affix(arg, value, str.endswith)
    if op == "equals-ignore-case":
        return value.casefold() == str(arg).casefold()
    if op == "wildcard":
        return _wildcard(str(arg)).fullmatch(value) is not None
    if op == "cidr":
        return _in_network(str(arg), value)
    return False


def _affix(arg: Any, value: str, test: Any) -> bool:
    if isinstance(arg, dict):
        return bool(test(value.casefold(), str(arg["equals-ignore-case"]).casefold()))
    return bool(test(value, arg))


def _in_network(network: str, value: str) -> bool:
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(network, strict=False)
    except ValueError:
        return False


def _numeric(arg: Sequence[Any], value: float) -> bool:
    for op, bound in zip(arg[0::2], arg[1::2], strict=True):
        number = float(bound)
        ok = {"=": value == number, "<": value < number, "<=": value <= number,
              ">": value > number, ">=": value >= number}[op]
        if not ok:
            return False
    return True


def _anything_but(arg: Any, value: Any) -> bool:
    if isinstance(arg, list):
        return not any(_equal(v, value) for v in arg)
    if isinstance(arg, dict):
        (op, inner), = arg.items()
        if not isinstance(value, str):
            return False
        if op == "prefix":
            return not value.startswith(inner)
        if op == "suffix":
            return not value.endswith(inner)
        values = inner if isinstance(inner, list) else [inner]
        if op == "equals-ignore-case":
            return all(value.casefold() != str(v).casefold() for v in values)
        return all(_wildcard(str(v)).fullmatch(value) is None for v in values)
    return not _equal(arg, value)
