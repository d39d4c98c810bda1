"""The AWS SDK for JavaScript v3, unchanged, against a live strongroom (tests/js/lifecycle.mjs)."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

import pytest

JS_DIR = Path(__file__).resolve().parents[1] / "js"
SDK_PACKAGE = JS_DIR / "node_modules" / "@aws-sdk" / "client-secrets-manager" / "package.json"
NPM_CI_TIMEOUT = 300
RUN_TIMEOUT = 120


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"`{name}` is not on PATH: the JS SDK test needs Node.js 20+ and npm "
                    f"(install them, or put them on PATH) to run tests/js/lifecycle.mjs")
    return path


def _show(proc: subprocess.CompletedProcess[str]) -> str:
    return (f"exit code {proc.returncode}\n"
            f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}")


@pytest.fixture(scope="module")
def node() -> str:
    """The node binary, with tests/js/node_modules installed from the lockfile if missing."""
    node, npm = _tool("node"), _tool("npm")
    # locking the lockfile keeps parallel test processes from running `npm ci` over each other
    with open(JS_DIR / "package-lock.json", "rb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not SDK_PACKAGE.exists():
            try:
                proc = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=JS_DIR,
                                      capture_output=True, text=True, timeout=NPM_CI_TIMEOUT,
                                      check=False)
            except subprocess.TimeoutExpired:
                pytest.fail(f"`npm ci` in {JS_DIR} took more than {NPM_CI_TIMEOUT}s")
            if proc.returncode != 0:
                pytest.fail(f"`npm ci` in {JS_DIR} failed: {_show(proc)}")
    return node


def test_js_sdk_runs_a_secret_lifecycle(node, account):
    """The JS SDK v3 creates, reads, versions, lists, batch-reads, deletes and restores secrets."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        STRONGROOM_ENDPOINT=account.server.endpoint,
        AWS_REGION="us-east-1",
        AWS_ACCESS_KEY_ID=account.credentials.access_key_id,
        AWS_SECRET_ACCESS_KEY=account.credentials.secret_access_key,
    )
    try:
        proc = subprocess.run([node, str(JS_DIR / "lifecycle.mjs")], cwd=JS_DIR, env=env,
                              capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"lifecycle.mjs took more than {RUN_TIMEOUT}s\n"
                    f"--- stdout ---\n{exc.stdout}\n--- stderr ---\n{exc.stderr}")
    assert proc.returncode == 0, _show(proc)
    assert '"ok":true' in proc.stdout, _show(proc)
