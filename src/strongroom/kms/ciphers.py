"""KMS cryptographic operations: Encrypt, Decrypt, ReEncrypt, data keys and random bytes.

The sealing itself is the key service's (`KeyService.seal_blob` / `open_blob`): its
blobs name key and material version and bind the encryption context. This module
adds what the KMS API adds: authorization with the key policy and its condition keys,
the key-state errors, and one answer for every ciphertext that will not open.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from strongroom.core.types import RequestContext
from strongroom.keys.service import DecryptFailed, parse_blob
from strongroom.kms.access import KmsBase, resolved
from strongroom.kms.errors import IncorrectKey, InvalidCiphertext, KmsInvalidParameter
from strongroom.kms.model import SYMMETRIC_DEFAULT, DataKeyResult, Decrypted
from strongroom.storage.queries_kms import KmsKeyRecord
from strongroom.storage.sql import Tx

_DATA_KEY_BYTES = {"AES_256": 32, "AES_128": 16}


def _algorithm(algorithm: str | None) -> None:
    if algorithm not in (None, SYMMETRIC_DEFAULT):
        raise KmsInvalidParameter("algorithm", algorithm=algorithm or "")


class KeyCiphers(KmsBase):
    def encrypt(self, ctx: RequestContext, key_ref: str, plaintext: bytes,
                context: Mapping[str, str] | None = None, algorithm: str | None = None,
                ) -> tuple[str, bytes]:
        """Returns (key ARN, ciphertext blob)."""
        _algorithm(algorithm)
        context = context or {}
        with self._key(ctx, key_ref) as (tx, record):
            return record.arn, self._seal(ctx, tx, record, "Encrypt", plaintext, context)

    def decrypt(self, ctx: RequestContext, blob: bytes,
                context: Mapping[str, str] | None = None, key_ref: str | None = None,
                algorithm: str | None = None) -> Decrypted:
        _algorithm(algorithm)
        if key_ref:
            self._ensure_managed(ctx, key_ref)
        with self._store.read() as tx:
            plaintext, record = self._open(ctx, tx, "Decrypt", blob, context or {}, key_ref)
        return Decrypted(record.arn, plaintext)

    def re_encrypt(
        self, ctx: RequestContext, blob: bytes, destination_key: str, *,
        source_context: Mapping[str, str] | None = None, source_key: str | None = None,
        destination_context: Mapping[str, str] | None = None,
        source_algorithm: str | None = None, destination_algorithm: str | None = None,
    ) -> tuple[str, str, bytes]:
        """Returns (source key ARN, destination key ARN, new blob); no plaintext leaves."""
        _algorithm(source_algorithm)
        _algorithm(destination_algorithm)
        with self._key(ctx, destination_key) as (tx, target):
            plaintext, source = self._open(ctx, tx, "ReEncryptFrom", blob,
                                           source_context or {}, source_key)
            new_blob = self._seal(ctx, tx, target, "ReEncryptTo", plaintext,
                                  destination_context or {})
        return source.arn, target.arn, new_blob

    def generate_data_key(
        self, ctx: RequestContext, key_ref: str, *, context: Mapping[str, str] | None = None,
        key_spec: str | None = None, number_of_bytes: int | None = None,
        with_plaintext: bool = True,
    ) -> DataKeyResult:
        if (key_spec is None) == (number_of_bytes is None):
            raise KmsInvalidParameter("data_key_size")
        size = _DATA_KEY_BYTES[key_spec] if key_spec else int(number_of_bytes or 0)
        plaintext = secrets.token_bytes(size)
        action = "GenerateDataKey" if with_plaintext else "GenerateDataKeyWithoutPlaintext"
        with self._key(ctx, key_ref) as (tx, record):
            blob = self._seal(ctx, tx, record, action, plaintext, context or {})
        return DataKeyResult(record.arn, blob, plaintext if with_plaintext else None)

    def generate_random(self, ctx: RequestContext, number_of_bytes: int | None) -> bytes:
        self._authorize_identity(ctx, "GenerateRandom")
        if number_of_bytes is None:
            raise KmsInvalidParameter("random_size")
        return secrets.token_bytes(number_of_bytes)

    # --- the two halves -------------------------------------------------------------------

    def _seal(self, ctx: RequestContext, tx: Tx, record: KmsKeyRecord, action: str,
              plaintext: bytes, context: Mapping[str, str]) -> bytes:
        self._authorize(ctx, action, record, context)
        self._usable(record)
        return self._keys.seal_blob(resolved(record), plaintext, context, tx)

    def _open(self, ctx: RequestContext, tx: Tx, action: str, blob: bytes,
              context: Mapping[str, str], key_ref: str | None,
              ) -> tuple[bytes, KmsKeyRecord]:
        parsed = parse_blob(blob)
        record = tx.get_kms_key(parsed.key_id) if parsed is not None else None
        if record is None:
            raise InvalidCiphertext()
        if key_ref and self._resolve(tx, ctx, key_ref).key_id != record.key_id:
            raise IncorrectKey()
        self._authorize(ctx, action, record, context)
        self._usable(record)
        try:  # the key row was read in this transaction, so its state cannot differ
            return self._keys.open_blob(tx, blob, context), record
        except DecryptFailed as exc:
            raise InvalidCiphertext() from exc
