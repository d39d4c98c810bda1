"""Fixtures of the end-to-end tests that run `strongroom server` processes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.processes import Server


@pytest.fixture
def servers() -> Iterator[Callable[..., Server]]:
    """Start real servers; all are stopped at the end of the test."""
    started: list[Server] = []

    def start(data_dir: Path, store: str | None = None) -> Server:
        server = Server(data_dir, store)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
