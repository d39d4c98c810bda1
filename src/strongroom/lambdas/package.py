"""Deployment packages: checking an uploaded zip and unpacking it once per content hash.

A zip is refused when it cannot be read or when any entry would land outside the
package directory (absolute paths, `..`, drive letters, links). Unpacking writes to a
fresh directory and renames it into place, so a half-written package is never used and
concurrent invocations of the same code share one copy.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import stat
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from strongroom.lambdas.errors import LambdaError

MAX_UNPACKED_BYTES = 250 * 1024 * 1024  # Lambda's unzipped deployment package limit
MAX_ENTRIES = 20_000


@dataclass(frozen=True)
class Package:
    zip_bytes: bytes
    sha256_b64: str  # Lambda's CodeSha256
    sha256_hex: str  # the directory name

    @property
    def size(self) -> int:
        return len(self.zip_bytes)


def _unsafe(name: str) -> bool:
    if not name or "\\" in name or name.startswith("/") or "\0" in name:
        return True
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        return True
    return len(path.parts) > 0 and ":" in path.parts[0]


def check_package(data: bytes) -> Package:
    """Read the zip's directory and refuse what could not be unpacked safely."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise LambdaError("bad_zip") from exc
    if len(entries) > MAX_ENTRIES:
        raise LambdaError("bad_zip")
    total = 0
    for entry in entries:
        mode = entry.external_attr >> 16
        if _unsafe(entry.filename) or stat.S_ISLNK(mode):
            raise LambdaError("unsafe_zip_entry")
        total += entry.file_size
    if total > MAX_UNPACKED_BYTES:
        raise LambdaError("package_too_large", limit=str(MAX_UNPACKED_BYTES))
    digest = hashlib.sha256(data).digest()
    return Package(data, base64.b64encode(digest).decode("ascii"), digest.hex())


def unpacked(root: Path, package: Package) -> Path:
    """The directory holding the package's files, unpacking it first if needed."""
    target = root / package.sha256_hex
    if target.is_dir():
        return target
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    staging = root / f".{package.sha256_hex}.{uuid.uuid4().hex}"
    staging.mkdir(mode=0o700)
    try:
        with zipfile.ZipFile(io.BytesIO(package.zip_bytes)) as archive:
            for entry in archive.infolist():
                if _unsafe(entry.filename) or stat.S_ISLNK(entry.external_attr >> 16):
                    raise LambdaError("unsafe_zip_entry")
                destination = staging.joinpath(*PurePosixPath(entry.filename).parts)
                if not destination.resolve().is_relative_to(staging.resolve()):
                    raise LambdaError("unsafe_zip_entry")
                if entry.is_dir():
                    destination.mkdir(parents=True, exist_ok=True)
                    continue
                destination.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(entry) as source, open(destination, "wb") as sink:
                    shutil.copyfileobj(source, sink)
                os.chmod(destination, 0o755 if (entry.external_attr >> 16) & 0o111 else 0o644)
        try:
            os.rename(staging, target)
        except OSError:
            if not target.is_dir():  # not a lost race with another unpacker
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target
