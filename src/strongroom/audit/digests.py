"""Signed checkpoints of each account's audit chain: the store's Ed25519 key signs an
account's head (seq, digest) whenever it has moved since the last checkpoint.

The hash chain alone cannot show that records were cut off its end (whoever deletes them
can rewrite the head row too); a checkpoint can, because forging one needs the signing
key, which only the root key opens. Before signing, the records since the last checkpoint
are checked to link up, so a chain already broken is never signed over. This module signs
and says which public keys are genuine; it never judges a whole chain (audit.verify does).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from strongroom.audit.chain import GENESIS, link
from strongroom.core.clock import Clock
from strongroom.keys.crypto import (
    CiphertextInvalid,
    sign,
    signature_valid,
    signing_key_pair,
    signing_public_key,
)
from strongroom.keys.rekey import audit_signing_key_purpose as signing_key_purpose
from strongroom.keys.rootkey import RootKey, Sealed
from strongroom.storage.base import Store
from strongroom.storage.queries_audit import AuditCheckpointRow, AuditRow, AuditSigningKeyRow
from strongroom.storage.sql import Tx

log = logging.getLogger("strongroom.audit")

_PAGE = 1000


def checkpoint_message(account_id: str, seq: int, digest: str, created: float) -> bytes:
    """The exact bytes a checkpoint's signature covers."""
    return f"strongroom-audit-checkpoint-v1\n{account_id}\n{seq}\n{digest}\n{created!r}".encode()


def checkpoint_signed_by(checkpoint: AuditCheckpointRow, public_key: bytes) -> bool:
    return signature_valid(public_key, checkpoint_message(
        checkpoint.account_id, checkpoint.seq, checkpoint.digest, checkpoint.created),
        checkpoint.signature)


@dataclass(frozen=True)
class KeyTrust:
    """What the root key says about one stored signing key: `public_key` is set when the
    wrapped private key opened and matches the stored public key; `problem` says otherwise."""

    key_id: str
    public_key: bytes | None
    problem: str | None


def trusted_keys(keys: list[AuditSigningKeyRow], root: RootKey) -> dict[str, KeyTrust]:
    """Authenticate each stored key with the root key (which must be unsealed)."""
    trusted = {}
    for key in keys:
        try:
            private = root.unwrap(key.private_wrapped, signing_key_purpose(key.key_id))
        except CiphertextInvalid:
            trusted[key.key_id] = KeyTrust(key.key_id, None, "its private key does not open "
                                           "under this root key (altered, or the root key was "
                                           "rotated since)")
            continue
        if signing_public_key(private) != key.public_key:
            trusted[key.key_id] = KeyTrust(key.key_id, None, "its stored public key is not the "
                                           "one of its private key (altered)")
            continue
        trusted[key.key_id] = KeyTrust(key.key_id, key.public_key, None)
    return trusted


def chain_records(tx: Tx, account_id: str, after_seq: int = 0) -> Iterator[AuditRow]:
    """One account's records after `after_seq`, in chain order, a page at a time."""
    while True:
        rows = tx.audit_records(account_id, after_seq=after_seq, limit=_PAGE)
        yield from rows
        if len(rows) < _PAGE:
            return
        after_seq = rows[-1].seq


@dataclass(frozen=True)
class _Signer:
    key_id: str
    private: bytes


class AuditDigests:
    """Signs checkpoints. One key pair per store, made on first use; a new one only when no
    stored key opens under the root key (after a root key rotation)."""

    def __init__(self, store: Store, root: RootKey, clock: Clock) -> None:
        self._store = store
        self._root = root
        self._clock = clock
        self._lock = threading.Lock()
        self._signer: _Signer | None = None

    def forget_key(self) -> None:
        """Drop the private key (on seal)."""
        with self._lock:
            self._signer = None

    def sign_heads(self) -> int:
        """One pass: a checkpoint for every account whose head moved. Returns how many were
        written. Does nothing while the root key is sealed."""
        if self._root.sealed:
            return 0
        with self._store.read() as tx:
            accounts = tx.audit_accounts()
        written = 0
        for account_id in accounts:
            try:
                written += self._sign_account(account_id)
            except Sealed:  # sealed in between; the next pass retries
                return written
        return written

    def _sign_account(self, account_id: str) -> int:
        with self._store.read() as tx:
            head = tx.audit_head(account_id)
            last = tx.last_audit_checkpoint(account_id)
            if head is None or head[0] <= (last.seq if last else 0):
                return 0
            seq, prev = (last.seq, last.digest) if last else (0, GENESIS)
            top: AuditRow | None = None
            for row in chain_records(tx, account_id, seq):
                if row.seq > head[0]:
                    break
                if row.seq != seq + 1 or row.prev_digest != prev or link(
                        prev, row.record) != row.digest:
                    log.error("the audit chain of account %r does not link up at record %d; "
                              "not signing it (run `strongroom audit verify`)", account_id,
                              seq + 1)
                    return 0
                seq, prev, top = row.seq, row.digest, row
        if top is None:
            return 0
        signer = self._signing_key()
        created = self._clock.now()
        checkpoint = AuditCheckpointRow(
            account_id, top.seq, top.digest, created,
            sign(signer.private, checkpoint_message(account_id, top.seq, top.digest, created)),
            signer.key_id)
        with self._store.write() as tx:
            return int(tx.insert_audit_checkpoint(checkpoint))

    def _signing_key(self) -> _Signer:
        with self._lock:
            if self._signer is not None:
                return self._signer
        with self._store.write() as tx:
            for key in reversed(tx.audit_signing_keys()):  # newest first
                try:
                    private = self._root.unwrap(key.private_wrapped,
                                                signing_key_purpose(key.key_id))
                except CiphertextInvalid:
                    continue
                if signing_public_key(private) == key.public_key:
                    signer = _Signer(key.key_id, private)
                    break
            else:
                key_id = str(uuid.uuid4())
                private, public = signing_key_pair()
                tx.insert_audit_signing_key(AuditSigningKeyRow(
                    key_id, public, self._root.wrap(private, signing_key_purpose(key_id)),
                    self._clock.now()))
                log.info("created the audit signing key %s", key_id)
                signer = _Signer(key_id, private)
        with self._lock:
            self._signer = signer
        return signer
