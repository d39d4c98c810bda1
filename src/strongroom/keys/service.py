"""Key-encryption keys and envelope encryption, as Secrets Manager uses KMS.

Every account and region has one AWS managed key, `aws/secretsmanager`, created
on first use; customer managed keys come from the KMS service (`strongroom.kms`),
which uses the blob primitives here. Each key has numbered material versions, all
wrapped by the root key; rotation adds one, and old ones keep opening what they
sealed.

Ciphertext blobs (KMS CiphertextBlob, and the data keys of secret versions) name
their key and material version and bind the encryption context as associated
data: a blob moved to another secret or version, or edited, does not open.

Format 2 (current):  b"SRDK\x02" | u8 len | key id (ASCII) | u32 BE version |
                     nonce (12) | AES-256-GCM ciphertext | tag (16)
                     AAD = everything before the nonce | canonical JSON of the context
Format 1 (read only, written before rotation existed): b"SRDK\x01" | u8 len | key id |
                     nonce | ciphertext | tag, AAD = magic | key id | "|" | JSON; version 1.

Key state is read from the store row on every use: the material cache holds only
immutable (key, version) material and never decides whether a key may be used.
"""

from __future__ import annotations

import json
import struct
import threading
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from strongroom.core.clock import Clock
from strongroom.core.errors import StrongroomError
from strongroom.keys.crypto import CiphertextInvalid, open_sealed, random_key, seal
from strongroom.keys.rootkey import RootKey
from strongroom.storage.base import Store, UniqueViolation
from strongroom.storage.queries_kms import AliasRecord
from strongroom.storage.records import KeyRecord
from strongroom.storage.sql import Tx

MANAGED_ALIAS = "alias/aws/secretsmanager"
DATA_KEY_TTL = 300.0  # seconds an opened data key may stay in memory
DATA_KEY_CACHE = 10_000
MANAGED_DESCRIPTION = (
    "Default key that protects my Secrets Manager data when no other key is defined")
