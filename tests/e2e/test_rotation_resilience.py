"""Rotation across crashes and nodes, with real `strongroom server` processes.

- A server killed with SIGKILL while a rotation function is inside setSecret: after a
  restart the rotation is resumed from that step (its lease ran out) and completes.
- Two servers on one PostgreSQL store rotating many secrets: every step of every
  rotation runs exactly once, whichever server runs it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path

import pytest

from tests.conftest import _drop_pg_database, _fresh_pg_database
from tests.e2e.helpers import shared_dir
from tests.e2e.processes import Server
from tests.e2e.test_lambda_api import code
from tests.e2e.test_rotation_e2e import ROTATOR_POLICY, SIMPLE_ROTATOR, wait_for

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
    "Action": "sts:AssumeRole"}]})

pytestmark = pytest.mark.slow


def deploy(server: Server, environment: dict[str, str]) -> str:
    iam = server.client("iam")
    role = iam.create_role(RoleName="rotator", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    iam.put_role_policy(RoleName="rotator", PolicyName="rotate",
                        PolicyDocument=json.dumps(ROTATOR_POLICY))
    lam = server.client("lambda")
    arn: str = lam.create_function(
        FunctionName="rotator", Runtime="python3.12", Role=role,
        Handler="lambda_function.lambda_handler", Code={"ZipFile": code(SIMPLE_ROTATOR)},
        Timeout=300, Environment={"Variables": environment})["FunctionArn"]
    lam.add_permission(FunctionName="rotator", StatementId="SecretsManagerAccess",
                       Action="lambda:InvokeFunction", Principal="secretsmanager.amazonaws.com")
    return arn


def journal_of(path: Path) -> list[tuple[str, str, int]]:
    if not path.exists():
        return []
    return [tuple(json.loads(line)) for line in path.read_text().splitlines()]  # type: ignore[misc]


def test_a_rotation_interrupted_by_sigkill_finishes_after_restart(tmp_path, servers):
    data_dir = shared_dir() / "data"  # its .functions sibling must be reachable by them
    shared = shared_dir()
    journal, marker = shared / "journal", shared / "paused"
    first = servers(data_dir)
    function = deploy(first, {"JOURNAL": str(journal), "PAUSE_AT_ONCE": f"setSecret:{marker}"})
    sm = first.client()
    sm.create_secret(Name="db", SecretString='{"password": "first"}')
    token = sm.rotate_secret(SecretId="db", RotationLambdaARN=function)["VersionId"]
    wait_for(marker.exists, what="the function to reach setSecret")
    first.stop(signal.SIGKILL)  # the server dies mid-step, without any cleanup
    for step, _, pid in journal_of(journal):
        if step == "setSecret":
            os.kill(pid, signal.SIGKILL)  # and its function with it
    second = servers(data_dir)
    sm = second.client()
    wait_for(lambda: sm.describe_secret(SecretId="db")["VersionIdsToStages"].get(token)
             == ["AWSCURRENT"], timeout=60, what="the resumed rotation")
    steps = [(step, t) for step, t, _ in journal_of(journal)]
    assert steps == [("createSecret", token), ("setSecret", token), ("setSecret", token),
                     ("testSecret", token), ("finishSecret", token)]
    assert json.loads(sm.get_secret_value(SecretId="db")["SecretString"])["password"] != "first"


@pytest.mark.postgres
def test_two_servers_on_one_postgresql_never_run_a_rotation_twice(tmp_path, servers):
    database, dsn = _fresh_pg_database()
    nodes: list[Server] = []
    try:
        journal = shared_dir() / "journal"
        base = shared_dir()
        one = servers(base / "one" / "data", dsn)
        nodes.append(one)
        (base / "two" / "data").mkdir(parents=True)
        shutil.copy(base / "one" / "data" / "root.key", base / "two" / "data" / "root.key")
        two = servers(base / "two" / "data", dsn)
        nodes.append(two)
        function = deploy(one, {"JOURNAL": str(journal)})
        clients = [one.client(), two.client()]
        tokens = {}
        for i in range(12):
            sm = clients[i % 2]
            sm.create_secret(Name=f"s{i}", SecretString='{"password": "first"}')
            tokens[f"s{i}"] = sm.rotate_secret(SecretId=f"s{i}",
                                               RotationLambdaARN=function)["VersionId"]
        for name, token in tokens.items():
            wait_for(lambda n=name, t=token: clients[0].describe_secret(SecretId=n)[
                "VersionIdsToStages"].get(t) == ["AWSCURRENT"], timeout=120, what=name)
        steps = [(step, token) for step, token, _ in journal_of(journal)]
        assert len(steps) == len(set(steps)) == 4 * len(tokens)
    finally:
        for server in nodes:
            server.stop()
        _drop_pg_database(database)
