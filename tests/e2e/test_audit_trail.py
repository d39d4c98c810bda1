"""The audit trail end to end: one CloudTrail record per API call, never a secret in it,
durable before the reply and fail-closed.

- Every Secrets Manager operation, and a sample of KMS, IAM, STS and Lambda ones, leave
  exactly one record with the caller's identity, the request id the client got, readOnly,
  and errorCode for failed and denied calls; unauthenticated and unroutable calls too.
- No secret value, password, random password, KMS plaintext, secret access key, session
  token or invocation payload appears in any record (nor, on SQLite, in the file).
- A write whose record cannot be written answers 503 and changes nothing; a stalled
  writer makes calls answer 503 within about the audit timeout while /health answers.
- A server killed with SIGKILL under a write-heavy load: every call that got a reply has
  its record after the restart, and every chain verifies.
"""

from __future__ import annotations

import base64
import json
import signal
import sqlite3
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import boto3
import psycopg
import pytest
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import ClientError

from strongroom.audit.allowlist import is_read
from strongroom.audit.chain import GENESIS, link
from strongroom.protocol import secretsmanager
from strongroom.storage.postgres import PostgresStore
from strongroom.storage.sqlite import SQLiteStore
from tests.conftest import _drop_pg_database, _fresh_pg_database
from tests.e2e.processes import ACCOUNT
from tests.e2e.test_lambda_api import code, make_role

TIMEOUT = 2.0  # ServerConfig.audit_timeout's default


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _call(client: Any, operation: str, **params: Any) -> tuple[str, str | None, Any]:
    """Run one call; (request id the client got, error code or None, response)."""
    try:
        response = getattr(client, xform_name(operation))(**params)
    except ClientError as exc:
        meta = exc.response["ResponseMetadata"]
        return meta["RequestId"], exc.response["Error"]["Code"], exc.response
    return response["ResponseMetadata"]["RequestId"], None, response


def _records(store: Any, account_id: str) -> list[dict[str, Any]]:
    with store.read() as tx:
        return [json.loads(r.record) for r in tx.audit_records(account_id, limit=1_000_000)]


def _all_rows(store: Any) -> list[Any]:
    with store.read() as tx:
        return [row for account in tx.audit_accounts()
                for row in tx.audit_records(account, limit=1_000_000)]


def _one(records: list[dict[str, Any]], request_id: str) -> dict[str, Any]:
    found = [r for r in records if r["requestID"] == request_id]
    assert len(found) == 1, (request_id, found)
    return found[0]


def _check(record: dict[str, Any], service: str, operation: str, error: str | None,
           account_id: str) -> None:
    assert record["eventName"] == operation
    assert record["eventSource"] == f"{service}.amazonaws.com"
    assert record["eventType"] == "AwsApiCall"
    assert record["eventVersion"] == "1.09"
    assert record["readOnly"] is is_read(service, operation)
    assert record["recipientAccountId"] == account_id
    assert record["awsRegion"] == "us-east-1"
    assert record["sourceIPAddress"] == "127.0.0.1"
    assert record["userAgent"].startswith("Boto3/")
    assert record.get("errorCode") == error
    if error is not None or record["readOnly"]:
        assert record["responseElements"] is None
    uuid.UUID(record["eventID"])


