"""Random password generation with the semantics of Secrets Manager's GetRandomPassword.

This module owns the character classes, the exclusion rules and the guarantee of one
character per included class; it draws every character from the operating system's
CSPRNG. It must not know wire field names, format AWS messages or log what it makes.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

from strongroom.secrets.errors import InvalidParameter

MIN_LENGTH = 1
MAX_LENGTH = 4096

# One SystemRandom per process is enough: it holds no state of its own, every call
# reads os.urandom.
_RANDOM = secrets.SystemRandom()


@dataclass(frozen=True)
class PasswordSpec:
    """What the caller asked for; the defaults are AWS's defaults (32 characters, all
    four classes, no space, one character of each included class)."""

    length: int = 32
    exclude_characters: str = ""
    exclude_numbers: bool = False
    exclude_punctuation: bool = False
    exclude_uppercase: bool = False
    exclude_lowercase: bool = False
    include_space: bool = False
    require_each_included_type: bool = True


def character_classes(spec: PasswordSpec) -> tuple[str, ...]:
    """The included classes after exclusions, in a fixed order, empty classes dropped.

    Every class that keeps at least one character is a *required* class when
    `require_each_included_type` is set. A class emptied by `exclude_characters`
    is silently dropped rather than refused: the caller excluded those characters,
    so nothing of that class can be required (moto would crash here instead).
    """
    excluded = set(spec.exclude_characters)
    wanted = (
        (string.ascii_uppercase, spec.exclude_uppercase),
        (string.ascii_lowercase, spec.exclude_lowercase),
        (string.digits, spec.exclude_numbers),
        (string.punctuation, spec.exclude_punctuation),
        # Space is a class of its own when included (moto's observed behaviour:
        # with RequireEachIncludedType the password always holds a space).
        (" ", not spec.include_space),
    )
    classes = []
    for chars, dropped in wanted:
        if dropped:
            continue
        kept = "".join(c for c in chars if c not in excluded)
        if kept:
            classes.append(kept)
    return tuple(classes)


def generate_password(spec: PasswordSpec) -> str:
    """A fresh password of exactly `spec.length` characters drawn from the allowed pool.

    Raises InvalidParameter `password_length_out_of_range` (a backstop: the wire layer
    validates 1..4096 first), `password_no_characters` when exclusions leave nothing
    to draw from, and `password_too_short` when one character of every required class
    does not fit.
    """
    if not MIN_LENGTH <= spec.length <= MAX_LENGTH:
        raise InvalidParameter(
            "password_length_out_of_range",
            length=str(spec.length),
            minimum=str(MIN_LENGTH),
            maximum=str(MAX_LENGTH),
        )
    classes = character_classes(spec)
    if not classes:
        raise InvalidParameter("password_no_characters")
    pool = "".join(classes)

    chars: list[str] = []
    if spec.require_each_included_type:
        if spec.length < len(classes):
            raise InvalidParameter(
                "password_too_short",
                length=str(spec.length),
                required=str(len(classes)),
            )
        # One draw from each required class, the rest from the whole pool, then a
        # shuffle so the required characters do not sit at predictable positions.
        chars.extend(_RANDOM.choice(chars_of_class) for chars_of_class in classes)
    chars.extend(_RANDOM.choice(pool) for _ in range(spec.length - len(chars)))
    _RANDOM.shuffle(chars)
    return "".join(chars)
