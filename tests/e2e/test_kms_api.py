"""The KMS API through boto3's `kms` client, against a live server on each store."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from strongroom.auth.identity import Credentials
from strongroom.keys.service import parse_blob
from tests.e2e.helpers import aws_error

OTHER_ACCOUNT = "111122223333"


@pytest.fixture
def kms(account):
    return account.client("kms")


def _key(kms, **kwargs):
    return kms.create_key(**kwargs)["KeyMetadata"]


def _user_client(account, name, policy=None):
    iam = account.client("iam")
    iam.create_user(UserName=name)
    if policy is not None:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    created = iam.create_access_key(UserName=name)["AccessKey"]
    creds = Credentials(created["AccessKeyId"], created["SecretAccessKey"])
    return account.server.client(creds, "kms")


# --- key lifecycle ----------------------------------------------------------------------


def test_create_and_describe_a_customer_managed_key(kms, account):
    """A new key is Enabled, symmetric, customer managed and described by id, ARN or alias."""
    meta = _key(kms, Description="orders")
    assert meta["KeyState"] == "Enabled"
    assert meta["Enabled"] is True
    assert meta["KeyManager"] == "CUSTOMER"
    assert meta["KeySpec"] == meta["CustomerMasterKeySpec"] == "SYMMETRIC_DEFAULT"
    assert meta["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert meta["Origin"] == "AWS_KMS"
    assert meta["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    assert meta["AWSAccountId"] == account.account_id
    assert meta["Arn"] == f"arn:aws:kms:us-east-1:{account.account_id}:key/{meta['KeyId']}"
    kms.create_alias(AliasName="alias/orders", TargetKeyId=meta["KeyId"])
    for ref in (meta["KeyId"], meta["Arn"], "alias/orders",
                f"arn:aws:kms:us-east-1:{account.account_id}:alias/orders"):
        assert kms.describe_key(KeyId=ref)["KeyMetadata"]["KeyId"] == meta["KeyId"]


def test_unknown_and_malformed_key_ids_are_not_found(kms, account):
    """A missing key names its ARN; a malformed id is called invalid."""
    missing = "1234abcd-12ab-34cd-56ef-1234567890ab"
    code, message, _ = aws_error(kms.describe_key, KeyId=missing)
    assert (code, message) == (
        "NotFoundException",
        f"Key 'arn:aws:kms:us-east-1:{account.account_id}:key/{missing}' does not exist")
    assert aws_error(kms.describe_key, KeyId="nope")[:2] == (
        "NotFoundException", "Invalid keyId 'nope'")
    code, message, _ = aws_error(kms.describe_key, KeyId="alias/missing")
    assert code == "NotFoundException"
    assert "alias/missing" in message


def test_unsupported_key_specs_are_refused(kms):
    """Only symmetric encryption keys are offered."""
    code, _, _ = aws_error(kms.create_key, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")
    assert code == "UnsupportedOperationException"


def test_disabled_key_refuses_encrypt_and_decrypt_until_enabled(kms):
    """DisableKey makes Encrypt and Decrypt fail with DisabledException; EnableKey restores."""
    meta = _key(kms)
    blob = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    kms.disable_key(KeyId=meta["KeyId"])
    assert kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"
    for call, kwargs in ((kms.encrypt, {"KeyId": meta["KeyId"], "Plaintext": b"x"}),
                         (kms.decrypt, {"CiphertextBlob": blob})):
        assert aws_error(call, **kwargs)[:2] == ("DisabledException",
                                                 f"{meta['Arn']} is disabled.")
    kms.enable_key(KeyId=meta["KeyId"])
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"


def test_scheduled_deletion_blocks_use_and_cancelling_leaves_it_disabled(kms):
    """A key pending deletion refuses use; CancelKeyDeletion returns it Disabled, as AWS does."""
    meta = _key(kms)
    blob = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    out = kms.schedule_key_deletion(KeyId=meta["KeyId"], PendingWindowInDays=7)
    assert out["KeyState"] == "PendingDeletion"
    assert out["PendingWindowInDays"] == 7
    assert out["KeyId"] == meta["Arn"]
    described = kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]
    assert described["KeyState"] == "PendingDeletion"
    assert described["DeletionDate"] == out["DeletionDate"]
    pending = ("KMSInvalidStateException", f"{meta['Arn']} is pending deletion.")
    assert aws_error(kms.encrypt, KeyId=meta["KeyId"], Plaintext=b"x")[:2] == pending
    assert aws_error(kms.decrypt, CiphertextBlob=blob)[:2] == pending
    assert aws_error(kms.enable_key, KeyId=meta["KeyId"])[:2] == pending
    assert kms.cancel_key_deletion(KeyId=meta["KeyId"])["KeyId"] == meta["Arn"]
    described = kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]
    assert described["KeyState"] == "Disabled"
    assert "DeletionDate" not in described
    assert aws_error(kms.cancel_key_deletion, KeyId=meta["KeyId"])[:2] == (
        "KMSInvalidStateException", f"{meta['Arn']} is not pending deletion.")


@pytest.mark.parametrize("days", [6, 31])
def test_pending_window_must_be_7_to_30_days(kms, days):
    """ScheduleKeyDeletion accepts a waiting period of 7 to 30 days."""
    meta = _key(kms)
    code, _, _ = aws_error(kms.schedule_key_deletion, KeyId=meta["KeyId"],
                           PendingWindowInDays=days)
    assert code == "ValidationException"


def test_managed_key_is_listed_described_and_cannot_be_disabled_or_deleted(kms, account):
    """aws/secretsmanager is an AWS managed key that only AWS may disable or delete."""
    aliases = kms.list_aliases()["Aliases"]
    assert "alias/aws/secretsmanager" in [a["AliasName"] for a in aliases]
    meta = kms.describe_key(KeyId="alias/aws/secretsmanager")["KeyMetadata"]
    assert meta["KeyManager"] == "AWS"
    assert meta["KeyState"] == "Enabled"
    listed = {a["AliasName"]: a for a in kms.list_aliases()["Aliases"]}
    assert listed["alias/aws/secretsmanager"]["TargetKeyId"] == meta["KeyId"]
    for call in (kms.disable_key, kms.schedule_key_deletion):
        assert aws_error(call, KeyId=meta["KeyId"])[0] == "AccessDeniedException"
    assert kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"
    policy = json.loads(kms.get_key_policy(KeyId=meta["KeyId"])["Policy"])
    assert policy["Id"] == "auto-secretsmanager-1"


# --- aliases ----------------------------------------------------------------------------


def test_alias_create_update_delete(kms, account):
    """An alias points at one key, can be moved to another and deleted."""
    one, two = _key(kms), _key(kms)
    kms.create_alias(AliasName="alias/app", TargetKeyId=one["KeyId"])
    code, message, _ = aws_error(kms.create_alias, AliasName="alias/app",
                                 TargetKeyId=two["KeyId"])
    assert code == "AlreadyExistsException"
    assert "alias/app" in message
    kms.update_alias(AliasName="alias/app", TargetKeyId=two["KeyId"])
    assert kms.describe_key(KeyId="alias/app")["KeyMetadata"]["KeyId"] == two["KeyId"]
    entry = kms.list_aliases(KeyId=two["KeyId"])["Aliases"]
    assert [(a["AliasName"], a["TargetKeyId"]) for a in entry] == [("alias/app", two["KeyId"])]
    assert entry[0]["AliasArn"] == f"arn:aws:kms:us-east-1:{account.account_id}:alias/app"
    kms.delete_alias(AliasName="alias/app")
    assert aws_error(kms.describe_key, KeyId="alias/app")[0] == "NotFoundException"
    assert aws_error(kms.delete_alias, AliasName="alias/app")[0] == "NotFoundException"


def test_alias_names_need_the_prefix_and_avoid_the_reserved_one(kms):
    """Aliases start with alias/ and may not start with alias/aws/."""
    meta = _key(kms)
    code, message, _ = aws_error(kms.create_alias, AliasName="plain", TargetKeyId=meta["KeyId"])
    assert code == "ValidationException"
    assert message.startswith('Alias must start with the prefix "alias/".')
    assert aws_error(kms.create_alias, AliasName="alias/aws/mine",
                     TargetKeyId=meta["KeyId"])[0] == "InvalidAliasNameException"


def test_list_keys_and_aliases_paginate(kms):
    """ListKeys and ListAliases page with Limit and Marker and report Truncated."""
    made = {_key(kms)["KeyId"] for _ in range(3)}
    for n, key_id in enumerate(sorted(made)):
        kms.create_alias(AliasName=f"alias/page-{n}", TargetKeyId=key_id)
    seen, marker = [], None
    while True:
        page = kms.list_keys(Limit=1, **({"Marker": marker} if marker else {}))
        assert len(page["Keys"]) <= 1
        seen += [k["KeyId"] for k in page["Keys"]]
        if not page["Truncated"]:
            break
        marker = page["NextMarker"]
    assert made <= set(seen)
    assert len(seen) == len(set(seen))
    names = [a["AliasName"] for p in kms.get_paginator("list_aliases").paginate(
        PaginationConfig={"PageSize": 2}) for a in p["Aliases"]]
    assert names == sorted(names)
    assert {"alias/page-0", "alias/page-1", "alias/page-2", "alias/aws/secretsmanager"} \
        <= set(names)


# --- cryptography -----------------------------------------------------------------------


def test_encrypt_decrypt_round_trip_binds_the_context(kms):
    """Decrypt needs no KeyId but the same encryption context."""
    meta = _key(kms)
    context = {"purpose": "test", "tenant": "a"}
    out = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"hello", EncryptionContext=context)
    assert out["KeyId"] == meta["Arn"]
    assert out["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    back = kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext=context)
    assert (back["Plaintext"], back["KeyId"]) == (b"hello", meta["Arn"])
    for wrong in ({}, {"purpose": "test", "tenant": "b"}, {**context, "extra": "x"}):
        assert aws_error(kms.decrypt, CiphertextBlob=out["CiphertextBlob"],
                         EncryptionContext=wrong)[:2] == ("InvalidCiphertextException", "")


def test_any_flipped_byte_makes_the_ciphertext_invalid(kms):
    """A ciphertext edited anywhere does not decrypt."""
    meta = _key(kms)
    blob = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"hello")["CiphertextBlob"]
    for index in (5, len(blob) - 20, len(blob) - 1):
        tampered = bytearray(blob)
        tampered[index] ^= 0x01
        assert aws_error(kms.decrypt, CiphertextBlob=bytes(tampered))[0] == \
            "InvalidCiphertextException"
    assert aws_error(kms.decrypt, CiphertextBlob=b"garbage")[0] == "InvalidCiphertextException"


def test_decrypt_with_the_wrong_key_id_is_incorrect_key(kms):
    """Naming a different key than the ciphertext's is IncorrectKeyException."""
    one, two = _key(kms), _key(kms)
    blob = kms.encrypt(KeyId=one["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    assert aws_error(kms.decrypt, CiphertextBlob=blob, KeyId=two["KeyId"])[0] == \
        "IncorrectKeyException"
    assert kms.decrypt(CiphertextBlob=blob, KeyId=one["Arn"])["Plaintext"] == b"x"


def test_re_encrypt_moves_a_ciphertext_to_another_key_and_context(kms):
    """ReEncrypt decrypts under the source and encrypts under the destination."""
    one, two = _key(kms), _key(kms)
    blob = kms.encrypt(KeyId=one["KeyId"], Plaintext=b"x",
                       EncryptionContext={"a": "1"})["CiphertextBlob"]
    out = kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"a": "1"},
                         DestinationKeyId=two["KeyId"], DestinationEncryptionContext={"b": "2"})
    assert (out["SourceKeyId"], out["KeyId"]) == (one["Arn"], two["Arn"])
    back = kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"b": "2"})
    assert (back["Plaintext"], back["KeyId"]) == (b"x", two["Arn"])


