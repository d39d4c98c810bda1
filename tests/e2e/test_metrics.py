"""GET /metrics: Prometheus counters of requests, outcomes, latency and denials —
operation names and error codes only, never a secret's name or value."""

from __future__ import annotations

import urllib.request

import boto3
from botocore.config import Config

from tests.e2e.helpers import aws_error


def _scrape(endpoint: str) -> str:
    with urllib.request.urlopen(endpoint + "/metrics", timeout=5) as response:
        assert response.status == 200
        assert response.headers["content-type"].startswith("text/plain")
        return response.read().decode()


def _value(text: str, prefix: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(prefix):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_requests_outcomes_and_denials_are_counted(account):
    sm, iam = account.client(), account.client("iam")
    endpoint = account.server.endpoint
    ok = ('strongroom_requests_total{operation="GetSecretValue",outcome="ok",'
          'service="secretsmanager"}')
    missing = ('strongroom_requests_total{operation="GetSecretValue",'
               'outcome="ResourceNotFoundException",service="secretsmanager"}')
    denied = 'strongroom_denials_total{operation="ListSecrets",service="secretsmanager"}'
    iam_ok = 'strongroom_requests_total{operation="CreateUser",outcome="ok",service="iam"}'
    before = _scrape(endpoint)
    sm.create_secret(Name="metered", SecretString="metered-secret-value")
    sm.get_secret_value(SecretId="metered")
    aws_error(sm.get_secret_value, SecretId="not-there")
    iam.create_user(UserName="nobody-allowed")
    key = iam.create_access_key(UserName="nobody-allowed")["AccessKey"]
    stranger = boto3.client("secretsmanager", endpoint_url=endpoint, region_name="us-east-1",
                            aws_access_key_id=key["AccessKeyId"],
                            aws_secret_access_key=key["SecretAccessKey"],
                            config=Config(retries={"max_attempts": 1}))
    aws_error(stranger.list_secrets)
    after = _scrape(endpoint)
    assert _value(after, ok) - _value(before, ok) >= 1
    assert _value(after, missing) - _value(before, missing) >= 1
    assert _value(after, denied) - _value(before, denied) >= 1
    assert _value(after, iam_ok) - _value(before, iam_ok) >= 1
    assert "strongroom_request_duration_seconds_bucket" in after
    # The reads' records went through the group commit: batches and the records they held.
    assert _value(after, "strongroom_audit_group_commits_total") >= 1
    assert _value(after, "strongroom_audit_grouped_records_total") \
        >= _value(after, "strongroom_audit_group_commits_total")
    assert "strongroom_sealed 0.0" in after
    assert "metered-secret-value" not in after
    assert "not-there" not in after


def test_replication_outcomes_are_counted(account):
    endpoint = account.server.endpoint
    succeeded = 'strongroom_service_events_total{event="ReplicationSucceeded"}'
    before = _value(_scrape(endpoint), succeeded)
    account.client().create_secret(Name="counted", SecretString="v",
                                   AddReplicaRegions=[{"Region": "us-west-2"}])
    after = _scrape(endpoint)
    assert _value(after, succeeded) - before >= 1
    assert "strongroom_audit_queue_depth" in after
