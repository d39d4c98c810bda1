"""CloudTrail LookupEvents over the audit trail, through boto3 and the AWS CLI.

Records are appended straight to the trail, an hour in the past, and every lookup ends a
minute ago, so records of the test's own API calls never get in the way.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from strongroom.audit.chain import link
from strongroom.audit.records import SECRET_RESOURCE, entry_of, event_time
from tests.conftest import Account
from tests.e2e.helpers import aws_error

BIN = Path(sys.executable).parent
KEY_RESOURCE = "AWS::KMS::Key"


def _append(account: Account, specs: list[dict[str, Any]], base: float) -> list[str]:
    """Append one record per spec at base, base+1, ...; returns their eventIDs."""
    entries = []
    for i, spec in enumerate(specs):
        now = base + i
        region = spec.get("region", "us-east-1")
        key = spec.get("key", "AKIAALICE")
        user = spec.get("user", "alice")
        record = {
            "eventVersion": "1.09", "eventTime": event_time(now),
            "userIdentity": {"type": "IAMUser", "accountId": account.account_id,
                             "accessKeyId": key, "userName": user},
            "eventSource": spec.get("source", "secretsmanager.amazonaws.com"),
            "eventName": spec.get("name", "CreateSecret"), "awsRegion": region,
            "sourceIPAddress": "127.0.0.1", "requestParameters": None,
            "responseElements": None, "requestID": str(uuid.uuid4()),
            "eventID": str(uuid.uuid4()), "readOnly": spec.get("read_only", False),
            "eventType": "AwsApiCall", "managementEvent": True,
            "recipientAccountId": account.account_id, "eventCategory": "Management",
        }
        entries.append(entry_of(record, account_id=account.account_id, now=now,
                                resources=spec.get("resources", ()), username=user,
                                access_key_id=key))
    with account.server.app.store.write() as tx:
        tx.append_audit(entries, link)
    return [e.event_id for e in entries]


@pytest.fixture
def window() -> tuple[float, float]:
    """(base, end): records start at base; lookups end at `end`, before any live call."""
    now = time.time()
    return float(int(now) - 3600), float(int(now) - 60)


def _lookup(ct: Any, end: float, **kwargs: Any) -> dict[str, Any]:
    return ct.lookup_events(EndTime=datetime.fromtimestamp(end, UTC), **kwargs)


def _ids(response: dict[str, Any]) -> list[str]:
    return [e["EventId"] for e in response["Events"]]


SPECS = [
    {"name": "CreateSecret", "resources": [(SECRET_RESOURCE, "db-a")]},
    {"name": "GetSecretValue", "read_only": True, "user": "bob", "key": "AKIABOB",
     "resources": [(SECRET_RESOURCE, "db-b")]},
    {"name": "Encrypt", "source": "kms.amazonaws.com", "read_only": True,
     "resources": [(KEY_RESOURCE, "arn:aws:kms:us-east-1:111122223333:key/k_1%")]},
    {"name": "CreateSecret", "region": "us-west-2", "resources": [(SECRET_RESOURCE, "db-a")]},
]


def test_every_lookup_attribute_selects_its_events(account, window):
    """Each of the eight lookup attributes finds exactly the records it names."""
    base, end = window
    a, b, c, west = _append(account, SPECS, base)
    ct = account.client("cloudtrail")

    def find(key: str, value: str) -> set[str]:
        return set(_ids(_lookup(ct, end, LookupAttributes=[
            {"AttributeKey": key, "AttributeValue": value}])))

    assert find("EventId", b) == {b}
    assert find("EventId", west) == set()  # another region's record
    assert find("EventName", "CreateSecret") == {a}
    assert find("ReadOnly", "true") == {b, c}
    assert find("ReadOnly", "false") == {a}
    assert find("Username", "bob") == {b}
    assert find("AccessKeyId", "AKIAALICE") == {a, c}
    assert find("EventSource", "kms.amazonaws.com") == {c}
    assert find("ResourceType", SECRET_RESOURCE) == {a, b}
    assert find("ResourceName", "db-b") == {b}
    assert find("ResourceName", "arn:aws:kms:us-east-1:111122223333:key/k_1%") == {c}
    assert find("ResourceName", "db") == set()  # exact, not a prefix
    west_ids = _ids(_lookup(account.client("cloudtrail", region="us-west-2"), end))
    assert west_ids == [west]


def test_events_carry_cloudtrails_fields_and_the_full_record(account, window):
    """An event has CloudTrail's summary fields and the stored record as CloudTrailEvent."""
    base, end = window
    (event_id,) = _append(account, SPECS[1:2], base)
    (event,) = _lookup(account.client("cloudtrail"), end)["Events"]
    assert event["EventId"] == event_id
    assert event["EventName"] == "GetSecretValue"
    assert event["ReadOnly"] == "true"
    assert event["AccessKeyId"] == "AKIABOB"
    assert event["Username"] == "bob"
    assert event["EventSource"] == "secretsmanager.amazonaws.com"
    assert event["EventTime"] == datetime.fromtimestamp(base, UTC)
    assert event["Resources"] == [{"ResourceType": SECRET_RESOURCE, "ResourceName": "db-b"}]
    with account.server.app.store.read() as tx:
        stored = tx.audit_records(account.account_id)[0].record
    assert event["CloudTrailEvent"] == stored
    assert json.loads(event["CloudTrailEvent"])["eventID"] == event_id


