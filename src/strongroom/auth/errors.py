"""Why a request failed authentication. Each class maps to one AWS auth error."""

from __future__ import annotations

from strongroom.core.errors import StrongroomError


class AuthenticationError(StrongroomError):
    """Base of every SigV4 / credential failure."""


class MissingAuthentication(AuthenticationError):
    """Neither an Authorization header nor presigned query parameters were sent."""


class IncompleteSignature(AuthenticationError):
    """The signature is malformed; `detail` is AWS's explanation (never secrets)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidSignature(AuthenticationError):
    """The signature does not verify, or its scope or time is wrong; `detail` says which."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class UnrecognizedClient(AuthenticationError):
    """The access key id (or session token) is unknown or inactive."""


class ExpiredToken(AuthenticationError):
    """Temporary credentials whose session has ended."""
