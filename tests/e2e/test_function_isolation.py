"""Functions cannot reach the server's data directory: under a root server they run as an
unprivileged user with read-only code, a private TMPDIR and resource limits."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from strongroom.core.config import ServerConfig
from strongroom.lambdas.runner import sandbox_problem, user_sandbox
from strongroom.server.app import StrongroomApp
from strongroom.server.compose import SQLITE_FILE, build, function_sandbox
from tests.conftest import REGIONS, Account, LiveServer, ThreadedServer, free_port
from tests.e2e.helpers import shared_dir
from tests.e2e.test_lambda_api import CALLBACK, create, invoke, lambda_client, make_role

AS_ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not AS_ROOT, reason="functions switch to function_user only "
                                "when the server runs as root; this run is not root")

PROBE = """
import os, resource

def lambda_handler(event, context):
    outcome = {}
    for path in event["paths"]:
        try:
            with open(path, "rb") as handle:
                handle.read(1)
            outcome[path] = "read"
        except OSError as exc:
            outcome[path] = type(exc).__name__
    return {"files": outcome, "uid": os.getuid(), "gid": os.getgid(),
            "groups": os.getgroups(), "tmpdir": os.environ["TMPDIR"],
            "core": resource.getrlimit(resource.RLIMIT_CORE),
            "nofile": resource.getrlimit(resource.RLIMIT_NOFILE),
            "address_space": resource.getrlimit(resource.RLIMIT_AS)}
"""

WRITER = """
import os, tempfile

def lambda_handler(event, context):
    handle, path = tempfile.mkstemp()
    os.write(handle, b"scratch")
    os.close(handle)
    outcome = {"tmp_file": path}
    root = os.environ["LAMBDA_TASK_ROOT"]
    for target in (os.path.join(root, "planted.py"), os.path.join(root, "lambda_function.py")):
        try:
            with open(target, "a") as handle:
                handle.write("# changed")
            outcome[target] = "written"
        except OSError as exc:
            outcome[target] = type(exc).__name__
    return outcome
"""

HOG = """
def lambda_handler(event, context):
    hoard = bytearray(event["bytes"])
    return len(hoard)
