"""Functions' recorded invocations read as CloudWatch Logs: one log group per function
(`/aws/lambda/<name>`, per account and region), one log stream per invocation, one log
event per line of its log.

Read-only: the runner records invocations, this module only reads them back. Each call
asks the authorizer for `logs:<Operation>` on the log group's ARN first, so callers who
may not read a group learn nothing about whether it exists. A group exists once its
function has a recorded invocation (as Lambda creates it at the first invocation).
Strongroom does not record when each line was written: a line is stamped with its
invocation's start, END/REPORT and time-out lines with its end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from strongroom.core import paging
from strongroom.core.errors import StrongroomError
from strongroom.core.types import RequestContext
from strongroom.lambdas.model import function_arn
from strongroom.lambdas.runner import log_stream_name
from strongroom.policy.authorizer import Authorizer, require
from strongroom.storage.base import Store
from strongroom.storage.queries_lambda import InvocationRecord

GROUP_PREFIX = "/aws/lambda/"
GROUP_PAGE = 50
EVENT_PAGE = 10_000
_ALL_INVOCATIONS = 100_000  # more than any function keeps (function_logs_kept)
_GROUP_ARN = re.compile(r"arn:aws[a-zA-Z-]*:logs:([a-z0-9-]+):(\d{12}):log-group:(.+?)(?::\*)?")
_FUNCTION_NAME = re.compile(r"[a-zA-Z0-9_.-]{1,140}")
_END_LINES = ("END RequestId: ", "REPORT RequestId: ")
_STREAM_TOKEN = re.compile(r"([fb])/(\d{1,56})")


class LogGroupNotFound(StrongroomError):
    def __init__(self, group: str) -> None:
        super().__init__(group)
        self.group = group


class LogStreamNotFound(StrongroomError):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.stream = stream


class LogsInvalidParameter(StrongroomError):
    """`reason` keys the wire text (protocol/errors.py)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class GroupRef:
    region: str
    account_id: str
    name: str  # /aws/lambda/<function name>

    @property
    def arn(self) -> str:
        """The ARN IAM policies name (with Logs' trailing `:*`)."""
        return f"arn:aws:logs:{self.region}:{self.account_id}:log-group:{self.name}:*"

    @property
    def function_arn(self) -> str | None:
        function = self.name.removeprefix(GROUP_PREFIX)
        if self.name == function or not _FUNCTION_NAME.fullmatch(function):
            return None
        return function_arn(self.region, self.account_id, function)


@dataclass(frozen=True)
class LogGroup:
    ref: GroupRef
    created_ms: int
    stored_bytes: int


@dataclass(frozen=True)
class LogStream:
    name: str
    group: GroupRef
    first_event_ms: int
    last_event_ms: int

    @property
    def arn(self) -> str:
        return (f"arn:aws:logs:{self.group.region}:{self.group.account_id}:log-group:"
                f"{self.group.name}:log-stream:{self.name}")


@dataclass(frozen=True)
class LogEvent:
    stream: str
    timestamp_ms: int
    ingestion_ms: int
    message: str
    event_id: str


@dataclass(frozen=True)
class EventsPage:
    events: list[LogEvent]
    forward_token: str
    backward_token: str


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


def _stream_of(record: InvocationRecord, group: GroupRef) -> LogStream:
    return LogStream(log_stream_name(record.started, record.request_id), group,
                     _ms(record.started), _ms(record.started + record.duration_ms / 1000))


def _events(record: InvocationRecord) -> list[LogEvent]:
    """One event per line; messages keep their newline, as Lambda's do."""
    stream = log_stream_name(record.started, record.request_id)
    digits = int(stream.rsplit("]", 1)[1], 16)
    started = _ms(record.started)
    ended = _ms(record.started + record.duration_ms / 1000)
    events = []
    for index, line in enumerate(record.log_text.splitlines(keepends=True)):
        late = line.startswith(_END_LINES) or " Task timed out after " in line
        events.append(LogEvent(stream, ended if late else started, ended, line,
                               f"{digits:039d}{index:017d}"))
    return events


def _matches(pattern: str | None, message: str) -> bool:
    """CloudWatch's simplest patterns: a quoted phrase, or terms that must all appear
    (case-sensitive). JSON, space-delimited and `?`/`-` patterns are refused earlier."""
    if not pattern or not pattern.strip():
        return True
    text = pattern.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1] in message
    return all(term.strip('"') in message for term in text.split())


def _check_pattern(pattern: str | None) -> None:
    if pattern and (pattern.strip()[:1] in ("{", "[")
                    or any(term[:1] in ("?", "-", "%") for term in pattern.split())):
        raise LogsInvalidParameter("filter_pattern_unsupported")


def _in_window(event: LogEvent, start_ms: int | None, end_ms: int | None) -> bool:
    return ((start_ms is None or event.timestamp_ms >= start_ms)
            and (end_ms is None or event.timestamp_ms <= end_ms))


