"""The only place that reads the time.

Everything that needs "now" takes a Clock, so recovery windows, purges and
signature expiry are testable without sleeping.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch, UTC."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.time()


class ManualClock:
    """A clock that moves only when told to; for tests."""

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds


def utc_datetime(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def start_of_day(epoch: float) -> float:
    """Midnight UTC of the day holding `epoch`: AWS reports access dates at day granularity."""
    return float(int(epoch) - int(epoch) % 86400)
