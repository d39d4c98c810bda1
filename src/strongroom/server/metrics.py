"""Prometheus metrics of a running server, served at GET /metrics.

Counts requests by service, operation and outcome (the AWS error code, or "ok"),
observes their latency, counts denials, and reports whether the root key is
sealed. Labels carry operation names and error codes only — never a secret name,
value, principal or key. Each server has its own registry, so several servers in
one process (tests) do not collide.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST
_DENIALS = frozenset({"AccessDeniedException", "AccessDenied"})
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    def __init__(self, sealed: Callable[[], bool]) -> None:
        self.registry = CollectorRegistry()
        self._requests = Counter(
            "strongroom_requests", "API requests by service, operation and outcome",
            ("service", "operation", "outcome"), registry=self.registry)
        self._latency = Histogram(
            "strongroom_request_duration_seconds", "API request latency",
            ("service", "operation"), buckets=_BUCKETS, registry=self.registry)
        self._denials = Counter(
            "strongroom_denials", "Requests refused by authorization",
            ("service", "operation"), registry=self.registry)
        sealed_gauge = Gauge("strongroom_sealed", "1 while the root key is sealed",
                             registry=self.registry)
        sealed_gauge.set_function(lambda: 1.0 if sealed() else 0.0)

    def observe(self, service: str, operation: str, status: int, error_code: str,
                seconds: float) -> None:
        outcome = "ok" if status < 400 else (error_code or str(status))
        self._requests.labels(service, operation, outcome).inc()
        self._latency.labels(service, operation).observe(seconds)
        if error_code in _DENIALS:
            self._denials.labels(service, operation).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


def query_action(body: bytes, query: str) -> str:
    """The Action of a query-protocol request, for labelling only ("" if none)."""
    for text in (query, body.decode("latin-1") if len(body) < 65536 else ""):
        values = parse_qs(text).get("Action")
        if values:
            return values[0][:64]
    return ""
