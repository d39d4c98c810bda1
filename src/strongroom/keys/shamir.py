"""Shamir secret sharing over GF(256), and the text form of a share.

Each byte of the secret is the constant term of its own random polynomial of
degree k-1; share x holds every polynomial's value at x (1..255). Any k shares
interpolate the constant terms back; fewer are consistent with every secret.
This module knows nothing of root keys; `keys.seal` decides what is split.

A share prints as ``strongroom-share-<x>-<hex>``, the hex being the share set id
(4 bytes, the same for every share of one split), the share bytes and a 4-byte
checksum, so that a mistyped share is refused before it is ever combined.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from strongroom.core.errors import StrongroomError
from strongroom.keys.crypto import random_bytes

SHARE_PREFIX = "strongroom-share-"
SET_ID_BYTES = 4
CHECKSUM_BYTES = 4
_SHARE_TEXT = re.compile(r"strongroom-share-(\d{1,3})-([0-9a-f]+)")

# GF(256) with the AES polynomial x^8 + x^4 + x^3 + x + 1; 3 generates the group.
_EXP = [0] * 510
_LOG = [0] * 256
_value = 1
for _power in range(255):
    _EXP[_power] = _value
    _LOG[_value] = _power
    _value ^= (_value << 1) ^ (0x11B if _value & 0x80 else 0)  # multiply by 3
    _value &= 0xFF
for _power in range(255, 510):
    _EXP[_power] = _EXP[_power - 255]


class ShareInvalid(StrongroomError):
    """A share's text is malformed or fails its checksum (typed wrong, or truncated)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def gf_mul(a: int, b: int) -> int:
    if a == 0 or b == 0:
        return 0
    return _EXP[_LOG[a] + _LOG[b]]


def gf_div(a: int, b: int) -> int:
    if b == 0:
        raise ZeroDivisionError("division by zero in GF(256)")
    if a == 0:
        return 0
    return _EXP[_LOG[a] + 255 - _LOG[b]]


def _evaluate(coefficients: Sequence[int], x: int) -> int:
    result = 0
    for coefficient in reversed(coefficients):  # Horner
        result = gf_mul(result, x) ^ coefficient
    return result


def interpolate(points: Sequence[tuple[int, int]], x: int) -> int:
    """The value at `x` of the unique polynomial of degree < len(points) through `points`."""
    result = 0
    for i, (xi, yi) in enumerate(points):
        weight = 1
        for j, (xj, _) in enumerate(points):
            if i != j:
                weight = gf_mul(weight, gf_div(x ^ xj, xi ^ xj))
        result ^= gf_mul(yi, weight)
    return result


def split(secret: bytes, threshold: int, count: int,
          randomness: Callable[[int], bytes] = random_bytes) -> list[tuple[int, bytes]]:
    """`count` shares (x, bytes) of which any `threshold` recover `secret`."""
    if not 1 <= threshold <= count <= 255:
        raise ValueError("shares need 1 <= threshold <= count <= 255")
    polynomials = []
    for byte in secret:
        polynomials.append([byte, *randomness(threshold - 1)])
    return [(x, bytes(_evaluate(p, x) for p in polynomials)) for x in range(1, count + 1)]


def combine(shares: Sequence[tuple[int, bytes]]) -> bytes:
    """The secret from shares with distinct x; the caller knows how many are needed."""
    xs = [x for x, _ in shares]
    if not shares or len(set(xs)) != len(xs) or any(not 1 <= x <= 255 for x in xs):
        raise ValueError("shares need distinct indexes 1..255")
    length = len(shares[0][1])
    if any(len(value) != length for _, value in shares):
        raise ValueError("shares differ in length")
    return bytes(interpolate([(x, value[i]) for x, value in shares], 0) for i in range(length))


@dataclass(frozen=True, repr=False)
class Share:
    index: int
    set_id: bytes
    value: bytes

    def __repr__(self) -> str:
        return f"Share({self.index}, set {self.set_id.hex()}, <redacted>)"

    def text(self) -> str:
        body = self.set_id + self.value
        return f"{SHARE_PREFIX}{self.index}-{(body + _checksum(self.index, body)).hex()}"

    @classmethod
    def parse(cls, text: str) -> Share:
        match = _SHARE_TEXT.fullmatch(text.strip().lower())
        if match is None or len(match.group(2)) % 2:
            raise ShareInvalid("not a strongroom share (strongroom-share-<n>-<hex>)")
        index = int(match.group(1))
        raw = bytes.fromhex(match.group(2))
        if not 1 <= index <= 255 or len(raw) <= SET_ID_BYTES + CHECKSUM_BYTES:
            raise ShareInvalid("not a strongroom share (strongroom-share-<n>-<hex>)")
        body, checksum = raw[:-CHECKSUM_BYTES], raw[-CHECKSUM_BYTES:]
        if not hmac.compare_digest(checksum, _checksum(index, body)):
            raise ShareInvalid("share checksum mismatch: the share was mistyped or truncated")
        return cls(index, body[:SET_ID_BYTES], body[SET_ID_BYTES:])


def _checksum(index: int, body: bytes) -> bytes:
    return hashlib.sha256(f"{SHARE_PREFIX}{index}-".encode() + body).digest()[:CHECKSUM_BYTES]
