"""Temporary credentials: issuing them and recognising them on every request.

A session's secret access key is wrapped by the root key like a long-term key's;
its session token is random, handed out once and stored only as a SHA-256
digest, compared in constant time. Expired sessions answer ExpiredToken and are
purged in the background.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets as random_source
import string
from dataclasses import dataclass

from strongroom.auth.errors import ExpiredToken, UnrecognizedClient
from strongroom.core.clock import Clock
from strongroom.core.types import Principal
from strongroom.iam.names import access_key_purpose, new_secret_access_key
from strongroom.keys.crypto import CiphertextInvalid
from strongroom.keys.rootkey import RootKey
from strongroom.storage.base import Store
from strongroom.storage.records import SessionRecord

SESSION_KEY_PREFIX = "ASIA"
_ID_ALPHABET = string.ascii_uppercase + string.digits


@dataclass(frozen=True, repr=False)
class TemporaryCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: float

    def __repr__(self) -> str:
        return f"TemporaryCredentials({self.access_key_id!r}, <secret redacted>)"


@dataclass(frozen=True)
class SessionSpec:
    """Who a new session is and what bounds it; everything but the credentials."""

    account_id: str
    kind: str  # "AssumedRole" | "SessionToken"
    principal_name: str
    principal_id: str
    principal_arn: str
    role_arn: str | None
    session_name: str | None
    duration: int
    session_policies: tuple[str, ...] | None
    tags: dict[str, str]
    transitive_tag_keys: tuple[str, ...]
    source_identity: str | None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_session_key(access_key_id: str) -> bool:
    return access_key_id.startswith(SESSION_KEY_PREFIX)


class Sessions:
    def __init__(self, store: Store, root: RootKey, clock: Clock) -> None:
        self._store = store
        self._root = root
        self._clock = clock

    def issue(self, spec: SessionSpec) -> TemporaryCredentials:
        access_key_id = SESSION_KEY_PREFIX + "".join(
            random_source.choice(_ID_ALPHABET) for _ in range(16))
        secret = new_secret_access_key()
        token = base64.b64encode(random_source.token_bytes(96)).decode()
        issued = self._clock.now()
        expires = float(int(issued) + spec.duration)
        record = SessionRecord(
            access_key_id=access_key_id, account_id=spec.account_id, kind=spec.kind,
            principal_name=spec.principal_name, principal_id=spec.principal_id,
            principal_arn=spec.principal_arn, role_arn=spec.role_arn,
            session_name=spec.session_name,
            secret_wrapped=self._root.wrap(secret.encode(), access_key_purpose(access_key_id)),
            token_digest=_digest(token), issued=issued, expires=expires,
            session_policies=(json.dumps(list(spec.session_policies))
                              if spec.session_policies is not None else None),
            tags=json.dumps(spec.tags), transitive_tag_keys=json.dumps(
                list(spec.transitive_tag_keys)),
            source_identity=spec.source_identity,
        )
        with self._store.write() as tx:
            tx.insert_session(record)
        return TemporaryCredentials(access_key_id, secret, token, expires)

    def lookup(self, access_key_id: str, session_token: str | None) -> tuple[Principal, str]:
        """The principal of a session and its secret; UnrecognizedClient or ExpiredToken."""
        with self._store.read() as tx:
            record = tx.get_session(access_key_id)
        if record is None or not session_token:
            raise UnrecognizedClient()
        if not hmac.compare_digest(record.token_digest, _digest(session_token)):
            raise UnrecognizedClient()
        if self._clock.now() >= record.expires:
            raise ExpiredToken()
        try:
            secret = self._root.unwrap(record.secret_wrapped,
                                       access_key_purpose(access_key_id)).decode()
        except CiphertextInvalid as exc:
            raise UnrecognizedClient() from exc
        policies = record.session_policies
        role = record.kind == "AssumedRole"
        principal = Principal(
            account_id=record.account_id, arn=record.principal_arn,
            user_id=(f"{record.principal_id}:{record.session_name}" if role
                     else record.principal_id),
            name=record.principal_name, kind="AssumedRole" if role else "IAMUser",
            access_key_id=access_key_id, tags=json.loads(record.tags),
            role_arn=record.role_arn, session_name=record.session_name,
            session_policies=tuple(json.loads(policies)) if policies is not None else None,
            session_issued=record.issued, session_expires=record.expires,
            transitive_tag_keys=tuple(json.loads(record.transitive_tag_keys)),
            source_identity=record.source_identity,
        )
        return principal, secret

    def purge_expired(self) -> int:
        with self._store.write() as tx:
            return tx.delete_expired_sessions(self._clock.now())
