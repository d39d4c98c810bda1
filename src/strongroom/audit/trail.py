"""The audit trail of API calls: one CloudTrail record per call, durable before the reply.

The protocol adapters open an `ApiCall` for every request they take and tell it what
they learn (who called, which operation, its parameters, the outcome). A write is run
inside one store transaction together with its record (`ApiCall.run`): every
transaction the service opens on this thread joins it, so the change and its record
commit together or not at all. Reads, failed and denied calls are handed to the group
commit writer (audit.writer) by `ApiCall.finish`, which builds their records there, and
the server sends their reply only once the record is durable. Whatever cannot be recorded
in time is refused with AuditUnavailable (HTTP 503): the trail fails closed. This module
never opens a transaction for a read, and knows nothing of HTTP.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from strongroom.audit.allowlist import is_data_event, is_read, members
from strongroom.audit.chain import link
from strongroom.audit.errors import AuditUnavailable
from strongroom.audit.records import (
    EVENT_VERSION,
    entry_of,
    event_time,
    new_event_id,
    user_identity,
)
from strongroom.audit.render import TRUNCATED, Renderer
from strongroom.audit.writer import GroupWriter, Pending, Records, Ticket
from strongroom.core.clock import Clock, SystemClock
from strongroom.core.types import Principal
from strongroom.storage.base import Store, UniqueViolation
from strongroom.storage.queries_audit import AuditEntry

__all__ = ["ApiCall", "AuditSettings", "AuditStats", "AuditTrail", "AuditUnavailable",
           "Pending", "Ticket"]

T = TypeVar("T")

log = logging.getLogger("strongroom.audit")

R = TypeVar("R", bound=Mapping[str, Any])

MAX_TEXT = 1024  # CloudTrail's limit for userAgent, errorCode, errorMessage
MAX_NAME = 128
MAX_RECORD = 256 * 1024  # beyond, request and response members are left out
# Resources named in records (and LookupEvents' ResourceType/ResourceName), by service:
# the type, then members of the result and of the request that may hold the resource's ARN.
RESOURCES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "secretsmanager": ("AWS::SecretsManager::Secret", ("ARN",), ("SecretId",)),
    "kms": ("AWS::KMS::Key", ("KeyMetadata.Arn", "KeyId"), ("KeyId",)),
    "lambda": ("AWS::Lambda::Function", ("FunctionArn",), ("FunctionName",)),
}
_AGAIN_AFTER = ("InFailedSqlTransaction",)  # PostgreSQL: "current transaction is aborted"


@dataclass(frozen=True)
class AuditSettings:
    """`enabled` False turns the trail off (benchmarks only). Batches hold up to
    `batch_max` records; the writer waits up to `batch_ms` for the records of requests
    still being handled; a record not durable within `timeout` seconds, or refused by a
    full queue of `queue_max`, fails its call."""

    enabled: bool = True
    batch_ms: float = 5.0
    batch_max: int = 256
    timeout: float = 2.0
    queue_max: int = 10_000


@dataclass(frozen=True)
class AuditStats:
    """`records`: every record made durable; `group_commits` and `grouped_records`: the
    group-commit writer's batches and the records they held (their ratio is the mean batch
    size)."""

    queue_depth: int
    records: int
    unavailable: int
    group_commits: int = 0
    grouped_records: int = 0


class AuditTrail:
    """One per server. `models` maps each signing name served (secretsmanager, kms, ...)
    to its botocore service-2 document, which says how to render members."""

    def __init__(self, store: Store | None, clock: Clock, settings: AuditSettings,
                 models: Mapping[str, Mapping[str, Any]], *,
                 default_region: str = "us-east-1") -> None:
        self.settings = settings
        self.enabled = settings.enabled and store is not None
        self.clock = clock
        self.default_region = default_region
        self._store = store
        self._renderers = {name: Renderer(model) for name, model in models.items()}
        self._hooks: list[Callable[[str], None]] = []
        self._lock = threading.Lock()
        self._records = 0
        self._unavailable = 0
        self._group_commits = 0
        self._grouped_records = 0
        self._writer: GroupWriter | None = None
        self._local = threading.local()  # .ticket: the request this worker thread handles
        if self.enabled and store is not None:
            self._writer = GroupWriter(
                store, batch_max=settings.batch_max, gather_seconds=settings.batch_ms / 1000,
                queue_max=settings.queue_max, timeout=settings.timeout,
                on_written=self._count_batch)

    @classmethod
    def disabled(cls) -> AuditTrail:
        """A trail that records nothing (adapters built without one, `--no-audit`)."""
        return cls(None, SystemClock(), AuditSettings(enabled=False), {})

    def begin(self, request_id: str, *, service: str | None, operation: str = "",
              source_ip: str = "", user_agent: str = "",
              claimed: Callable[[], tuple[str, str, str]] = lambda: ("", "", "")) -> ApiCall:
        """Open the record of one request. `service` is the signing name if known;
        `claimed` gives the (access key id, region, service) the request claims, unverified;
        it is asked only if the caller never authenticates."""
        return ApiCall(self, request_id, service, operation, source_ip, user_agent,
                       claimed)

    def on_commit(self, hook: Callable[[str], None]) -> None:
        """Call `hook(account_id)` after each write committed with its record; for caches
        that the service dropped inside the transaction, before the commit."""
        self._hooks.append(hook)

    def ticket(self) -> Ticket | None:
        """Taken by the server for each request it queues for a worker, so that the writer
        may wait for that request's record rather than commit without it; pass it to
        `handle`. None when the trail is off."""
        return self._writer.ticket() if self._writer is not None else None

    def handle(self, ticket: Ticket | None, handler: Callable[..., T], *args: Any) -> T:
        """Run `handler(*args)` on this worker thread as the request `ticket` stands for;
        the ticket is closed by the time this returns."""
        if ticket is None:
            return handler(*args)
        self._local.ticket = ticket
        try:
            return handler(*args)
        finally:
            self._local.ticket = None
            ticket.close()

    def _current_ticket(self) -> Ticket | None:
        return getattr(self._local, "ticket", None)

    def settled(self) -> None:
        """The request this thread handles will submit no record (its write committed
        with it): the writer need not wait for it."""
        ticket = self._current_ticket()
        if ticket is not None:
            ticket.close()

    def submit(self, records: Records) -> Pending:
        """Group-commit a call's records (durable together), or what builds them on the
        writer's thread; raises AuditUnavailable if refused."""
        if self._writer is None:
            raise AuditUnavailable("closed")
        try:
            return self._writer.submit(records, ticket=self._current_ticket())
        except AuditUnavailable:
            self.note_unavailable()
            raise

    def note_unavailable(self) -> None:
        with self._lock:
            self._unavailable += 1

    def stats(self) -> AuditStats:
        depth = self._writer.depth() if self._writer is not None else 0
        with self._lock:
            return AuditStats(depth, self._records, self._unavailable, self._group_commits,
                              self._grouped_records)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()

    # --- for ApiCall ----------------------------------------------------------------

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("a disabled trail has no store")
        return self._store

    def renderer(self, service: str) -> Renderer | None:
        return self._renderers.get(service)

    def _count_written(self, count: int) -> None:
        with self._lock:
            self._records += count

    def _count_batch(self, count: int) -> None:
        with self._lock:
            self._records += count
            self._group_commits += 1
            self._grouped_records += count

    def committed(self, account_id: str) -> None:
        self._count_written(1)
        for hook in self._hooks:
            try:
                hook(account_id)
            except Exception:
                log.exception("an audit commit hook failed")


