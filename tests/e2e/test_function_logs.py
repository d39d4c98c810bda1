"""Functions' invocation logs read the CloudWatch Logs way: `/aws/lambda/<name>` log
groups, one stream per invocation, through boto3's `logs` client and the AWS CLI."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from strongroom.cli.main import main
from tests.e2e.helpers import aws_error
from tests.e2e.test_lambda_api import create, invoke, lambda_client, make_role

STREAM = re.compile(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}")
TALKER = """
import sys

def lambda_handler(event, context):
    for line in event.get("lines", []):
        print(line)
    print("to stderr", file=sys.stderr)
    return context.log_stream_name
"""


@pytest.fixture
def logs(account: Any) -> Any:
    return account.client("logs")


def _deploy_and_run(account: Any, *events: dict[str, Any], name: str = "talker") -> list[str]:
    """Deploy TALKER, invoke it once per event; the stream names the function saw."""
    client = lambda_client(account)
    create(client, make_role(account, f"{name}-role"), name=name, source=TALKER)
    streams = []
    for event in events:
        response, stream = invoke(client, name, event)
        assert "FunctionError" not in response
        streams.append(stream)
    return streams


def test_each_invocation_is_a_stream_of_its_function_log_group(account, logs):
    first, second = _deploy_and_run(account, {"lines": ["one"]}, {"lines": ["two"]})
    assert STREAM.fullmatch(first)
    assert STREAM.fullmatch(second)
    assert first != second
    groups = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/")["logGroups"]
    assert [g["logGroupName"] for g in groups] == ["/aws/lambda/talker"]
    group_arn = f"arn:aws:logs:us-east-1:{account.account_id}:log-group:/aws/lambda/talker"
    assert groups[0]["arn"] == group_arn + ":*"
    assert groups[0]["creationTime"] <= time.time() * 1000
    assert logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/other")["logGroups"] == []

    streams = logs.describe_log_streams(logGroupName="/aws/lambda/talker",
                                        orderBy="LastEventTime", descending=True)["logStreams"]
    assert [s["logStreamName"] for s in streams] == [second, first]
    assert streams[0]["lastEventTimestamp"] >= streams[1]["lastEventTimestamp"]
    assert streams[0]["arn"] == f"{group_arn}:log-stream:{second}"
    page = logs.describe_log_streams(logGroupName="/aws/lambda/talker", limit=1)
    rest = logs.describe_log_streams(logGroupName="/aws/lambda/talker",
                                     nextToken=page["nextToken"])
    assert [s["logStreamName"] for s in page["logStreams"] + rest["logStreams"]] == sorted(
        [first, second])
    assert "nextToken" not in rest


def test_get_log_events_pages_forward_and_back(account, logs):
    (stream,) = _deploy_and_run(account, {"lines": ["alpha", "beta"]})
    whole = logs.get_log_events(logGroupName="/aws/lambda/talker", logStreamName=stream,
                                startFromHead=True)
    messages = [e["message"] for e in whole["events"]]
    assert messages[0].startswith("START RequestId: ")
    assert messages[1:4] == ["alpha\n", "beta\n", "to stderr\n"]
    assert messages[-2].startswith("END RequestId: ")
    assert messages[-1].startswith("REPORT RequestId: ")
    assert all(e["timestamp"] <= e["ingestionTime"] for e in whole["events"])

    seen, token = [], None
    for _ in range(20):
        args = {"nextToken": token} if token else {"startFromHead": True}
        page = logs.get_log_events(logGroupName="/aws/lambda/talker", logStreamName=stream,
                                   limit=2, **args)
        if page["nextForwardToken"] == token:
            break
        seen += [e["message"] for e in page["events"]]
        token = page["nextForwardToken"]
    assert seen == messages
    newest = logs.get_log_events(logGroupName="/aws/lambda/talker", logStreamName=stream,
                                 limit=2)
    assert [e["message"] for e in newest["events"]] == messages[-2:]
    older = logs.get_log_events(logGroupName="/aws/lambda/talker", logStreamName=stream,
                                limit=2, nextToken=newest["nextBackwardToken"])
    assert [e["message"] for e in older["events"]] == messages[-4:-2]

    code, msg, _ = aws_error(logs.get_log_events, logGroupName="/aws/lambda/talker",
                             logStreamName="2024/01/01/[$LATEST]" + "0" * 32)
    assert (code, msg) == ("ResourceNotFoundException", "The specified log stream does not exist.")


def test_filter_log_events_by_pattern_time_and_stream(account, logs):
    first, second = _deploy_and_run(account, {"lines": ["needle 1", "hay"]},
                                    {"lines": ["needle 2", "more hay"]})
    group = "/aws/lambda/talker"
    found = logs.filter_log_events(logGroupName=group, filterPattern="needle")
    assert [(e["logStreamName"], e["message"]) for e in found["events"]] == [
        (first, "needle 1\n"), (second, "needle 2\n")]
    assert all(e["eventId"].isdigit() for e in found["events"])
    quoted = logs.filter_log_events(logGroupName=group, filterPattern='"more hay"')
    assert [e["message"] for e in quoted["events"]] == ["more hay\n"]
    only_second = logs.filter_log_events(logGroupName=group, logStreamNames=[second],
                                         filterPattern="needle")
    assert [e["message"] for e in only_second["events"]] == ["needle 2\n"]
    everything = logs.filter_log_events(logGroupName=group)["events"]
    assert len(everything) == 2 * 6  # START, two lines, stderr, END, REPORT
    future = int(time.time() * 1000) + 3_600_000
    assert logs.filter_log_events(logGroupName=group, startTime=future)["events"] == []
    assert logs.filter_log_events(logGroupName=group, endTime=0)["events"] == []

    paged, token = [], None
    while True:
        page = logs.filter_log_events(logGroupName=group, limit=3,
                                      **({"nextToken": token} if token else {}))
        paged += page["events"]
        token = page.get("nextToken")
        if not token:
            break
    assert paged == everything
    code, _, _ = aws_error(logs.filter_log_events, logGroupName=group, nextToken="bogus")
    assert code == "InvalidParameterException"
    code, _, _ = aws_error(logs.filter_log_events, logGroupName=group,
                           filterPattern='{ $.level = "ERROR" }')
    assert code == "InvalidParameterException"


def test_aws_logs_tail_calls_work(account, logs):
    """`aws logs tail GROUP --since 1h` (AWS CLI v2; v1 has no `tail`) pages FilterLogEvents
    with interleaved=True from a start time: the same calls here."""
    (stream,) = _deploy_and_run(account, {"lines": ["tailed line"]})
    since = int((time.time() - 3600) * 1000)
    events = [e for page in logs.get_paginator("filter_log_events").paginate(
        logGroupName="/aws/lambda/talker", interleaved=True, startTime=since)
        for e in page["events"]]
    assert "tailed line\n" in [e["message"] for e in events]
    assert {e["logStreamName"] for e in events} == {stream}
    assert all({"eventId", "timestamp", "ingestionTime"} <= set(e) for e in events)


def test_unknown_or_empty_groups_do_not_exist(account, logs):
    role = make_role(account)
    create(lambda_client(account), role, name="never-run")
    for group in ("/aws/lambda/never-run", "/aws/lambda/missing", "/ecs/something"):
        code, msg, status = aws_error(logs.filter_log_events, logGroupName=group)
        assert (code, msg, status) == (
            "ResourceNotFoundException", "The specified log group does not exist.", 400)
    assert logs.describe_log_groups()["logGroups"] == []


def test_logs_stay_in_their_account_and_region(account, logs):
    _deploy_and_run(account, {"lines": ["mine"]})
    _other_id, other_credentials = account.server.new_account()
    other = account.server.client(other_credentials, "logs")
    assert other.describe_log_groups()["logGroups"] == []
    code, _, _ = aws_error(other.filter_log_events, logGroupName="/aws/lambda/talker")
    assert code == "ResourceNotFoundException"
    assert account.client("logs", region="eu-west-1").describe_log_groups()["logGroups"] == []
    assert len(logs.describe_log_groups()["logGroups"]) == 1


def test_reading_logs_needs_logs_permissions(account, logs):
    _deploy_and_run(account, {"lines": ["x"]})
    iam = account.client("iam")
    iam.create_user(UserName="reader")
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    reader = boto3.client("logs", endpoint_url=account.server.endpoint, region_name="us-east-1",
                          aws_access_key_id=key["AccessKeyId"],
                          aws_secret_access_key=key["SecretAccessKey"],
                          config=Config(retries={"max_attempts": 1}))
    group_arn = (f"arn:aws:logs:us-east-1:{account.account_id}:log-group:"
                 "/aws/lambda/talker:*")
    code, msg, status = aws_error(reader.filter_log_events, logGroupName="/aws/lambda/talker")
    assert (code, status) == ("AccessDeniedException", 400)
    assert "logs:FilterLogEvents" in msg
    assert group_arn in msg
    code, _, _ = aws_error(reader.filter_log_events, logGroupName="/aws/lambda/nope")
    assert code == "AccessDeniedException"
    iam.put_user_policy(UserName="reader", PolicyName="logs", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": ["logs:FilterLogEvents", "logs:GetLogEvents"],
            "Resource": "arn:aws:logs:*:*:log-group:/aws/lambda/talker:*"}]}))
    assert reader.filter_log_events(logGroupName="/aws/lambda/talker")["events"]
    code, _, _ = aws_error(reader.describe_log_groups)
    assert code == "AccessDeniedException"


def test_aws_cli_reads_function_logs(account, tmp_path):
    (stream,) = _deploy_and_run(account, {"lines": ["from the cli test"]})
    environment = {**os.environ, "AWS_ACCESS_KEY_ID": account.credentials.access_key_id,
                   "AWS_SECRET_ACCESS_KEY": account.credentials.secret_access_key,
                   "AWS_DEFAULT_REGION": "us-east-1", "AWS_PAGER": "",
                   "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
    aws = [str(Path(sys.executable).with_name("aws")), "--endpoint-url",
           account.server.endpoint, "--output", "json", "logs"]

    def cli(*args: str) -> dict[str, Any]:
        done = subprocess.run([*aws, *args], env=environment, capture_output=True, text=True,
                              timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout))

    filtered = cli("filter-log-events", "--log-group-name", "/aws/lambda/talker",
                   "--filter-pattern", "cli test")
    assert [e["message"] for e in filtered["events"]] == ["from the cli test\n"]
    got = cli("get-log-events", "--log-group-name", "/aws/lambda/talker",
              "--log-stream-name", stream, "--start-from-head")
    assert "from the cli test\n" in [e["message"] for e in got["events"]]


def test_operator_cli_prints_a_functions_logs(account, capsys):
    (stream,) = _deploy_and_run(account, {"lines": ["printed by the operator cli"]})
    config = account.server.app.config
    store = ["--store", config.store] if config.store else []
    code = main(["functions", "logs", "talker", "--account-id", account.account_id,
                 "--data-dir", str(config.data_dir), *store, "--limit", "5"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith(f"==> /aws/lambda/talker {stream}\nSTART RequestId: ")
    assert "printed by the operator cli\n" in out
    assert main(["functions", "logs", "missing", "--account-id", account.account_id,
                 "--data-dir", str(config.data_dir), *store]) == 1