@pytest.mark.parametrize(("kwargs", "size"), [({"KeySpec": "AES_256"}, 32),
                                              ({"KeySpec": "AES_128"}, 16),
                                              ({"NumberOfBytes": 7}, 7)])
def test_generate_data_key_ciphertext_decrypts_to_its_plaintext(kms, kwargs, size):
    """A data key's CiphertextBlob decrypts to its Plaintext under the same context."""
    meta = _key(kms)
    out = kms.generate_data_key(KeyId=meta["KeyId"], EncryptionContext={"k": "v"}, **kwargs)
    assert len(out["Plaintext"]) == size
    assert out["KeyId"] == meta["Arn"]
    back = kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"k": "v"})
    assert back["Plaintext"] == out["Plaintext"]
    bare = kms.generate_data_key_without_plaintext(KeyId=meta["KeyId"], **kwargs)
    assert "Plaintext" not in bare
    assert len(kms.decrypt(CiphertextBlob=bare["CiphertextBlob"])["Plaintext"]) == size


def test_generate_data_key_needs_a_size(kms):
    """GenerateDataKey needs KeySpec or NumberOfBytes."""
    meta = _key(kms)
    assert aws_error(kms.generate_data_key, KeyId=meta["KeyId"])[0] == "ValidationException"


def test_generate_random(kms):
    """GenerateRandom returns the bytes asked for, within 1 to 1024."""
    assert len(kms.generate_random(NumberOfBytes=48)["Plaintext"]) == 48
    code, message, _ = aws_error(kms.generate_random, NumberOfBytes=1025)
    assert code == "ValidationException"
    assert "less than or equal to 1024" in message


