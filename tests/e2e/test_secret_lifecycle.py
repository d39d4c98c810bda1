"""A secret's life through boto3: create, read, change, label, delete, restore."""

from __future__ import annotations

import re
import uuid

from tests.e2e.helpers import aws_error

ARN = re.compile(r"^arn:aws:secretsmanager:us-east-1:\d{12}:secret:(?P<name>.+)-[A-Za-z0-9]{6}$")


def test_create_and_read_a_string_secret(sm, account):
    """A secret created with a string value reads back as AWSCURRENT with an AWS-shaped ARN."""
    created = sm.create_secret(Name="prod/db", SecretString='{"user":"app","password":"pw"}')
    match = ARN.match(created["ARN"])
    assert match
    assert match["name"] == "prod/db"
    assert account.account_id in created["ARN"]
    assert created["Name"] == "prod/db"
    assert len(created["VersionId"]) == 36
    got = sm.get_secret_value(SecretId="prod/db")
    assert got["SecretString"] == '{"user":"app","password":"pw"}'
    assert got["VersionStages"] == ["AWSCURRENT"]
    assert got["VersionId"] == created["VersionId"]
    assert got["ARN"] == created["ARN"]
    assert "SecretBinary" not in got
    assert got["CreatedDate"].year >= 2024


def test_binary_secret_round_trips(sm):
    """SecretBinary goes in and comes out byte for byte."""
    blob = bytes(range(256)) * 4
    sm.create_secret(Name="bin", SecretBinary=blob)
    got = sm.get_secret_value(SecretId="bin")
    assert got["SecretBinary"] == blob
    assert "SecretString" not in got


def test_lookup_by_name_full_arn_and_partial_arn(sm):
    """A secret is found by its name, its full ARN and its ARN without the suffix."""
    arn = sm.create_secret(Name="app/key", SecretString="v")["ARN"]
    partial = arn[:-7]
    for secret_id in ("app/key", arn, partial):
        assert sm.get_secret_value(SecretId=secret_id)["SecretString"] == "v"


def test_partial_arn_of_name_ending_like_a_suffix_is_not_found(sm):
    """As AWS: a partial ARN whose name ends in -xxxxxx is taken as a full ARN and not found."""
    arn = sm.create_secret(Name="Invalid/Name-a1b2c3", SecretString="v")["ARN"]
    code, msg, status = aws_error(sm.get_secret_value, SecretId=arn[:-7])
    assert (code, status) == ("ResourceNotFoundException", 400)
    assert msg == "Secrets Manager can't find the specified secret."
    assert sm.get_secret_value(SecretId=arn)["SecretString"] == "v"


def test_missing_secret_is_resource_not_found_with_http_400(sm):
    code, msg, status = aws_error(sm.get_secret_value, SecretId="nope")
    assert (code, msg, status) == (
        "ResourceNotFoundException", "Secrets Manager can't find the specified secret.", 400)


def test_creating_an_existing_name_fails(sm):
    sm.create_secret(Name="dup", SecretString="a")
    code, msg, _ = aws_error(sm.create_secret, Name="dup", SecretString="b")
    assert code == "ResourceExistsException"
    assert msg == "The operation failed because the secret dup already exists."


def test_create_retried_with_same_token_and_value_succeeds(sm):
    """An SDK retry of CreateSecret (same token, same value) returns the same secret."""
    token = str(uuid.uuid4())
    first = sm.create_secret(Name="retry", SecretString="v", ClientRequestToken=token)
    again = sm.create_secret(Name="retry", SecretString="v", ClientRequestToken=token)
    assert again["ARN"] == first["ARN"]
    assert again["VersionId"] == token


def test_invalid_name_is_validation_exception(sm):
    code, msg, status = aws_error(sm.create_secret, Name="bad name!", SecretString="v")
    assert (code, status) == ("ValidationException", 400)
    assert msg == ("Invalid name. Must be a valid name containing alphanumeric characters, "
                   "or any of the following: -/_+=.@!")


def test_secret_without_value_has_no_current_version(sm):
    created = sm.create_secret(Name="empty")
    assert "VersionId" not in created
    described = sm.describe_secret(SecretId="empty")
    assert "VersionIdsToStages" not in described
    code, msg, _ = aws_error(sm.get_secret_value, SecretId="empty")
    assert code == "ResourceNotFoundException"
    assert msg == ("Secrets Manager can't find the specified secret value for staging label: "
                   "AWSCURRENT")
    put = sm.put_secret_value(SecretId="empty", SecretString="first")
    assert put["VersionStages"] == ["AWSCURRENT"]


