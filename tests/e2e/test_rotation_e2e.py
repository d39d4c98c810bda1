"""Rotation end to end: functions deployed through the Lambda API (boto3 and the AWS
CLI), run by the rotation engine as subprocesses that call back into strongroom with
their execution role's temporary credentials, exactly as AWS Lambda would run them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC
from datetime import time as dtime
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import aws_error, service_events, shared_dir
from tests.e2e.rotation_zips import GENERIC_TEMPLATE, template
from tests.e2e.test_lambda_api import TRUST_LAMBDA, code, make_zip

ROTATOR_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["secretsmanager:DescribeSecret",
                                   "secretsmanager:GetSecretValue",
                                   "secretsmanager:PutSecretValue",
                                   "secretsmanager:UpdateSecretVersionStage"],
     "Resource": "*"},
    {"Effect": "Allow", "Action": "secretsmanager:GetRandomPassword", "Resource": "*"},
]}

# What AWS's generic template does, with setSecret/testSecret filled in as a user
# would: here the "service" is a file the test can read.
SIMPLE_ROTATOR = '''
import json, os, time
import boto3

def lambda_handler(event, context):
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    sm = boto3.client("secretsmanager", endpoint_url=os.environ["SECRETS_MANAGER_ENDPOINT"])
    journal = os.environ.get("JOURNAL")
    if journal:
        with open(journal, "a") as handle:
            handle.write(json.dumps([step, token, os.getpid()]) + "\\n")
    if os.environ.get("FAIL_AT") == step:
        raise RuntimeError("refusing at " + step)
    pause = os.environ.get("PAUSE_AT_ONCE")
    if pause and pause.split(":")[0] == step and not os.path.exists(pause.split(":")[1]):
        open(pause.split(":")[1], "w").close()
        time.sleep(120)  # the server is killed meanwhile
    versions = sm.describe_secret(SecretId=arn)["VersionIdsToStages"]
    if "AWSCURRENT" in versions[token]:
        return
    if step == "createSecret":
        try:
            sm.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
            return
        except sm.exceptions.ResourceNotFoundException:
            pass
        current = json.loads(sm.get_secret_value(SecretId=arn)["SecretString"])
        password = sm.get_random_password(ExcludeCharacters="/@\\"'\\\\")
        current["password"] = password["RandomPassword"]
        sm.put_secret_value(SecretId=arn, ClientRequestToken=token,
                            SecretString=json.dumps(current), VersionStages=["AWSPENDING"],
                            RotationToken=event["RotationToken"])
    elif step == "finishSecret":
        current = next(v for v, s in versions.items() if "AWSCURRENT" in s)
        sm.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT",
                                       MoveToVersionId=token, RemoveFromVersionId=current)
'''


def wait_for(condition: Callable[[], Any], timeout: float = 60.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what or condition}")


def deploy(account: Any, name: str, zip_bytes: bytes, *, environment: dict[str, str] | None = None,
           permit: bool = True, timeout: int = 30) -> str:
    iam = account.client("iam")
    role = iam.create_role(RoleName=f"{name}-role",
                           AssumeRolePolicyDocument=TRUST_LAMBDA)["Role"]["Arn"]
    iam.put_role_policy(RoleName=f"{name}-role", PolicyName="rotate",
                        PolicyDocument=json.dumps(ROTATOR_POLICY))
    lam = account.client("lambda")
    arn: str = lam.create_function(
        FunctionName=name, Runtime="python3.12", Role=role,
        Handler="lambda_function.lambda_handler", Code={"ZipFile": zip_bytes}, Timeout=timeout,
        Environment={"Variables": environment or {}})["FunctionArn"]
    if permit:
        lam.add_permission(FunctionName=name, StatementId="SecretsManagerAccess",
                           Action="lambda:InvokeFunction", Principal="secretsmanager.amazonaws.com")
    return arn


def events(account: Any, arn: str) -> list[tuple[str, str | None]]:
    return service_events(account.server.app.store, account.account_id, arn)


def stages(sm: Any, secret: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = sm.describe_secret(SecretId=secret)["VersionIdsToStages"]
    return found


def rotated(sm: Any, secret: str, token: str) -> bool:
    return stages(sm, secret).get(token) == ["AWSCURRENT"]


def test_rotate_immediately_with_a_deployed_function(account, sm):
    function = deploy(account, "simple", code(SIMPLE_ROTATOR))
    arn = sm.create_secret(Name="db", SecretString=json.dumps(
        {"username": "app", "password": "first"}))["ARN"]
    response = sm.rotate_secret(SecretId="db", RotationLambdaARN=function,
                                RotationRules={"AutomaticallyAfterDays": 30})
    token = response["VersionId"]
    assert (response["ARN"], response["Name"]) == (arn, "db")
    wait_for(lambda: rotated(sm, "db", token), what="AWSCURRENT on the new version")
    new = json.loads(sm.get_secret_value(SecretId="db")["SecretString"])
    assert new["password"] != "first"
    assert new["username"] == "app"
    old = json.loads(sm.get_secret_value(SecretId="db", VersionStage="AWSPREVIOUS")["SecretString"])
    assert old["password"] == "first"
    described = sm.describe_secret(SecretId="db")
    assert described["RotationEnabled"] is True
    assert described["RotationLambdaARN"] == function
    assert described["RotationRules"] == {"AutomaticallyAfterDays": 30}
    assert "LastRotatedDate" in described
    assert described["NextRotationDate"] > described["LastRotatedDate"]
    listed = sm.list_secrets()["SecretList"][0]
    assert listed["RotationEnabled"] is True
    assert "NextRotationDate" in listed
    assert [e for e, _ in events(account, arn)] == ["RotationStarted", "RotationSucceeded"]
    versions = sm.list_secret_version_ids(SecretId="db")["Versions"]
    assert sorted(v["VersionStages"] for v in versions) == [["AWSCURRENT"], ["AWSPREVIOUS"]]


def test_a_function_deployed_with_the_aws_cli_runs_on_its_schedule(account, sm, tmp_path):
    """The issue's own commands: `aws lambda create-function --zip-file fileb://fn.zip`,
    `add-permission`, `rotate-secret` with a schedule and RotateImmediately off; the
    scheduler then runs the rotation when the window opens."""
    zip_path = tmp_path / "fn.zip"
    zip_path.write_bytes(code(SIMPLE_ROTATOR))
    role = account.client("iam").create_role(
        RoleName="cli-role", AssumeRolePolicyDocument=TRUST_LAMBDA)["Role"]["Arn"]
    account.client("iam").put_role_policy(RoleName="cli-role", PolicyName="rotate",
                                          PolicyDocument=json.dumps(ROTATOR_POLICY))
    env = {**os.environ, "AWS_ACCESS_KEY_ID": account.credentials.access_key_id,
           "AWS_SECRET_ACCESS_KEY": account.credentials.secret_access_key,
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": "/dev/null",
           "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
    env.pop("AWS_SESSION_TOKEN", None)
    aws = [str(Path(sys.executable).parent / "aws"), "--endpoint-url", account.server.endpoint,
           "--output", "json"]

    def cli(*args: str) -> dict[str, Any]:
        done = subprocess.run([*aws, *args], capture_output=True, text=True, env=env,
                              timeout=120, check=True)
        return json.loads(done.stdout) if done.stdout.strip() else {}

    function = cli("lambda", "create-function", "--function-name", "cli-rotator",
                   "--zip-file", f"fileb://{zip_path}", "--handler",
                   "lambda_function.lambda_handler", "--runtime", "python3.12",
                   "--role", role)["FunctionArn"]
    cli("lambda", "add-permission", "--function-name", "cli-rotator", "--statement-id",
        "SecretsManagerAccess", "--action", "lambda:InvokeFunction", "--principal",
        "secretsmanager.amazonaws.com")
    arn = sm.create_secret(Name="cli", SecretString='{"password": "first"}')["ARN"]
    cli("secretsmanager", "rotate-secret", "--secret-id", "cli", "--rotation-lambda-arn",
        function, "--rotation-rules", "ScheduleExpression=rate(10 days)",
        "--no-rotate-immediately")
    wait_for(lambda: ("TestRotationSucceeded", None) in events(account, arn))
    assert cli("secretsmanager", "describe-secret", "--secret-id", "cli")["RotationRules"] == {
        "AutomaticallyAfterDays": 10, "ScheduleExpression": "rate(10 days)"}
    assert json.loads(sm.get_secret_value(SecretId="cli")["SecretString"])["password"] == "first"
    _open_window(account, arn)
    wait_for(lambda: ("RotationSucceeded", None) in events(account, arn),
             what="the scheduled rotation")
    assert json.loads(sm.get_secret_value(SecretId="cli")["SecretString"])["password"] != "first"


def _open_window(account: Any, arn: str) -> None:
    """Move the secret's next window to now, as if its time had come (no test waits days)."""
    with account.server.app.store.write() as tx:
        tx.update_secret(tx.get_secret_by_arn(arn).pk, next_rotation=time.time() - 1)
    account.server.app.rotation_engine.wake()


