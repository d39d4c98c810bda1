"""The one module that touches `cryptography`'s primitives.

AES-256-GCM with a random 96-bit nonce; the nonce travels in front of the
ciphertext. Every failure to open a box becomes the same `CiphertextInvalid`,
so callers learn nothing about why (no padding or tag oracle). Keys may be held
in a `bytearray`, so that their holder can overwrite them when it lets them go.
The passphrase KDF (scrypt, memory-hard) and Ed25519 signatures (the audit
trail's signed checkpoints) live here too.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from strongroom.core.errors import StrongroomError

KEY_BYTES = 32
NONCE_BYTES = 12
SALT_BYTES = 16
# scrypt cost: 2**17 x 8 x 128 bytes = 128 MiB of memory and about 0.4 s per derivation,
# paid once per unseal. Parameters travel with what they protect, so they can grow later.
SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
SCRYPT_MIN_N = 2**15

KeyBytes = bytes | bytearray


class CiphertextInvalid(StrongroomError):
    """A ciphertext did not open under the key and associated data given."""

    def __init__(self) -> None:
        super().__init__("ciphertext invalid")


def random_key() -> bytes:
    return os.urandom(KEY_BYTES)


def seal(key: KeyBytes, plaintext: bytes, aad: bytes) -> bytes:
    """Encrypt and authenticate; returns nonce || ciphertext || tag."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_sealed(key: KeyBytes, box: bytes, aad: bytes) -> bytes:
    if len(key) != KEY_BYTES or len(box) < NONCE_BYTES + 16:
        raise CiphertextInvalid()
    try:
        return AESGCM(key).decrypt(box[:NONCE_BYTES], box[NONCE_BYTES:], aad)
    except (InvalidTag, ValueError) as exc:
        raise CiphertextInvalid() from exc


def random_bytes(count: int) -> bytes:
    return os.urandom(count)


def derive_key(passphrase: bytes, salt: bytes, *, n: int = SCRYPT_N, r: int = SCRYPT_R,
               p: int = SCRYPT_P) -> bytes:
    """A 256-bit key from a passphrase with scrypt; refuses parameters weaker than the floor
    (a tampered parameter file must not make guessing cheap)."""
    if n < SCRYPT_MIN_N or n & (n - 1) or r < 8 or p < 1 or len(salt) < SALT_BYTES:
        raise ValueError("scrypt parameters below strongroom's floor")
    return Scrypt(salt=salt, length=KEY_BYTES, n=n, r=r, p=p).derive(passphrase)


# --- Ed25519 signatures (the audit trail's signed checkpoints) ------------------------------

SIGNING_KEY_BYTES = 32


def signing_key_pair() -> tuple[bytes, bytes]:
    """A fresh Ed25519 key pair as raw bytes: (private, public)."""
    private = Ed25519PrivateKey.generate()
    return private.private_bytes_raw(), private.public_key().public_bytes_raw()


def signing_public_key(private: KeyBytes) -> bytes:
    """The public half of a raw Ed25519 private key."""
    if len(private) != SIGNING_KEY_BYTES:
        raise ValueError("an Ed25519 private key is 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(bytes(private)).public_key().public_bytes_raw()


def sign(private: KeyBytes, message: bytes) -> bytes:
    if len(private) != SIGNING_KEY_BYTES:
        raise ValueError("an Ed25519 private key is 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(bytes(private)).sign(message)


def signature_valid(public: bytes, message: bytes, signature: bytes) -> bool:
    """Whether `signature` is `public`'s over `message`; any malformed input is simply False."""
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True