def test_put_secret_value_moves_current_and_previous(sm):
    """Each new value becomes AWSCURRENT; the old one AWSPREVIOUS; older ones deprecated."""
    v1 = sm.create_secret(Name="s", SecretString="one")["VersionId"]
    v2 = sm.put_secret_value(SecretId="s", SecretString="two")["VersionId"]
    stages = sm.describe_secret(SecretId="s")["VersionIdsToStages"]
    assert stages == {v2: ["AWSCURRENT"], v1: ["AWSPREVIOUS"]}
    v3 = sm.put_secret_value(SecretId="s", SecretString="three")["VersionId"]
    stages = sm.describe_secret(SecretId="s")["VersionIdsToStages"]
    assert stages == {v3: ["AWSCURRENT"], v2: ["AWSPREVIOUS"]}
    assert sm.get_secret_value(SecretId="s", VersionStage="AWSPREVIOUS")["SecretString"] == "two"
    assert sm.get_secret_value(SecretId="s", VersionId=v1)["SecretString"] == "one"
    listed = sm.list_secret_version_ids(SecretId="s")["Versions"]
    assert {v["VersionId"] for v in listed} == {v2, v3}
    with_old = sm.list_secret_version_ids(SecretId="s", IncludeDeprecated=True)["Versions"]
    old = next(v for v in with_old if v["VersionId"] == v1)
    assert "VersionStages" not in old
    assert all(v["KmsKeyIds"] == ["DefaultEncryptionKey"] for v in with_old)


def test_put_with_custom_stages_leaves_current_alone(sm):
    """Recorded AWS behaviour: custom labels move; AWSCURRENT stays where it was."""
    v1 = sm.create_secret(Name="c", SecretString="one")["VersionId"]
    v2 = sm.put_secret_value(SecretId="c", SecretString="two",
                             VersionStages=["one", "two", "three"])["VersionId"]
    v3 = sm.put_secret_value(SecretId="c", SecretString="three",
                             VersionStages=["one", "two", "four"])["VersionId"]
    stages = sm.describe_secret(SecretId="c")["VersionIdsToStages"]
    assert stages == {v1: ["AWSCURRENT"], v2: ["three"], v3: ["four", "one", "two"]}


def test_idempotent_put_and_token_conflict(sm):
    sm.create_secret(Name="t", SecretString="a")
    token = str(uuid.uuid4())
    first = sm.put_secret_value(SecretId="t", SecretString="b", ClientRequestToken=token)
    again = sm.put_secret_value(SecretId="t", SecretString="b", ClientRequestToken=token)
    assert again["VersionId"] == first["VersionId"] == token
    assert len(sm.list_secret_version_ids(SecretId="t")["Versions"]) == 2
    code, msg, _ = aws_error(sm.put_secret_value, SecretId="t", SecretString="c",
                             ClientRequestToken=token)
    assert code == "ResourceExistsException"
    assert token in msg


def test_get_with_version_and_mismatched_stage(sm):
    v1 = sm.create_secret(Name="m", SecretString="one")["VersionId"]
    sm.put_secret_value(SecretId="m", SecretString="two")
    code, msg, _ = aws_error(sm.get_secret_value, SecretId="m", VersionId=v1,
                             VersionStage="AWSCURRENT")
    assert code == "InvalidRequestException"
    assert msg == "You provided a VersionStage that is not associated to the provided VersionId."
    code, msg, _ = aws_error(sm.get_secret_value, SecretId="m", VersionId="x" * 32)
    assert msg == f"Secrets Manager can't find the specified secret value for VersionId: {'x'*32}"


def test_update_secret_description_and_value(sm):
    sm.create_secret(Name="u", SecretString="one", Description="first")
    result = sm.update_secret(SecretId="u", Description="second")
    assert "VersionId" not in result
    assert sm.describe_secret(SecretId="u")["Description"] == "second"
    result = sm.update_secret(SecretId="u", SecretString="two")
    assert sm.get_secret_value(SecretId="u")["VersionId"] == result["VersionId"]
    assert sm.get_secret_value(SecretId="u")["SecretString"] == "two"


def test_update_secret_version_stage_moves_labels(sm):
    v1 = sm.create_secret(Name="l", SecretString="one")["VersionId"]
    v2 = sm.put_secret_value(SecretId="l", SecretString="two")["VersionId"]
    code, msg, _ = aws_error(sm.update_secret_version_stage, SecretId="l",
                             VersionStage="AWSCURRENT", MoveToVersionId=v1)
    assert code == "InvalidParameterException"
    assert v2 in msg
    sm.update_secret_version_stage(SecretId="l", VersionStage="AWSCURRENT",
                                   MoveToVersionId=v1, RemoveFromVersionId=v2)
    stages = sm.describe_secret(SecretId="l")["VersionIdsToStages"]
    assert stages == {v1: ["AWSCURRENT"], v2: ["AWSPREVIOUS"]}
    sm.update_secret_version_stage(SecretId="l", VersionStage="blue", MoveToVersionId=v2)
    sm.update_secret_version_stage(SecretId="l", VersionStage="blue", RemoveFromVersionId=v2)
    assert sm.describe_secret(SecretId="l")["VersionIdsToStages"][v2] == ["AWSPREVIOUS"]


