"""The request context as policies read it, and policy variables resolved from it.

This module owns the `ContextValue` representation, the case-insensitive lookup of
condition keys, and the `${key}` / `${key, 'default'}` / `${*}` `${?}` `${$}`
syntax of policy variables in Resource entries and condition values. It must not
compare values (that is `conditions` and `matching`) or decide anything.

Context values: `str`; `bool`; `int`/`float` (numeric keys and `aws:EpochTime`);
an aware `datetime` (date keys, `aws:CurrentTime`); `bytes` (binary keys); a list
or tuple of those for multi-valued keys (`aws:TagKeys`). A key mapped to None is
absent. IP addresses are strings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Final, TypeAlias

from strongroom.policy.matching import Pattern, Wild

Scalar: TypeAlias = str | bool | int | float | datetime | bytes
ContextValue: TypeAlias = Scalar | list[Scalar] | tuple[Scalar, ...]

VARIABLES_VERSION: Final = "2012-10-17"  # older or missing Version: `${…}` is literal text

# Secrets Manager spells the resource-tag key its own way; both name the same tags.
_TAG_ALIASES: Final = (("secretsmanager:resourcetag/", "aws:resourcetag/"),)


class Context:
    """Condition keys of one request, looked up case-insensitively.

    Key names are case-insensitive, and so is the tag-key part of
    `aws:ResourceTag/<k>`, `aws:RequestTag/<k>` and `aws:PrincipalTag/<k>` (IAM user
    guide, Condition element), so the whole key is folded to lower case. Two tags
    differing only in case collide; the later one wins.
    """

    __slots__ = ("_values",)

    def __init__(self, *layers: Mapping[str, ContextValue | None]) -> None:
        values: dict[str, ContextValue] = {}
        for layer in layers:  # later layers override earlier ones
            for key, value in layer.items():
                if value is None:
                    values.pop(key.lower(), None)
                else:
                    values[key.lower()] = value
        self._values = values

    def get(self, key: str) -> ContextValue | None:
        """The value of a key, or None if the request does not carry it."""
        folded = key.lower()
        found = self._values.get(folded)
        if found is not None:
            return found
        for ours, theirs in _TAG_ALIASES:
            if folded.startswith(ours):
                return self._values.get(theirs + folded[len(ours) :])
            if folded.startswith(theirs):
                return self._values.get(ours + folded[len(theirs) :])
        return None


def as_text(value: ContextValue) -> str | None:
    """A single value as the string that string operators and variables compare.

    Booleans are `true`/`false`, datetimes ISO 8601 in UTC with a `Z`; lists and
    bytes have no text form.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return None


# --- templates -----------------------------------------------------------------------


@dataclass(frozen=True)
class Variable:
    """A `${key}` placeholder; `default` is the text after `, '…'`, if any."""

    key: str
    default: str | None


Template: TypeAlias = tuple[str | Wild | Variable, ...]

_ESCAPES: Final = {"*": "*", "?": "?", "$": "$"}
_VARIABLE: Final = re.compile(r"\$\{\s*([^}',\s][^}',]*?)\s*(?:,\s*'([^']*)'\s*)?\}")
_ESCAPE: Final = re.compile(r"\$\{([*?$])\}")


@lru_cache(maxsize=8192)
def parse_template(text: str, *, variables: bool, wildcards: bool) -> Template:
    """Split policy text into literal runs, wildcards and variables, once per text.

    With `variables` off (policy Version other than 2012-10-17) `${…}` is literal;
    with `wildcards` off `*` and `?` are literal (StringEquals, Bool).
    `${*}`, `${?}` and `${$}` are always literal characters when variables are on.
    Spaces inside the braces are ignored (`${ aws:PrincipalTag/x }` appears in the
    Secrets Manager user guide).
    """
    pieces: list[str | Wild | Variable] = []
    position = 0
    while position < len(text):
        found = _next_variable(text, position) if variables else None
        end = found[0] if found else len(text)
        _add_literal(pieces, text[position:end], wildcards)
        if found is None:
            break
        _, stop, piece = found
        if isinstance(piece, Variable):
            pieces.append(piece)
        else:
            _add_literal(pieces, piece, wildcards=False)
        position = stop
    return tuple(pieces)


def _next_variable(text: str, position: int) -> tuple[int, int, str | Variable] | None:
    while True:
        start = text.find("${", position)
        if start < 0:
            return None
        escape = _ESCAPE.match(text, start)
        if escape:
            return start, escape.end(), _ESCAPES[escape.group(1)]
        variable = _VARIABLE.match(text, start)
        if variable:
            return start, variable.end(), Variable(variable.group(1), variable.group(2))
        position = start + 2  # not a variable after all: keep it as literal text


def _add_literal(pieces: list[str | Wild | Variable], text: str, wildcards: bool) -> None:
    for char in text:
        if wildcards and char in "*?":
            pieces.append(Wild.STAR if char == "*" else Wild.ONE)
        elif pieces and isinstance(pieces[-1], str):
            pieces[-1] += char
        else:
            pieces.append(char)


def has_variables(template: Template) -> bool:
    return any(isinstance(piece, Variable) for piece in template)


def resolve(template: Template, context: Context) -> Pattern | None:
    """The template with every variable replaced by its (literal) value, or None if a
    variable has neither a value nor a default.

    Only single-valued keys resolve; a multi-valued key cannot be a variable (IAM user
    guide, "Single-valued vs. multivalued context keys"). Substituted text is literal:
    a `*` in a tag value is not a wildcard.
    """
    resolved: list[str | Wild] = []
    for piece in template:
        if isinstance(piece, Variable):
            text = variable_value(piece, context)
            if text is None:
                return None
            piece_out: str | Wild = text
        else:
            piece_out = piece
        if isinstance(piece_out, str) and resolved and isinstance(resolved[-1], str):
            resolved[-1] += piece_out
        elif piece_out != "":
            resolved.append(piece_out)
    return tuple(resolved)


def variable_value(variable: Variable, context: Context) -> str | None:
    value = context.get(variable.key)
    text = None if value is None or isinstance(value, list | tuple) else as_text(value)
    return variable.default if text is None else text


def resolve_text(text: str, context: Context, *, variables: bool) -> str | None:
    """A condition value without wildcards, its variables substituted (None: unresolved)."""
    if not variables or "${" not in text:
        return text
    pattern = resolve(_text_template(text), context)
    if pattern is None:
        return None
    return "".join(p for p in pattern if isinstance(p, str))


def resolve_pattern(text: str, context: Context, *, variables: bool) -> Pattern | None:
    """A condition or resource value with wildcards, its variables substituted."""
    template, fixed = _pattern_template(text, variables)
    return fixed if fixed is not None else resolve(template, context)


@lru_cache(maxsize=8192)
def _text_template(text: str) -> Template:
    return parse_template(text, variables=True, wildcards=False)


@lru_cache(maxsize=8192)
def _pattern_template(text: str, variables: bool) -> tuple[Template, Pattern | None]:
    """The parsed template, and the pattern itself when it holds no variable."""
    template = parse_template(text, variables=variables, wildcards=True)
    if has_variables(template):
        return template, None
    return template, tuple(p for p in template if not isinstance(p, Variable))
