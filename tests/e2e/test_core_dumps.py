"""A crashing server leaves no core dump: its memory (the root key, data keys, secret
values read on error paths) never reaches the disk that way."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from tests.conftest import free_port
from tests.e2e.helpers import aws_error
from tests.e2e.test_cli import _wait_healthy

BIN = Path(sys.executable).parent
KEY_ID, SECRET_KEY = "AKIACOREDUMPTEST0001", "core-dump-test-secret-key-00000000000000"


def _core_files(*folders: Path) -> list[Path]:
    return [p for folder in folders for p in folder.rglob("core*") if p.is_file()]


def _unlimited_cores() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))


def test_a_crashed_server_writes_no_core_dump(tmp_path):
    pattern = Path("/proc/sys/kernel/core_pattern").read_text().strip()
    if pattern.startswith("|") or "/" in pattern:
        pytest.skip(f"core dumps go elsewhere here ({pattern!r}); this test looks in the cwd")
    control = subprocess.run([sys.executable, "-c", "import os; os.abort()"], cwd=tmp_path,
                             preexec_fn=_unlimited_cores, check=False)
    assert control.returncode != 0
    if not _core_files(tmp_path):
        pytest.skip("this machine writes no core dumps even when allowed")
    for core in _core_files(tmp_path):
        core.unlink()

    data_dir, port = tmp_path / "data", free_port()
    env = dict(os.environ, STRONGROOM_ROOT_ACCESS_KEY_ID=KEY_ID,
               STRONGROOM_ROOT_SECRET_ACCESS_KEY=SECRET_KEY)
    server = subprocess.Popen(
        [str(BIN / "strongroom"), "server", "--data-dir", str(data_dir), "--port", str(port),
         "--account-id", "123456789012", "--regions", "us-east-1", "--log-level", "warning"],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        preexec_fn=_unlimited_cores)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        _wait_healthy(endpoint, server)
        sm = boto3.client("secretsmanager", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET_KEY,
                          config=Config(retries={"max_attempts": 1}))
        value = f"core-dump-canary-{uuid.uuid4()}"
        sm.create_secret(Name="canary", SecretString=value)
        assert sm.get_secret_value(SecretId="canary")["SecretString"] == value
        assert aws_error(sm.get_secret_value, SecretId="canary",
                         VersionId=str(uuid.uuid4()))[0] == "ResourceNotFoundException"
        assert aws_error(sm.create_secret, Name="canary", SecretString=value + "!")[0] == \
            "ResourceExistsException"
        limits = Path(f"/proc/{server.pid}/limits").read_text()
        core_line = next(line for line in limits.splitlines()
                         if line.startswith("Max core file size"))
        assert core_line.split()[4] == "0", core_line  # the soft limit
        server.send_signal(signal.SIGSEGV)
        server.wait(timeout=30)
        assert server.returncode == -signal.SIGSEGV
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)
    assert _core_files(tmp_path) == []