def test_every_secrets_manager_operation_leaves_one_record(account):
    """Each Secrets Manager operation, successful or failed, leaves exactly one record with
    the administrator's identity and the request id the client got."""
    sm = account.client()
    arn = sm.create_secret(Name="audited", SecretString="v1")["ARN"]
    policy = _doc({"Effect": "Allow",
                   "Principal": {"AWS": f"arn:aws:iam::{account.account_id}:root"},
                   "Action": "secretsmanager:GetSecretValue", "Resource": "*"})
    version = str(uuid.uuid4())
    calls = [
        ("CreateSecret", {"Name": "audited-2", "SecretString": "v", "Description": "d",
                          "Tags": [{"Key": "team", "Value": "red"}]}),
        ("GetSecretValue", {"SecretId": "audited"}),
        ("GetSecretValue", {"SecretId": "missing"}),
        ("PutSecretValue", {"SecretId": "audited", "SecretString": "v2",
                            "ClientRequestToken": version}),
        ("UpdateSecret", {"SecretId": "audited", "Description": "new"}),
        ("DescribeSecret", {"SecretId": arn}),
        ("ListSecrets", {}),
        ("ListSecretVersionIds", {"SecretId": "audited"}),
        ("UpdateSecretVersionStage", {"SecretId": "audited", "VersionStage": "custom",
                                      "MoveToVersionId": version}),
        ("BatchGetSecretValue", {"SecretIdList": ["audited", "audited-2"]}),
        ("GetRandomPassword", {"PasswordLength": 20}),
        ("TagResource", {"SecretId": "audited", "Tags": [{"Key": "k", "Value": "v"}]}),
        ("UntagResource", {"SecretId": "audited", "TagKeys": ["k"]}),
        ("PutResourcePolicy", {"SecretId": "audited", "ResourcePolicy": policy}),
        ("GetResourcePolicy", {"SecretId": "audited"}),
        ("ListResourcePolicies", {"SecretId": "audited"}),
        ("ValidateResourcePolicy", {"ResourcePolicy": policy}),
        ("DeleteResourcePolicy", {"SecretId": "audited"}),
        ("RotateSecret", {"SecretId": "audited"}),
        ("CancelRotateSecret", {"SecretId": "audited"}),
        ("ReplicateSecretToRegions", {"SecretId": "audited",
                                      "AddReplicaRegions": [{"Region": "eu-west-1"}]}),
        ("RemoveRegionsFromReplication", {"SecretId": "audited",
                                          "RemoveReplicaRegions": ["eu-west-1"]}),
        ("StopReplicationToReplica", {"SecretId": "audited"}),
        ("AssociateCrossAccountReplica", {"SecretId": "audited",
                                          "CrossAccountReplicaARN": arn}),
        ("DisassociateCrossAccountReplica", {"SecretId": "audited",
                                             "CrossAccountReplicaARN": arn}),
        ("DeleteSecret", {"SecretId": "audited-2", "RecoveryWindowInDays": 7}),
        ("RestoreSecret", {"SecretId": "audited-2"}),
    ]
    assert set(secretsmanager.OPERATIONS) == {name for name, _ in calls}
    done = [(name, *_call(sm, name, **params)[:2]) for name, params in calls]
    records = _records(account.server.app.store, account.account_id)
    batch = next(request_id for name, request_id, _ in done if name == "BatchGetSecretValue")
    per_secret = [r for r in records if r["requestID"] == batch
                  and r["eventName"] == "GetSecretValue"]
    assert len(per_secret) == 2  # BatchGetSecretValue also records each secret it read
    records = [r for r in records if r not in per_secret]
    assert len({r["requestID"] for r in records}) == len(records)
    admin = f"arn:aws:iam::{account.account_id}:user/admin"
    for name, request_id, error in done:
        record = _one(records, request_id)
        _check(record, "secretsmanager", name, error, account.account_id)
        identity = record["userIdentity"]
        assert (identity["type"], identity["arn"], identity["accessKeyId"]) == (
            "IAMUser", admin, account.credentials.access_key_id)
    put = _one(records, done[3][1])
    assert put["requestParameters"] == {"secretId": "audited", "clientRequestToken": version}
    assert put["responseElements"]["arn"] == arn
    assert put["resources"] == [{"ARN": arn, "accountId": account.account_id,
                                 "type": "AWS::SecretsManager::Secret"}]
    missing = _one(records, done[2][1])
    assert missing["errorMessage"] == "Secrets Manager can't find the specified secret."


