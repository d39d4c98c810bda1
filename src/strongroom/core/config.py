"""Server settings, gathered once by the CLI and handed to the composition root."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PORT = 7733
DEFAULT_REGION = "us-east-1"


def standard_regions() -> frozenset[str]:
    """The standard AWS region names (partition "aws"), as botocore knows them."""
    import botocore.session

    session = botocore.session.get_session()
    return frozenset(session.get_available_regions("secretsmanager"))


@dataclass(frozen=True)
class ServerConfig:
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    store: str | None = None  # None: SQLite in the data dir; else a postgresql:// DSN
    account_id: str | None = None
    regions: frozenset[str] = field(default_factory=standard_regions)
    default_region: str = DEFAULT_REGION
    worker_threads: int = 4
    purge_interval: float = 60.0
    max_body_bytes: int = 1024 * 1024
    # Rotation engine: a dead worker's rotation is resumed after the lease runs out; a
    # failed attempt is retried after retry_delay (doubling), max_attempts per window.
    rotation_lease_seconds: float = 30.0
    rotation_retry_delay: float = 30.0
    rotation_max_attempts: int = 3
    rotation_poll_interval: float = 1.0
    # Functions (Lambda API): the URL functions call back on (default: http://<host>:<port>,
    # 0.0.0.0 read as 127.0.0.1), invocations kept per function, Event-invocation workers.
    function_endpoint: str | None = None
    function_logs_kept: int = 50
    function_workers: int = 2
    # When the server runs as root, functions run as function_user (a name or uid) with
    # their code in function_dir (default: <data-dir>.functions, beside the 0700 data dir,
    # never inside it), on function_python (default: the server's interpreter; that user
    # must be able to run it). Not root: functions run as the server's user, with a warning.
    function_user: str = "nobody"
    function_dir: Path | None = None
    function_python: str | None = None
    # Events to subscribers (notify): how often new audit records are looked for, the lease a
    # node holds on a subscription while delivering, the retry back-off (doubling from
    # events_retry_base up to events_retry_cap, forever) and one send's timeout.
    events_poll_interval: float = 1.0
    events_lease_seconds: float = 30.0
    events_retry_base: float = 1.0
    events_retry_cap: float = 300.0
    events_timeout: float = 10.0
    # Audit trail: how often each account's chain head is signed (a checkpoint, when it
    # moved), and the sink shipping every record as JSON lines ("file:/path" or "stdout";
    # None: no sink), polled every audit_sink_interval seconds.
    audit_digest_interval: float = 60.0
    audit_sink: str | None = None
    audit_sink_interval: float = 1.0
    # The record of every API call (audit.trail). `audit` False turns it off: for
    # benchmarking only. Records of reads and failed calls are group-committed in batches of
    # up to audit_batch_max; a batch waits up to audit_batch_ms for the records of requests
    # still being handled; a call whose record is not durable within audit_timeout seconds,
    # or finds audit_queue_max records queued, gets 503.
    audit: bool = True
    audit_batch_ms: float = 5.0
    audit_batch_max: int = 256
    audit_timeout: float = 2.0
    audit_queue_max: int = 10_000
