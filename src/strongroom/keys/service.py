"""Key-encryption keys and envelope encryption, as Secrets Manager uses KMS.

Today every account and region has one AWS managed key, `aws/secretsmanager`,
created on first use; its material is wrapped by the root key. The KMS service
(its own piece of work) will implement the same `KeyService` surface with
customer managed keys, so the secrets code never changes.

Data-key blobs name their key (like KMS ciphertext blobs) and bind the
encryption context as associated data: a blob moved to another secret or
version does not open.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from strongroom.core.clock import Clock
from strongroom.core.errors import StrongroomError
from strongroom.keys.crypto import CiphertextInvalid, open_sealed, random_key, seal
from strongroom.keys.rootkey import RootKey
from strongroom.storage.base import Store, UniqueViolation
from strongroom.storage.records import KeyRecord
from strongroom.storage.sql import Tx

MANAGED_ALIAS = "alias/aws/secretsmanager"
_BLOB_MAGIC = b"SRDK\x01"


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


@dataclass(frozen=True)
class DataKey:
    plaintext: bytes
    blob: bytes
    key_arn: str

    def __repr__(self) -> str:
        return f"DataKey(key_arn={self.key_arn!r})"


def _context_aad(key_id: str, context: Mapping[str, str]) -> bytes:
    return _aad(key_id, tuple(sorted(context.items())))


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
        self._materials: dict[str, bytes] = {}
        self._lock = threading.Lock()

    # --- resolving keys -------------------------------------------------------

    def key_for_encryption(self, account_id: str, region: str, key_ref: str | None) -> ResolvedKey:
        """The key new versions go under; creates the managed key on first use.

        Call outside any open transaction: creating the managed key is its own write.
        """
        if key_ref in (None, "", MANAGED_ALIAS, self._alias_arn(account_id, region)):
            return self._managed_key(account_id, region)
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
        self._remember(record)
        return ResolvedKey(record.key_id, record.arn, record.managed)

    def _managed_key(self, account_id: str, region: str) -> ResolvedKey:
        for _attempt in range(3):
            with self._store.read() as tx:
                key_id = tx.get_alias(account_id, region, MANAGED_ALIAS)
                record = tx.get_key(key_id) if key_id else None
            if record is not None:
                self._remember(record)
                return ResolvedKey(record.key_id, record.arn, True)
            try:
                with self._store.write() as tx:
                    record = self._create_key(tx, account_id, region, managed=True,
                                              description="Default key that protects my "
                                              "Secrets Manager data when no other key is defined")
                    tx.insert_alias(account_id, region, MANAGED_ALIAS, record.key_id)
            except UniqueViolation:
                continue  # another worker created it first; read theirs
            self._remember(record)
            return ResolvedKey(record.key_id, record.arn, True)
        raise KeyNotFound(MANAGED_ALIAS)

    def _create_key(
        self, tx: Tx, account_id: str, region: str, *, managed: bool, description: str
    ) -> KeyRecord:
        key_id = str(uuid.uuid4())
        material = random_key()
        record = KeyRecord(
            key_id=key_id,
            account_id=account_id,
            region=region,
            arn=f"arn:aws:kms:{region}:{account_id}:key/{key_id}",
            material_wrapped=self._root.wrap(material, f"kms-key:{key_id}"),
            state="Enabled",
            description=description,
            managed=managed,
            created=self._clock.now(),
        )
        tx.insert_key(record)
        return record

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

    def _remember(self, record: KeyRecord) -> bytes:
        material = self._materials.get(record.key_id)
        if material is None:
            try:
                material = self._root.unwrap(record.material_wrapped, f"kms-key:{record.key_id}")
            except CiphertextInvalid as exc:
                raise DecryptFailed() from exc
            with self._lock:
                self._materials[record.key_id] = material
        return material

    # --- data keys ------------------------------------------------------------

    def generate_data_key(self, key: ResolvedKey, context: Mapping[str, str]) -> DataKey:
        material = self._materials[key.key_id]
        plaintext = random_key()
        box = seal(material, plaintext, _context_aad(key.key_id, context))
        key_id = key.key_id.encode()
        blob = _BLOB_MAGIC + bytes([len(key_id)]) + key_id + box
        return DataKey(plaintext=plaintext, blob=blob, key_arn=key.arn)

    def decrypt_data_key(self, tx: Tx, blob: bytes, context: Mapping[str, str]) -> bytes:
        """Open a data key; the blob names its key. Any failure is `DecryptFailed`."""
        if not blob.startswith(_BLOB_MAGIC) or len(blob) < len(_BLOB_MAGIC) + 2:
            raise DecryptFailed()
        start = len(_BLOB_MAGIC) + 1
        end = start + blob[len(_BLOB_MAGIC)]
        key_id = blob[start:end].decode("ascii", "replace")
        material = self._materials.get(key_id)
        if material is None:
            record = tx.get_key(key_id)
            if record is None:
                raise DecryptFailed()
            if record.state != "Enabled":
                raise KeyUnusable(record.arn, record.state)
            material = self._remember(record)
        try:
            return open_sealed(material, blob[end:], _context_aad(key_id, context))
        except CiphertextInvalid as exc:
            raise DecryptFailed() from exc

    # --- values ---------------------------------------------------------------

    def encrypt_value(
        self, key: ResolvedKey, plaintext: bytes, context: Mapping[str, str]
    ) -> tuple[bytes, bytes]:
        """Envelope-encrypt: returns (data-key blob, value ciphertext)."""
        data_key = self.generate_data_key(key, context)
        aad = _context_aad("value", context)
        return data_key.blob, seal(data_key.plaintext, plaintext, aad)

    def decrypt_value(
        self, tx: Tx, blob: bytes, ciphertext: bytes, context: Mapping[str, str]
    ) -> bytes:
        data_key = self.decrypt_data_key(tx, blob, context)
        try:
            return open_sealed(data_key, ciphertext, _context_aad("value", context))
        except CiphertextInvalid as exc:
            raise DecryptFailed() from exc
