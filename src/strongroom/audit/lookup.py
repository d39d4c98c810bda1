"""Looking up the audit trail as CloudTrail's event history does: the caller's account, the
request's region, the last 90 days, at most one lookup attribute, newest first.

Reads only, and only after the authorizer allowed `cloudtrail:LookupEvents`. Pages are
keyed by the last record returned (not an offset), so records appended while a caller
pages never shift or repeat what it sees; a token only works with the query that issued it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from strongroom.core import paging
from strongroom.core.clock import Clock
from strongroom.core.errors import StrongroomError
from strongroom.core.types import RequestContext
from strongroom.policy.authorizer import Authorizer, require
from strongroom.storage.base import Store
from strongroom.storage.queries_audit import AuditLookupFilter, AuditRow

ACTION = "cloudtrail:LookupEvents"
DEFAULT_MAX_RESULTS = 50
HISTORY_SECONDS = 90 * 86400
MAX_VALUE_LENGTH = 2000
_DOUBLE_COUNTED = "_ ,\n"  # count twice towards the 2000 (the API reference says so)
_BATCH = 200

# Lookup attribute keys -> the column they match; resource keys match inside `resources`.
_COLUMNS = {"EventId": "event_id", "EventName": "event_name", "ReadOnly": "read_only",
            "Username": "username", "AccessKeyId": "access_key_id",
            "EventSource": "event_source"}
_RESOURCE_KEYS = ("ResourceType", "ResourceName")
ATTRIBUTE_KEYS = frozenset(_COLUMNS) | frozenset(_RESOURCE_KEYS)


class InvalidLookupAttributes(StrongroomError):
    """`reason`: too_many | unknown_key | value_length; the wire text lives in one table."""

    def __init__(self, reason: str, key: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.key = key


class InvalidTimeRange(StrongroomError):
    """The start time is after the end time."""


class InvalidMaxResults(StrongroomError):
    def __init__(self, value: int) -> None:
        super().__init__(str(value))
        self.value = value


class InvalidLookupToken(StrongroomError):
    """A NextToken that is not one of ours, or was issued for other parameters."""


@dataclass(frozen=True)
class LookupAttribute:
    key: str
    value: str


@dataclass(frozen=True)
class TrailEvent:
    """One record as the event history shows it; `record` is the CloudTrail JSON."""

    event_id: str
    event_name: str
    read_only: bool
    access_key_id: str | None
    event_time: float
    event_source: str
    username: str | None
    resources: tuple[tuple[str, str], ...]
    record: str


@dataclass(frozen=True)
class EventsPage:
    events: list[TrailEvent]
    next_token: str | None


def _resources(row: AuditRow) -> tuple[tuple[str, str], ...]:
    try:
        items = json.loads(row.resources) if row.resources else []
    except ValueError:
        return ()
    return tuple((str(i.get("ResourceType", "")), str(i.get("ResourceName", "")))
                 for i in items if isinstance(i, dict))


def _event(row: AuditRow) -> TrailEvent:
    return TrailEvent(row.event_id, row.event_name, row.read_only, row.access_key_id,
                      row.event_time, row.event_source, row.username, _resources(row), row.record)


def _value_length(value: str) -> int:
    return len(value) + sum(value.count(c) for c in _DOUBLE_COUNTED)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class AuditLookup:
    """LookupEvents over `audit_records`."""

    def __init__(self, store: Store, authorizer: Authorizer, clock: Clock) -> None:
        self._store = store
        self._authorizer = authorizer
        self._clock = clock

    def lookup_events(self, ctx: RequestContext, attributes: list[LookupAttribute], *,
                      start: float | None = None, end: float | None = None,
                      max_results: int | None = None, token: str | None = None,
                      insights: bool = False) -> EventsPage:
        require(self._authorizer, ctx, ACTION, "*")
        attribute = self._attribute(attributes)
        size = DEFAULT_MAX_RESULTS if max_results is None else max_results
        if not 1 <= size <= DEFAULT_MAX_RESULTS:
            raise InvalidMaxResults(size)
        if start is not None and end is not None and start > end:
            raise InvalidTimeRange()
        account_id = ctx.principal.account_id
        fingerprint = paging.query_fingerprint(
            ACTION, account_id, ctx.region, attribute and (attribute.key, attribute.value),
            start, end, insights)
        cursor = paging.decode(token, fingerprint, InvalidLookupToken) if token else None
        if insights:  # strongroom records no Insights events
            return EventsPage([], None)
        now = self._clock.now()
        query = self._filter(account_id, ctx.region, attribute,
                             max(start if start is not None else 0.0, now - HISTORY_SECONDS),
                             now if end is None else end)
        found = self._matching(query, attribute, cursor, size + 1)
        more = len(found) > size
        events = found[:size]
        next_token = paging.encode(events[-1].seq, fingerprint) if more else None
        return EventsPage([_event(row) for row in events], next_token)

    @staticmethod
    def _attribute(attributes: list[LookupAttribute]) -> LookupAttribute | None:
        if len(attributes) > 1:
            raise InvalidLookupAttributes("too_many")
        if not attributes:
            return None
        attribute = attributes[0]
        if attribute.key not in ATTRIBUTE_KEYS:
            raise InvalidLookupAttributes("unknown_key", attribute.key)
        if not 1 <= _value_length(attribute.value) <= MAX_VALUE_LENGTH:
            raise InvalidLookupAttributes("value_length", attribute.key)
        return attribute

    @staticmethod
    def _filter(account_id: str, region: str, attribute: LookupAttribute | None, start: float,
                end: float) -> AuditLookupFilter:
        if attribute is None:
            return AuditLookupFilter(account_id, region, start, end)
        if attribute.key == "ReadOnly":  # "true" / "false"; anything else matches nothing
            flag = {"true": 1, "false": 0}.get(attribute.value.lower(), -1)
            return AuditLookupFilter(account_id, region, start, end, "read_only", flag)
        if attribute.key in _COLUMNS:
            return AuditLookupFilter(account_id, region, start, end, _COLUMNS[attribute.key],
                                     attribute.value)
        quoted = json.dumps(attribute.value)  # as it appears inside the resources JSON
        return AuditLookupFilter(account_id, region, start, end,
                                 resource_like=f"%{_like_escape(quoted)}%")

    def _matching(self, query: AuditLookupFilter, attribute: LookupAttribute | None,
                  cursor: int | None, wanted: int) -> list[AuditRow]:
        """Up to `wanted` rows, newest first. Resource attributes are narrowed by LIKE in SQL
        and matched exactly here, so a batch may yield fewer rows than it read."""
        found: list[AuditRow] = []
        with self._store.read() as tx:
            while len(found) < wanted:
                batch = tx.audit_lookup(query, before_seq=cursor, limit=max(wanted, _BATCH))
                for row in batch:
                    if attribute is None or attribute.key not in _RESOURCE_KEYS or any(
                            (kind if attribute.key == "ResourceType" else name)
                            == attribute.value for kind, name in _resources(row)):
                        found.append(row)
                if len(batch) < max(wanted, _BATCH):
                    break
                cursor = batch[-1].seq
        return found[:wanted]
