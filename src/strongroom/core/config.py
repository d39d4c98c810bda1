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
