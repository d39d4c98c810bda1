"""CloudWatch Logs on the wire (JSON 1.1, `Logs_20140328.<Operation>`): the read-only
subset `aws logs tail`, `filter-log-events`, `get-log-events` and the describe calls use,
over functions' recorded invocations.

One small function per operation; members without a value are omitted. Timestamps are
epoch milliseconds, as Logs sends them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from strongroom.core.types import RequestContext
from strongroom.lambdas.logs import FunctionLogs, GroupRef, LogEvent, LogGroup, LogStream

Params = dict[str, Any]
Wire = dict[str, Any]


def _compact(**members: Any) -> Wire:
    return {k: v for k, v in members.items() if v is not None}


def _group_ref(api: FunctionLogs, ctx: RequestContext, p: Params) -> GroupRef:
    return api.group_ref(ctx, p.get("logGroupName"), p.get("logGroupIdentifier"))


def _group(g: LogGroup) -> Wire:
    return {"logGroupName": g.ref.name, "creationTime": g.created_ms, "metricFilterCount": 0,
            "arn": g.ref.arn, "storedBytes": g.stored_bytes, "logGroupClass": "STANDARD",
            "logGroupArn": g.ref.arn.removesuffix(":*")}


def _stream(s: LogStream) -> Wire:
    return {"logStreamName": s.name, "creationTime": s.first_event_ms,
            "firstEventTimestamp": s.first_event_ms, "lastEventTimestamp": s.last_event_ms,
            "lastIngestionTime": s.last_event_ms, "arn": s.arn, "storedBytes": 0}


def _filtered(e: LogEvent) -> Wire:
    return {"logStreamName": e.stream, "timestamp": e.timestamp_ms, "message": e.message,
            "ingestionTime": e.ingestion_ms, "eventId": e.event_id}


def describe_log_groups(api: FunctionLogs, ctx: RequestContext, p: Params) -> Wire:
    groups, token = api.groups(ctx, prefix=p.get("logGroupNamePrefix"),
                               pattern=p.get("logGroupNamePattern"), limit=p.get("limit"),
                               token=p.get("nextToken"))
    return _compact(logGroups=[_group(g) for g in groups], nextToken=token)


def describe_log_streams(api: FunctionLogs, ctx: RequestContext, p: Params) -> Wire:
    streams, token = api.streams(
        ctx, _group_ref(api, ctx, p), prefix=p.get("logStreamNamePrefix"),
        by_last_event=p.get("orderBy") == "LastEventTime",
        descending=bool(p.get("descending")), limit=p.get("limit"), token=p.get("nextToken"))
    return _compact(logStreams=[_stream(s) for s in streams], nextToken=token)


def get_log_events(api: FunctionLogs, ctx: RequestContext, p: Params) -> Wire:
    page = api.stream_events(
        ctx, _group_ref(api, ctx, p), p["logStreamName"], start_ms=p.get("startTime"),
        end_ms=p.get("endTime"), from_head=bool(p.get("startFromHead")), limit=p.get("limit"),
        token=p.get("nextToken"))
    return {"events": [{"timestamp": e.timestamp_ms, "message": e.message,
                        "ingestionTime": e.ingestion_ms} for e in page.events],
            "nextForwardToken": page.forward_token, "nextBackwardToken": page.backward_token}


def filter_log_events(api: FunctionLogs, ctx: RequestContext, p: Params) -> Wire:
    events, searched, token = api.filter_events(
        ctx, _group_ref(api, ctx, p), streams=p.get("logStreamNames"),
        stream_prefix=p.get("logStreamNamePrefix"), start_ms=p.get("startTime"),
        end_ms=p.get("endTime"), pattern=p.get("filterPattern"), limit=p.get("limit"),
        token=p.get("nextToken"))
    return _compact(events=[_filtered(e) for e in events],
                    searchedLogStreams=[{"logStreamName": name, "searchedCompletely": True}
                                        for name in searched],
                    nextToken=token)


OPERATIONS: dict[str, Callable[[FunctionLogs, RequestContext, Params], Wire]] = {
    "DescribeLogGroups": describe_log_groups,
    "DescribeLogStreams": describe_log_streams,
    "GetLogEvents": get_log_events,
    "FilterLogEvents": filter_log_events,
}
