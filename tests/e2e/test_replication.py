"""Replication to other regions through boto3: replicas follow their primary, refuse
writes, use their own region's keys, and can be removed or promoted."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.e2e.helpers import aws_error

WEST, EU = "us-west-2", "eu-west-1"


@pytest.fixture
def west(account):
    return account.client(region=WEST)


def test_a_secret_created_with_replicas_is_readable_in_their_regions(sm, west):
    created = sm.create_secret(Name="app/db", SecretString="v1", Description="the db",
                               Tags=[{"Key": "team", "Value": "a"}],
                               AddReplicaRegions=[{"Region": WEST}])
    assert created["ReplicationStatus"] == [
        {"Region": WEST, "KmsKeyId": "alias/aws/secretsmanager", "Status": "InSync"}]
    replica_arn = created["ARN"].replace("us-east-1", WEST)
    read = west.get_secret_value(SecretId="app/db")
    assert (read["ARN"], read["SecretString"], read["VersionId"]) == (
        replica_arn, "v1", created["VersionId"])
    described = west.describe_secret(SecretId=replica_arn)
    assert described["PrimaryRegion"] == "us-east-1"
    assert described["Description"] == "the db"
    assert described["Tags"] == [{"Key": "team", "Value": "a"}]
    assert "ReplicationStatus" not in described
    primary = sm.describe_secret(SecretId="app/db")
    assert primary["PrimaryRegion"] == "us-east-1"
    assert [r["Status"] for r in primary["ReplicationStatus"]] == ["InSync"]


def test_replicas_follow_every_change_of_the_primary(sm, west):
    sm.create_secret(Name="s", SecretString="v1", AddReplicaRegions=[{"Region": WEST}])
    token = str(uuid.uuid4())
    sm.put_secret_value(SecretId="s", SecretString="v2", ClientRequestToken=token)
    sm.tag_resource(SecretId="s", Tags=[{"Key": "k", "Value": "v"}])
    sm.update_secret(SecretId="s", Description="changed")
    sm.put_resource_policy(SecretId="s", ResourcePolicy=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "secretsmanager:*",
            "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"},
                                           "StringEquals": {"aws:PrincipalTag/x": "y"}}}]}))
    assert west.get_secret_value(SecretId="s")["SecretString"] == "v2"
    assert west.get_secret_value(SecretId="s", VersionStage="AWSPREVIOUS")["SecretString"] == "v1"
    described = west.describe_secret(SecretId="s")
    assert described["Description"] == "changed"
    assert described["Tags"] == [{"Key": "k", "Value": "v"}]
    assert described["VersionIdsToStages"] == sm.describe_secret(SecretId="s")["VersionIdsToStages"]
    assert "aws:PrincipalTag/x" in west.get_resource_policy(SecretId="s")["ResourcePolicy"]
    previous = next(v for v, st in described["VersionIdsToStages"].items()
                    if "AWSPREVIOUS" in st)
    sm.update_secret_version_stage(SecretId="s", VersionStage="AWSCURRENT",
                                   MoveToVersionId=previous, RemoveFromVersionId=token)
    assert west.get_secret_value(SecretId="s")["SecretString"] == "v1"


def test_a_replica_refuses_writes_but_not_reads(sm, west):
    sm.create_secret(Name="ro", SecretString="v", AddReplicaRegions=[{"Region": WEST}])
    refused = ("InvalidRequestException", "Operation not permitted on a replica secret. Call "
               "must be made in primary secret's region.", 400)
    assert aws_error(west.put_secret_value, SecretId="ro", SecretString="x") == refused
    assert aws_error(west.update_secret, SecretId="ro", Description="x") == refused
    assert aws_error(west.tag_resource, SecretId="ro", Tags=[{"Key": "a", "Value": "b"}]) == \
        refused
    assert aws_error(west.delete_secret, SecretId="ro") == refused
    assert west.get_secret_value(SecretId="ro")["SecretString"] == "v"
    assert west.list_secrets()["SecretList"][0]["PrimaryRegion"] == "us-east-1"


def test_a_replica_under_a_customer_key_of_its_region(account, sm, west):
    kms_west = account.client("kms", region=WEST)
    key = kms_west.create_key()["KeyMetadata"]["Arn"]
    sm.create_secret(Name="cmk", SecretString="v1")
    result = sm.replicate_secret_to_regions(SecretId="cmk",
                                            AddReplicaRegions=[{"Region": WEST, "KmsKeyId": key}])
    assert result["ReplicationStatus"][0]["KmsKeyId"] == key
    assert result["ReplicationStatus"][0]["Status"] == "InSync"
    assert west.describe_secret(SecretId="cmk")["KmsKeyId"] == key
    kms_west.disable_key(KeyId=key)
    sm.put_secret_value(SecretId="cmk", SecretString="v2")  # the primary is unaffected
    status = sm.describe_secret(SecretId="cmk")["ReplicationStatus"][0]
    assert status["Status"] == "Failed"
    assert key in status["StatusMessage"]
    kms_west.enable_key(KeyId=key)
    sm.put_secret_value(SecretId="cmk", SecretString="v3")
    assert sm.describe_secret(SecretId="cmk")["ReplicationStatus"][0]["Status"] == "InSync"
    assert west.get_secret_value(SecretId="cmk")["SecretString"] == "v3"
    assert west.get_secret_value(SecretId="cmk", VersionStage="AWSPREVIOUS")["SecretString"] \
        == "v2"


def test_a_replica_key_can_change_in_the_replica_region(account, sm, west):
    key = account.client("kms", region=WEST).create_key()["KeyMetadata"]["Arn"]
    sm.create_secret(Name="rekey", SecretString="v", AddReplicaRegions=[{"Region": WEST}])
    west.update_secret(SecretId="rekey", KmsKeyId=key)
    assert west.describe_secret(SecretId="rekey")["KmsKeyId"] == key
    assert west.get_secret_value(SecretId="rekey")["SecretString"] == "v"
    assert sm.describe_secret(SecretId="rekey")["ReplicationStatus"][0]["KmsKeyId"] == key


def test_a_same_named_secret_in_the_target_region(sm, west):
    west.create_secret(Name="taken", SecretString="theirs")
    sm.create_secret(Name="taken", SecretString="ours")
    result = sm.replicate_secret_to_regions(SecretId="taken", AddReplicaRegions=[{"Region": WEST}])
    assert result["ReplicationStatus"][0]["Status"] == "Failed"
    assert result["ReplicationStatus"][0]["StatusMessage"] == \
        "Secret with this name already exists in this region"
    assert west.get_secret_value(SecretId="taken")["SecretString"] == "theirs"
    forced = sm.replicate_secret_to_regions(SecretId="taken", AddReplicaRegions=[{"Region": WEST}],
                                            ForceOverwriteReplicaSecret=True)
    assert forced["ReplicationStatus"][0]["Status"] == "InSync"
    assert west.get_secret_value(SecretId="taken")["SecretString"] == "ours"


def test_remove_regions_deletes_the_replicas(sm, west):
    sm.create_secret(Name="rm", SecretString="v",
                     AddReplicaRegions=[{"Region": WEST}, {"Region": EU}])
    assert aws_error(sm.delete_secret, SecretId="rm")[0] == "InvalidParameterException"
    left = sm.remove_regions_from_replication(SecretId="rm", RemoveReplicaRegions=[WEST])
    assert [r["Region"] for r in left["ReplicationStatus"]] == [EU]
    assert aws_error(west.get_secret_value, SecretId="rm")[0] == "ResourceNotFoundException"
    sm.remove_regions_from_replication(SecretId="rm", RemoveReplicaRegions=[EU])
    described = sm.describe_secret(SecretId="rm")
    assert "PrimaryRegion" not in described
    assert "ReplicationStatus" not in described
    sm.delete_secret(SecretId="rm", ForceDeleteWithoutRecovery=True)


def test_stop_replication_promotes_the_replica(sm, west):
    arn = sm.create_secret(Name="promote", SecretString="v1",
                           AddReplicaRegions=[{"Region": WEST}])["ARN"]
    replica = arn.replace("us-east-1", WEST)
    assert aws_error(sm.stop_replication_to_replica, SecretId="promote")[0] == \
        "InvalidRequestException"  # called on the primary
    assert west.stop_replication_to_replica(SecretId="promote")["ARN"] == replica
    west.put_secret_value(SecretId="promote", SecretString="independent")
    sm.put_secret_value(SecretId="promote", SecretString="v2")
    assert west.get_secret_value(SecretId="promote")["SecretString"] == "independent"
    assert "PrimaryRegion" not in west.describe_secret(SecretId="promote")
    assert "ReplicationStatus" not in sm.describe_secret(SecretId="promote")


def test_replication_refusals(sm):
    sm.create_secret(Name="bad", SecretString="v")
    for regions in ([{"Region": "ap-south-1"}], [{"Region": "us-east-1"}],
                    [{"Region": WEST}, {"Region": WEST}]):
        code, _, status = aws_error(sm.replicate_secret_to_regions, SecretId="bad",
                                    AddReplicaRegions=regions)
        assert (code, status) == ("InvalidParameterException", 400)
    assert aws_error(sm.remove_regions_from_replication, SecretId="bad",
                     RemoveReplicaRegions=[WEST])[0] == "InvalidParameterException"
    assert "ReplicationStatus" not in sm.describe_secret(SecretId="bad")
