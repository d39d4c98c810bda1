"""Condition operators: whether one Condition of a statement holds for a request.

This module owns every operator family of the IAM Condition element (String,
Numeric, Date, Bool, BinaryEquals, IpAddress, Arn, Null), the `…IfExists` suffix,
the `ForAllValues:`/`ForAnyValue:` set qualifiers, and what a missing key or an
unresolvable policy variable does to each. It must not look at Action, Resource or
Principal, nor combine statements into a decision.

Rules, from the IAM user guide ("Condition operators", "Conditions with multiple
context keys or values", "Single-valued vs. multivalued context keys"):
- values listed for one key are ORed; for a negated operator (`…Not…`,
  `NotIpAddress`) they are NORed: the request value must match none of them;
- a key missing from the request makes the condition false, except that negated
  operators, `…IfExists` and `ForAllValues:` are then true, `ForAnyValue:` false,
  and `Null` tests exactly that presence;
- `ForAllValues:` holds when every request value passes (so also for an empty set),
  `ForAnyValue:` when at least one does; a single-valued key counts as a one-element
  set. A list value without a qualifier behaves like `ForAnyValue:` for positive
  operators and requires every value to pass for negated ones (the ABAC tutorial
  denies `UntagResource` with a plain `StringLike` on `aws:TagKeys`);
- a policy value whose variable does not resolve never matches; with a negated
  operator it makes the whole condition false (IAM: an attempt to match a missing
  variable "fails and causes the statement to be invalid");
- a policy value that is not a valid number, date, CIDR or base64 never matches.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Final, cast

from strongroom.policy.document import Condition
from strongroom.policy.matching import Pattern, arn_like, like
from strongroom.policy.variables import (
    Context,
    Scalar,
    as_text,
    resolve_pattern,
    resolve_text,
)

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class _Unresolved:
    """A policy value whose variable has no value in the request."""


UNRESOLVED: Final = _Unresolved()


@dataclass(frozen=True)
class _Operator:
    """One base operator: how a policy value becomes an operand, how a request value
    is compared with it (the positive test), and whether the operator negates it."""

    prepare: Callable[[str, Context, bool], object]
    compare: Callable[[Scalar, object], bool]
    negated: bool = False


def condition_holds(condition: Condition, context: Context, *, variables: bool) -> bool:
    """Whether one condition holds. `variables` is whether the policy's Version lets
    `${…}` substitute (2012-10-17)."""
    op, qualifier, if_exists, is_null = _parse_operator(condition.operator)
    raw = context.get(condition.key)
    if is_null:
        return _null(condition.values, raw is not None)
    if op is None:
        return False  # the parser refuses unknown operators; fail closed regardless
    if raw is None:
        if if_exists or qualifier == "ForAllValues":
            return True
        return False if qualifier == "ForAnyValue" else op.negated
    request_values: Iterable[Scalar] = raw if isinstance(raw, list | tuple) else (raw,)

    operands = []
    unresolved = False
    for text in condition.values:
        operand = op.prepare(text, context, variables)
        if operand is UNRESOLVED:
            unresolved = True
        elif operand is not None:
            operands.append(operand)

    def passes(value: Scalar) -> bool:
        hit = any(op.compare(value, operand) for operand in operands)
        return not (hit or unresolved) if op.negated else hit

    if qualifier == "ForAllValues":
        return all(passes(v) for v in request_values)
    if qualifier == "ForAnyValue" or not op.negated:
        return any(passes(v) for v in request_values)
    return all(passes(v) for v in request_values)


@lru_cache(maxsize=512)
def _parse_operator(operator: str) -> tuple[_Operator | None, str | None, bool, bool]:
    """The base operator, set qualifier, IfExists flag and whether it is `Null`, once
    per operator text."""
    shape = Condition(operator, "", ())
    return _OPERATORS.get(shape.base), shape.qualifier, shape.if_exists, shape.base == "Null"


def conditions_hold(conditions: Iterable[Condition], context: Context, *, variables: bool) -> bool:
    """All conditions of a statement hold (operators and keys are ANDed)."""
    return all(condition_holds(c, context, variables=variables) for c in conditions)


def _null(values: Iterable[str], present: bool) -> bool:
    wanted = "false" if present else "true"
    return any(v.lower() == wanted for v in values)


# --- strings and ARNs -----------------------------------------------------------------


def _text(text: str, context: Context, variables: bool) -> object:
    resolved = resolve_text(text, context, variables=variables)
    return UNRESOLVED if resolved is None else resolved


def _pattern(text: str, context: Context, variables: bool) -> object:
    resolved = resolve_pattern(text, context, variables=variables)
    return UNRESOLVED if resolved is None else resolved


def _string_equals(value: Scalar, operand: object) -> bool:
    return as_text(value) == operand


def _string_equals_ignore_case(value: Scalar, operand: object) -> bool:
    text = as_text(value)
    return text is not None and isinstance(operand, str) and text.casefold() == operand.casefold()


def _string_like(value: Scalar, operand: object) -> bool:
    text = as_text(value)
    return text is not None and isinstance(operand, tuple) and like(_as_pattern(operand), text)


def _arn_like(value: Scalar, operand: object) -> bool:
    return (
        isinstance(value, str)
        and isinstance(operand, tuple)
        and arn_like(_as_pattern(operand), value)
    )


def _as_pattern(operand: tuple[object, ...]) -> Pattern:
    return cast(Pattern, operand)  # tuples here are built by resolve_pattern only


# --- Bool -----------------------------------------------------------------------------


def _bool_operand(text: str, context: Context, variables: bool) -> object:
    resolved = resolve_text(text, context, variables=variables)
    return UNRESOLVED if resolved is None else resolved.lower()


def _bool_equals(value: Scalar, operand: object) -> bool:
    if isinstance(value, bool):
        return operand == ("true" if value else "false")
    return isinstance(value, str) and value.lower() == operand


# --- numbers and dates ----------------------------------------------------------------


@lru_cache(maxsize=4096)
def parse_decimal(text: str) -> Decimal | None:
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _number_operand(text: str, context: Context, variables: bool) -> object:
    return parse_decimal(text)  # no policy variables in Numeric operators


def _request_number(value: Scalar) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return parse_decimal(repr(value))
    return parse_decimal(value) if isinstance(value, str) else None


_EPOCH: Final = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_YEAR_MONTH: Final = re.compile(r"([0-9]{4})(?:-([0-9]{2}))?")


@lru_cache(maxsize=4096)
def parse_date(text: str) -> datetime | None:
    """A W3C ISO 8601 date (`2020`, `2020-01`, `2020-01-01`, `2020-01-01T00:00Z`,
    `2020-01-01T00:00:01.5+02:00`) or epoch seconds (any other all-digit value), as
    an aware datetime; naive times are UTC."""
    text = text.strip()
    try:
        if _EPOCH.fullmatch(text) and len(text.lstrip("-")) != 4:
            return datetime.fromtimestamp(float(text), UTC)
        short = _YEAR_MONTH.fullmatch(text)
        if short:
            return datetime(int(short.group(1)), int(short.group(2) or 1), 1, tzinfo=UTC)
        moment = datetime.fromisoformat(text)
    except (ValueError, OverflowError, OSError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _date_operand(text: str, context: Context, variables: bool) -> object:
    return parse_date(text)


def _request_date(value: Scalar) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (ValueError, OverflowError, OSError):
            return None
    return parse_date(value) if isinstance(value, str) else None


def _ordered(
    convert: Callable[[Scalar], object | None], relation: Callable[[Any, Any], bool]
) -> Callable[[Scalar, object], bool]:
    def compare(value: Scalar, operand: object) -> bool:
        converted = convert(value)
        return converted is not None and bool(relation(converted, operand))

    return compare


# --- binary and IP ----------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _base64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None


def _binary_operand(text: str, context: Context, variables: bool) -> object:
    return _base64(text)


def _binary_equals(value: Scalar, operand: object) -> bool:
    raw = _base64(value) if isinstance(value, str) else value
    return isinstance(raw, bytes) and raw == operand


@lru_cache(maxsize=4096)
def parse_network(text: str) -> IpNetwork | None:
    """A CIDR block; a bare address is a /32 (or /128) network."""
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def _network_operand(text: str, context: Context, variables: bool) -> object:
    return parse_network(text)


def _in_network(value: Scalar, operand: object) -> bool:
    if not isinstance(value, str) or not isinstance(operand, IpNetwork):
        return False
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return False
    return address.version == operand.version and address in operand


# --- the table ----------------------------------------------------------------------------


def _family(
    prepare: Callable[[str, Context, bool], object],
    compare: Callable[[Scalar, object], bool],
    positive: str,
    negative: str | None,
) -> dict[str, _Operator]:
    table = {positive: _Operator(prepare, compare)}
    if negative:
        table[negative] = _Operator(prepare, compare, negated=True)
    return table


def _comparisons(
    prefix: str,
    prepare: Callable[[str, Context, bool], object],
    convert: Callable[[Scalar], object | None],
) -> dict[str, _Operator]:
    relations: dict[str, Callable[[Any, Any], bool]] = {
        "Equals": operator.eq,
        "LessThan": operator.lt,
        "LessThanEquals": operator.le,
        "GreaterThan": operator.gt,
        "GreaterThanEquals": operator.ge,
    }
    table = {
        prefix + name: _Operator(prepare, _ordered(convert, relation))
        for name, relation in relations.items()
    }
    table[prefix + "NotEquals"] = _Operator(prepare, _ordered(convert, operator.eq), negated=True)
    return table


_OPERATORS: Final[dict[str, _Operator]] = {
    **_family(_text, _string_equals, "StringEquals", "StringNotEquals"),
    **_family(
        _text,
        _string_equals_ignore_case,
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
    ),
    **_family(_pattern, _string_like, "StringLike", "StringNotLike"),
    **_comparisons("Numeric", _number_operand, _request_number),
    **_comparisons("Date", _date_operand, _request_date),
    **_family(_bool_operand, _bool_equals, "Bool", None),
    **_family(_binary_operand, _binary_equals, "BinaryEquals", None),
    **_family(_network_operand, _in_network, "IpAddress", "NotIpAddress"),
    # ArnEquals and ArnLike behave identically (IAM user guide), wildcards included.
    **_family(_pattern, _arn_like, "ArnEquals", "ArnNotEquals"),
    **_family(_pattern, _arn_like, "ArnLike", "ArnNotLike"),
}
