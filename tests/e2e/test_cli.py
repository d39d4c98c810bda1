"""The `strongroom server` command as a user runs it, and the AWS CLI against it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import free_port

BIN = Path(sys.executable).parent


def _wait_healthy(endpoint: str, proc: subprocess.Popen) -> None:
    deadline = time.time() + 20
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stdout.read() if proc.stdout else ''}")
        try:
            with urllib.request.urlopen(endpoint + "/health", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not become healthy")


@pytest.fixture
def started(tmp_path):
    """Start `strongroom server` on an empty data dir; yield (endpoint, first output, env)."""
    port = free_port()
    env = dict(os.environ)
    env.pop("STRONGROOM_ROOT_ACCESS_KEY_ID", None)
    env.pop("STRONGROOM_ROOT_SECRET_ACCESS_KEY", None)
    proc = subprocess.Popen(
        [str(BIN / "strongroom"), "server", "--data-dir", str(tmp_path / "data"),
         "--port", str(port), "--account-id", "123456789012"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )
    endpoint = f"http://127.0.0.1:{port}"
    lines = []
    while True:
        line = proc.stdout.readline()
        lines.append(line)
        if "serving on" in line or not line:
            break
    _wait_healthy(endpoint, proc)
    yield endpoint, "".join(lines), tmp_path / "data"
    proc.terminate()
    proc.wait(timeout=10)
    proc.stdout.close()


def _exports(text: str) -> dict[str, str]:
    return dict(re.findall(r"^export (\w+)=(\S+)$", text, re.MULTILINE))


def test_first_start_prints_credentials_once(started, tmp_path):
    endpoint, output, data_dir = started
    exports = _exports(output)
    assert exports["AWS_ENDPOINT_URL"] == endpoint
    assert exports["AWS_ACCESS_KEY_ID"].startswith("AKIA")
    assert len(exports["AWS_SECRET_ACCESS_KEY"]) == 40
    assert (data_dir / "root.key").stat().st_mode & 0o777 == 0o600
    assert (data_dir / "strongroom.db").exists()


def test_aws_cli_lifecycle(started):
    _endpoint, output, _ = started
    env = dict(os.environ, **_exports(output))
    env["AWS_CONFIG_FILE"] = env["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"

    def aws(*args: str) -> dict:
        result = subprocess.run([str(BIN / "aws"), "secretsmanager", *args, "--output", "json"],
                                env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout) if result.stdout.strip() else {}

    created = aws("create-secret", "--name", "prod/db",
                  "--secret-string", '{"user":"app","password":"pw"}')
    assert ":123456789012:secret:prod/db-" in created["ARN"]
    got = aws("get-secret-value", "--secret-id", "prod/db")
    assert json.loads(got["SecretString"]) == {"user": "app", "password": "pw"}
    aws("put-secret-value", "--secret-id", "prod/db", "--secret-string", "v2")
    listed = aws("list-secrets")
    assert [s["Name"] for s in listed["SecretList"]] == ["prod/db"]
    aws("delete-secret", "--secret-id", "prod/db", "--force-delete-without-recovery")
    failed = subprocess.run([str(BIN / "aws"), "secretsmanager", "get-secret-value",
                             "--secret-id", "prod/db"], env=env, capture_output=True, text=True)
    assert failed.returncode != 0
    assert "ResourceNotFoundException" in failed.stderr


def test_fixed_credentials_from_environment(tmp_path):
    port = free_port()
    env = dict(os.environ, STRONGROOM_ROOT_ACCESS_KEY_ID="AKIAFIXEDFIXEDFIXED1",
               STRONGROOM_ROOT_SECRET_ACCESS_KEY="fixed-secret-key-for-automation-000000000")
    proc = subprocess.Popen(
        [str(BIN / "strongroom"), "server", "--data-dir", str(tmp_path / "d"),
         "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        _wait_healthy(endpoint, proc)
        import boto3

        client = boto3.client("secretsmanager", endpoint_url=endpoint, region_name="us-east-1",
                              aws_access_key_id="AKIAFIXEDFIXEDFIXED1",
                              aws_secret_access_key="fixed-secret-key-for-automation-000000000")
        assert client.list_secrets()["SecretList"] == []
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_operator_creates_a_second_account(started):
    """`strongroom account create` makes an account whose administrator sees only its own."""
    import boto3

    endpoint, output, data_dir = started
    first = _exports(output)
    result = subprocess.run(
        [str(BIN / "strongroom"), "account", "create", "--data-dir", str(data_dir),
         "--account-id", "210987654321"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    second = _exports(result.stdout)

    def client(creds: dict[str, str]):
        return boto3.client("secretsmanager", endpoint_url=endpoint, region_name="us-east-1",
                            aws_access_key_id=creds["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"])

    client(first).create_secret(Name="first-only", SecretString="v")
    arn = client(second).create_secret(Name="second", SecretString="w")["ARN"]
    assert ":210987654321:" in arn
    assert [s["Name"] for s in client(second).list_secrets()["SecretList"]] == ["second"]
    listed = subprocess.run(
        [str(BIN / "strongroom"), "account", "list", "--data-dir", str(data_dir)],
        capture_output=True, text=True, timeout=60)
    assert set(listed.stdout.split()) == {"123456789012", "210987654321"}
    again = subprocess.run(
        [str(BIN / "strongroom"), "account", "create", "--data-dir", str(data_dir),
         "--account-id", "210987654321"], capture_output=True, text=True, timeout=60)
    assert again.returncode == 1


def test_store_files_are_private(started):
    _, _, data_dir = started
    for path in data_dir.iterdir():
        assert path.stat().st_mode & 0o077 == 0, path


def test_error_paths_leave_no_plaintext_in_logs_or_files(tmp_path):
    """Drive a debug-logging server through failing calls that carry secret values, then
    scan everything it printed and wrote: no value appears in the clear."""
    import urllib.error

    import boto3
    from botocore.exceptions import ClientError

    port = free_port()
    log_path = tmp_path / "server.log"
    env = dict(os.environ, STRONGROOM_ROOT_ACCESS_KEY_ID="AKIALOGSCANLOGSCAN01",
               STRONGROOM_ROOT_SECRET_ACCESS_KEY="log-scan-secret-key-000000000000000000000")
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [str(BIN / "strongroom"), "server", "--data-dir", str(tmp_path / "d"), "--port",
             str(port), "--log-level", "debug"], stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        _wait_healthy(endpoint, proc)
        sm = boto3.client("secretsmanager", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="AKIALOGSCANLOGSCAN01",
                          aws_secret_access_key="log-scan-secret-key-000000000000000000000")
        values = [f"plaintext-in-error-path-{i}-4f1c9a" for i in range(4)]
        token = "t" * 36
        sm.create_secret(Name="scan", SecretString=values[0], ClientRequestToken=token)
        failing = [
            lambda: sm.put_secret_value(SecretId="scan", SecretString=values[1],
                                        ClientRequestToken=token),  # token reused
            lambda: sm.create_secret(Name="scan", SecretString=values[2]),  # exists
            lambda: sm.put_secret_value(SecretId="missing", SecretString=values[3]),
            lambda: sm.create_secret(Name="bad name!", SecretString=values[3]),
        ]
        for call in failing:
            with pytest.raises(ClientError) as info:
                call()
            for value in values:
                assert value not in str(info.value.response)
        body = json.dumps({"Name": "x", "SecretString": values[3], "Tags": "not-a-list"})
        request = urllib.request.Request(endpoint + "/", data=body.encode(), method="POST",
                                         headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "secretsmanager.CreateSecret"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
        assert values[3] not in refused.value.read().decode()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    written = log_path.read_bytes() + b"".join(
        p.read_bytes() for p in (tmp_path / "d").iterdir() if p.is_file())
    assert b"serving on" in log_path.read_bytes()  # the log was captured
    for value in values:
        assert value.encode() not in written