def test_rotation_keeps_old_ciphertexts_and_uses_new_material(kms):
    """After rotation old ciphertexts still decrypt and new ones use the new version."""
    meta = _key(kms)
    assert kms.get_key_rotation_status(KeyId=meta["KeyId"])["KeyRotationEnabled"] is False
    kms.enable_key_rotation(KeyId=meta["KeyId"], RotationPeriodInDays=90)
    status = kms.get_key_rotation_status(KeyId=meta["KeyId"])
    assert status["KeyRotationEnabled"] is True
    assert status["RotationPeriodInDays"] == 90
    old = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"before")["CiphertextBlob"]
    assert kms.rotate_key_on_demand(KeyId=meta["KeyId"])["KeyId"] == meta["Arn"]
    new = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"after")["CiphertextBlob"]
    old_header, new_header = parse_blob(old), parse_blob(new)
    assert old_header is not None
    assert new_header is not None
    assert (old_header.version, new_header.version) == (1, 2)
    assert kms.decrypt(CiphertextBlob=old)["Plaintext"] == b"before"
    assert kms.decrypt(CiphertextBlob=new)["Plaintext"] == b"after"
    kms.disable_key_rotation(KeyId=meta["KeyId"])
    assert kms.get_key_rotation_status(KeyId=meta["KeyId"])["KeyRotationEnabled"] is False


