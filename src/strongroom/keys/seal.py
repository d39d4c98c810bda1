"""How the root key is protected at rest, and the holder that unseals it.

Three modes, recorded in `seal.json` (mode 0600) in the data directory:
- ``file``: the key in `root.key` (mode 0600) beside the data; the embedded default,
  and what a data directory without `seal.json` is;
- ``passphrase``: the key AES-256-GCM-wrapped by a key derived from a passphrase
  with scrypt; `seal.json` holds the KDF parameters, salt and the wrapped key;
- ``shamir``: the key split into n shares with threshold k, printed once and never
  stored; `seal.json` holds k, n, the share set id and a verifier (a known value
  sealed under the root key) that tells a right combination from a wrong one.

`seal.json` never holds the key in the clear. This module never touches the store.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from strongroom.core.errors import StrongroomError
from strongroom.keys import shamir
from strongroom.keys.crypto import (
    SALT_BYTES,
    SCRYPT_N,
    SCRYPT_P,
    SCRYPT_R,
    CiphertextInvalid,
    derive_key,
    open_sealed,
    random_bytes,
    random_key,
    seal,
)
from strongroom.keys.rootkey import (
    RootKey,
    RootKeyError,
    Sealed,
    key_file_bytes,
    read_key_file,
)
from strongroom.keys.shamir import Share, ShareInvalid

__all__ = [
    "KEY_FILE", "SEAL_FILE", "AlreadyInitialized", "Protection", "RootKeyHolder", "SealMode",
    "SealStatus", "Sealed", "ShareInvalid", "Staged", "UnsealFailed", "protect", "read_protection",
]

SEAL_FILE = "seal.json"
KEY_FILE = "root.key"
_FORMAT = "strongroom-seal-v1"
_PASSPHRASE_AAD = b"strongroom-seal-v1:passphrase"
_VERIFIER_AAD = b"strongroom-seal-v1:verifier"
_VERIFIER_TEXT = b"strongroom root key verifier"


class SealMode(StrEnum):
    FILE = "file"
    PASSPHRASE = "passphrase"  # noqa: S105 - a mode name
    SHAMIR = "shamir"


class UnsealFailed(StrongroomError):
    """The passphrase or the combination of shares does not open this data directory."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AlreadyInitialized(StrongroomError):
    def __init__(self, data_dir: Path) -> None:
        super().__init__(f"{data_dir} is already initialized")
        self.data_dir = data_dir


@dataclass(frozen=True)
class Protection:
    """The contents of `seal.json`: the mode and its parameters, never the key."""

    mode: SealMode
    salt: bytes = b""
    kdf_n: int = 0
    kdf_r: int = 0
    kdf_p: int = 0
    wrapped: bytes = b""
    threshold: int = 0
    shares: int = 0
    share_set: bytes = b""
    verifier: bytes = b""

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"format": _FORMAT, "mode": str(self.mode)}
        if self.mode is SealMode.PASSPHRASE:
            doc["kdf"] = {"name": "scrypt", "n": self.kdf_n, "r": self.kdf_r, "p": self.kdf_p,
                          "salt": self.salt.hex()}
            doc["wrapped_root_key"] = self.wrapped.hex()
        elif self.mode is SealMode.SHAMIR:
            doc.update(threshold=self.threshold, shares=self.shares,
                       share_set=self.share_set.hex(), verifier=self.verifier.hex())
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Protection:
        if doc.get("format") != _FORMAT:
            raise RootKeyError(f"{SEAL_FILE} has an unknown format")
        mode = SealMode(doc["mode"])
        if mode is SealMode.PASSPHRASE:
            kdf = doc["kdf"]
            if kdf.get("name") != "scrypt":
                raise RootKeyError(f"{SEAL_FILE} names an unknown KDF")
            return cls(mode, salt=bytes.fromhex(kdf["salt"]), kdf_n=int(kdf["n"]),
                       kdf_r=int(kdf["r"]), kdf_p=int(kdf["p"]),
                       wrapped=bytes.fromhex(doc["wrapped_root_key"]))
        if mode is SealMode.SHAMIR:
            return cls(mode, threshold=int(doc["threshold"]), shares=int(doc["shares"]),
                       share_set=bytes.fromhex(doc["share_set"]),
                       verifier=bytes.fromhex(doc["verifier"]))
        return cls(mode)

    def opens_with(self, material: bytes) -> bool:
        """Whether `material` is the key this protection was made for (shamir verifier)."""
        try:
            return open_sealed(material, self.verifier, _VERIFIER_AAD) == _VERIFIER_TEXT
        except CiphertextInvalid:
            return False

    def open_with_passphrase(self, passphrase: str) -> bytes:
        try:
            kek = derive_key(passphrase.encode(), self.salt, n=self.kdf_n, r=self.kdf_r,
                             p=self.kdf_p)
        except ValueError as exc:
            raise UnsealFailed(f"{SEAL_FILE} has unusable KDF parameters") from exc
        try:
            return open_sealed(kek, self.wrapped, _PASSPHRASE_AAD)
        except CiphertextInvalid as exc:
            raise UnsealFailed("wrong passphrase") from exc


