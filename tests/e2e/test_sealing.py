"""Sealing the root key, as an operator does it through `strongroom operator`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from strongroom.core.config import ServerConfig
from strongroom.iam.names import access_key_purpose
from strongroom.keys.crypto import CiphertextInvalid
from strongroom.keys.rekey import (
    audit_signing_key_purpose,
    event_subscription_purpose,
    lambda_environment_purpose,
)
from strongroom.keys.rootkey import RootKey, read_key_file
from strongroom.keys.seal import RootKeyHolder, SealMode, initialize
from strongroom.keys.service import material_purpose
from strongroom.server.compose import build
from strongroom.storage.queries_rootkey import root_wrapped_values
from strongroom.storage.sqlite import SQLiteStore
from tests.conftest import free_port
from tests.e2e.helpers import aws_error, shared_dir
from tests.e2e.test_cli import _exports, _wait_healthy
from tests.e2e.test_lambda_api import TRUST_LAMBDA, code

BIN = Path(sys.executable).parent
ACCOUNT = "123456789012"
SHARE = re.compile(r"^strongroom-share-\d+-[0-9a-f]+$", re.MULTILINE)


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, **extra)
    env.pop("STRONGROOM_ROOT_ACCESS_KEY_ID", None)
    env.pop("STRONGROOM_ROOT_SECRET_ACCESS_KEY", None)
    return env


def strongroom(*args: str, ok: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(BIN / "strongroom"), *args], capture_output=True, text=True,
                            timeout=120, env=_env(**env))
    if ok:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


class Server:
    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [str(BIN / "strongroom"), "server", "--data-dir", str(data_dir), "--port",
             str(self.port), "--account-id", ACCOUNT],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=_env())
        lines = []
        while True:
            line = self.proc.stdout.readline()
            lines.append(line)
            if "serving on" in line or not line:
                break
        self.output = "".join(lines)
        _wait_healthy(self.endpoint, self.proc)

    def health(self) -> dict:
        with urllib.request.urlopen(self.endpoint + "/health", timeout=5) as response:
            assert response.status == 200
            return json.loads(response.read())

    def client(self, creds: dict[str, str], service: str = "secretsmanager"):
        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id=creds["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"],
                            config=Config(retries={"max_attempts": 1}))

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.proc.stdout.close()


@pytest.fixture
def servers():
    started: list[Server] = []

    def start(data_dir: Path) -> Server:
        server = Server(data_dir)
        started.append(server)
        return server

    yield start
    for server in started:
        if server.proc.poll() is None:
            server.stop()


def _assert_sealed(server: Server, creds: dict[str, str]) -> None:
    assert server.health() == {"status": "sealed", "sealed": True}
    code, message, status = aws_error(server.client(creds).list_secrets)
    assert (code, status) == ("ServiceUnavailableException", 503)
    assert message == ("strongroom is sealed; an operator must unseal it "
                       "(strongroom operator unseal).")
    code, _, status = aws_error(server.client(creds, "iam").list_users)
    assert (code, status) == ("ServiceUnavailable", 503)


def test_shamir_three_of_five_seal_and_unseal_without_restart(tmp_path, servers):
    """A 3-of-5 server starts sealed, unseals at the third share, and seals again on demand."""
    data_dir = tmp_path / "data"
    init = strongroom("operator", "init", "--data-dir", str(data_dir), "--mode", "shamir",
                      "--shares", "5", "--threshold", "3", "--account-id", ACCOUNT)
    shares = SHARE.findall(init.stdout)
    creds = _exports(init.stdout)
    assert len(shares) == 5
    assert creds["AWS_ACCESS_KEY_ID"].startswith("AKIA")
    again = strongroom("operator", "init", "--data-dir", str(data_dir), "--mode", "file",
                       ok=False)
    assert again.returncode == 1
    assert "already initialized" in again.stderr

    server = servers(data_dir)
    assert "sealed" in server.output
    assert "strongroom operator unseal" in server.output
    _assert_sealed(server, creds)
    dd = ("--data-dir", str(data_dir))
    assert "sealed: true" in strongroom("operator", "status", *dd).stdout

    typo = shares[0][:-1] + ("0" if shares[0][-1] != "0" else "1")
    rejected = strongroom("operator", "unseal", *dd, "--share", typo, ok=False)
    assert rejected.returncode == 1
    assert "checksum" in rejected.stderr
    progress = strongroom("operator", "unseal", *dd, "--share", shares[0], "--share", shares[3])
    assert "shares: 2 of 3 given" in progress.stdout
    _assert_sealed(server, creds)
    done = strongroom("operator", "unseal", *dd, "--share", shares[4])
    assert "sealed: false" in done.stdout
    assert server.health() == {"status": "ok", "sealed": False}
    sm = server.client(creds)
    sm.create_secret(Name="sealed/db", SecretString="s3cret")
    assert sm.get_secret_value(SecretId="sealed/db")["SecretString"] == "s3cret"

    assert "sealed: true" in strongroom("operator", "seal", *dd).stdout
    _assert_sealed(server, creds)
    strongroom("operator", "unseal", *dd, "--share", shares[1], "--share", shares[2],
               "--share", shares[0])
    assert server.client(creds).get_secret_value(SecretId="sealed/db")["SecretString"] == "s3cret"
    server.stop()
    # every call refused while sealed is in the audit trail too (not attributed: the
    # credentials could not be checked)
    store = SQLiteStore(str(data_dir / "strongroom.db"))
    try:
        with store.read() as tx:
            refused = [json.loads(r.record) for r in tx.audit_records("", limit=10_000)]
    finally:
        store.close()
    names = sorted((r["eventSource"], r["eventName"]) for r in refused
                   if r.get("errorCode") in ("ServiceUnavailableException", "ServiceUnavailable"))
    # three refused calls of each (boto3 retries a 503 once: each attempt is a call)
    assert names.count(("secretsmanager.amazonaws.com", "ListSecrets")) >= 3
    assert names.count(("iam.amazonaws.com", "ListUsers")) >= 3


def test_operator_endpoint_needs_the_token(tmp_path, servers):
    """Without the token in the data dir nobody can seal the server."""
    server = servers(tmp_path / "data")
    token_file = tmp_path / "data" / "operator.token"
    assert token_file.stat().st_mode & 0o777 == 0o600
    for headers in ({}, {"x-strongroom-operator-token": "0" * 64}):
        request = urllib.request.Request(server.endpoint + "/_strongroom/operator/seal",
                                         data=b"{}", method="POST", headers=headers)
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(request, timeout=5)
        assert info.value.code == 401
        info.value.close()
    assert server.health()["sealed"] is False


def test_passphrase_mode_round_trip_and_rotation(tmp_path, servers):
    """Passphrase mode: wrong passphrase refused; rotating the root key keeps every secret."""
    data_dir = tmp_path / "data"
    dd = ("--data-dir", str(data_dir))
    init = strongroom("operator", "init", *dd, "--mode", "passphrase", "--account-id", ACCOUNT,
                      STRONGROOM_PASSPHRASE="correct horse battery")
    creds = _exports(init.stdout)
    server = servers(data_dir)
    _assert_sealed(server, creds)
    wrong = strongroom("operator", "unseal", *dd, "--passphrase-env", "PW", ok=False, PW="nope")
    assert wrong.returncode == 1
    assert "wrong passphrase" in wrong.stderr
    strongroom("operator", "unseal", *dd, "--passphrase-env", "PW", PW="correct horse battery")
    server.client(creds).create_secret(Name="before-rotation", SecretString="kept")
    refused = strongroom("operator", "rotate-root-key", *dd, ok=False,
                         STRONGROOM_PASSPHRASE="correct horse battery")
    assert "stop it" in refused.stderr
    server.stop()

    old_seal = (data_dir / "seal.json").read_text()
    rotated = strongroom("operator", "rotate-root-key", *dd,
                         STRONGROOM_PASSPHRASE="correct horse battery")
    assert "rewrapped" in rotated.stdout
    assert (data_dir / "seal.json").read_text() != old_seal
    server = servers(data_dir)
    strongroom("operator", "unseal", *dd, STRONGROOM_PASSPHRASE="correct horse battery")
    got = server.client(creds).get_secret_value(SecretId="before-rotation")
    assert got["SecretString"] == "kept"


def test_rotation_rewraps_everything_and_retires_the_old_key(servers):
    """After rotate-root-key the old key opens nothing in the store and the new one opens all."""
    data_dir = shared_dir() / "data"  # functions (another user) must reach their code beside it
    server = servers(data_dir)
    creds = _exports(server.output)
    sm = server.client(creds)
    sm.create_secret(Name="rotated/a", SecretString="value-a")
    kms = server.client(creds, "kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.rotate_key_on_demand(KeyId=key_id)
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"kms-data")["CiphertextBlob"]
    sts = server.client(creds, "sts")
    session = sts.get_session_token()["Credentials"]
    role = server.client(creds, "iam").create_role(
        RoleName="fn", AssumeRolePolicyDocument=TRUST_LAMBDA)["Role"]["Arn"]
    server.client(creds, "lambda").create_function(
        FunctionName="env", Runtime="python3.12", Role=role,
        Handler="lambda_function.lambda_handler", Environment={"Variables": {"GREETING": "hi"}},
        Code={"ZipFile": code("import os\ndef lambda_handler(e, c):\n"
                              "    return os.environ['GREETING']\n")})
    server.stop()
    strongroom("events", "subscribe", "--account-id", ACCOUNT, "--name", "hook",
               "--webhook", "http://127.0.0.1:9/", "--data-dir", str(data_dir))
    old = read_key_file(data_dir / "root.key")

    rotated = strongroom("operator", "rotate-root-key", "--data-dir", str(data_dir))
    assert "rewrapped" in rotated.stdout
    new = read_key_file(data_dir / "root.key")
    assert new != old
    assert not list(data_dir.glob("*.pending"))
    store = SQLiteStore(str(data_dir / "strongroom.db"))
    try:
        with store.read() as tx:
            items = root_wrapped_values(tx)
    finally:
        store.close()
    tables = {item.table for item in items}
    assert tables >= {"kms_keys", "kms_key_versions", "access_keys", "sts_sessions",
                      "lambda_functions", "event_subscriptions"}
    purposes = {"kms_keys": lambda i: material_purpose(i.ident, i.version),
                "kms_key_versions": lambda i: material_purpose(i.ident, i.version),
                "access_keys": lambda i: access_key_purpose(i.ident),
                "sts_sessions": lambda i: access_key_purpose(i.ident),
                "audit_signing_keys": lambda i: audit_signing_key_purpose(i.ident),
                "lambda_functions": lambda i: lambda_environment_purpose(i.ident),
                "event_subscriptions": lambda i: event_subscription_purpose(i.ident)}
    old_key, new_key = RootKey(old), RootKey(new)
    for item in items:
        purpose = purposes[item.table](item)
        with pytest.raises(CiphertextInvalid):
            old_key.unwrap(item.wrapped, purpose)
        new_key.unwrap(item.wrapped, purpose)

    server = servers(data_dir)
    assert server.client(creds).get_secret_value(SecretId="rotated/a")["SecretString"] == "value-a"
    assert server.client(creds, "kms").decrypt(CiphertextBlob=blob)["Plaintext"] == b"kms-data"
    temporary = boto3.client(
        "secretsmanager", endpoint_url=server.endpoint, region_name="us-east-1",
        aws_access_key_id=session["AccessKeyId"], aws_secret_access_key=session["SecretAccessKey"],
        aws_session_token=session["SessionToken"], config=Config(retries={"max_attempts": 1}))
    temporary.list_secrets()
    invoked = server.client(creds, "lambda").invoke(FunctionName="env")
    assert "FunctionError" not in invoked
    assert invoked["Payload"].read() == b'"hi"'


@pytest.mark.parametrize("mode", [SealMode.PASSPHRASE, SealMode.SHAMIR])
def test_data_dir_never_holds_the_root_key_in_clear(tmp_path, mode):
    """In passphrase and shamir modes no file of the data dir holds the root key."""
    data_dir = tmp_path / "data"
    options = ({"passphrase": "pw-for-test", "kdf_n": 2**15} if mode is SealMode.PASSPHRASE
               else {"threshold": 2, "shares": 3})
    root, shares = initialize(data_dir, mode, **options)
    material = bytes(root._material or b"")
    application = build(ServerConfig(data_dir=data_dir, regions=frozenset({"us-east-1"}),
                                     purge_interval=3600))
    try:
        holder: RootKeyHolder = application.holder
        assert holder.sealed
        assert application.first_start is None  # no account without the key
        if mode is SealMode.PASSPHRASE:
            holder.unseal_with_passphrase("pw-for-test")
        else:
            holder.submit_share(shares[0])
            holder.submit_share(shares[2])
        assert holder.root.same_as(material)
        application.identities.create_account(ACCOUNT)
    finally:
        application.store.close()
    stored = b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
    for form in (material, material.hex().encode(), material.hex().upper().encode()):
        assert form not in stored
    assert not (data_dir / "root.key").exists()


def test_shamir_rotation_prints_new_shares_and_retires_the_old(tmp_path):
    """rotate-root-key in shamir mode prints new shares; the old ones are refused after."""
    dd = ("--data-dir", str(tmp_path / "data"))
    init = strongroom("operator", "init", *dd, "--mode", "shamir", "--shares", "3",
                      "--threshold", "2", "--account-id", ACCOUNT)
    old = SHARE.findall(init.stdout)
    rotated = strongroom("operator", "rotate-root-key", *dd, "--share", old[0], "--share", old[2])
    new = SHARE.findall(rotated.stdout)
    assert len(new) == 3
    assert not set(new) & set(old)
    refused = strongroom("operator", "rotate-root-key", *dd, "--share", old[0], "--share",
                         old[1], ok=False)
    assert "another set" in refused.stderr
    (tmp_path / "data" / "seal.json.pending").write_text("{}")
    interrupted = strongroom("operator", "rotate-root-key", *dd, "--share", new[0], ok=False)
    assert "interrupted" in interrupted.stderr