# --- policies, tags -----------------------------------------------------------------------


def test_default_key_policy_delegates_to_the_account(kms, account):
    """Without Policy a key gets AWS's default policy: the account root may do kms:*."""
    meta = _key(kms)
    assert kms.list_key_policies(KeyId=meta["KeyId"])["PolicyNames"] == ["default"]
    policy = json.loads(kms.get_key_policy(KeyId=meta["KeyId"], PolicyName="default")["Policy"])
    [statement] = policy["Statement"]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{account.account_id}:root"}
    assert statement["Action"] == "kms:*"


def test_key_policy_naming_only_another_account_denies_even_the_admin(kms):
    """A key whose policy does not name this account refuses this account's administrator."""
    foreign = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"},
        "Action": "kms:*", "Resource": "*"}]})
    code, message, _ = aws_error(kms.create_key, Policy=foreign)
    assert code == "MalformedPolicyDocumentException"
    assert message == ("The new key policy will not allow you to update the key policy in "
                       "the future.")
    meta = _key(kms, Policy=foreign, BypassPolicyLockoutSafetyCheck=True)
    for call, kwargs in ((kms.encrypt, {"KeyId": meta["KeyId"], "Plaintext": b"x"}),
                         (kms.describe_key, {"KeyId": meta["KeyId"]}),
                         (kms.disable_key, {"KeyId": meta["KeyId"]})):
        code, message, _ = aws_error(call, **kwargs)
        assert code == "AccessDeniedException"
        assert meta["Arn"] in message


def test_iam_user_needs_iam_permission_when_the_key_policy_delegates(account, kms):
    """With the default key policy, access comes from the caller's IAM policies."""
    meta = _key(kms)
    nobody = _user_client(account, "nobody")
    code, message, _ = aws_error(nobody.encrypt, KeyId=meta["KeyId"], Plaintext=b"x")
    assert code == "AccessDeniedException"
    assert "kms:Encrypt" in message
    user = _user_client(account, "encrypter", {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": meta["Arn"]}]})
    blob = user.encrypt(KeyId=meta["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    assert user.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
    assert aws_error(user.disable_key, KeyId=meta["KeyId"])[0] == "AccessDeniedException"


def test_key_policy_can_grant_a_user_directly(account, kms):
    """A key policy naming a user lets it in without any IAM policy."""
    meta = _key(kms)
    user = _user_client(account, "named")
    arn = f"arn:aws:iam::{account.account_id}:user/named"
    policy = json.loads(kms.get_key_policy(KeyId=meta["KeyId"])["Policy"])
    policy["Statement"].append({"Effect": "Allow", "Principal": {"AWS": arn},
                                "Action": "kms:Encrypt", "Resource": "*"})
    kms.put_key_policy(KeyId=meta["KeyId"], PolicyName="default", Policy=json.dumps(policy))
    assert user.encrypt(KeyId=meta["KeyId"], Plaintext=b"x")["KeyId"] == meta["Arn"]


def test_tags_are_added_listed_and_removed(kms):
    """Key tags can be set at creation, added, listed and removed."""
    meta = _key(kms, Tags=[{"TagKey": "team", "TagValue": "a"}])
    kms.tag_resource(KeyId=meta["KeyId"], Tags=[{"TagKey": "env", "TagValue": "prod"},
                                                {"TagKey": "team", "TagValue": "b"}])
    tags = kms.list_resource_tags(KeyId=meta["KeyId"])["Tags"]
    assert tags == [{"TagKey": "env", "TagValue": "prod"}, {"TagKey": "team", "TagValue": "b"}]
    kms.untag_resource(KeyId=meta["KeyId"], TagKeys=["env"])
    assert kms.list_resource_tags(KeyId=meta["KeyId"])["Tags"] == [
        {"TagKey": "team", "TagValue": "b"}]
    assert aws_error(kms.tag_resource, KeyId=meta["KeyId"],
                     Tags=[{"TagKey": "aws:x", "TagValue": "1"}])[:2] == (
        "TagException", "Tags beginning with aws: are reserved")


# --- Secrets Manager on a customer managed key ---------------------------------------------


def test_secret_under_a_customer_key_follows_the_key_state(account, kms):
    """A secret under a CMK alias reads while the key is enabled, fails while disabled."""
    meta = _key(kms)
    kms.create_alias(AliasName="alias/secrets", TargetKeyId=meta["KeyId"])
    sm = account.client()
    sm.create_secret(Name="db", SecretString="s3cret", KmsKeyId="alias/secrets")
    assert sm.get_secret_value(SecretId="db")["SecretString"] == "s3cret"
    versions = sm.list_secret_version_ids(SecretId="db")["Versions"]
    assert versions[0]["KmsKeyIds"] != ["DefaultEncryptionKey"]
    kms.disable_key(KeyId=meta["KeyId"])
    assert aws_error(sm.get_secret_value, SecretId="db")[0] == "DecryptionFailure"
    kms.enable_key(KeyId=meta["KeyId"])
    assert sm.get_secret_value(SecretId="db")["SecretString"] == "s3cret"
    kms.rotate_key_on_demand(KeyId=meta["KeyId"])
    sm.put_secret_value(SecretId="db", SecretString="n3w")
    assert sm.get_secret_value(SecretId="db")["SecretString"] == "n3w"
    assert sm.get_secret_value(SecretId="db", VersionStage="AWSPREVIOUS")["SecretString"] == \
        "s3cret"


def test_blobs_travel_base64_on_the_wire(kms):
    """CiphertextBlob is opaque bytes that start with strongroom's format marker."""
    meta = _key(kms)
    blob = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    assert blob.startswith(b"SRDK\x02")
    assert base64.b64decode(base64.b64encode(blob)) == blob


def test_aws_cli_kms(account, tmp_path):
    """`aws kms` creates a key, an alias, and round-trips a value through it."""
    env = dict(os.environ, AWS_ENDPOINT_URL=account.server.endpoint,
               AWS_ACCESS_KEY_ID=account.credentials.access_key_id,
               AWS_SECRET_ACCESS_KEY=account.credentials.secret_access_key,
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    aws = str(Path(sys.executable).parent / "aws")

    def run(*args: str) -> dict:
        result = subprocess.run([aws, "kms", *args, "--output", "json"], env=env,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout) if result.stdout.strip() else {}

    key_id = run("create-key", "--description", "cli")["KeyMetadata"]["KeyId"]
    run("create-alias", "--alias-name", "alias/cli", "--target-key-id", key_id)
    (tmp_path / "plain").write_bytes(b"hi")
    blob = run("encrypt", "--key-id", "alias/cli", "--plaintext", f"fileb://{tmp_path}/plain",
               "--encryption-context", "app=cli")["CiphertextBlob"]
    (tmp_path / "blob").write_bytes(base64.b64decode(blob))
    out = run("decrypt", "--ciphertext-blob", f"fileb://{tmp_path}/blob",
              "--encryption-context", "app=cli")
    assert base64.b64decode(out["Plaintext"]) == b"hi"
    assert out["KeyId"].endswith(key_id)