def read_protection(data_dir: Path) -> Protection | None:
    """The data directory's `seal.json`, or None when it has none (file mode, as before)."""
    path = data_dir / SEAL_FILE
    if not path.exists():
        return None
    try:
        return Protection.from_json(json.loads(path.read_text()))
    except (ValueError, KeyError, TypeError) as exc:
        raise RootKeyError(f"{path} is damaged") from exc


def is_initialized(data_dir: Path) -> bool:
    return (data_dir / SEAL_FILE).exists() or (data_dir / KEY_FILE).exists()


@dataclass
class Staged:
    """A new protection written beside the current one as `*.pending`, not yet in force.

    `commit()` renames it into place; until then the old protection still opens the
    data directory. `shares` are the new Shamir shares, to print once after commit.
    """

    data_dir: Path
    files: dict[str, bytes]
    shares: list[str] = field(default_factory=list)

    def write(self) -> None:
        for name, content in self.files.items():
            pending = self.data_dir / (name + ".pending")
            pending.unlink(missing_ok=True)
            fd = os.open(pending, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())

    def commit(self, *, drop: tuple[str, ...] = ()) -> None:
        """Move the pending files into place; remove `drop` (files of the old mode)."""
        for name in self.files:
            os.replace(self.data_dir / (name + ".pending"), self.data_dir / name)
        for name in drop:
            if name not in self.files:
                (self.data_dir / name).unlink(missing_ok=True)
        _fsync_dir(self.data_dir)

    def abandon(self) -> None:
        for name in self.files:
            (self.data_dir / (name + ".pending")).unlink(missing_ok=True)


def protect(data_dir: Path, mode: SealMode, material: bytes, *, passphrase: str | None = None,
            threshold: int = 0, shares: int = 0, kdf_n: int = SCRYPT_N) -> Staged:
    """Stage the protection of `material` in `mode` (written as pending files)."""
    files: dict[str, bytes] = {}
    texts: list[str] = []
    if mode is SealMode.FILE:
        files[KEY_FILE] = key_file_bytes(material)
        protection = Protection(mode)
    elif mode is SealMode.PASSPHRASE:
        if not passphrase:
            raise ValueError("passphrase mode needs a non-empty passphrase")
        salt = random_bytes(SALT_BYTES)
        kek = derive_key(passphrase.encode(), salt, n=kdf_n, r=SCRYPT_R, p=SCRYPT_P)
        protection = Protection(mode, salt=salt, kdf_n=kdf_n, kdf_r=SCRYPT_R, kdf_p=SCRYPT_P,
                                wrapped=seal(kek, material, _PASSPHRASE_AAD))
    else:
        if not 2 <= threshold <= shares <= 255:
            raise ValueError("shamir mode needs 2 <= threshold <= shares <= 255")
        share_set = random_bytes(shamir.SET_ID_BYTES)
        texts = [Share(x, share_set, value).text()
                 for x, value in shamir.split(material, threshold, shares)]
        protection = Protection(mode, threshold=threshold, shares=shares, share_set=share_set,
                                verifier=seal(material, _VERIFIER_TEXT, _VERIFIER_AAD))
    files[SEAL_FILE] = (json.dumps(protection.to_json(), indent=2) + "\n").encode()
    staged = Staged(data_dir, files, texts)
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    staged.write()
    return staged