class FunctionLogs:
    def __init__(self, store: Store, authorizer: Authorizer) -> None:
        self._store = store
        self._authz = authorizer

    # --- resolving --------------------------------------------------------------------

    @staticmethod
    def group_ref(ctx: RequestContext, name: str | None, identifier: str | None) -> GroupRef:
        """The group a request names by logGroupName or logGroupIdentifier (name or ARN)."""
        if name and identifier:
            raise LogsInvalidParameter("name_and_identifier")
        given = name or identifier
        if not given:
            raise LogsInvalidParameter("group_required")
        found = _GROUP_ARN.fullmatch(given) if identifier else None
        if found:
            return GroupRef(found.group(1), found.group(2), found.group(3))
        return GroupRef(ctx.region, ctx.principal.account_id, given)

    def _records(self, ctx: RequestContext, operation: str, ref: GroupRef
                 ) -> list[InvocationRecord]:
        """The group's invocations, oldest first, once the caller may read it."""
        require(self._authz, ctx, f"logs:{operation}", ref.arn, {},
                resource_account=ref.account_id)
        arn = ref.function_arn
        records = []
        if arn is not None:
            with self._store.read() as tx:
                records = tx.recent_invocations(arn, _ALL_INVOCATIONS)
        if not records:
            raise LogGroupNotFound(ref.name)
        return sorted(records, key=lambda r: (r.started, r.request_id))

    # --- operations --------------------------------------------------------------------

    def groups(self, ctx: RequestContext, *, prefix: str | None = None,
               pattern: str | None = None, limit: int | None = None,
               token: str | None = None) -> tuple[list[LogGroup], str | None]:
        """The caller's function log groups in this region, by name."""
        account, region = ctx.principal.account_id, ctx.region
        require(self._authz, ctx, "logs:DescribeLogGroups",
                f"arn:aws:logs:{region}:{account}:log-group:*", {})
        if prefix and pattern:
            raise LogsInvalidParameter("prefix_and_pattern")
        with self._store.read() as tx:
            rows = tx.function_log_groups(account, region)
        found = []
        for row in rows:
            ref = GroupRef(region, account, GROUP_PREFIX + row.function_name)
            if prefix and not ref.name.startswith(prefix):
                continue
            if pattern and pattern.lower() not in ref.name.lower():
                continue
            found.append(LogGroup(ref, _ms(row.first_started), row.stored_bytes))
        fingerprint = paging.query_fingerprint("groups", account, region, prefix, pattern)
        return paging.page(found, token, limit or GROUP_PAGE, fingerprint, _bad_token)

    def streams(self, ctx: RequestContext, ref: GroupRef, *, prefix: str | None = None,
                by_last_event: bool = False, descending: bool = False,
                limit: int | None = None, token: str | None = None
                ) -> tuple[list[LogStream], str | None]:
        if by_last_event and prefix:
            raise LogsInvalidParameter("order_with_prefix")
        records = self._records(ctx, "DescribeLogStreams", ref)
        streams = [s for s in (_stream_of(r, ref) for r in records)
                   if not prefix or s.name.startswith(prefix)]
        if by_last_event:
            streams.sort(key=lambda s: (s.last_event_ms, s.name), reverse=descending)
        else:
            streams.sort(key=lambda s: s.name, reverse=descending)
        fingerprint = paging.query_fingerprint("streams", ref.arn, prefix, by_last_event,
                                               descending)
        return paging.page(streams, token, limit or GROUP_PAGE, fingerprint, _bad_token)

    def stream_events(self, ctx: RequestContext, ref: GroupRef, stream: str, *,
                      start_ms: int | None = None, end_ms: int | None = None,
                      from_head: bool = False, limit: int | None = None,
                      token: str | None = None) -> EventsPage:
        """One page of a stream's events. Tokens are `f/<n>` (the page starting at event n)
        and `b/<n>` (the page ending before it); at either end the same token comes back,
        which is how clients know to stop."""
        records = self._records(ctx, "GetLogEvents", ref)
        record = next((r for r in records
                       if log_stream_name(r.started, r.request_id) == stream), None)
        if record is None:
            raise LogStreamNotFound(stream)
        events = [e for e in _events(record) if _in_window(e, start_ms, end_ms)]
        size = limit or EVENT_PAGE
        if token is None:
            first = 0 if from_head else max(0, len(events) - size)
            last = min(len(events), first + size)
        else:
            found = _STREAM_TOKEN.fullmatch(token)
            if found is None or int(found.group(2)) > len(events):
                raise LogsInvalidParameter("bad_token")
            at = int(found.group(2))
            first, last = ((at, min(len(events), at + size)) if found.group(1) == "f"
                           else (max(0, at - size), at))
        return EventsPage(events[first:last], f"f/{last:056d}", f"b/{first:056d}")

    def filter_events(self, ctx: RequestContext, ref: GroupRef, *,
                      streams: list[str] | None = None, stream_prefix: str | None = None,
                      start_ms: int | None = None, end_ms: int | None = None,
                      pattern: str | None = None, limit: int | None = None,
                      token: str | None = None) -> tuple[list[LogEvent], list[str], str | None]:
        """(events in time order across the group's streams, the streams searched, token)."""
        if streams and stream_prefix:
            raise LogsInvalidParameter("names_and_prefix")
        _check_pattern(pattern)
        records = self._records(ctx, "FilterLogEvents", ref)
        searched, events = [], []
        for record in records:
            name = log_stream_name(record.started, record.request_id)
            if (streams and name not in streams) or (
                    stream_prefix and not name.startswith(stream_prefix)):
                continue
            searched.append(name)
            events += [e for e in _events(record)
                       if _in_window(e, start_ms, end_ms) and _matches(pattern, e.message)]
        events.sort(key=lambda e: (e.timestamp_ms, e.event_id))
        fingerprint = paging.query_fingerprint("events", ref.arn, streams, stream_prefix,
                                               start_ms, end_ms, pattern)
        page, next_token = paging.page(events, token, limit or EVENT_PAGE, fingerprint,
                                       _bad_token)
        return page, searched, next_token


def _bad_token() -> Exception:
    return LogsInvalidParameter("bad_token")

