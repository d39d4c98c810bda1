"""The root of the key hierarchy: a 256-bit key that wraps every stored key.

In the embedded setup it lives in a key file (mode 0600) in the data directory,
never in the store. Wrapping binds a purpose label as associated data, so a
wrapped access-key secret cannot be replayed as wrapped key material.
"""

from __future__ import annotations

import os
from pathlib import Path

from strongroom.core.errors import StrongroomError
from strongroom.keys.crypto import KEY_BYTES, open_sealed, random_key, seal

_FILE_MAGIC = b"strongroom-root-key-v1\n"


class RootKeyError(StrongroomError):
    """The root key file is missing, unreadable, or too open."""


class RootKey:
    def __init__(self, material: bytes) -> None:
        if len(material) != KEY_BYTES:
            raise RootKeyError("a root key is 32 bytes")
        self._material = material

    def __repr__(self) -> str:
        return "RootKey(<sealed>)"

    def wrap(self, plaintext: bytes, purpose: str) -> bytes:
        return seal(self._material, plaintext, b"root:" + purpose.encode())

    def unwrap(self, box: bytes, purpose: str) -> bytes:
        return open_sealed(self._material, box, b"root:" + purpose.encode())

    @classmethod
    def load_or_create(cls, path: Path) -> tuple[RootKey, bool]:
        """Returns the key and whether it was created now."""
        if path.exists():
            return cls.load(path), False
        material = random_key()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(_FILE_MAGIC + material.hex().encode() + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        return cls(material), True

    @classmethod
    def load(cls, path: Path) -> RootKey:
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise RootKeyError(
                f"{path} is readable by others (mode {mode:o}); chmod 600 it"
            )
        data = path.read_bytes()
        if not data.startswith(_FILE_MAGIC):
            raise RootKeyError(f"{path} is not a strongroom root key file")
        try:
            material = bytes.fromhex(data[len(_FILE_MAGIC):].decode().strip())
        except ValueError as exc:
            raise RootKeyError(f"{path} is damaged") from exc
        return cls(material)