def test_delete_with_recovery_window_then_restore(sm):
    sm.create_secret(Name="d", SecretString="v")
    deleted = sm.delete_secret(SecretId="d", RecoveryWindowInDays=7)
    assert (deleted["DeletionDate"] - sm.describe_secret(SecretId="d")["DeletedDate"]).days == 7
    code, msg, _ = aws_error(sm.get_secret_value, SecretId="d")
    assert code == "InvalidRequestException"
    assert msg == ("You can't perform this operation on the secret because it was marked for "
                   "deletion.")
    code, msg, _ = aws_error(sm.create_secret, Name="d", SecretString="v")
    assert code == "InvalidRequestException"
    assert "already scheduled for deletion" in msg
    assert sm.list_secrets()["SecretList"] == []
    assert len(sm.list_secrets(IncludePlannedDeletion=True)["SecretList"]) == 1
    code, _, _ = aws_error(sm.delete_secret, SecretId="d")
    assert code == "InvalidRequestException"
    sm.restore_secret(SecretId="d")
    assert sm.get_secret_value(SecretId="d")["SecretString"] == "v"
    assert "DeletedDate" not in sm.describe_secret(SecretId="d")


def test_delete_parameter_errors(sm):
    sm.create_secret(Name="p", SecretString="v")
    code, _, _ = aws_error(sm.delete_secret, SecretId="p", RecoveryWindowInDays=6)
    assert code == "InvalidParameterException"
    code, _, _ = aws_error(sm.delete_secret, SecretId="p", RecoveryWindowInDays=7,
                           ForceDeleteWithoutRecovery=True)
    assert code == "InvalidParameterException"


def test_force_delete_frees_the_name_at_once(sm):
    old = sm.create_secret(Name="f", SecretString="v")["ARN"]
    sm.delete_secret(SecretId="f", ForceDeleteWithoutRecovery=True)
    code, _, _ = aws_error(sm.describe_secret, SecretId="f")
    assert code == "ResourceNotFoundException"
    new = sm.create_secret(Name="f", SecretString="w")["ARN"]
    assert new != old
    # forcing the deletion of a missing secret is not an error
    sm.delete_secret(SecretId="never-was", ForceDeleteWithoutRecovery=True)


def test_tags(sm):
    sm.create_secret(Name="tg", SecretString="v", Tags=[{"Key": "app", "Value": "a"}])
    sm.tag_resource(SecretId="tg", Tags=[{"Key": "env", "Value": "prod"},
                                         {"Key": "app", "Value": "b"}])
    tags = sm.describe_secret(SecretId="tg")["Tags"]
    assert tags == [{"Key": "app", "Value": "b"}, {"Key": "env", "Value": "prod"}]
    sm.untag_resource(SecretId="tg", TagKeys=["app", "missing"])
    assert sm.describe_secret(SecretId="tg")["Tags"] == [{"Key": "env", "Value": "prod"}]
    sm.untag_resource(SecretId="tg", TagKeys=["env"])
    assert sm.describe_secret(SecretId="tg")["Tags"] == []


def test_tagging_a_deleted_secret_fails(sm):
    sm.create_secret(Name="td", SecretString="v")
    sm.delete_secret(SecretId="td")
    code, msg, _ = aws_error(sm.tag_resource, SecretId="td", Tags=[{"Key": "k", "Value": "v"}])
    assert code == "InvalidRequestException"
    assert "marked for deletion" in msg


def test_describe_reports_dates_and_omits_managed_key(sm):
    sm.create_secret(Name="dd", SecretString="v")
    described = sm.describe_secret(SecretId="dd")
    assert "KmsKeyId" not in described
    assert "LastAccessedDate" not in described
    assert described["CreatedDate"] <= described["LastChangedDate"]
    sm.get_secret_value(SecretId="dd")
    accessed = sm.describe_secret(SecretId="dd")["LastAccessedDate"]
    assert (accessed.hour, accessed.minute, accessed.second) == (0, 0, 0)


def test_secrets_are_per_region(account):
    east, west = account.client(region="us-east-1"), account.client(region="us-west-2")
    east.create_secret(Name="r", SecretString="east")
    code, _, _ = aws_error(west.get_secret_value, SecretId="r")
    assert code == "ResourceNotFoundException"
    west.create_secret(Name="r", SecretString="west")
    assert east.get_secret_value(SecretId="r")["SecretString"] == "east"
    assert ":us-west-2:" in west.describe_secret(SecretId="r")["ARN"]


def test_accounts_do_not_see_each_other(live_server, sm):
    sm.create_secret(Name="mine", SecretString="v")
    arn = sm.describe_secret(SecretId="mine")["ARN"]
    _, other_credentials = live_server.new_account()
    other = live_server.client(other_credentials)
    code, _, _ = aws_error(other.get_secret_value, SecretId="mine")
    assert code == "ResourceNotFoundException"
    code, _, _ = aws_error(other.get_secret_value, SecretId=arn)
    assert code == "AccessDeniedException"
    assert other.list_secrets()["SecretList"] == []
