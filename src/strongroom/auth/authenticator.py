"""Turns a signed HTTP request into a Principal and the region it addressed.

SigV4 parsing and verification live in `sigv4`; this module adds the lookups:
the access key's owner and secret — a long-term key's or a session's, whose
token must match and whose time must not have run out — and the regions this
server serves.
"""

from __future__ import annotations

from strongroom.auth.errors import UnrecognizedClient
from strongroom.auth.identity import Identities
from strongroom.auth.sessions import Sessions, is_session_key
from strongroom.auth.sigv4 import HttpRequest, check_scope, parse_request, verify_signature
from strongroom.core.clock import Clock
from strongroom.core.types import Principal


class Authenticator:
    def __init__(self, identities: Identities, sessions: Sessions, clock: Clock,
                 regions: frozenset[str]) -> None:
        self._identities = identities
        self._sessions = sessions
        self._clock = clock
        self._regions = regions

    def authenticate(self, request: HttpRequest, service: str,
                     *, global_service: bool = False) -> tuple[Principal, str]:
        """`global_service` (IAM): clients sign for us-east-1 whatever their region, so
        that region is accepted too."""
        signed = parse_request(request)
        regions = self._regions | {"us-east-1"} if global_service else self._regions
        check_scope(signed, now=self._clock.now(), service=service, valid_regions=regions)
        if is_session_key(signed.access_key_id):
            principal, secret = self._sessions.lookup(signed.access_key_id, signed.session_token)
        else:
            principal, secret = self._identities.lookup(signed.access_key_id)
            if signed.session_token:
                raise UnrecognizedClient()  # long-term keys carry no session token
        verify_signature(request, signed, secret)
        return principal, signed.region
