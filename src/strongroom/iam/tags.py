"""IAM tag rules: at most 50 per user, role or policy, keys unique in a request.

For users and roles IAM compares keys without regard to case (recorded from
AWS by LocalStack's parity tests, 2026-02): a request naming "a" and "A" is
refused, and tagging "A" where "a" exists replaces it. Managed policy tags keep
case-sensitive keys ("a" and "A" coexist), as AWS answered in the same tests.
"""

from __future__ import annotations

from collections.abc import Sequence

from strongroom.core.errors import ValidationFailed
from strongroom.core.types import Tag
from strongroom.iam.errors import InvalidInput, QuotaExceeded
from strongroom.iam.model import MAX_TAGS


def check_request(tags: Sequence[Tag], *, case_insensitive: bool = True,
                  member: str = "tags") -> None:
    """The rules on the tags of one request, before they meet the stored ones."""
    if len(tags) > MAX_TAGS:
        raise ValidationFailed(
            member, f"Member must have length less than or equal to {MAX_TAGS}", None)
    keys = [t.key.lower() if case_insensitive else t.key for t in tags]
    if len(set(keys)) != len(keys):
        raise InvalidInput("duplicate_tags_ci" if case_insensitive else "duplicate_tags")


def merged(current: Sequence[tuple[str, str]], new: Sequence[Tag], quota: str
           ) -> list[tuple[str, str]]:
    """`current` with `new` applied (a key matching regardless of case is replaced)."""
    result = list(current)
    for tag in new:
        for index, (key, _) in enumerate(result):
            if key.lower() == tag.key.lower():
                result[index] = (tag.key, tag.value)
                break
        else:
            result.append((tag.key, tag.value))
    if len(result) > MAX_TAGS:
        raise QuotaExceeded(quota, MAX_TAGS)
    return result


def without(current: Sequence[tuple[str, str]], keys: Sequence[str]) -> list[tuple[str, str]]:
    drop = {k.lower() for k in keys}
    return [(k, v) for k, v in current if k.lower() not in drop]


def as_tags(pairs: Sequence[tuple[str, str]]) -> tuple[Tag, ...]:
    return tuple(Tag(k, v) for k, v in pairs)
