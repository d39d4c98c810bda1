"""The one module that touches `cryptography`'s primitives.

AES-256-GCM with a random 96-bit nonce; the nonce travels in front of the
ciphertext. Every failure to open a box becomes the same `CiphertextInvalid`,
so callers learn nothing about why (no padding or tag oracle).
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from strongroom.core.errors import StrongroomError

KEY_BYTES = 32
NONCE_BYTES = 12


class CiphertextInvalid(StrongroomError):
    """A ciphertext did not open under the key and associated data given."""

    def __init__(self) -> None:
        super().__init__("ciphertext invalid")


def random_key() -> bytes:
    return os.urandom(KEY_BYTES)


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """Encrypt and authenticate; returns nonce || ciphertext || tag."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_sealed(key: bytes, box: bytes, aad: bytes) -> bytes:
    if len(key) != KEY_BYTES or len(box) < NONCE_BYTES + 16:
        raise CiphertextInvalid()
    try:
        return AESGCM(key).decrypt(box[:NONCE_BYTES], box[NONCE_BYTES:], aad)
    except (InvalidTag, ValueError) as exc:
        raise CiphertextInvalid() from exc
