"""The Lambda API subset through boto3 and the AWS CLI: deploying, configuring and running
Python functions, their resource policies, and what a running function sees."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from strongroom.secrets.functions import SECRETS_MANAGER_PRINCIPAL
from tests.e2e.helpers import aws_error

HANDLER = "lambda_function.lambda_handler"
TRUST_LAMBDA = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
    "Action": "sts:AssumeRole"}]})
TRUST_EC2 = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
    "Action": "sts:AssumeRole"}]})
LAST_MODIFIED = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000")

ECHO = """
def lambda_handler(event, context):
    return {"echo": event, "name": context.function_name,
            "request_id": context.aws_request_id,
            "memory": context.memory_limit_in_mb,
            "arn": context.invoked_function_arn,
            "remaining": context.get_remaining_time_in_millis(),
            "group": context.log_group_name}
"""


def make_zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def code(source: str) -> bytes:
    return make_zip({"lambda_function.py": source})


def lambda_client(account: Any) -> Any:
    return account.client("lambda")


def make_role(account: Any, name: str = "fn-role", trust: str = TRUST_LAMBDA,
              policy: dict[str, Any] | None = None) -> str:
    iam = account.client("iam")
    arn: str = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    if policy is not None:
        iam.put_role_policy(RoleName=name, PolicyName="inline",
                            PolicyDocument=json.dumps(policy))
    return arn


def create(client: Any, role: str, name: str = "fn", source: str = ECHO,
           **kwargs: Any) -> dict[str, Any]:
    zipped = kwargs.pop("zip_bytes", None) or code(source)
    result: dict[str, Any] = client.create_function(
        FunctionName=name, Runtime="python3.12", Role=role, Handler=HANDLER,
        Code={"ZipFile": zipped}, **kwargs)
    return result


def invoke(client: Any, name: str, event: Any = None, **kwargs: Any
           ) -> tuple[dict[str, Any], Any]:
    args: dict[str, Any] = {"FunctionName": name, **kwargs}
    if event is not None:
        args["Payload"] = json.dumps(event).encode()
    response = client.invoke(**args)
    body = response["Payload"].read()
    return response, json.loads(body) if body else None


@pytest.fixture
def aws_lambda(account: Any) -> Any:
    return lambda_client(account)


@pytest.fixture
def role(account: Any) -> str:
    return make_role(account)


# --- lifecycle ----------------------------------------------------------------------


def test_create_returns_lambdas_function_configuration(account, aws_lambda, role):
    zipped = code(ECHO)
    config = create(aws_lambda, role, zip_bytes=zipped, Description="echo",
                    Environment={"Variables": {"GREETING": "hi"}}, Tags={"team": "a"})
    assert config["FunctionName"] == "fn"
    assert config["FunctionArn"] == f"arn:aws:lambda:us-east-1:{account.account_id}:function:fn"
    assert config["CodeSha256"] == base64.b64encode(hashlib.sha256(zipped).digest()).decode()
    assert config["CodeSize"] == len(zipped)
    assert LAST_MODIFIED.fullmatch(config["LastModified"])
    assert (config["State"], config["Version"], config["PackageType"]) == (
        "Active", "$LATEST", "Zip")
    assert config["Architectures"] == ["x86_64"]
    assert (config["Timeout"], config["MemorySize"]) == (3, 128)
    assert config["Environment"] == {"Variables": {"GREETING": "hi"}}
    assert config["Role"] == role
    assert config["Handler"] == HANDLER
    assert config["Description"] == "echo"
    assert config["RevisionId"]
    assert config["ResponseMetadata"]["HTTPStatusCode"] == 201


def test_get_list_update_delete(account, aws_lambda, role):
    create(aws_lambda, role, Tags={"team": "a"})
    got = aws_lambda.get_function(FunctionName="fn")
    assert got["Configuration"]["FunctionName"] == "fn"
    assert got["Code"]["RepositoryType"] == "S3"
    assert got["Code"]["Location"].startswith("http")
    assert got["Tags"] == {"team": "a"}
    arn = got["Configuration"]["FunctionArn"]
    assert aws_lambda.get_function_configuration(FunctionName=arn)["FunctionArn"] == arn

    for name in ("fn-b", "fn-c"):
        create(aws_lambda, role, name=name)
    names, marker = [], None
    while True:
        page = aws_lambda.list_functions(MaxItems=1, **({"Marker": marker} if marker else {}))
        names += [f["FunctionName"] for f in page["Functions"]]
        marker = page.get("NextMarker")
        if not marker:
            break
    assert names == ["fn", "fn-b", "fn-c"]

    before = got["Configuration"]["RevisionId"]
    updated = aws_lambda.update_function_configuration(
        FunctionName="fn", Timeout=10, MemorySize=256, Description="new",
        Environment={"Variables": {"AB": "1"}})
    assert (updated["Timeout"], updated["MemorySize"], updated["Description"]) == (
        10, 256, "new")
    assert updated["Environment"] == {"Variables": {"AB": "1"}}
    assert updated["RevisionId"] != before
    new_zip = code(ECHO + "\n# v2\n")
    changed = aws_lambda.update_function_code(FunctionName="fn", ZipFile=new_zip)
    assert changed["CodeSha256"] == base64.b64encode(hashlib.sha256(new_zip).digest()).decode()
    assert changed["Timeout"] == 10

    code_, msg, status = aws_error(aws_lambda.update_function_configuration,
                                   FunctionName="fn", Timeout=5, RevisionId="stale")
    assert (code_, status) == ("PreconditionFailedException", 412)

    aws_lambda.delete_function(FunctionName="fn")
    code_, msg, status = aws_error(aws_lambda.get_function, FunctionName="fn")
    assert (code_, status) == ("ResourceNotFoundException", 404)
    assert msg == f"Function not found: {arn}"


def test_duplicate_name_is_a_conflict(aws_lambda, role):
    create(aws_lambda, role)
    code_, msg, status = aws_error(create, aws_lambda, role)
    assert (code_, status) == ("ResourceConflictException", 409)
    assert msg == "Function already exist: fn"


def test_error_wire_shape_is_lambdas(aws_lambda):
    with pytest.raises(aws_lambda.exceptions.ResourceNotFoundException) as info:
        aws_lambda.get_function(FunctionName="missing")
    response = info.value.response
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == (
        "ResourceNotFoundException")
    assert response.get("Type") == "User"


def test_missing_or_untrusting_role_is_refused(account, aws_lambda):
    missing = f"arn:aws:iam::{account.account_id}:role/nope"
    untrusting = make_role(account, "ec2-only", trust=TRUST_EC2)
    for role_arn in (missing, untrusting):
        code_, msg, status = aws_error(create, aws_lambda, role_arn)
        assert (code_, status) == ("InvalidParameterValueException", 400)
        assert msg == "The role defined for the function cannot be assumed by Lambda."
    assert aws_lambda.list_functions()["Functions"] == []


def test_only_zipped_python_code_is_accepted(aws_lambda, role):
    code_, msg, _ = aws_error(aws_lambda.create_function, FunctionName="s3", Runtime="python3.12",
                              Role=role, Handler=HANDLER,
                              Code={"S3Bucket": "bucket", "S3Key": "fn.zip"})
    assert code_ == "InvalidParameterValueException"
    assert "ZipFile" in msg
    code_, msg, _ = aws_error(aws_lambda.create_function, FunctionName="node",
                              Runtime="nodejs20.x", Role=role, Handler="index.handler",
                              Code={"ZipFile": code(ECHO)})
    assert code_ == "InvalidParameterValueException"
    assert "nodejs20.x" in msg
    assert "python3" in msg
    code_, _, _ = aws_error(create, aws_lambda, role, name="slow", Timeout=901)
    assert code_ == "ValidationException"
    code_, msg, _ = aws_error(create, aws_lambda, role, name="bad",
                              zip_bytes=b"not a zip file at all")
    assert code_ == "InvalidParameterValueException"
    assert msg.startswith("Could not unzip uploaded file.")
    code_, msg, _ = aws_error(create, aws_lambda, role, name="reserved",
                              Environment={"Variables": {"AWS_REGION": "x"}})
    assert code_ == "InvalidParameterValueException"
    assert "AWS_REGION" in msg


def test_zip_slip_is_refused(account, aws_lambda, role, tmp_path):
    for evil in ("../escaped.py", "/tmp/strongroom-absolute.py", "a/../../escaped.py"):
        zipped = make_zip({"lambda_function.py": ECHO, evil: "x = 1\n"})
        code_, msg, _ = aws_error(create, aws_lambda, role, name="slip", zip_bytes=zipped)
        assert code_ == "InvalidParameterValueException"
        assert "Could not unzip uploaded file" in msg
    assert not Path("/tmp/strongroom-absolute.py").exists()
    data_dir = account.server.app.config.data_dir
    assert not (data_dir / "escaped.py").exists()


# --- running --------------------------------------------------------------------------


def test_invoke_returns_the_handlers_value_and_context(account, aws_lambda, role):
    arn = create(aws_lambda, role, MemorySize=256)["FunctionArn"]
    response, payload = invoke(aws_lambda, "fn", {"hello": "world"})
    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    assert response["ExecutedVersion"] == "$LATEST"
    assert payload["echo"] == {"hello": "world"}
    assert payload["name"] == "fn"
    assert payload["arn"] == arn
    assert payload["memory"] == "256"
    assert payload["group"] == "/aws/lambda/fn"
    assert 0 < payload["remaining"] <= 3000
    assert payload["request_id"] == response["ResponseMetadata"]["RequestId"]
    _, empty = invoke(aws_lambda, "fn")
    assert empty["echo"] == {}


def test_invoke_of_a_raising_function_is_unhandled(aws_lambda, role):
    create(aws_lambda, role, source=(
        "def helper():\n    raise ValueError('bad input')\n\n"
        "def lambda_handler(event, context):\n    helper()\n"))
    response, payload = invoke(aws_lambda, "fn", {})
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "ValueError"
    assert payload["errorMessage"] == "bad input"
    assert any("helper" in line for line in payload["stackTrace"])


def test_handler_that_cannot_be_imported(aws_lambda, role):
    create(aws_lambda, role, source="import not_installed_anywhere\n")
    response, payload = invoke(aws_lambda, "fn", {})
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Runtime.ImportModuleError"
    assert payload["errorMessage"].startswith("Unable to import module 'lambda_function'")


def test_invoke_times_out(aws_lambda, role):
    create(aws_lambda, role, Timeout=1, source=(
        "import time\n\ndef lambda_handler(event, context):\n    time.sleep(30)\n"))
    started = time.monotonic()
    response, payload = invoke(aws_lambda, "fn", {}, LogType="Tail")
    assert time.monotonic() - started < 10
    assert response["FunctionError"] == "Unhandled"
    assert "Task timed out after 1.00 seconds" in payload["errorMessage"]
    assert "Task timed out after 1.00 seconds" in base64.b64decode(
        response["LogResult"]).decode()


def test_log_tail_holds_the_functions_output(account, aws_lambda, role):
    arn = create(aws_lambda, role, source=(
        "import sys\n\ndef lambda_handler(event, context):\n"
        "    print('hello from the function')\n"
        "    print('to stderr', file=sys.stderr)\n    return 1\n"))
    response, payload = invoke(aws_lambda, "fn", {"secret": "s3cr3t-event"}, LogType="Tail")
    assert payload == 1
    log = base64.b64decode(response["LogResult"]).decode()
    request_id = response["ResponseMetadata"]["RequestId"]
    assert log.startswith(f"START RequestId: {request_id} Version: $LATEST")
    assert "hello from the function" in log
    assert "to stderr" in log
    assert f"END RequestId: {request_id}" in log
    assert f"REPORT RequestId: {request_id}\tDuration: " in log
    assert "s3cr3t-event" not in log
    quiet, _ = invoke(aws_lambda, "fn", {})
    assert "LogResult" not in quiet
    logs = account.server.app.lambdas.invocation_logs(arn["FunctionArn"], 5)
    assert [entry.request_id for entry in logs][1] == request_id
    assert all(entry.ok for entry in logs)
    assert "hello from the function" in logs[1].log


def test_function_environment_is_clean_and_complete(account, aws_lambda, role):
    os.environ["STRONGROOM_TEST_SERVER_ONLY"] = "server-secret"
    try:
        create(aws_lambda, role, Environment={"Variables": {"MY_SETTING": "on"}}, source=(
            "import os\n\ndef lambda_handler(event, context):\n    return dict(os.environ)\n"))
        _, environment = invoke(aws_lambda, "fn", {})
    finally:
        del os.environ["STRONGROOM_TEST_SERVER_ONLY"]
    endpoint = account.server.endpoint
    assert environment["MY_SETTING"] == "on"
    assert environment["SECRETS_MANAGER_ENDPOINT"] == endpoint
    assert environment["AWS_ENDPOINT_URL"] == endpoint
    assert environment["AWS_REGION"] == environment["AWS_DEFAULT_REGION"] == "us-east-1"
    assert environment["AWS_LAMBDA_FUNCTION_NAME"] == "fn"
    assert environment["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "128"
    assert environment["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/fn"
    assert environment["AWS_LAMBDA_LOG_STREAM_NAME"]
    assert environment["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12"
    assert environment["_HANDLER"] == HANDLER
    assert environment["TZ"] == ":UTC"
    assert Path(environment["LAMBDA_TASK_ROOT"]).is_dir()
    assert environment["AWS_ACCESS_KEY_ID"].startswith("ASIA")
    assert environment["AWS_SECRET_ACCESS_KEY"]
    assert environment["AWS_SESSION_TOKEN"]
    assert "STRONGROOM_TEST_SERVER_ONLY" not in environment
    assert not any(k.startswith("STRONGROOM") for k in environment)
    assert account.credentials.secret_access_key not in json.dumps(environment)


CALLBACK = """
import os
import boto3
from botocore.exceptions import ClientError

