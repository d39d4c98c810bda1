"""The root of the key hierarchy: a 256-bit key that wraps every stored key.

In the embedded setup it lives in a key file (mode 0600) in the data directory,
never in the store; `keys.seal` protects it otherwise (passphrase, Shamir
shares). Wrapping binds a purpose label as associated data, so a wrapped
access-key secret cannot be replayed as wrapped key material.

A RootKey may be sealed: it then holds no material and `wrap`/`unwrap` raise
`Sealed`. Sealing overwrites the material in place and tells the holders of
anything derived from it (caches) to drop it too.
"""

from __future__ import annotations

import hmac
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from strongroom.core.errors import StrongroomError
from strongroom.keys.crypto import KEY_BYTES, open_sealed, random_key, seal

log = logging.getLogger("strongroom.keys")

_FILE_MAGIC = b"strongroom-root-key-v1\n"


class RootKeyError(StrongroomError):
    """The root key file is missing, unreadable, or too open."""


class Sealed(StrongroomError):
    """The root key is sealed: nothing wrapped by it can be used until an operator unseals."""

    def __init__(self) -> None:
        super().__init__("strongroom is sealed")


class RootKey:
    """The root key in memory; `RootKey(None)` starts sealed."""

    def __init__(self, material: bytes | None) -> None:
        self._lock = threading.Lock()
        self._material: bytearray | None = None
        self._on_seal: list[Callable[[], None]] = []
        if material is not None:
            self.unseal(material)

    def __repr__(self) -> str:
        return "RootKey(<sealed>)" if self.sealed else "RootKey(<redacted>)"

    @property
    def sealed(self) -> bool:
        return self._material is None

    def wrap(self, plaintext: bytes, purpose: str) -> bytes:
        # The lock spans the cipher call, so `seal()` never zeroes a key in use.
        with self._lock:
            if self._material is None:
                raise Sealed()
            return seal(self._material, plaintext, b"root:" + purpose.encode())

    def unwrap(self, box: bytes, purpose: str) -> bytes:
        with self._lock:
            if self._material is None:
                raise Sealed()
            return open_sealed(self._material, box, b"root:" + purpose.encode())

    def same_as(self, material: bytes) -> bool:
        """Whether this key holds `material` (False while sealed)."""
        with self._lock:
            return self._material is not None and hmac.compare_digest(
                bytes(self._material), material)

    def unseal(self, material: bytes) -> None:
        if len(material) != KEY_BYTES:
            raise RootKeyError("a root key is 32 bytes")
        with self._lock:
            self._material = bytearray(material)

    def on_seal(self, callback: Callable[[], None]) -> None:
        """Run `callback` whenever the key is sealed: it must drop material derived from it."""
        self._on_seal.append(callback)

    def seal(self) -> None:
        """Overwrite and drop the material (Python may still hold transient copies made by
        callers), then run the `on_seal` callbacks."""
        with self._lock:
            material, self._material = self._material, None
            if material is not None:
                material[:] = bytes(len(material))
        self.forget_derived()

    def forget_derived(self) -> None:
        for callback in self._on_seal:
            try:
                callback()
            except Exception:
                log.exception("a cache did not clear on seal")

    @classmethod
    def load_or_create(cls, path: Path) -> tuple[RootKey, bool]:
        """Returns the key and whether it was created now."""
        if path.exists():
            return cls.load(path), False
        material = random_key()
        write_key_file(path, material)
        return cls(material), True

    @classmethod
    def load(cls, path: Path) -> RootKey:
        return cls(read_key_file(path))


def write_key_file(path: Path, material: bytes) -> None:
    """A new key file (mode 0600); refuses to overwrite one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key_file_bytes(material))
        handle.flush()
        os.fsync(handle.fileno())


def key_file_bytes(material: bytes) -> bytes:
    return _FILE_MAGIC + material.hex().encode() + b"\n"


def read_key_file(path: Path) -> bytes:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise RootKeyError(f"{path} is readable by others (mode {mode:o}); chmod 600 it")
    data = path.read_bytes()
    if not data.startswith(_FILE_MAGIC):
        raise RootKeyError(f"{path} is not a strongroom root key file")
    try:
        material = bytes.fromhex(data[len(_FILE_MAGIC):].decode().strip())
    except ValueError as exc:
        raise RootKeyError(f"{path} is damaged") from exc
    if len(material) != KEY_BYTES:
        raise RootKeyError(f"{path} is damaged")
    return material
