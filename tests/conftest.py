"""Shared fixtures: live strongroom servers on both stores, fresh accounts, boto3 clients.

One server per store for the whole run (each PostgreSQL run in its own fresh
database); every test gets an account of its own, so tests never see each
other's secrets.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import psycopg
import pytest
import uvicorn
from botocore.config import Config

from strongroom.auth.identity import Credentials, new_account_id
from strongroom.core.config import ServerConfig
from strongroom.server.app import StrongroomApp
from strongroom.server.compose import Application, build

PG_ADMIN_DSN = os.environ.get("STRONGROOM_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REGIONS = frozenset({"us-east-1", "us-west-2", "eu-west-1"})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    endpoint: str
    app: Application
    store_kind: str

    def new_account(self) -> tuple[str, Credentials]:
        account_id = new_account_id()
        return account_id, self.app.identities.create_account(account_id)

    def client(self, credentials: Credentials, service: str = "secretsmanager",
               region: str = "us-east-1", **kwargs: Any) -> Any:
        return boto3.client(
            service, endpoint_url=self.endpoint, region_name=region,
            aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=credentials.secret_access_key,
            config=Config(retries={"max_attempts": 1}), **kwargs,
        )


def _fresh_pg_database() -> tuple[str, str]:
    name = f"strongroom_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, PG_ADMIN_DSN.rsplit("/", 1)[0] + "/" + name


def _drop_pg_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class ThreadedServer:
    """uvicorn in a background thread, stopped cleanly at the end of the run."""

    def __init__(self, app: StrongroomApp, port: int) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                access_log=False, lifespan="on", http="httptools",
                                loop="asyncio")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.time() + 10
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def live_server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    kind = request.param
    data_dir = Path(tempfile.mkdtemp(prefix="strongroom-test-"))
    database = None
    store = None
    if kind == "postgresql":
        database, store = _fresh_pg_database()
    port = free_port()
    config = ServerConfig(data_dir=data_dir, port=port, store=store, regions=REGIONS,
                          worker_threads=8, purge_interval=3600)
    application = build(config)
    server = ThreadedServer(StrongroomApp(application), port)
    server.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", application, kind)
    finally:
        server.stop()
        if database:
            _drop_pg_database(database)


@dataclass
class Account:
    account_id: str
    credentials: Credentials
    server: LiveServer

    def client(self, service: str = "secretsmanager", region: str = "us-east-1",
               **kwargs: Any) -> Any:
        return self.server.client(self.credentials, service, region, **kwargs)


@pytest.fixture
def account(live_server: LiveServer) -> Account:
    account_id, credentials = live_server.new_account()
    return Account(account_id, credentials, live_server)


@pytest.fixture
def sm(account: Account) -> Any:
    """A boto3 Secrets Manager client of a fresh account's administrator."""
    return account.client()