def test_aws_generic_template_fails_visibly_where_the_user_must_fill_it_in(account, sm):
    """AWS's SecretsManagerRotationTemplate, unmodified: its setSecret is left for the
    user to write (it raises NotImplementedError), so the rotation fails there, visibly,
    and the secret keeps its value."""
    source = template(GENERIC_TEMPLATE).read_text()
    function = deploy(account, "generic", make_zip({"lambda_function.py": source}))
    arn = sm.create_secret(Name="tpl", SecretString='{"password": "first"}')["ARN"]
    token = sm.rotate_secret(SecretId="tpl", RotationLambdaARN=function)["VersionId"]
    wait_for(lambda: ("RotationFailed", f"Error when executing lambda {function} during "
                      "setSecret step") in events(account, arn), what="RotationFailed")
    assert json.loads(sm.get_secret_value(SecretId="tpl")["SecretString"]) == {"password": "first"}
    # createSecret ran: the pending version holds the new value, still only AWSPENDING
    assert stages(sm, "tpl")[token] == ["AWSPENDING"]
    assert sm.get_secret_value(SecretId="tpl", VersionStage="AWSPENDING")["VersionId"] == token


@pytest.mark.parametrize("step", ["createSecret", "finishSecret"])
def test_a_failing_function_leaves_the_secret_readable(account, sm, step):
    function = deploy(account, f"fails-{step.lower()}", code(SIMPLE_ROTATOR),
                      environment={"FAIL_AT": step})
    arn = sm.create_secret(Name="f", SecretString='{"password": "first"}')["ARN"]
    token = sm.rotate_secret(SecretId="f", RotationLambdaARN=function)["VersionId"]
    wait_for(lambda: any(e == "RotationFailed" for e, _ in events(account, arn)),
             what="RotationFailed")
    assert json.loads(sm.get_secret_value(SecretId="f")["SecretString"])["password"] == "first"
    assert "AWSPENDING" in stages(sm, "f")[token]
    assert ("RotationFailed", f"Error when executing lambda {function} during {step} step") \
        in events(account, arn)
    code_, message, _ = aws_error(sm.rotate_secret, SecretId="f")
    assert (code_, message) == ("InvalidRequestException",
                                "A previous rotation isn't complete. That rotation will be "
                                "reattempted.")


