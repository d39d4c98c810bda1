"""Why a call could not be recorded. A call whose record cannot be made durable is refused
(fail-closed): the protocol layer answers HTTP 503 and sends no result."""

from __future__ import annotations

from strongroom.core.errors import StrongroomError


class AuditUnavailable(StrongroomError):
    """The audit trail could not take or keep this call's record in time; `reason` (full,
    stalled, timeout, failed, closed) is for logs and metrics only."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