def test_other_services_calls_denials_and_sessions_are_recorded(account):
    """KMS, IAM, STS and Lambda calls are recorded; a denied call carries AccessDenied, and a
    role session's record carries its session context."""
    admin_kms, iam, sts = account.client("kms"), account.client("iam"), account.client("sts")
    lam = account.client("lambda")
    key_id = admin_kms.create_key(Description="k")["KeyMetadata"]["KeyId"]
    role_arn = iam.create_role(RoleName="reader", AssumeRolePolicyDocument=_doc(
        {"Effect": "Allow", "Action": "sts:AssumeRole",
         "Principal": {"AWS": f"arn:aws:iam::{account.account_id}:user/admin"}}))["Role"]["Arn"]
    fn_role = make_role(account)
    done: list[tuple[str, str, str, str | None]] = []
    for service, client, name, params in [
        ("kms", admin_kms, "DescribeKey", {"KeyId": key_id}),
        ("kms", admin_kms, "DisableKey", {"KeyId": key_id}),
        ("kms", admin_kms, "Encrypt", {"KeyId": key_id, "Plaintext": b"x"}),
        ("iam", iam, "CreateUser", {"UserName": "bob"}),
        ("iam", iam, "GetUser", {"UserName": "nobody"}),
        ("iam", iam, "ListUsers", {}),
        ("sts", sts, "GetCallerIdentity", {}),
        ("lambda", lam, "CreateFunction", {
            "FunctionName": "f", "Runtime": "python3.12", "Role": fn_role,
            "Handler": "lambda_function.lambda_handler",
            "Code": {"ZipFile": code("def lambda_handler(e, c):\n    return 1\n")}}),
        ("lambda", lam, "GetFunction", {"FunctionName": "f"}),
        ("lambda", lam, "DeleteFunction", {"FunctionName": "nope"}),
    ]:
        request_id, error, _ = _call(client, name, **params)
        done.append((service, name, request_id, error))
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="worker")["Credentials"]
    session = boto3.client(
        "secretsmanager", endpoint_url=account.server.endpoint, region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"], config=Config(retries={"max_attempts": 1}))
    denied_id, denied, _ = _call(session, "ListSecrets")
    session_iam = boto3.client(
        "iam", endpoint_url=account.server.endpoint, region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"], config=Config(retries={"max_attempts": 1}))
    iam_denied_id, iam_denied, _ = _call(session_iam, "ListUsers")
    records = _records(account.server.app.store, account.account_id)
    for service, name, request_id, error in done:
        _check(_one(records, request_id), service, name, error, account.account_id)
    assert [e for _, _, _, e in done] == [None, None, "DisabledException", None,
                                          "NoSuchEntity", None, None, None, None,
                                          "ResourceNotFoundException"]
    created = _one(records, done[7][2])
    assert "code" not in created["requestParameters"]
    assert created["responseElements"]["functionName"] == "f"
    assert created["resources"][0]["type"] == "AWS::Lambda::Function"
    assert denied == "AccessDeniedException"
    record = _one(records, denied_id)
    _check(record, "secretsmanager", "ListSecrets", "AccessDeniedException", account.account_id)
    identity = record["userIdentity"]
    assert identity["type"] == "AssumedRole"
    assert identity["arn"] == f"arn:aws:sts::{account.account_id}:assumed-role/reader/worker"
    assert identity["accessKeyId"] == creds["AccessKeyId"]
    assert identity["sessionContext"]["sessionIssuer"]["arn"] == role_arn
    assert "not authorized" in record["errorMessage"]
    assert iam_denied == "AccessDenied"
    _check(_one(records, iam_denied_id), "iam", "ListUsers", "AccessDenied", account.account_id)


def _raw(endpoint: str, path: str = "/", *, method: str = "GET", body: bytes | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, str, bytes]:
    request = urllib.request.Request(endpoint + path, data=body, method=method,
                                     headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("x-amzn-RequestId", ""), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("x-amzn-RequestId", ""), exc.read()


def test_unauthenticated_and_unroutable_calls_are_recorded(account):
    """A bad signature, an unknown key and an unroutable request each leave a record in the
    trail of calls without an account, naming the access key they claimed."""
    server = account.server
    forged = boto3.client(
        "secretsmanager", endpoint_url=server.endpoint, region_name="us-east-1",
        aws_access_key_id=account.credentials.access_key_id,
        aws_secret_access_key="wrong-secret-key-000000000000000000000000",
        config=Config(retries={"max_attempts": 1}))
    bad_id, bad, _ = _call(forged, "GetSecretValue", SecretId="x")
    unknown = boto3.client(
        "kms", endpoint_url=server.endpoint, region_name="us-east-1",
        aws_access_key_id="AKIAUNKNOWNKEY000001", aws_secret_access_key="s" * 40,
        config=Config(retries={"max_attempts": 1}))
    unknown_id, unknown_code, _ = _call(unknown, "ListKeys")
    status, stray_id, _ = _raw(server.endpoint, "/no/such/thing")
    assert (bad, unknown_code, status) == (
        "InvalidSignatureException", "UnrecognizedClientException", 400)
    records = _records(server.app.store, "")
    record = _one(records, bad_id)
    assert record["userIdentity"] == {"type": "Unknown",
                                      "accessKeyId": account.credentials.access_key_id}
    assert (record["eventName"], record["errorCode"], record["recipientAccountId"]) == (
        "GetSecretValue", "InvalidSignatureException", "")
    record = _one(records, unknown_id)
    assert (record["eventSource"], record["eventName"], record["errorCode"]) == (
        "kms.amazonaws.com", "ListKeys", "UnrecognizedClientException")
    assert record["userIdentity"]["accessKeyId"] == "AKIAUNKNOWNKEY000001"
    record = _one(records, stray_id)
    assert (record["eventName"], record["errorCode"]) == ("GET /no/such/thing",
                                                          "UnknownOperationException")


def test_a_body_too_large_is_recorded(account):
    server = account.server
    status, request_id, _ = _raw(server.endpoint, "/", method="POST",
                                 body=b"x" * (2 * 1024 * 1024),
                                 headers={"X-Amz-Target": "secretsmanager.ListSecrets"})
    assert status == 413
    record = _one(_records(server.app.store, ""), request_id)
    assert (record["eventSource"], record["errorCode"]) == (
        "secretsmanager.amazonaws.com", "RequestEntityTooLargeException")


def test_no_secret_ever_reaches_the_trail(account):
    """Secret values, passwords, generated passwords, KMS plaintexts, secret access keys,
    session tokens and invocation payloads appear in no record (nor in the SQLite file)."""
    sm, kms, iam, sts = (account.client(s) for s in ("secretsmanager", "kms", "iam", "sts"))
    lam = account.client("lambda")
    stored: list[str] = []
    transient: list[str] = []

    def secret(label: str) -> str:
        value = f"{label}-{uuid.uuid4().hex}"
        stored.append(value)
        return value

    sm.create_secret(Name="scan", SecretString=secret("string"))
    sm.put_secret_value(SecretId="scan", SecretBinary=secret("binary").encode())
    sm.update_secret(SecretId="scan", SecretString=secret("updated"))
    sm.get_secret_value(SecretId="scan")
    transient.append(sm.get_random_password(PasswordLength=40)["RandomPassword"])
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    plaintext = secret("kms-plaintext")
    blob = kms.encrypt(KeyId=key_id, Plaintext=plaintext.encode())["CiphertextBlob"]
    kms.decrypt(CiphertextBlob=blob)
    data_key = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")["Plaintext"]
    transient.append(base64.b64encode(data_key).decode())
    transient.append(base64.b64encode(kms.generate_random(NumberOfBytes=32)["Plaintext"])
                     .decode())
    iam.create_user(UserName="scanned")
    transient.append(iam.create_access_key(UserName="scanned")["AccessKey"]["SecretAccessKey"])
    role_arn = iam.create_role(RoleName="scan-role", AssumeRolePolicyDocument=_doc(
        {"Effect": "Allow", "Action": "sts:AssumeRole",
         "Principal": {"AWS": f"arn:aws:iam::{account.account_id}:root"}}))["Role"]["Arn"]
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="scan")["Credentials"]
    transient += [creds["SecretAccessKey"], creds["SessionToken"]]
    transient.append(sts.get_session_token()["Credentials"]["SecretAccessKey"])
    env_secret = secret("env")
    lam.create_function(
        FunctionName="scan", Runtime="python3.12", Role=make_role(account, "scan-fn"),
        Handler="lambda_function.lambda_handler",
        Environment={"Variables": {"PASSWORD": env_secret}},
        Code={"ZipFile": code("def lambda_handler(e, c):\n    return 'ok'\n")})
    payload = secret("payload")
    lam.invoke(FunctionName="scan", Payload=json.dumps({"p": payload}).encode())
    everything = stored + transient + [account.credentials.secret_access_key]
    rows = _all_rows(account.server.app.store)
    assert rows
    text = "\n".join(row.record for row in rows)
    assert [v for v in everything if v in text] == []
    assert "SecretString" not in text
    assert "secretString" not in text
    if account.server.store_kind == "sqlite":
        data_dir = Path(account.server.app.config.data_dir)
        raw = b"".join(p.read_bytes() for p in data_dir.glob("strongroom.db*"))
        assert [v for v in stored + transient if v.encode() in raw] == []


def _block_appends(store_kind: str, app: Any, account_id: str) -> Any:
    """Make every append to `account_id`'s chain fail; returns the undo."""
    if store_kind == "sqlite":
        conn = sqlite3.connect(str(Path(app.config.data_dir) / "strongroom.db"))
        conn.execute(f"CREATE TRIGGER block_{account_id} BEFORE INSERT ON audit_records "
                     f"WHEN NEW.account_id = '{account_id}' BEGIN "
                     "SELECT RAISE(ABORT, 'audit disk full'); END")
        conn.commit()

        def undo() -> None:
            conn.execute(f"DROP TRIGGER block_{account_id}")
            conn.commit()
            conn.close()
        return undo
    dsn = app.config.store
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE FUNCTION block_{account_id}() RETURNS trigger AS $$ BEGIN "
                     f"IF NEW.account_id = '{account_id}' THEN "
                     "RAISE EXCEPTION 'audit disk full'; END IF; RETURN NEW; END $$ "
                     "LANGUAGE plpgsql")
        conn.execute(f"CREATE TRIGGER block_{account_id} BEFORE INSERT ON audit_records "
                     f"FOR EACH ROW EXECUTE FUNCTION block_{account_id}()")

    def undo_pg() -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP TRIGGER block_{account_id} ON audit_records")
            conn.execute(f"DROP FUNCTION block_{account_id}()")
    return undo_pg


def test_a_call_whose_record_cannot_be_written_is_refused_and_changes_nothing(account):
    """With appends failing, a write answers 503 and leaves no trace; a read answers 503
    without its value; once appends work again, so do calls."""
    sm = account.client()
    sm.create_secret(Name="kept", SecretString="old")
    sm.get_secret_value(SecretId="kept")
    undo = _block_appends(account.server.store_kind, account.server.app, account.account_id)
    try:
        for name, params in (("CreateSecret", {"Name": "ghost", "SecretString": "v"}),
                             ("PutSecretValue", {"SecretId": "kept", "SecretString": "new"}),
                             ("GetSecretValue", {"SecretId": "kept"})):
            _, error, response = _call(sm, name, **params)
            assert error == "ServiceUnavailableException", name
            assert response["ResponseMetadata"]["HTTPStatusCode"] == 503
            assert response["Error"]["Message"] == (
                "The audit trail is unavailable; the request was not processed.")
            assert "SecretString" not in response
    finally:
        undo()
    assert sm.get_secret_value(SecretId="kept")["SecretString"] == "old"
    assert _call(sm, "DescribeSecret", SecretId="ghost")[1] == "ResourceNotFoundException"
    assert len(sm.list_secret_version_ids(SecretId="kept")["Versions"]) == 1


def _stall_writer(store_kind: str, app: Any, account_id: str) -> Any:
    """Hold what the audit writer needs (SQLite's write lock; PostgreSQL: the account's chain
    head) from another connection; returns the release."""
    if store_kind == "sqlite":
        conn = sqlite3.connect(str(Path(app.config.data_dir) / "strongroom.db"),
                               isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
    else:
        conn = psycopg.connect(app.config.store)
        conn.execute("SELECT 1 FROM audit_heads WHERE account_id = %s FOR UPDATE",
                     (account_id,))
    return conn


def test_a_stalled_writer_fails_calls_fast_while_health_answers(account):
    """While the writer cannot commit, reads answer 503 within about the audit timeout (the
    next ones at once) and without their value; /health keeps answering 200."""
    sm = account.client()
    sm.create_secret(Name="stall", SecretString="value")
    sm.get_secret_value(SecretId="stall")  # LastAccessedDate written: later reads only read
    conn = _stall_writer(account.server.store_kind, account.server.app, account.account_id)
    try:
        results: list[tuple[str | None, float]] = []

        def read() -> None:
            started = time.monotonic()
            _, error, _ = _call(sm, "GetSecretValue", SecretId="stall")
            results.append((error, time.monotonic() - started))

        reader = threading.Thread(target=read)
        reader.start()
        time.sleep(0.3)
        started = time.monotonic()
        status, _, body = _raw(account.server.endpoint, "/health")
        assert status == 200
        assert json.loads(body)["status"] == "ok"
        assert time.monotonic() - started < 1.0
        reader.join(timeout=TIMEOUT + 5)
        read()
        assert [e for e, _ in results] == ["ServiceUnavailableException"] * 2
        assert results[0][1] < TIMEOUT + 1.5
        assert results[1][1] < 1.0  # the writer is known to be stuck: refused at once
        status, _, metrics = _raw(account.server.endpoint, "/metrics")
        assert status == 200
        assert b"strongroom_audit_queue_depth" in metrics
        assert b"strongroom_audit_unavailable_total" in metrics
    finally:
        conn.rollback() if account.server.store_kind == "postgresql" else conn.execute(
            "ROLLBACK")
        conn.close()
    deadline = time.monotonic() + 15
    while _call(sm, "GetSecretValue", SecretId="stall")[1] is not None:
        assert time.monotonic() < deadline
        time.sleep(0.2)


def _verify_chains(store: Any) -> int:
    checked = 0
    with store.read() as tx:
        for account_id in tx.audit_accounts():
            prev, seq = GENESIS, 0
            for row in tx.audit_records(account_id, limit=10_000_000):
                seq += 1
                assert (row.seq, row.prev_digest) == (seq, prev), account_id
                prev = link(prev, row.record)
                assert row.digest == prev, (account_id, row.seq)
                checked += 1
            assert tx.audit_head(account_id) == (seq, prev)
    return checked


@pytest.mark.slow
@pytest.mark.parametrize("store_kind", ["sqlite", "postgresql"])
def test_every_answered_call_survives_sigkill(tmp_path, servers, store_kind):
    """SIGKILL in the middle of a write-heavy load from several threads: after a restart,
    every call that got a reply has its record, and every chain verifies."""
    database, dsn = _fresh_pg_database() if store_kind == "postgresql" else (None, None)
    try:
        server = servers(tmp_path / "data", dsn)
        clients = [server.client() for _ in range(6)]
        for i, client in enumerate(clients):
            client.create_secret(Name=f"load-{i}", SecretString="0")
        answered: list[str] = []
        lock = threading.Lock()
        stop = threading.Event()

        def load(i: int, client: Any) -> None:
            n = 0
            while not stop.is_set():
                n += 1
                if n % 3:
                    operation, params = "PutSecretValue", {"SecretId": f"load-{i}",
                                                          "SecretString": str(n)}
                else:
                    operation, params = "GetSecretValue", {"SecretId": f"load-{i % 2}"}
                try:
                    request_id, _, _ = _call(client, operation, **params)
                except Exception:
                    return  # the server is gone
                with lock:
                    answered.append(request_id)

        threads = [threading.Thread(target=load, args=(i, c)) for i, c in enumerate(clients)]
        for thread in threads:
            thread.start()
        time.sleep(2.0)
        server.stop(signal.SIGKILL)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        assert len(answered) > 50
        restarted = servers(tmp_path / "data", dsn)
        restarted.client().list_secrets()
        restarted.stop()
        store = (SQLiteStore(tmp_path / "data" / "strongroom.db") if dsn is None
                 else PostgresStore(dsn, pool_size=2))
        try:
            recorded = {json.loads(r.record)["requestID"] for r in _all_rows(store)}
            assert [r for r in answered if r not in recorded] == []
            assert _verify_chains(store) >= len(answered)
            records = _records(store, ACCOUNT)
            assert {r["eventName"] for r in records} >= {"PutSecretValue", "GetSecretValue"}
        finally:
            store.close()
    finally:
        if database:
            _drop_pg_database(database)


def test_batch_get_secret_value_also_records_each_secret_read(account):
    sm = account.client()
    arns = [sm.create_secret(Name=f"batch/{i}", SecretString="v")["ARN"] for i in range(3)]
    request_id, code, _ = _call(sm, "BatchGetSecretValue", SecretIdList=arns[:2])
    assert code is None
    records = [r for r in _records(account.server.app.store, account.account_id)
               if r["requestID"] == request_id]
    assert sorted(r["eventName"] for r in records) == [
        "BatchGetSecretValue", "GetSecretValue", "GetSecretValue"]
    reads = [r for r in records if r["eventName"] == "GetSecretValue"]
    assert sorted(r["requestParameters"]["secretId"] for r in reads) == sorted(arns[:2])
    assert all(r["responseElements"] is None and r["readOnly"] for r in reads)
    assert len({r["eventID"] for r in records}) == 3