_BLOB_MAGIC = b"SRDK\x01"  # format 1: read only
_BLOB_MAGIC_V2 = b"SRDK\x02"
_VERSION = struct.Struct(">I")
_KEY_ID_BYTES = frozenset(b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-")


class KeyNotFound(StrongroomError):
    def __init__(self, key_ref: str) -> None:
        super().__init__(f"key {key_ref} not found")
        self.key_ref = key_ref


class KeyUnusable(StrongroomError):
    """The key exists but cannot be used now (disabled, pending deletion)."""

    def __init__(self, key_arn: str, state: str) -> None:
        super().__init__(f"key {key_arn} is {state}")
        self.key_arn = key_arn
        self.state = state


class DecryptFailed(StrongroomError):
    """A stored ciphertext or data key would not open; never says why."""

    def __init__(self) -> None:
        super().__init__("decryption failed")


@dataclass(frozen=True)
class ResolvedKey:
    key_id: str
    arn: str
    managed: bool
    version: int = 1


@dataclass(frozen=True)
class BlobHeader:
    """What a ciphertext blob says about itself before it is opened."""

    key_id: str
    version: int
    header: bytes  # the bytes before the nonce
    box: bytes
    legacy: bool


_NO_HEADER = BlobHeader("", 0, b"", b"", legacy=False)


@dataclass(frozen=True)
class DataKey:
    plaintext: bytes
    blob: bytes
    key_arn: str

    def __repr__(self) -> str:
        return f"DataKey(key_arn={self.key_arn!r})"


def _context_aad(key_id: str, context: Mapping[str, str]) -> bytes:
    return _aad(key_id, tuple(sorted(context.items())))


def _context_json(context: Mapping[str, str]) -> bytes:
    return json.dumps(dict(sorted(context.items())), separators=(",", ":")).encode()


def material_purpose(key_id: str, version: int) -> str:
    """The root-key wrapping label of one material version (version 1 predates versions)."""
    return f"kms-key:{key_id}" if version == 1 else f"kms-key:{key_id}:v{version}"


def blob_header(key_id: str, version: int) -> bytes:
    raw = key_id.encode("ascii")
    return _BLOB_MAGIC_V2 + bytes([len(raw)]) + raw + _VERSION.pack(version)


@lru_cache(maxsize=4096)
def parse_blob(blob: bytes) -> BlobHeader | None:
    """Split a blob into the key it names and its sealed box; None if it is not ours."""
    legacy = blob.startswith(_BLOB_MAGIC)
    if not (legacy or blob.startswith(_BLOB_MAGIC_V2)) or len(blob) < len(_BLOB_MAGIC) + 2:
        return None
    start = len(_BLOB_MAGIC) + 1
    end = start + blob[len(_BLOB_MAGIC)]
    raw_id = blob[start:end]
    if not raw_id or not all(c in _KEY_ID_BYTES for c in raw_id):
        return None  # not an id we issue; also keeps NUL and the like away from the store
    key_id = raw_id.decode("ascii")
    if legacy:
        return BlobHeader(key_id, 1, blob[:end], blob[end:], True)
    if len(blob) < end + _VERSION.size:
        return None
    (version,) = _VERSION.unpack_from(blob, end)
    end += _VERSION.size
    return BlobHeader(key_id, version, blob[:end], blob[end:], False)


def _blob_aad(parsed: BlobHeader, context: Mapping[str, str]) -> bytes:
    if parsed.legacy:
        return _context_aad(parsed.key_id, context)
    return parsed.header + b"|" + _context_json(context)


@lru_cache(maxsize=4096)
def _aad(key_id: str, items: tuple[tuple[str, str], ...]) -> bytes:
    """The associated data binding a key id and an encryption context (canonical JSON)."""
    return _BLOB_MAGIC + key_id.encode() + b"|" + json.dumps(
        dict(items), separators=(",", ":")).encode()


class KeyService:
    def __init__(self, store: Store, root: RootKey, clock: Clock) -> None:
        self._store = store
        self._root = root
        self._clock = clock
        self._materials: dict[tuple[str, int], bytes] = {}
        self._data_keys: OrderedDict[tuple[bytes, tuple[tuple[str, str], ...]],
                                     tuple[bytes, float]] = OrderedDict()
        self._lock = threading.Lock()

    def forget_all(self) -> None:
        """Drop every key held in memory (on sealing): material and data keys alike."""
        with self._lock:
            self._materials.clear()
            self._data_keys.clear()

    # --- resolving keys -------------------------------------------------------

    def key_for_encryption(self, account_id: str, region: str, key_ref: str | None) -> ResolvedKey:
        """The key new versions go under; creates the managed key on first use.

        Call outside any open transaction: creating the managed key is its own write.
        """
        if key_ref in (None, "", MANAGED_ALIAS, self._alias_arn(account_id, region)):
            key_ref = self.managed_key(account_id, region).key_id
        with self._store.read() as tx:
            return self.key_in(tx, account_id, region, key_ref)

    def key_in(self, tx: Tx, account_id: str, region: str, key_ref: str | None) -> ResolvedKey:
        """The key of an existing secret, looked up inside the caller's transaction."""
        key_ref = key_ref or MANAGED_ALIAS
        record = self._lookup(tx, account_id, region, key_ref)
        if record is None:
            raise KeyNotFound(key_ref)
        if record.state != "Enabled":
            raise KeyUnusable(record.arn, record.state)
        version = tx.current_key_version(record.key_id) or 1
        self._material(tx, record.key_id, version)
        return ResolvedKey(record.key_id, record.arn, record.managed, version)

    def managed_key(self, account_id: str, region: str) -> ResolvedKey:
        """The account's `aws/secretsmanager` key, created now if it does not exist yet.

        Call outside any open transaction: creating it is its own write.
        """
        for _attempt in range(3):
            with self._store.read() as tx:
                key_id = tx.get_alias(account_id, region, MANAGED_ALIAS)
                record = tx.get_key(key_id) if key_id else None
            if record is not None:
                return ResolvedKey(record.key_id, record.arn, True)
            try:
                with self._store.write() as tx:
                    record = self.create_key(tx, account_id, region, managed=True,
                                             description=MANAGED_DESCRIPTION)
                    now = self._clock.now()
                    tx.insert_alias_record(AliasRecord(
                        account_id, region, MANAGED_ALIAS, record.key_id, now, now))
            except UniqueViolation:
                continue  # another worker created it first; read theirs
            return ResolvedKey(record.key_id, record.arn, True)
        raise KeyNotFound(MANAGED_ALIAS)

    def create_key(
        self, tx: Tx, account_id: str, region: str, *, managed: bool, description: str,
        key_id: str | None = None,
    ) -> KeyRecord:
        """A new Enabled key with its first material version, inside the caller's write."""
        key_id = key_id or str(uuid.uuid4())
        material = random_key()
        wrapped = self._root.wrap(material, material_purpose(key_id, 1))
        now = self._clock.now()
        record = KeyRecord(
            key_id=key_id,
            account_id=account_id,
            region=region,
            arn=f"arn:aws:kms:{region}:{account_id}:key/{key_id}",
            material_wrapped=wrapped,
            state="Enabled",
            description=description,
            managed=managed,
            created=now,
        )
        tx.insert_key(record)
        tx.insert_key_version(key_id, 1, wrapped, now)
        return record

    def rotate(self, tx: Tx, key_id: str) -> int:
        """Add a material version and make it current; older versions still open their blobs."""
        current = tx.current_key_version(key_id)
        if current is None:
            raise KeyNotFound(key_id)
        version = current + 1
        wrapped = self._root.wrap(random_key(), material_purpose(key_id, version))
        tx.insert_key_version(key_id, version, wrapped, self._clock.now())
        tx.set_current_key_version(key_id, version)
        return version

    def forget(self, key_id: str) -> None:
        """Drop cached material of a key whose rows were deleted (crypto-shredding)."""
        with self._lock:
            for cached in [k for k in self._materials if k[0] == key_id]:
                del self._materials[cached]
            for blob_key in [k for k in self._data_keys
                             if (parse_blob(k[0]) or _NO_HEADER).key_id == key_id]:
                del self._data_keys[blob_key]

    def _lookup(self, tx: Tx, account_id: str, region: str, key_ref: str) -> KeyRecord | None:
        if key_ref.startswith("arn:"):
            parts = key_ref.split(":", 5)
            if len(parts) != 6 or parts[2] != "kms":
                return None
            resource = parts[5]
            if resource.startswith("alias/"):
                key_id = tx.get_alias(parts[4], parts[3], resource)
                return tx.get_key(key_id) if key_id else None
            if resource.startswith("key/"):
                record = tx.get_key(resource[4:])
                return record if record is not None and record.arn == key_ref else None
            return None
        if key_ref.startswith("alias/"):
            key_id = tx.get_alias(account_id, region, key_ref)
            return tx.get_key(key_id) if key_id else None
        record = tx.get_key(key_ref)
        if record is None or record.account_id != account_id or record.region != region:
            return None
        return record

    @staticmethod
    def _alias_arn(account_id: str, region: str) -> str:
        return f"arn:aws:kms:{region}:{account_id}:{MANAGED_ALIAS}"

    def _material(self, tx: Tx, key_id: str, version: int) -> bytes:
        """The plaintext material of one version; cached, since a version never changes."""
        material = self._materials.get((key_id, version))
        if material is None:
            wrapped = tx.get_key_version(key_id, version)
            if wrapped is None:
                raise DecryptFailed()
            try:
                material = self._root.unwrap(wrapped, material_purpose(key_id, version))
            except CiphertextInvalid as exc:
                raise DecryptFailed() from exc
            with self._lock:
                self._materials[(key_id, version)] = material
        return material

    # --- blobs ------------------------------------------------------------------

    def seal_blob(self, key: ResolvedKey, plaintext: bytes, context: Mapping[str, str],
                  tx: Tx | None = None) -> bytes:
        """Encrypt under the key's current version (as resolved); the caller has checked
        the key's state. Without `tx` the material must be cached (by `key_in`) or is read."""
        material = self._materials.get((key.key_id, key.version))
        if material is None and tx is not None:
            material = self._material(tx, key.key_id, key.version)
        if material is None:
            with self._store.read() as own:
                material = self._material(own, key.key_id, key.version)
        header = blob_header(key.key_id, key.version)
        return header + seal(material, plaintext, header + b"|" + _context_json(context))

    def open_blob(self, tx: Tx, blob: bytes, context: Mapping[str, str], *,
                  state_checked: bool = False) -> bytes:
        """Open a blob; the blob names its key and version, whose state is read now
        (unless the caller has just read it: `state_checked`).

        A key that is not Enabled raises `KeyUnusable`; any other failure `DecryptFailed`.
        """
        parsed = parse_blob(blob)
        if parsed is None:
            raise DecryptFailed()
        if not state_checked:
            self._check_state(tx, parsed.key_id)
        material = self._material(tx, parsed.key_id, parsed.version)
        try:
            return open_sealed(material, parsed.box, _blob_aad(parsed, context))
        except CiphertextInvalid as exc:
            raise DecryptFailed() from exc

    @staticmethod
    def _check_state(tx: Tx, key_id: str) -> None:
        record = tx.get_key(key_id)
        if record is None:
            raise DecryptFailed()
        if record.state != "Enabled":
            raise KeyUnusable(record.arn, record.state)

    # --- data keys ------------------------------------------------------------

    def generate_data_key(self, key: ResolvedKey, context: Mapping[str, str]) -> DataKey:
        plaintext = random_key()
        return DataKey(plaintext=plaintext, blob=self.seal_blob(key, plaintext, context),
                       key_arn=key.arn)

    def decrypt_data_key(self, tx: Tx, blob: bytes, context: Mapping[str, str], *,
                         state_checked: bool = False) -> bytes:
        """Open a data key; the blob names its key. Any failure is `DecryptFailed`.

        Opened data keys stay in memory for at most DATA_KEY_TTL seconds (and at most
        DATA_KEY_CACHE of them), keyed by blob *and* context, so a hit needs exactly
        what a fresh open would. The key's state is read on every call all the same
        (here, or by the caller: `state_checked`): disabling a key takes effect at once.
        """
        parsed = parse_blob(blob)
        if parsed is None:
            raise DecryptFailed()
        cache_key = (blob, tuple(sorted(context.items())))
        now = self._clock.now()
        with self._lock:
            cached = self._data_keys.get(cache_key)
        if cached is not None and now - cached[1] < DATA_KEY_TTL:
            if not state_checked:
                self._check_state(tx, parsed.key_id)
            return cached[0]
        data_key = self.open_blob(tx, blob, context, state_checked=state_checked)
        with self._lock:
            self._data_keys[cache_key] = (data_key, now)
            while len(self._data_keys) > DATA_KEY_CACHE:
                self._data_keys.popitem(last=False)
        return data_key

    # --- values ---------------------------------------------------------------

    def encrypt_value(
        self, key: ResolvedKey, plaintext: bytes, context: Mapping[str, str]
    ) -> tuple[bytes, bytes]:
        """Envelope-encrypt: returns (data-key blob, value ciphertext)."""
        data_key = self.generate_data_key(key, context)
        aad = _context_aad("value", context)
        return data_key.blob, seal(data_key.plaintext, plaintext, aad)

    def decrypt_value(
        self, tx: Tx, blob: bytes, ciphertext: bytes, context: Mapping[str, str], *,
        state_checked: bool = False,
    ) -> bytes:
        data_key = self.decrypt_data_key(tx, blob, context, state_checked=state_checked)
        try:
            return open_sealed(data_key, ciphertext, _context_aad("value", context))
        except CiphertextInvalid as exc:
            raise DecryptFailed() from exc
