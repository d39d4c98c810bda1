"""Matching of ListSecrets / BatchGetSecretValue filters against one secret.

This module owns the meaning of each filter key: which attributes it looks at,
prefix or word matching, case sensitivity and `!` negation. It sees only a
`Searchable` view of a secret, never a value, and it must not sort, page or
read storage.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from strongroom.secrets.errors import InvalidParameter


@dataclass(frozen=True)
class Filter:
    """One filter of a request: a key and up to ten values, any of which may match."""

    key: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Searchable:
    """What a filter can see of a secret; empty strings mean the attribute is absent."""

    name: str
    description: str
    tags: tuple[tuple[str, str], ...]
    primary_region: str
    owning_service: str


def matches(filters: Sequence[Filter], secret: Searchable) -> bool:
    """True when the secret passes every filter (filters AND; values within one OR)."""
    return all(_filter_matches(f, secret) for f in filters)


def _filter_matches(filter_: Filter, secret: Searchable) -> bool:
    rule = _RULES.get(filter_.key)
    if rule is None:
        # The wire layer refuses unknown keys against the model's enum first
        # (ValidationException); this is the domain's own backstop.
        raise InvalidParameter("filter_key_unknown", key=filter_.key)
    candidates, value_matches = rule
    strings = candidates(secret)
    return any(_value_matches(value, strings, value_matches) for value in filter_.values)


def _value_matches(
    value: str, strings: tuple[str, ...], value_matches: Callable[[str, str], bool]
) -> bool:
    # A leading `!` negates the value: it matches when none of the candidate strings
    # match the rest. A secret without the attribute (no tags, no description)
    # therefore passes a negated filter. AWS documents negation without saying how it
    # combines with several candidates; this is the reading in our reference (§7).
    # moto instead passes a negated value when *any* candidate fails to match it.
    if value.startswith("!"):
        return not any(value_matches(value[1:], s) for s in strings)
    return any(value_matches(value, s) for s in strings)


# --- how a value matches one string ---------------------------------------------


def _prefix(value: str, candidate: str) -> bool:
    return candidate.startswith(value)


def _words_prefix(value: str, candidate: str) -> bool:
    """Every word of the value starts some word of the candidate, ignoring case.

    Both sides are split the same way. As in moto's empirical implementation, the
    words must all be found in one candidate string (one tag, the name, ...), and a
    value without any word (such as `/` or `""`) matches nothing.
    """
    wanted = [w.lower() for w in split_words(value)]
    if not wanted:
        return False
    present = [w.lower() for w in split_words(candidate)]
    return all(any(p.startswith(w) for p in present) for w in wanted)


_LETTER_RUN_OR_DIGITS = re.compile(r"[A-Za-z]+|[0-9]+")
_LOWER_THEN_UPPER = re.compile(r"(?<=[a-z])(?=[A-Z])")


def split_words(text: str) -> list[str]:
    """The words the `all` filter searches by, per the User Guide's rule.

    Only ASCII letters and digits count. Words break at every other character, between
    a letter and a digit, and where a lowercase letter is followed by an uppercase
    one: `credsDatabase#892` -> `creds`, `Database`, `892`. An uppercase run stays one
    word (`HTTPServer`), since the guide names only the lower-to-upper change.
    """
    words: list[str] = []
    for run in _LETTER_RUN_OR_DIGITS.findall(text):
        words.extend(_LOWER_THEN_UPPER.split(run))
    return words


# --- which strings each key looks at --------------------------------------------


def _present(*strings: str) -> tuple[str, ...]:
    return tuple(s for s in strings if s)


def _all_attributes(secret: Searchable) -> tuple[str, ...]:
    keys_and_values: Iterable[str] = (part for tag in secret.tags for part in tag)
    return _present(secret.name, secret.description, *keys_and_values)


_RULES: dict[str, tuple[Callable[[Searchable], tuple[str, ...]], Callable[[str, str], bool]]] = {
    # Model text: prefix match, case-sensitive.
    "name": (lambda s: (s.name,), _prefix),
    # The model says prefix match; moto's tests against AWS found that description
    # is matched word by word, ignoring case, like `all`. We follow moto's observation
    # (note in moto list_secrets/filters.py, read at moto commit 0477dff).
    "description": (lambda s: _present(s.description), _words_prefix),
    "tag-key": (lambda s: tuple(k for k, _ in s.tags), _prefix),
    "tag-value": (lambda s: tuple(v for _, v in s.tags), _prefix),
    "primary-region": (lambda s: _present(s.primary_region), _prefix),
    # Model text: prefix, case-sensitive (an older User Guide said case-insensitive;
    # moto matches words ignoring case without citing an observation). Service
    # names are lowercase identifiers, so the choice rarely shows.
    "owning-service": (lambda s: _present(s.owning_service), _prefix),
    # User Guide: split the value into words and search name, description, tag keys
    # and tag values, ignoring case.
    "all": (_all_attributes, _words_prefix),
}

FILTER_KEYS = frozenset(_RULES)
