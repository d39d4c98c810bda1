"""Turns a signed HTTP request into a Principal and the region it addressed.

SigV4 parsing and verification live in `sigv4`; this module adds the lookups:
the access key's owner and secret, and the regions this server serves.
"""

from __future__ import annotations

from strongroom.auth.errors import UnrecognizedClient
from strongroom.auth.identity import Identities
from strongroom.auth.sigv4 import HttpRequest, check_scope, parse_request, verify_signature
from strongroom.core.clock import Clock
from strongroom.core.types import Principal


class Authenticator:
    def __init__(self, identities: Identities, clock: Clock, regions: frozenset[str]) -> None:
        self._identities = identities
        self._clock = clock
        self._regions = regions

    def authenticate(self, request: HttpRequest, service: str) -> tuple[Principal, str]:
        signed = parse_request(request)
        check_scope(signed, now=self._clock.now(), service=service, valid_regions=self._regions)
        principal, secret = self._identities.lookup(signed.access_key_id)
        if signed.session_token:
            # Long-term keys carry no session token; temporary credentials arrive with STS.
            raise UnrecognizedClient()
        verify_signature(request, signed, secret)
        return principal, signed.region