def test_rotate_immediately_false_only_tests_the_function(account, sm):
    journal = shared_dir() / "journal"
    function = deploy(account, "tester", code(SIMPLE_ROTATOR),
                      environment={"JOURNAL": str(journal)})
    arn = sm.create_secret(Name="later", SecretString='{"password": "first"}')["ARN"]
    response = sm.rotate_secret(SecretId="later", RotationLambdaARN=function,
                                RotateImmediately=False,
                                RotationRules={"ScheduleExpression": "cron(0 4 * * ? *)"})
    assert "VersionId" not in response
    wait_for(lambda: [e for e, _ in events(account, arn)] == ["TestRotationStarted",
                                                               "TestRotationSucceeded"])
    assert [json.loads(line)[0] for line in journal.read_text().splitlines()] == ["testSecret"]
    assert list(stages(sm, "later").values()) == [["AWSCURRENT"]]
    described = sm.describe_secret(SecretId="later")
    assert described["RotationEnabled"] is True
    assert "LastRotatedDate" not in described
    # a daily window opens at 04:00 and, without a Duration, lasts to the end of the day
    assert described["NextRotationDate"].astimezone(UTC).time() == dtime(23, 59, 59)
    _open_window(account, arn)
    wait_for(lambda: sm.describe_secret(SecretId="later").get("LastRotatedDate"),
             what="the scheduled rotation")
    assert json.loads(sm.get_secret_value(SecretId="later")["SecretString"])["password"] != "first"


def test_a_function_without_permission_for_secrets_manager(account, sm):
    function = deploy(account, "private", code(SIMPLE_ROTATOR), permit=False)
    sm.create_secret(Name="p", SecretString="v")
    code_, message, _ = aws_error(sm.rotate_secret, SecretId="p", RotationLambdaARN=function)
    assert code_ == "AccessDeniedException"
    assert "secretsmanager.amazonaws.com" in message


def test_a_manual_value_during_a_failed_rotation_abandons_it(account, sm):
    function = deploy(account, "abandoned", code(SIMPLE_ROTATOR),
                      environment={"FAIL_AT": "setSecret"})
    arn = sm.create_secret(Name="a", SecretString='{"password": "first"}')["ARN"]
    token = sm.rotate_secret(SecretId="a", RotationLambdaARN=function)["VersionId"]
    wait_for(lambda: any(e == "RotationFailed" for e, _ in events(account, arn)))
    sm.put_secret_value(SecretId="a", SecretString='{"password": "manual"}',
                        ClientRequestToken=str(uuid.uuid4()))
    assert "AWSPENDING" not in stages(sm, "a").get(token, [])
    assert events(account, arn)[-1][0] == "RotationAbandoned"


def test_cancel_rotate_secret(account, sm):
    function = deploy(account, "cancelled", code(SIMPLE_ROTATOR))
    sm.create_secret(Name="c", SecretString='{"password": "first"}')
    token = sm.rotate_secret(SecretId="c", RotationLambdaARN=function,
                             RotationRules={"AutomaticallyAfterDays": 7})["VersionId"]
    wait_for(lambda: rotated(sm, "c", token))
    cancelled = sm.cancel_rotate_secret(SecretId="c")
    assert "VersionId" not in cancelled
    described = sm.describe_secret(SecretId="c")
    assert described["RotationEnabled"] is False
    assert described["RotationLambdaARN"] == function
    assert described["RotationRules"] == {"AutomaticallyAfterDays": 7}
    assert "NextRotationDate" not in described