class ApiCall:
    """The record of one API call, filled in as the adapter learns its facts."""

    def __init__(self, trail: AuditTrail, request_id: str, service: str | None,
                 operation: str, source_ip: str, user_agent: str,
                 claimed: Callable[[], tuple[str, str, str]]) -> None:
        self._trail = trail
        self.request_id = request_id
        self.service = service
        self.operation = operation[:MAX_NAME]
        self.source_ip = source_ip
        self.user_agent = user_agent[:MAX_TEXT]
        self.principal: Principal | None = None
        self.region = ""
        self.params: Mapping[str, Any] | None = None
        self._read_claimed = claimed
        self._result: Mapping[str, Any] | None = None
        self._error: tuple[str, str] | None = None
        self._durable = False
        self._claimed: tuple[str, str, str] | None = None
        self._finished_at: float | None = None

    # --- what the adapter learns ------------------------------------------------------

    def resolved(self, *, service: str | None = None, operation: str | None = None) -> None:
        if service is not None:
            self.service = service
        if operation is not None:
            self.operation = operation[:MAX_NAME]

    def authenticated(self, principal: Principal, region: str) -> None:
        self.principal = principal
        self.region = region

    def parsed(self, params: Mapping[str, Any]) -> None:
        self.params = params

    def failed(self, code: str, message: str) -> None:
        self._error = (code[:MAX_TEXT], message[:MAX_TEXT])

    @property
    def read_only(self) -> bool:
        return is_read(self.service or "", self.operation)

    # --- running and finishing ----------------------------------------------------------

    def run(self, handler: Callable[[], R]) -> R:
        """Run the operation. A write runs inside one transaction that also appends its
        record; if either fails, both roll back and the error propagates."""
        trail = self._trail
        service = self.service or ""
        if not trail.enabled or self.read_only or is_data_event(service, self.operation):
            result = handler()
            self._result = result
            return result
        store = trail.store
        # PostgreSQL: a unique-key race aborts the whole transaction, which a service that
        # catches it cannot continue (as it could on its own); running the call again from
        # the start sees the row that won, as the service's own retry would have.
        attempts = 3 if store.dialect == "postgresql" else 1
        for attempt in range(attempts):
            try:
                with store.write() as tx:
                    result = handler()
                    self._result = result
                    try:
                        tx.append_audit([self._entry()], link)
                    except Exception as exc:
                        log.error("the audit record of %s could not be written (%s)",
                                  self.request_id, type(exc).__name__)
                        raise AuditUnavailable("failed") from exc
            except Exception as exc:
                self._result = None
                if attempt + 1 < attempts and _lost_race(exc):
                    continue
                if isinstance(exc, AuditUnavailable):
                    trail.note_unavailable()
                raise
            self._durable = True
            trail.settled()
            trail.committed(self.principal.account_id if self.principal else "")
            return result
        raise RuntimeError("unreachable")  # the loop returns or raises

    def finish(self) -> Pending | None:
        """Hand the record to the group-commit writer unless it is already durable (a
        committed write) or the trail is off. The reply may be sent only once the returned
        Pending resolves (it fails if the record cannot be built or stored); raises
        AuditUnavailable if the writer refuses it.

        The writer builds the record, with the rest of its batch: the call is complete by
        now (the adapter changes nothing after finishing it) and its time is taken here.
        Nothing outlives the reply: the reply, holding whatever the result held, waits for
        this record anyway."""
        trail = self._trail
        if not trail.enabled or self._durable:
            return None
        self._finished_at = trail.clock.now()
        return trail.submit(self._entries)

    def _entries(self) -> list[AuditEntry]:
        try:
            entry = self._entry()
            return [entry, *self._per_secret_reads(entry)]
        except Exception as exc:
            log.exception("the audit record of %s could not be built", self.request_id)
            raise AuditUnavailable("failed") from exc

    def _per_secret_reads(self, entry: AuditEntry) -> list[AuditEntry]:
        """AWS records a BatchGetSecretValue also as one GetSecretValue event per secret it
        returned, so that a secret's reads can be found by the secret."""
        if (self.service, self.operation) != ("secretsmanager", "BatchGetSecretValue") \
                or self._error is not None or not isinstance(self._result, Mapping):
            return []
        base = json.loads(entry.record)
        derived = []
        for value in self._result.get("SecretValues") or ():
            arn = value.get("ARN") if isinstance(value, Mapping) else None
            if not isinstance(arn, str):
                continue
            record = {**base, "eventName": "GetSecretValue",
                      "requestParameters": {"secretId": arn}, "responseElements": None,
                      "eventID": new_event_id(),
                      "resources": [{"ARN": arn, "accountId": _arn_account(arn),
                                     "type": RESOURCES["secretsmanager"][0]}]}
            derived.append(entry_of(
                record, account_id=entry.account_id, now=entry.event_time,
                resources=[(RESOURCES["secretsmanager"][0], arn)], username=entry.username,
                access_key_id=entry.access_key_id))
        return derived

    # --- the record ---------------------------------------------------------------------

    def record(self) -> dict[str, Any]:
        """The CloudTrail record of this call as it stands."""
        trail = self._trail
        service, operation = self.service or self._scope()[2], self.operation
        read, data = is_read(service, operation), is_data_event(service, operation)
        allowed = members(service, operation)
        renderer = trail.renderer(service)
        failed = self._error is not None
        request = response = None
        if renderer is not None:
            request = renderer.request(operation, allowed.request, self.params)
            if not (failed or read or data):
                response = renderer.response(operation, allowed.response, self._result)
        principal = self.principal
        account = principal.account_id if principal is not None else ""
        record: dict[str, Any] = {
            "eventVersion": EVENT_VERSION,
            "userIdentity": user_identity(principal) if principal is not None
            else self._unknown_identity(),
            "eventTime": event_time(self._time()),
            "eventSource": f"{service}.amazonaws.com" if service else "",
            "eventName": operation,
            "awsRegion": self.region or self._scope()[1] or trail.default_region,
            "sourceIPAddress": self.source_ip,
            "userAgent": self.user_agent,
            "requestParameters": request,
            "responseElements": response,
            "requestID": self.request_id,
            "eventID": new_event_id(),
            "readOnly": read,
            "eventType": "AwsApiCall",
            "managementEvent": not data,
            "recipientAccountId": account,
            "eventCategory": "Data" if data else "Management",
        }
        if self._error is not None:
            record["errorCode"], record["errorMessage"] = self._error
        resources = self._resources(service)
        if resources:
            record["resources"] = [{"ARN": arn, "accountId": _arn_account(arn), "type": kind}
                                   for kind, arn in resources]
        return record

    def _entry(self) -> AuditEntry:
        record = self.record()
        principal = self.principal
        entry = self._entry_of(record, principal)
        if len(entry.record) > MAX_RECORD:
            record["requestParameters"] = record["responseElements"] = dict(TRUNCATED)
            entry = self._entry_of(record, principal)
        return entry

    def _entry_of(self, record: dict[str, Any], principal: Principal | None) -> AuditEntry:
        return entry_of(
            record, account_id=record["recipientAccountId"], now=self._time(),
            resources=self._resources(self.service or ""),
            username=(principal.name or None) if principal is not None else None,
            access_key_id=(principal.access_key_id if principal is not None
                           else self._scope()[0] or None),
        )

    def _time(self) -> float:
        """When the call finished (records built later by the writer), else now."""
        return self._finished_at if self._finished_at is not None else self._trail.clock.now()

    def _unknown_identity(self) -> dict[str, Any]:
        """A caller that did not authenticate: only the access key id it claimed."""
        key = self._scope()[0]
        return {"type": "Unknown", "accessKeyId": key} if key else {"type": "Unknown"}

    def _scope(self) -> tuple[str, str, str]:
        """(access key id, region, service) of the SigV4 credential the request claims,
        unverified; empty strings where absent or malformed."""
        if self._claimed is None:
            self._claimed = self._read_claimed()
        return self._claimed

    def _resources(self, service: str) -> list[tuple[str, str]]:
        spec = RESOURCES.get(service)
        if spec is None:
            return []
        kind, result_members, request_members = spec
        result = self._result if self._error is None else None
        for source, names in ((result, result_members), (self.params, request_members)):
            for name in names:
                value = _member(source, name)
                if isinstance(value, str) and value.startswith("arn:") and (
                        service != "kms" or ":key/" in value):
                    return [(kind, value[:2048])]
        return []


def _member(values: Mapping[str, Any] | None, path: str) -> Any:
    for name in path.split("."):
        if not isinstance(values, Mapping):
            return None
        values = values.get(name)
    return values



def _arn_account(arn: str) -> str:
    parts = arn.split(":", 5)
    return parts[4] if len(parts) > 4 else ""


def _lost_race(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, UniqueViolation) or type(seen).__name__ in _AGAIN_AFTER:
            return True
        seen = seen.__cause__ or seen.__context__
    return False
