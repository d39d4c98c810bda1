"""Failures of the policy language."""

from __future__ import annotations

from strongroom.core.errors import StrongroomError


class MalformedPolicy(StrongroomError):
    """A policy document that does not follow the grammar; `detail` says what is wrong."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail
