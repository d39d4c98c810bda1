"""The audit allow-list covers every operation strongroom serves and never lets a secret in."""

from __future__ import annotations

from typing import Any

import pytest

from strongroom.audit.allowlist import ALLOWLIST, is_read, members
from strongroom.audit.render import Renderer, lower_camel
from strongroom.protocol import iam, kms, lambda_, logs, secretsmanager, sts
from strongroom.protocol.model import ServiceModel

SERVED: dict[str, set[str]] = {
    "secretsmanager": set(secretsmanager.OPERATIONS),
    "kms": set(kms.OPERATIONS),
    "iam": set(iam.OPERATIONS),
    "sts": set(sts.OPERATIONS),
    "lambda": set(lambda_.OPERATIONS),
    "logs": set(logs.OPERATIONS),
    "cloudtrail": {"LookupEvents"},
}
# Names that must never be logged, whatever a model says about them.
NEVER = {"SecretString", "SecretBinary", "RotationToken", "RandomPassword", "Plaintext",
         "CiphertextBlob", "SecretAccessKey", "SessionToken", "Credentials", "ZipFile",
         "Environment", "Payload", "TokenCode", "Code"}


def _definition(service: str) -> Any:
    return ServiceModel.load(service).definition


def _reaches_sensitive(shapes: dict[str, Any], name: str, seen: set[str]) -> bool:
    if name in seen:
        return False
    seen.add(name)
    shape = shapes[name]
    if shape.get("sensitive"):
        return True
    refs: list[dict[str, Any]] = []
    if shape["type"] == "structure":
        refs = list(shape.get("members", {}).values())
    elif shape["type"] == "list":
        refs = [shape["member"]]
    elif shape["type"] == "map":
        refs = [shape["key"], shape["value"]]
    return any(ref.get("sensitive") or _reaches_sensitive(shapes, ref["shape"], seen)
               for ref in refs)


def _allowed_refs(shapes: dict[str, Any], root: str, allowed: frozenset[str]):
    for path in sorted(allowed):
        shape_name, ref = root, None
        for part in path.split("."):
            members_of = shapes[shape_name].get("members", {})
            assert part in members_of, f"{path} is not a member of {root}"
            ref = members_of[part]
            shape_name = ref["shape"]
        yield path, ref


@pytest.mark.parametrize("service", sorted(SERVED))
def test_every_served_operation_has_an_entry(service):
    assert SERVED[service] <= set(ALLOWLIST[service])


@pytest.mark.parametrize("service", sorted(ALLOWLIST))
def test_no_allowed_member_is_sensitive_or_unknown(service):
    definition = _definition(service)
    shapes = definition["shapes"]
    for operation, allowed in ALLOWLIST[service].items():
        spec = definition["operations"][operation]
        for direction, names in (("input", allowed.request), ("output", allowed.response)):
            if not names:
                continue
            root = spec[direction]["shape"]
            for path, ref in _allowed_refs(shapes, root, names):
                where = f"{service}.{operation} {direction} {path}"
                assert not ref.get("sensitive"), where
                assert not _reaches_sensitive(shapes, ref["shape"], set()), where
                assert not set(path.split(".")) & NEVER, where


@pytest.mark.parametrize("service", sorted(ALLOWLIST))
def test_reads_log_no_response(service):
    for operation, allowed in ALLOWLIST[service].items():
        if is_read(service, operation) or (service, operation) == ("lambda", "Invoke"):
            assert not allowed.response, f"{service}.{operation}"


def test_reads_and_writes_are_classified_as_cloudtrail_does():
    assert is_read("secretsmanager", "GetSecretValue")
    assert is_read("secretsmanager", "GetRandomPassword")
    assert is_read("secretsmanager", "BatchGetSecretValue")
    assert is_read("kms", "Decrypt")
    assert is_read("sts", "AssumeRole")
    assert is_read("cloudtrail", "LookupEvents")
    assert not is_read("secretsmanager", "PutSecretValue")
    assert not is_read("iam", "CreateAccessKey")
    assert not is_read("lambda", "Invoke")


def test_names_render_in_lower_camel_case():
    assert lower_camel("SecretId") == "secretId"
    assert lower_camel("ARN") == "arn"
    assert lower_camel("RotationLambdaARN") == "rotationLambdaARN"
    assert lower_camel("logGroupName") == "logGroupName"


def test_rendering_keeps_only_allowed_members_and_map_keys_as_given():
    sm = Renderer(_definition("secretsmanager"))
    allowed = members("secretsmanager", "CreateSecret").request
    params = {"Name": "db", "SecretString": "s3cr3t", "ClientRequestToken": "t" * 32,
              "Tags": [{"Key": "Team", "Value": "x"}]}
    assert sm.request("CreateSecret", allowed, params) == {
        "name": "db", "clientRequestToken": "t" * 32, "tags": [{"key": "Team", "value": "x"}]}
    km = Renderer(_definition("kms"))
    encrypt = {"KeyId": "alias/a", "Plaintext": b"p", "EncryptionContext": {"SecretARN": "a"}}
    assert km.request("Encrypt", members("kms", "Encrypt").request, encrypt) == {
        "keyId": "alias/a", "encryptionContext": {"SecretARN": "a"}}


def test_a_dotted_name_allows_one_member_of_a_structure():
    renderer = Renderer(_definition("iam"))
    result = {"AccessKey": {"UserName": "bob", "AccessKeyId": "AKIA1", "Status": "Active",
                            "SecretAccessKey": "never", "CreateDate": 0.0}}
    shown = renderer.response("CreateAccessKey", members("iam", "CreateAccessKey").response,
                              result)
    assert shown == {"accessKey": {"userName": "bob", "accessKeyId": "AKIA1",
                                   "status": "Active", "createDate": "1970-01-01T00:00:00Z"}}


def test_an_operation_not_listed_logs_nothing():
    assert members("secretsmanager", "SomeFutureOperation").request == frozenset()
