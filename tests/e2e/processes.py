"""Real `strongroom server` processes for the tests that kill, restart or run several:
started on a data dir (and store) of the test's, with fixed administrator keys, stopped
at the end by the `servers` fixture (tests/e2e/conftest.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from tests.conftest import free_port
from tests.e2e.test_cli import _wait_healthy

BIN = Path(sys.executable).parent
ACCOUNT = "123456789012"
KEY_ID = "AKIAROTATIONTEST0001"
SECRET_KEY = "rotation-test-secret-key-0000000000000000"


class Server:
    def __init__(self, data_dir: Path, store: str | None = None) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, STRONGROOM_ROOT_ACCESS_KEY_ID=KEY_ID,
                   STRONGROOM_ROOT_SECRET_ACCESS_KEY=SECRET_KEY)
        args = [str(BIN / "strongroom"), "server", "--data-dir", str(data_dir), "--port",
                str(self.port), "--account-id", ACCOUNT, "--regions", "us-east-1",
                "--rotation-lease-seconds", "3", "--log-level", "warning"]
        if store:
            args += ["--store", store]
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        self.log = (data_dir.parent / f"server-{self.port}.log").open("w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        _wait_healthy(self.endpoint, self.proc)

    def client(self, service: str = "secretsmanager") -> Any:
        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET_KEY,
                            config=Config(retries={"max_attempts": 1}))

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=15)
        if not self.log.closed:
            self.log.close()
