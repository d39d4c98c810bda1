"""Prometheus metrics of a running server, served at GET /metrics.

Counts requests by service, operation and outcome (the AWS error code, or "ok"),
observes their latency, counts denials, and reports whether the root key is
sealed. Labels carry operation names and error codes only — never a secret name,
value, principal or key. Each server has its own registry, so several servers in
one process (tests) do not collide.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import parse_qs

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from strongroom.audit.trail import AuditStats
from strongroom.notify.stats import DeliveryStats
from strongroom.secrets.events import event_counts

CONTENT_TYPE = CONTENT_TYPE_LATEST
_DENIALS = frozenset({"AccessDeniedException", "AccessDenied"})
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    def __init__(self, sealed: Callable[[], bool], events: DeliveryStats | None = None, *,
                 audit: Callable[[], AuditStats] | None = None) -> None:
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
        if events is not None:
            self.registry.register(_EventsCollector(events))
        if audit is not None:
            self.registry.register(_AuditCollector(audit))
        self.registry.register(_ServiceEventsCollector())

    def observe(self, service: str, operation: str, status: int, error_code: str,
                seconds: float) -> None:
        outcome = "ok" if status < 400 else (error_code or str(status))
        self._requests.labels(service, operation, outcome).inc()
        self._latency.labels(service, operation).observe(seconds)
        if error_code in _DENIALS:
            self._denials.labels(service, operation).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _EventsCollector(Collector):
    """Event deliveries by outcome, and each subscription's backlog (audit records not yet
    looked at), labelled by subscription id only."""

    def __init__(self, stats: DeliveryStats) -> None:
        self._stats = stats

    def collect(self) -> Iterator[Metric]:
        deliveries = CounterMetricFamily(
            "strongroom_event_deliveries", "Events to subscribers by outcome (delivered, "
            "failed attempts, skipped: not wanted by the subscription)", labels=("outcome",))
        for outcome, count in sorted(self._stats.outcomes().items()):
            deliveries.add_metric((outcome,), count)
        yield deliveries
        backlog = GaugeMetricFamily(
            "strongroom_event_backlog", "Audit records a subscription has not yet looked at",
            labels=("subscription",))
        for subscription, count in sorted(self._stats.backlog().items()):
            backlog.add_metric((subscription,), count)
        yield backlog


class _ServiceEventsCollector(Collector):
    """Rotation and replication outcomes: the service events this process recorded."""

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "strongroom_service_events", "Service events recorded by this process (rotation "
            "and replication started, succeeded, failed, abandoned)", labels=("event",))
        for name, count in sorted(event_counts().items()):
            family.add_metric((name,), count)
        yield family


class _AuditCollector(Collector):
    """The audit trail's group-commit queue and what it wrote or refused."""

    def __init__(self, stats: Callable[[], AuditStats]) -> None:
        self._stats = stats

    def collect(self) -> Iterator[Metric]:
        stats = self._stats()
        yield GaugeMetricFamily("strongroom_audit_queue_depth",
                                "Audit records waiting for the group-commit writer",
                                value=stats.queue_depth)
        yield CounterMetricFamily("strongroom_audit_records",
                                  "Audit records of API calls made durable", value=stats.records)
        yield CounterMetricFamily("strongroom_audit_unavailable",
                                  "Calls refused (HTTP 503) because their audit record could "
                                  "not be made durable in time", value=stats.unavailable)
        yield CounterMetricFamily("strongroom_audit_group_commits",
                                  "Commits of the audit group-commit writer (records of reads "
                                  "and failed calls; a write's record commits with it)",
                                  value=stats.group_commits)
        yield CounterMetricFamily("strongroom_audit_grouped_records",
                                  "Audit records written by the group-commit writer; divided "
                                  "by its commits, the mean batch size",
                                  value=stats.grouped_records)


def query_action(body: bytes, query: str) -> str:
    """The Action of a query-protocol request, for labelling only ("" if none)."""
    for text in (query, body.decode("latin-1") if len(body) < 65536 else ""):
        values = parse_qs(text).get("Action")
        if values:
            return values[0][:64]
    return ""
