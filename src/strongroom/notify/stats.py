"""Counts the dispatcher keeps for the server's metrics: sends by outcome and each
subscription's backlog. Plain numbers behind a lock; the server turns them into
Prometheus series (labels: outcome, subscription id — never a name, URL or payload)."""

from __future__ import annotations

import threading
from collections.abc import Mapping


class DeliveryStats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._outcomes = {"delivered": 0, "failed": 0, "skipped": 0}
        self._backlog: dict[str, int] = {}

    def delivered(self) -> None:
        self._count("delivered")

    def failed(self) -> None:
        self._count("failed")

    def skipped(self) -> None:
        """A record the subscription does not want (read-only, or not matching)."""
        self._count("skipped")

    def _count(self, outcome: str) -> None:
        with self._lock:
            self._outcomes[outcome] += 1

    def set_backlog(self, backlog: Mapping[str, int]) -> None:
        with self._lock:
            self._backlog = dict(backlog)

    def outcomes(self) -> dict[str, int]:
        with self._lock:
            return dict(self._outcomes)

    def backlog(self) -> dict[str, int]:
        with self._lock:
            return dict(self._backlog)
