"""CloudTrail on the wire (JSON 1.1, `CloudTrail_20131101.<Operation>`): LookupEvents over
the audit trail; every other CloudTrail operation answers "not supported yet".

The botocore model is loaded with three constraints removed (MaxResults' range, the
attribute key enum, the attribute value length) because CloudTrail reports those as its
own exceptions (InvalidMaxResultsException, InvalidLookupAttributesException), which
audit.lookup raises, rather than as a generic ValidationException.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from strongroom.audit.lookup import AuditLookup, LookupAttribute, TrailEvent
from strongroom.core.errors import NotImplementedOperation
from strongroom.core.types import RequestContext
from strongroom.protocol.model import ServiceModel

Params = dict[str, Any]
Wire = dict[str, Any]
Operation = Callable[[AuditLookup, RequestContext, Params], Wire]

_RELAXED = {"MaxResults": ("min", "max"), "LookupAttributeKey": ("enum",),
            "LookupAttributeValue": ("min", "max")}


def service_model() -> ServiceModel:
    """botocore's CloudTrail model, minus the constraints LookupEvents checks itself."""
    definition: dict[str, Any] = copy.deepcopy(dict(ServiceModel.load("cloudtrail").definition))
    shapes = definition["shapes"]
    for shape, constraints in _RELAXED.items():
        for constraint in constraints:
            shapes[shape].pop(constraint, None)
    return ServiceModel("cloudtrail", definition)


def _compact(**members: Any) -> Wire:
    return {k: v for k, v in members.items() if v is not None}


def _event(e: TrailEvent) -> Wire:
    return _compact(
        EventId=e.event_id, EventName=e.event_name, ReadOnly="true" if e.read_only else "false",
        AccessKeyId=e.access_key_id, EventTime=e.event_time, EventSource=e.event_source,
        Username=e.username,
        Resources=[{"ResourceType": kind, "ResourceName": name} for kind, name in e.resources],
        CloudTrailEvent=e.record,
    )


def lookup_events(api: AuditLookup, ctx: RequestContext, p: Params) -> Wire:
    page = api.lookup_events(
        ctx, [LookupAttribute(a["AttributeKey"], a["AttributeValue"])
              for a in p.get("LookupAttributes") or ()],
        start=p.get("StartTime"), end=p.get("EndTime"), max_results=p.get("MaxResults"),
        token=p.get("NextToken"), insights=p.get("EventCategory") == "insight")
    return _compact(Events=[_event(e) for e in page.events], NextToken=page.next_token)


def _later(operation: str) -> Operation:
    def not_yet(api: AuditLookup, ctx: RequestContext, p: Params) -> Wire:
        raise NotImplementedOperation(operation)

    return not_yet


def operations() -> dict[str, Operation]:
    """LookupEvents, and every other operation of the model as "not supported yet"."""
    table: dict[str, Operation] = {
        name: _later(name) for name in ServiceModel.load("cloudtrail").operation_names}
    table["LookupEvents"] = lookup_events
    return table


OPERATIONS = operations()
