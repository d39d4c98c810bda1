"""What IAM authorization costs per request, measured in-process (no HTTP).

Builds two strongroom applications on SQLite — one that allows administrators
without looking at any policy (AdministratorsOnly), one with full IAM policy
evaluation — and times signed GetSecretValue calls through the JSON protocol
adapter, alternating between them in rounds so both see the same machine. The
IAM side is measured twice: as the administrator (AdministratorAccess) and as a
role session whose ABAC policy compares aws:ResourceTag/app with
${aws:PrincipalTag/app}.

    .venv/bin/python bench/authorization_cost.py [--calls 3000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from strongroom.auth.sigv4 import HttpRequest
from strongroom.core.config import ServerConfig
from strongroom.policy.authorizer import AdministratorsOnly
from strongroom.protocol.json11 import ClientFacts
from strongroom.server.compose import Application, build

HOST = "127.0.0.1:7733"


def signed(target: str, body: dict, key: str, secret: str, token: str | None = None,
           service: str = "secretsmanager") -> HttpRequest:
    data = json.dumps(body).encode()
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target,
               "Host": HOST}
    request = AWSRequest(method="POST", url=f"http://{HOST}/", data=data, headers=headers)
    SigV4Auth(BotoCredentials(key, secret, token), service, "us-east-1").add_auth(request)
    return HttpRequest("POST", "/", "", tuple(request.headers.items()), data)


def query(app: Application, action: str, params: dict, key: str, secret: str,
          service: str) -> str:
    from urllib.parse import urlencode

    body = urlencode({"Action": action, "Version": "2011-06-15" if service == "sts"
                      else "2010-05-08", **params}).encode()
    request = AWSRequest(method="POST", url=f"http://{HOST}/", data=body, headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "Host": HOST})
    SigV4Auth(BotoCredentials(key, secret), service, "us-east-1").add_auth(request)
    http = HttpRequest("POST", "/", "", tuple(request.headers.items()), body)
    service_obj = app.query.service_for(service)
    assert service_obj is not None
    response = app.query.handle(http, service_obj, ClientFacts())
    assert response.status == 200, response.body
    return response.body.decode()


def setup(app: Application) -> tuple[str, str]:
    first = app.first_start
    assert first is not None
    key, secret = first.credentials.access_key_id, first.credentials.secret_access_key
    create = signed("secretsmanager.CreateSecret", {
        "Name": "bench/app1", "SecretString": "x" * 200, "ClientRequestToken": str(uuid.uuid4()),
        "Tags": [{"Key": "app", "Value": "app1"}]}, key, secret)
    assert app.json11.handle(create, "secretsmanager.CreateSecret", ClientFacts()).status == 200
    return key, secret


def timed(app: Application, request: HttpRequest, calls: int) -> float:
    handle, facts = app.json11.handle, ClientFacts(source_ip="127.0.0.1")
    target = "secretsmanager.GetSecretValue"
    start = time.perf_counter()
    for _ in range(calls):
        response = handle(request, target, facts)
    elapsed = time.perf_counter() - start
    assert response.status == 200, response.body
    return elapsed / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    regions = frozenset({"us-east-1"})
    plain = build(ServerConfig(data_dir=Path(tempfile.mkdtemp()), regions=regions),
                  authorizer=AdministratorsOnly())
    iam = build(ServerConfig(data_dir=Path(tempfile.mkdtemp()), regions=regions))
    plain_req = signed("secretsmanager.GetSecretValue", {"SecretId": "bench/app1"},
                       *setup(plain))
    key, secret = setup(iam)
    iam_req = signed("secretsmanager.GetSecretValue", {"SecretId": "bench/app1"}, key, secret)
    account = iam.first_start.account_id if iam.first_start else ""
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"AWS": f"arn:aws:iam::{account}:user/admin"}}]})
    abac = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
        "Condition": {"StringEquals": {"aws:ResourceTag/app": "${aws:PrincipalTag/app}"}}}]})
    query(iam, "CreateRole", {"RoleName": "app1", "AssumeRolePolicyDocument": trust,
                              "Tags.member.1.Key": "app", "Tags.member.1.Value": "app1"},
          key, secret, "iam")
    query(iam, "PutRolePolicy", {"RoleName": "app1", "PolicyName": "abac",
                                 "PolicyDocument": abac}, key, secret, "iam")
    xml = query(iam, "AssumeRole", {"RoleArn": f"arn:aws:iam::{account}:role/app1",
                                    "RoleSessionName": "bench"}, key, secret, "sts")

    def field(name: str) -> str:
        return xml.split(f"<{name}>", 1)[1].split(f"</{name}>", 1)[0]

    role_req = signed("secretsmanager.GetSecretValue", {"SecretId": "bench/app1"},
                      field("AccessKeyId"), field("SecretAccessKey"), field("SessionToken"))
    results: dict[str, list[float]] = {"no policy check": [], "IAM, administrator": [],
                                       "IAM, ABAC role session": []}
    for _ in range(args.rounds):
        results["no policy check"].append(timed(plain, plain_req, args.calls))
        results["IAM, administrator"].append(timed(iam, iam_req, args.calls))
        results["IAM, ABAC role session"].append(timed(iam, role_req, args.calls))
    base = statistics.median(results["no policy check"])
    print(f"GetSecretValue through the JSON adapter, in-process, {args.calls} calls x "
          f"{args.rounds} rounds (medians)")
    for name, values in results.items():
        median = statistics.median(values)
        print(f"  {name:24s} {median:7.1f} us/call  {1e6 / median:8.0f} calls/s  "
              f"(+{median - base:5.1f} us)")


if __name__ == "__main__":
    main()