def initialize(data_dir: Path, mode: SealMode, **options: Any) -> tuple[RootKey, list[str]]:
    """A new root key for an uninitialized data directory; returns it unsealed and the
    shares to print (shamir)."""
    if is_initialized(data_dir):
        raise AlreadyInitialized(data_dir)
    material = random_key()
    staged = protect(data_dir, mode, material, **options)
    staged.commit()
    return RootKey(material), staged.shares


@dataclass(frozen=True)
class SealStatus:
    mode: SealMode
    sealed: bool
    shares_given: int = 0
    shares_needed: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"mode": str(self.mode), "sealed": self.sealed,
                "shares_given": self.shares_given, "shares_needed": self.shares_needed}


class RootKeyHolder:
    """The server's root key and how to unseal it. Callers of `wrap`/`unwrap` use `root`."""

    def __init__(self, data_dir: Path, root: RootKey, protection: Protection) -> None:
        self.data_dir = data_dir
        self.root = root
        self.protection = protection
        self._shares: dict[int, bytes] = {}
        self._lock = threading.Lock()

    @classmethod
    def open(cls, data_dir: Path) -> RootKeyHolder:
        """File mode (or no `seal.json`): the key is loaded, created on first start.
        Passphrase and shamir modes start sealed."""
        protection = read_protection(data_dir) or Protection(SealMode.FILE)
        if protection.mode is SealMode.FILE:
            root, _ = RootKey.load_or_create(data_dir / KEY_FILE)
        else:
            root = RootKey(None)
        return cls(data_dir, root, protection)

    @property
    def mode(self) -> SealMode:
        return self.protection.mode

    @property
    def sealed(self) -> bool:
        return self.root.sealed

    def status(self) -> SealStatus:
        with self._lock:
            given = len(self._shares) if self.sealed else 0
        needed = self.protection.threshold if self.mode is SealMode.SHAMIR else 0
        return SealStatus(self.mode, self.sealed, given, needed)

    def on_seal(self, callback: Callable[[], None]) -> None:
        self.root.on_seal(callback)

    def unseal_with_passphrase(self, passphrase: str) -> SealStatus:
        if self.mode is not SealMode.PASSPHRASE:
            raise UnsealFailed(f"this data directory is sealed in {self.mode} mode")
        if self.sealed:
            self.root.unseal(self.protection.open_with_passphrase(passphrase))
        return self.status()

    def unseal_from_file(self) -> SealStatus:
        """File mode after an operator `seal`: read the key file again."""
        if self.mode is not SealMode.FILE:
            raise UnsealFailed(f"this data directory is sealed in {self.mode} mode")
        if self.sealed:
            self.root.unseal(read_key_file(self.data_dir / KEY_FILE))
        return self.status()

    def submit_share(self, text: str) -> SealStatus:
        """Collect one share; the k-th unseals (or, if the combination is wrong, fails and
        forgets every share given, so the operators start over)."""
        if self.mode is not SealMode.SHAMIR:
            raise UnsealFailed(f"this data directory is sealed in {self.mode} mode")
        share = Share.parse(text)
        if share.set_id != self.protection.share_set:
            raise ShareInvalid("this share belongs to another set of shares (an older root "
                               "key, or another data directory)")
        if not self.sealed:
            return self.status()
        with self._lock:
            if share.index in self._shares:
                raise ShareInvalid(f"share {share.index} was already given")
            self._shares[share.index] = share.value
            if len(self._shares) < self.protection.threshold:
                return SealStatus(self.mode, True, len(self._shares), self.protection.threshold)
            given, self._shares = self._shares, {}
        try:
            material = shamir.combine(sorted(given.items()))
        except ValueError as exc:
            raise UnsealFailed("these shares do not combine; start again") from exc
        if not self.protection.opens_with(material):
            raise UnsealFailed("these shares do not open this data directory; start again")
        self.root.unseal(material)
        return self.status()

    def seal(self) -> SealStatus:
        with self._lock:
            self._shares = {}
        self.root.seal()
        return self.status()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