def test_time_range_is_inclusive_and_results_are_newest_first(account, window):
    """StartTime and EndTime include events at exactly those times; newest come first."""
    base, _end = window
    ids = _append(account, [{}] * 5, base)
    ct = account.client("cloudtrail")
    got = ct.lookup_events(StartTime=datetime.fromtimestamp(base + 1, UTC),
                           EndTime=datetime.fromtimestamp(base + 3, UTC))
    assert _ids(got) == [ids[3], ids[2], ids[1]]
    code, _, status = aws_error(ct.lookup_events, StartTime=datetime.fromtimestamp(base + 3, UTC),
                                EndTime=datetime.fromtimestamp(base + 1, UTC))
    assert (code, status) == ("InvalidTimeRangeException", 400)


def test_paging_with_next_token_and_max_results(account, window):
    """MaxResults pages through every event once, newest first, with NextToken."""
    base, end = window
    ids = _append(account, [{}] * 7, base)
    ct = account.client("cloudtrail")
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        kwargs = {"MaxResults": 3, **({"NextToken": token} if token else {})}
        page = _lookup(ct, end, **kwargs)
        pages += 1
        seen += _ids(page)
        token = page.get("NextToken")
        if token is None:
            break
        # records appended meanwhile never shift a page
        _append(account, [{}], base + 100 + pages)
    assert pages == 3
    assert seen[:7] == list(reversed(ids))
    paginated = [e["EventId"] for p in ct.get_paginator("lookup_events").paginate(
        EndTime=datetime.fromtimestamp(base + 6, UTC), PaginationConfig={"PageSize": 2})
        for e in p["Events"]]
    assert paginated == list(reversed(ids))
    default = _lookup(ct, end)
    assert len(default["Events"]) == 9
    assert "NextToken" not in default