def lambda_handler(event, context):
    client = boto3.client("secretsmanager",
                          endpoint_url=os.environ["SECRETS_MANAGER_ENDPOINT"])
    identity = boto3.client("sts").get_caller_identity()["Arn"]
    try:
        value = client.get_secret_value(SecretId=event["SecretId"])["SecretString"]
    except ClientError as exc:
        return {"identity": identity, "error": exc.response["Error"]["Code"]}
    return {"identity": identity, "value": value}
"""


def test_function_calls_back_with_its_roles_credentials(account, aws_lambda):
    sm = account.client()
    secret_arn = sm.create_secret(Name="db/password", SecretString="hunter2")["ARN"]
    allowed = make_role(account, "reader", policy={"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret_arn}]})
    bare = make_role(account, "bare")
    create(aws_lambda, allowed, name="reader", source=CALLBACK, Timeout=30)
    create(aws_lambda, bare, name="bare", source=CALLBACK, Timeout=30)
    _, result = invoke(aws_lambda, "reader", {"SecretId": secret_arn})
    assert result == {"identity": f"arn:aws:sts::{account.account_id}:assumed-role/reader/reader",
                      "value": "hunter2"}
    _, result = invoke(aws_lambda, "bare", {"SecretId": secret_arn})
    assert result["error"] == "AccessDeniedException"


def test_bundled_dependency_and_nested_handler(aws_lambda, role):
    zipped = make_zip({
        "mylib/__init__.py": "from mylib.words import shout\n",
        "mylib/words.py": "def shout(text):\n    return text.upper() + '!'\n",
        "app/__init__.py": "",
        "app/handlers.py": ("from mylib import shout\n\n"
                            "def run(event, context):\n    return shout(event['say'])\n"),
    })
    aws_lambda.create_function(FunctionName="nested", Runtime="python3.11", Role=role,
                               Handler="app.handlers.run", Code={"ZipFile": zipped})
    _, payload = invoke(aws_lambda, "nested", {"say": "hello"})
    assert payload == "HELLO!"


def test_event_and_dry_run_invocations(account, aws_lambda, role):
    arn = create(aws_lambda, role)["FunctionArn"]
    response = aws_lambda.invoke(FunctionName="fn", InvocationType="DryRun")
    assert response["StatusCode"] == 204
    assert response["Payload"].read() == b""
    response = aws_lambda.invoke(FunctionName="fn", InvocationType="Event", Payload=b"{}")
    assert response["StatusCode"] == 202
    assert response["Payload"].read() == b""
    deadline = time.monotonic() + 20
    while not account.server.app.lambdas.invocation_logs(arn, 1):
        assert time.monotonic() < deadline, "the Event invocation never ran"
        time.sleep(0.1)
    code_, _, status = aws_error(aws_lambda.invoke, FunctionName="fn", Payload=b"{not json")
    assert (code_, status) == ("InvalidRequestContentException", 400)


# --- resource policies and service invocation -------------------------------------------


def test_permissions_and_service_invocation(account, aws_lambda, role):
    arn = create(aws_lambda, role)["FunctionArn"]
    secret_arn = f"arn:aws:secretsmanager:us-east-1:{account.account_id}:secret:db-AbCdEf"
    code_, msg, _ = aws_error(aws_lambda.get_policy, FunctionName="fn")
    assert code_ == "ResourceNotFoundException"
    statement = json.loads(aws_lambda.add_permission(
        FunctionName="fn", StatementId="sm", Action="lambda:InvokeFunction",
        Principal=SECRETS_MANAGER_PRINCIPAL, SourceArn=secret_arn,
        SourceAccount=account.account_id)["Statement"])
    assert statement["Principal"] == {"Service": SECRETS_MANAGER_PRINCIPAL}
    assert statement["Condition"]["ArnLike"] == {"AWS:SourceArn": secret_arn}
    policy = json.loads(aws_lambda.get_policy(FunctionName="fn")["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["sm"]
    code_, msg, status = aws_error(
        aws_lambda.add_permission, FunctionName="fn", StatementId="sm",
        Action="lambda:InvokeFunction", Principal="events.amazonaws.com")
    assert (code_, status) == ("ResourceConflictException", 409)
    assert msg.startswith("The statement id (sm) provided already exists.")

    lambdas = account.server.app.lambdas
    facts = {"source_arn": secret_arn, "source_account": account.account_id}
    assert lambdas.may_invoke(arn, service_principal=SECRETS_MANAGER_PRINCIPAL, **facts)
    assert not lambdas.may_invoke(arn, service_principal="events.amazonaws.com", **facts)
    assert not lambdas.may_invoke(arn, service_principal=SECRETS_MANAGER_PRINCIPAL,
                                  source_arn=secret_arn + "x",
                                  source_account=account.account_id)
    assert not lambdas.may_invoke(arn + "-missing", service_principal=SECRETS_MANAGER_PRINCIPAL,
                                  **facts)
    event = {"Step": "createSecret", "SecretId": secret_arn,
             "ClientRequestToken": "token", "RotationToken": "rotation"}
    result = lambdas.invoke_for_service(arn, event, service_principal=SECRETS_MANAGER_PRINCIPAL,
                                        **facts)
    assert result.ok, result.error
    assert json.loads(result.payload)["echo"] == event
    assert "START RequestId" in result.log_tail

    aws_lambda.remove_permission(FunctionName="fn", StatementId="sm")
    code_, _, status = aws_error(aws_lambda.get_policy, FunctionName="fn")
    assert (code_, status) == ("ResourceNotFoundException", 404)
    code_, msg, _ = aws_error(aws_lambda.remove_permission, FunctionName="fn",
                              StatementId="sm")
    assert code_ == "ResourceNotFoundException"
    refused = lambdas.invoke_for_service(arn, event,
                                         service_principal=SECRETS_MANAGER_PRINCIPAL, **facts)
    assert not refused.ok
    assert refused.error


def test_service_invocation_reports_function_failures(account, aws_lambda, role):
    arn = create(aws_lambda, role, source=(
        "def lambda_handler(event, context):\n    raise KeyError('password')\n"))["FunctionArn"]
    secret_arn = f"arn:aws:secretsmanager:us-east-1:{account.account_id}:secret:x-AbCdEf"
    aws_lambda.add_permission(FunctionName="fn", StatementId="sm",
                              Action="lambda:InvokeFunction",
                              Principal=SECRETS_MANAGER_PRINCIPAL, SourceArn=secret_arn)
    result = account.server.app.lambdas.invoke_for_service(
        arn, {"Step": "setSecret"}, service_principal=SECRETS_MANAGER_PRINCIPAL,
        source_arn=secret_arn, source_account=account.account_id)
    assert not result.ok
    assert result.error is not None
    assert result.error.startswith("KeyError")


# --- authorization ---------------------------------------------------------------------


def test_user_without_lambda_permissions_is_denied(account, aws_lambda, role):
    create(aws_lambda, role)
    iam = account.client("iam")
    iam.create_user(UserName="nolambda")
    key = iam.create_access_key(UserName="nolambda")["AccessKey"]
    user = boto3.client("lambda", endpoint_url=account.server.endpoint, region_name="us-east-1",
                        aws_access_key_id=key["AccessKeyId"],
                        aws_secret_access_key=key["SecretAccessKey"],
                        config=Config(retries={"max_attempts": 1}))
    arn = f"arn:aws:lambda:us-east-1:{account.account_id}:function:fn"
    code_, msg, status = aws_error(user.get_function, FunctionName="fn")
    assert (code_, status) == ("AccessDeniedException", 403)
    assert msg == (f"User: arn:aws:iam::{account.account_id}:user/nolambda is not authorized "
                   f"to perform: lambda:GetFunction on resource: {arn} because no "
                   "identity-based policy allows the lambda:GetFunction action")
    for call, kwargs in ((user.invoke, {"FunctionName": "fn"}),
                         (user.list_functions, {}),
                         (user.delete_function, {"FunctionName": "fn"}),
                         (user.get_function, {"FunctionName": "does-not-exist"})):
        code_, _, status = aws_error(call, **kwargs)
        assert (code_, status) == ("AccessDeniedException", 403)
    iam.put_user_policy(UserName="nolambda", PolicyName="invoke", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": arn}]}))
    response = user.invoke(FunctionName="fn", Payload=b'{"a": 1}')
    assert json.loads(response["Payload"].read())["echo"] == {"a": 1}
    code_, _, _ = aws_error(create, user, role, name="mine")
    assert code_ == "AccessDeniedException"


def test_aws_cli_create_function_and_invoke(account, role, tmp_path):
    package = tmp_path / "fn.zip"
    package.write_bytes(code(ECHO))
    environment = {**os.environ, "AWS_ACCESS_KEY_ID": account.credentials.access_key_id,
                   "AWS_SECRET_ACCESS_KEY": account.credentials.secret_access_key,
                   "AWS_DEFAULT_REGION": "us-east-1", "AWS_PAGER": "",
                   "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
    aws = [str(Path(sys.executable).with_name("aws")), "--endpoint-url",
           account.server.endpoint, "--output", "json"]

    def cli(*args: str) -> dict[str, Any]:
        done = subprocess.run([*aws, *args], env=environment, capture_output=True, text=True,
                              timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else {}

    created = cli("lambda", "create-function", "--function-name", "f",
                  "--zip-file", f"fileb://{package}", "--handler", HANDLER,
                  "--runtime", "python3.12", "--role", role)
    assert created["FunctionArn"].endswith(":function:f")
    assert created["State"] == "Active"
    out = tmp_path / "out.json"
    # AWS CLI v1 (the one installed) sends --payload as given; v2 would need
    # --cli-binary-format raw-in-base64-out.
    answer = cli("lambda", "invoke", "--function-name", "f", "--payload", '{"via": "cli"}',
                 str(out))
    assert answer["StatusCode"] == 200
    assert json.loads(out.read_text())["echo"] == {"via": "cli"}


def test_many_concurrent_invocations_that_call_back_do_not_starve_the_server(account):
    """More synchronous invocations at once than the server has request workers, each
    function calling the server back: all complete (invocations wait on threads of their
    own, so the callbacks always find a worker)."""
    secret_arn = account.client().create_secret(Name="shared", SecretString="v")["ARN"]
    role = make_role(account, "caller", policy={"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
    create(lambda_client(account), role, name="caller", source=CALLBACK, Timeout=60)
    workers = account.server.app.config.worker_threads

    def call(_: int) -> Any:
        client = boto3.client(
            "lambda", endpoint_url=account.server.endpoint, region_name="us-east-1",
            aws_access_key_id=account.credentials.access_key_id,
            aws_secret_access_key=account.credentials.secret_access_key,
            config=Config(read_timeout=90, retries={"max_attempts": 1}))
        return invoke(client, "caller", {"SecretId": secret_arn})[1]

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers + 4) as pool:
        results = list(pool.map(call, range(workers + 4)))
    assert all(r.get("value") == "v" for r in results), results
    assert time.monotonic() - started < 50  # nobody waited for a timeout


def test_logging_reaches_the_log_as_in_lambda(account):
    """Like Lambda's runtime: the root logger writes `[LEVEL]\\ttime\\trequest id\\tmessage`."""
    source = ("import logging\nlogger = logging.getLogger()\nlogger.setLevel(logging.INFO)\n"
              "def lambda_handler(event, context):\n"
              "    logger.info('rotating %s', event['who'])\n    return 1\n")
    client = lambda_client(account)
    create(client, make_role(account), name="logs", source=source)
    response, _ = invoke(client, "logs", {"who": "db"}, LogType="Tail")
    tail = base64.b64decode(response["LogResult"]).decode()
    request_id = response["ResponseMetadata"]["HTTPHeaders"].get("x-amzn-requestid")
    line = next(x for x in tail.splitlines() if "rotating db" in x)
    level, stamp, rid, message = line.split("\t")
    assert (level, message) == ("[INFO]", "rotating db")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", stamp)
    assert rid
    assert request_id is None or rid == request_id