"""


def _readable_python(root: Path) -> str | None:
    """An interpreter `nobody` can run that has this environment's packages: ours, or a
    venv on the system's Python of the same version whose site-packages point at ours
    (here the server's interpreter lives under /root, which nobody may enter)."""
    if sandbox_problem(user_sandbox("nobody")) is None:
        return sys.executable
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (f"/usr/bin/python{version}", f"/usr/local/bin/python{version}"):
        if not os.access(candidate, os.X_OK):
            continue
        venv = root / "function-python"
        subprocess.run([candidate, "-m", "venv", "--without-pip", str(venv)], check=True,
                       capture_output=True)
        site = venv / "lib" / f"python{version}" / "site-packages"
        paths = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
        (site / "strongroom-test.pth").write_text("\n".join(sorted(paths)) + "\n")
        subprocess.run(["chmod", "-R", "a+rX", str(root)], check=True)
        python = str(venv / "bin" / "python")
        if sandbox_problem(user_sandbox("nobody", python)) is None:
            return python
    return None


@pytest.fixture(scope="module")
def isolated_server() -> Iterator[LiveServer]:
    if not AS_ROOT:
        pytest.skip("functions switch to function_user only when the server runs as root")
    tools = Path(tempfile.mkdtemp(prefix="strongroom-fnpython-"))
    os.chmod(tools, 0o755)
    python = _readable_python(tools)
    if python is None:
        shutil.rmtree(tools, ignore_errors=True)
        pytest.skip("no Python interpreter with this environment's packages that `nobody` "
                    "can run (set function_python)")
    data_dir = Path(tempfile.mkdtemp(prefix="strongroom-isolation-"))
    port = free_port()
    config = ServerConfig(data_dir=data_dir, port=port, regions=REGIONS, worker_threads=8,
                          purge_interval=3600, function_python=python)
    application = build(config)
    server = ThreadedServer(StrongroomApp(application), port)
    server.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", application, "sqlite")
    finally:
        server.stop()
        for folder in (tools, data_dir, data_dir.with_name(data_dir.name + ".functions")):
            shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def tenant(isolated_server: LiveServer) -> Account:
    account_id, credentials = isolated_server.new_account()
    return Account(account_id, credentials, isolated_server)


def _deploy(tenant: Account, source: str, **kwargs: Any) -> Any:
    client = lambda_client(tenant)
    create(client, make_role(tenant, "isolated-role"), name="probe", source=source, **kwargs)
    return client


@needs_root
def test_function_cannot_read_the_data_directory(tenant):
    data_dir = tenant.server.app.config.data_dir
    client = _deploy(tenant, PROBE)
    secrets = [str(data_dir / "root.key"), str(data_dir / SQLITE_FILE)]
    assert all(Path(p).is_file() for p in secrets)
    _, result = invoke(client, "probe", {"paths": secrets})
    assert result["files"] == dict.fromkeys(secrets, "PermissionError")
    assert result["uid"] != 0
    assert result["gid"] != 0
    assert 0 not in result["groups"]


@needs_root
def test_function_code_lives_outside_the_data_directory(tenant):
    data_dir = tenant.server.app.config.data_dir.resolve()
    client = _deploy(tenant, "import os\n\ndef lambda_handler(event, context):\n"
                             "    return os.environ['LAMBDA_TASK_ROOT']\n")
    _, task_root = invoke(client, "probe", {})
    assert not Path(task_root).is_relative_to(data_dir)
    assert Path(task_root).parent == data_dir.with_name(data_dir.name + ".functions")
    assert Path(task_root).stat().st_uid == 0


@needs_root
def test_function_writes_its_tmpdir_but_not_its_code(tenant):
    client = _deploy(tenant, WRITER)
    _, result = invoke(client, "probe", {})
    scratch = result.pop("tmp_file")
    assert not Path(scratch).exists()  # the invocation's TMPDIR is removed afterwards
    assert set(result.values()) == {"PermissionError"}
    _, probe = invoke(client, "probe", {})
    assert Path(probe["tmp_file"]).parent != Path(scratch).parent


@needs_root
def test_function_has_resource_limits(tenant):
    client = _deploy(tenant, PROBE, MemorySize=256)
    _, result = invoke(client, "probe", {"paths": []})
    assert result["core"] == [0, 0]
    assert result["nofile"] == [1024, 1024]
    assert result["address_space"][0] == (256 + 512) * 1024 * 1024


@needs_root
def test_allocating_far_beyond_memory_size_fails_cleanly(tenant):
    client = _deploy(tenant, HOG, MemorySize=128)
    response, payload = invoke(client, "probe", {"bytes": 4 * 1024 ** 3})
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "MemoryError"
    _, small = invoke(client, "probe", {"bytes": 64 * 1024 ** 2})
    assert small == 64 * 1024 ** 2


@needs_root
def test_function_calling_back_into_secrets_manager_still_works(tenant):
    secret_arn = tenant.client().create_secret(Name="db", SecretString="hunter2")["ARN"]
    role = make_role(tenant, "reader", policy={"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret_arn}]})
    client = lambda_client(tenant)
    create(client, role, name="reader", source=CALLBACK, Timeout=30)
    _, result = invoke(client, "reader", {"SecretId": secret_arn})
    assert result["value"] == "hunter2"


@needs_root
def test_timeout_still_kills_the_functions_processes(tenant):
    client = _deploy(tenant, "import subprocess, time\n\ndef lambda_handler(event, context):\n"
                             "    subprocess.Popen(['sleep', '60'])\n    time.sleep(30)\n",
                     Timeout=1)
    _response, payload = invoke(client, "probe", {})
    assert payload["errorType"] == "Sandbox.Timedout"
    deadline = time.monotonic() + 10  # SIGKILL is delivered, and reaped, asynchronously
    while _live_processes("nobody", "sleep"):
        assert time.monotonic() < deadline, "the function's child outlived its timeout"
        time.sleep(0.1)


def _live_processes(user: str, command: str) -> list[str]:
    listing = subprocess.run(["ps", "-u", user, "-o", "stat=,comm="], capture_output=True,
                             text=True, check=False).stdout.splitlines()
    return [line for line in listing
            if line.split()[-1] == command and not line.strip().startswith("Z")]


def test_a_server_that_is_not_root_warns_that_functions_can_read_its_data(
        tmp_path, monkeypatch, caplog):
    monkeypatch.setattr("strongroom.server.compose.os.geteuid", lambda: 1000)
    config = ServerConfig(data_dir=tmp_path / "data", regions=REGIONS)
    with caplog.at_level(logging.WARNING, logger="strongroom.server"):
        functions_dir, sandbox = function_sandbox(config)
    assert sandbox is None
    assert functions_dir == (tmp_path / "data").resolve() / "functions"
    assert "functions run as the server's user and can read the data directory" in caplog.text


SNOOPER = """
import os, time

def lambda_handler(event, context):
    if event.get("wait"):  # the victim: a secret in its environment, alive for a while
        with open(event["pidfile"], "w") as handle:
            handle.write(str(os.getpid()))
        time.sleep(event["wait"])
        return "done"
    try:
        with open(f"/proc/{event['pid']}/environ", "rb") as handle:
            return "read:" + str(b"SNOOP_SECRET" in handle.read())
    except OSError as exc:
        return type(exc).__name__
"""


@needs_root
def test_one_function_cannot_read_another_s_environment(tenant):
    client = _deploy(tenant, SNOOPER, Environment={"Variables": {"SNOOP_SECRET": "x"}},
                     Timeout=30)
    shared = shared_dir()
    pidfile = shared / "victim.pid"
    client.invoke(FunctionName="probe", InvocationType="Event",
                  Payload=json.dumps({"wait": 4, "pidfile": str(pidfile)}))
    deadline = time.monotonic() + 20
    while not (pidfile.exists() and pidfile.read_text()) and time.monotonic() < deadline:
        time.sleep(0.1)
    _, result = invoke(client, "probe", {"pid": int(pidfile.read_text())})
    assert result == "PermissionError"
    time.sleep(4.5)  # let the victim finish before the server stops


@needs_root
def test_functions_find_amazon_linux_s_ca_bundle_path(tenant):
    """AWS's MySQL/MariaDB rotation templates open /etc/pki/tls/cert.pem, where Lambda's
    Amazon Linux keeps its CA bundle; a host without it gives functions an overlay with it."""
    client = _deploy(tenant, "import os\n\ndef lambda_handler(event, context):\n"
                             "    with open('/etc/pki/tls/cert.pem') as f:\n"
                             "        head = f.read(27)\n"
                             "    return [head, os.getuid(), os.getgroups(),\n"
                             "            os.path.exists('/etc/hostname')]\n")
    _, (head, uid, groups, hostname) = invoke(client, "probe", {})
    assert head == "-----BEGIN CERTIFICATE-----"
    assert uid != 0
    assert groups == []
    assert hostname == Path("/etc/hostname").exists()  # the rest of /etc as it is
    assert not Path("/etc/pki/tls/cert.pem").exists() or Path("/etc/pki").is_dir()