def test_bad_parameters_get_cloudtrails_errors(account, window):
    """Too many or unknown attributes, bad MaxResults and foreign tokens are refused."""
    base, end = window
    _append(account, [{}] * 3, base)
    ct = account.client("cloudtrail")
    two = [{"AttributeKey": "EventName", "AttributeValue": "CreateSecret"},
           {"AttributeKey": "Username", "AttributeValue": "alice"}]
    assert aws_error(_lookup, ct, end, LookupAttributes=two)[0] == \
        "InvalidLookupAttributesException"
    assert aws_error(_lookup, ct, end, LookupAttributes=[
        {"AttributeKey": "Colour", "AttributeValue": "red"}])[0] == \
        "InvalidLookupAttributesException"
    assert aws_error(_lookup, ct, end, LookupAttributes=[
        {"AttributeKey": "EventName", "AttributeValue": "_" * 1001}])[0] == \
        "InvalidLookupAttributesException"
    code, message, _ = aws_error(_lookup, ct, end, MaxResults=51)
    assert code == "InvalidMaxResultsException"
    assert "51" in message
    token = _lookup(ct, end, MaxResults=1)["NextToken"]
    assert aws_error(_lookup, ct, end, MaxResults=1, NextToken=token, LookupAttributes=[
        {"AttributeKey": "EventName", "AttributeValue": "CreateSecret"}])[0] == \
        "InvalidNextTokenException"
    assert aws_error(_lookup, ct, end, NextToken="not-a-token")[0] == \
        "InvalidNextTokenException"
    code, message, _ = aws_error(ct.describe_trails)
    assert code == "InvalidRequestException"
    assert "not supported by this strongroom server yet" in message


def test_reading_the_trail_needs_cloudtrail_lookup_events(account, window):
    """A user without cloudtrail:LookupEvents is denied until a policy allows it."""
    base, end = window
    _append(account, [{}], base)
    iam = account.client("iam")
    iam.create_user(UserName="auditor")
    key = iam.create_access_key(UserName="auditor")["AccessKey"]
    auditor = boto3.client("cloudtrail", endpoint_url=account.server.endpoint,
                           region_name="us-east-1", aws_access_key_id=key["AccessKeyId"],
                           aws_secret_access_key=key["SecretAccessKey"],
                           config=Config(retries={"max_attempts": 1}))
    code, message, status = aws_error(_lookup, auditor, end)
    assert (code, status) == ("AccessDeniedException", 400)
    assert "cloudtrail:LookupEvents" in message
    iam.put_user_policy(UserName="auditor", PolicyName="read-trail", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "cloudtrail:LookupEvents",
                       "Resource": "*"}]}))
    deadline = time.time() + 10
    while True:
        try:
            assert len(_lookup(auditor, end)["Events"]) == 1
            break
        except Exception:
            if time.time() > deadline:
                raise
            time.sleep(0.2)


def test_another_accounts_records_are_invisible(account, window):
    """An account sees only its own records."""
    base, end = window
    mine = _append(account, [{}], base)
    other_id, other_credentials = account.server.new_account()
    other = Account(other_id, other_credentials, account.server)
    theirs = _append(other, [{}, {}], base)
    assert _ids(_lookup(account.client("cloudtrail"), end)) == mine
    assert _ids(_lookup(other.client("cloudtrail"), end)) == list(reversed(theirs))
    assert _ids(_lookup(account.client("cloudtrail"), end, LookupAttributes=[
        {"AttributeKey": "EventId", "AttributeValue": theirs[0]}])) == []


def test_aws_cli_lookup_events_by_event_name(account, window):
    """`aws cloudtrail lookup-events --lookup-attributes ...` works unchanged."""
    base, _end = window
    ids = _append(account, [{"name": "CreateSecret"}, {"name": "DeleteSecret"},
                            {"name": "CreateSecret"}], base)
    env = dict(os.environ, AWS_ACCESS_KEY_ID=account.credentials.access_key_id,
               AWS_SECRET_ACCESS_KEY=account.credentials.secret_access_key,
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    result = subprocess.run(
        [str(BIN / "aws"), "--endpoint-url", account.server.endpoint, "cloudtrail",
         "lookup-events", "--lookup-attributes",
         "AttributeKey=EventName,AttributeValue=CreateSecret", "--output", "json"],
        env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    events = json.loads(result.stdout)["Events"]
    assert {e["EventName"] for e in events} == {"CreateSecret"}
    found = [e["EventId"] for e in events if e["EventId"] in ids]
    assert found == [ids[2], ids[0]]
