"""Turns a signed HTTP request into a Principal and the region it addressed.

SigV4 parsing and verification live in `sigv4`; this module adds the lookups:
the access key's owner and secret — a long-term key's or a session's, whose
token must match and whose time must not have run out — and the regions this
server serves.

Lookups are cached, because they run on every request. A long-term key's entry
is trusted while its account's IAM generation is unchanged (so deactivating or
deleting a key takes effect at once on this node, within the generation
re-check interval on others); a session's entry is immutable, but its token and
expiry are checked on every request.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections import OrderedDict
from dataclasses import dataclass

from strongroom.auth.errors import ExpiredToken, UnrecognizedClient
from strongroom.auth.identity import Identities
from strongroom.auth.sessions import Sessions, is_session_key
from strongroom.auth.sigv4 import HttpRequest, check_scope, parse_request, verify_signature
from strongroom.core.clock import Clock
from strongroom.core.types import Principal
from strongroom.iam.generations import Generations

CACHE_ENTRIES = 10_000


@dataclass(frozen=True, repr=False)
class _Entry:
    principal: Principal
    secret: str
    generation: int = 0
    token_digest: str = ""


class Authenticator:
    def __init__(self, identities: Identities, sessions: Sessions, clock: Clock,
                 regions: frozenset[str], generations: Generations) -> None:
        self._identities = identities
        self._sessions = sessions
        self._clock = clock
        self._regions = regions
        self._generations = generations
        self._cache: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def authenticate(self, request: HttpRequest, service: str,
                     *, global_service: bool = False) -> tuple[Principal, str]:
        """`global_service` (IAM): clients sign for us-east-1 whatever their region, so
        that region is accepted too."""
        signed = parse_request(request)
        regions = self._regions | {"us-east-1"} if global_service else self._regions
        check_scope(signed, now=self._clock.now(), service=service, valid_regions=regions)
        if is_session_key(signed.access_key_id):
            principal, secret = self._session(signed.access_key_id, signed.session_token)
        else:
            if signed.session_token:
                raise UnrecognizedClient()  # long-term keys carry no session token
            principal, secret = self._long_term(signed.access_key_id)
        verify_signature(request, signed, secret)
        return principal, signed.region

    def forget_all(self) -> None:
        """Drop every cached credential (their secrets came from the root key): on seal."""
        with self._lock:
            self._cache.clear()

    def _cached(self, access_key_id: str) -> _Entry | None:
        with self._lock:
            entry = self._cache.get(access_key_id)
            if entry is not None:
                self._cache.move_to_end(access_key_id)
            return entry

    def _remember(self, access_key_id: str, entry: _Entry) -> None:
        with self._lock:
            self._cache[access_key_id] = entry
            while len(self._cache) > CACHE_ENTRIES:
                self._cache.popitem(last=False)

    def _long_term(self, access_key_id: str) -> tuple[Principal, str]:
        entry = self._cached(access_key_id)
        if entry is not None and \
                entry.generation == self._generations.current(entry.principal.account_id):
            return entry.principal, entry.secret
        principal, secret, generation = self._identities.lookup_at_generation(access_key_id)
        self._remember(access_key_id, _Entry(principal, secret, generation))
        return principal, secret

    def _session(self, access_key_id: str, token: str | None) -> tuple[Principal, str]:
        entry = self._cached(access_key_id)
        if entry is None:
            principal, secret = self._sessions.lookup(access_key_id, token)
            self._remember(access_key_id, _Entry(principal, secret,
                                                 token_digest=_digest(token or "")))
            return principal, secret
        if not token or not hmac.compare_digest(entry.token_digest, _digest(token)):
            raise UnrecognizedClient()
        expires = entry.principal.session_expires
        if expires is not None and self._clock.now() >= expires:
            raise ExpiredToken()
        return entry.principal, entry.secret


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
