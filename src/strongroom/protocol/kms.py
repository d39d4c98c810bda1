"""KMS on the wire (JSON 1.1, `TrentService.<Operation>`): AWS request members in,
AWS response members out.

One small function per operation; members without a value are omitted, as AWS
omits them. Responses name keys by ARN where AWS does (Encrypt, Decrypt, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from strongroom.core.types import RequestContext, Tag
from strongroom.kms.model import POLICY_NAME, SYMMETRIC_DEFAULT, AliasEntry, KeyMetadata
from strongroom.kms.service import KmsService

Params = dict[str, Any]
Wire = dict[str, Any]


def _compact(**members: Any) -> Wire:
    return {k: v for k, v in members.items() if v is not None}


def _tags(items: list[Mapping[str, str]] | None) -> list[Tag]:
    return [Tag(t.get("TagKey", ""), t.get("TagValue", "")) for t in items or ()]


def _metadata(m: KeyMetadata) -> Wire:
    return _compact(
        AWSAccountId=m.account_id, KeyId=m.key_id, Arn=m.arn, CreationDate=m.created,
        Enabled=m.enabled, Description=m.description, KeyUsage=m.key_usage,
        KeyState=m.state.value, DeletionDate=m.deletion_date, Origin=m.origin,
        KeyManager="AWS" if m.managed else "CUSTOMER", CustomerMasterKeySpec=m.key_spec,
        KeySpec=m.key_spec, EncryptionAlgorithms=[SYMMETRIC_DEFAULT], MultiRegion=False,
    )


def _alias(a: AliasEntry) -> Wire:
    return _compact(AliasName=a.name, AliasArn=a.arn, TargetKeyId=a.target_key_id,
                    CreationDate=a.created, LastUpdatedDate=a.last_updated)


def _page(items: list[Wire], marker: str | None, member: str) -> Wire:
    return _compact(**{member: items}, NextMarker=marker, Truncated=marker is not None)


# --- keys -----------------------------------------------------------------------------


def create_key(api: KmsService, ctx: RequestContext, p: Params) -> Wire:
    return {"KeyMetadata": _metadata(api.create_key(
        ctx, description=p.get("Description"), key_usage=p.get("KeyUsage"),
        key_spec=p.get("KeySpec") or p.get("CustomerMasterKeySpec"), origin=p.get("Origin"),
        policy=p.get("Policy"), tags=_tags(p.get("Tags")),
        bypass_lockout=bool(p.get("BypassPolicyLockoutSafetyCheck")),
    ))}


def describe_key(api: KmsService, ctx: RequestContext, p: Params) -> Wire:
    return {"KeyMetadata": _metadata(api.describe_key(ctx, p["KeyId"]))}


def list_keys(api: KmsService, ctx: RequestContext, p: Params) -> Wire:
    page = api.list_keys(ctx, limit=p.get("Limit"), marker=p.get("Marker"))
    return _page([{"KeyId": k.key_id, "KeyArn": k.arn} for k in page.keys],
                 page.next_marker, "Keys")


def enable_key(api: KmsService, ctx: RequestContext, p: Params) -> Wire:
    api.enable_key(ctx, p["KeyId"])
    return {}


def disable_key(api: KmsService, ctx: RequestContext, p: Params) -> Wire:
    api.disable_key(ctx, p["KeyId"])
    return {}


def schedule_key_deletion(api: KmsService, ctx: RequestContext, p: Params) -> Wire:
    window = p.get("PendingWindowInDays")
    m = api.schedule_key_deletion(ctx, p["KeyId"], window)
    return _compact(KeyId=m.arn, DeletionDate=m.deletion_date, KeyState=m.state.value,
                    PendingWindowInDays=30 if window is None else window)


def cancel_key_deletion(api: KmsService, ctx: RequestContext, p: Params) -> Wire:
    return {"KeyId": api.cancel_key_deletion(ctx, p["KeyId"])}


def enable_key_rotation(api: KmsService, ctx: RequestContext, p: Params) -> Wire:
    api.enable_key_rotation(ctx, p["KeyId"], p.get("RotationPeriodInDays"))
    return {}


def disable_key_rotation(api: KmsService, ctx: RequestContext, p: Params) -> Wire:
    api.disable_key_rotation(ctx, p["KeyId"])
    return {}


def get_key_rotation_status(api: KmsService, ctx: RequestContext, p: Params) -> Wire:
    s = api.get_key_rotation_status(ctx, p["KeyId"])
    return _compact(KeyRotationEnabled=s.enabled, KeyId=s.key_arn,
                    RotationPeriodInDays=s.period_days, NextRotationDate=s.next_rotation)


def rotate_key_on_demand(api: KmsService, ctx: RequestContext, p: Params) -> Wire:
    return {"KeyId": api.rotate_key_on_demand(ctx, p["KeyId"])}


# --- policy and tags ------------------------------------------------------------------


def get_key_policy(api: KmsService, ctx: RequestContext, p: Params) -> Wire:
    policy = api.get_key_policy(ctx, p["KeyId"], p.get("PolicyName"))
    return {"Policy": policy, "PolicyName": POLICY_NAME}


def put_key_policy(api: KmsService, ctx: RequestContext, p: Params) -> Wire:
    api.put_key_policy(ctx, p["KeyId"], p["Policy"], policy_name=p.get("PolicyName"),
                       bypass_lockout=bool(p.get("BypassPolicyLockoutSafetyCheck")))
    return {}


def list_key_policies(api: KmsService, ctx: RequestContext, p: Params) -> Wire:
    return {"PolicyNames": api.list_key_policies(ctx, p["KeyId"]), "Truncated": False}


def tag_resource(api: KmsService, ctx: RequestContext, p: Params) -> Wire:
    api.tag_resource(ctx, p["KeyId"], _tags(p.get("Tags")))
    return {}


def untag_resource(api: KmsService, ctx: RequestContext, p: Params) -> Wire:
    api.untag_resource(ctx, p["KeyId"], p.get("TagKeys") or [])
    return {}


def list_resource_tags(api: KmsService, ctx: RequestContext, p: Params) -> Wire:
    page = api.list_resource_tags(ctx, p["KeyId"], limit=p.get("Limit"),
                                  marker=p.get("Marker"))
    return _page([{"TagKey": t.key, "TagValue": t.value} for t in page.tags],
                 page.next_marker, "Tags")


# --- aliases --------------------------------------------------------------------------


def create_alias(api: KmsService, ctx: RequestContext, p: Params) -> Wire:
    api.create_alias(ctx, p["AliasName"], p["TargetKeyId"])
    return {}


def update_alias(api: KmsService, ctx: RequestContext, p: Params) -> Wire:
    api.update_alias(ctx, p["AliasName"], p["TargetKeyId"])
    return {}


def delete_alias(api: KmsService, ctx: RequestContext, p: Params) -> Wire:
    api.delete_alias(ctx, p["AliasName"])
    return {}


def list_aliases(api: KmsService, ctx: RequestContext, p: Params) -> Wire:
    page = api.list_aliases(ctx, key_ref=p.get("KeyId"), limit=p.get("Limit"),
                            marker=p.get("Marker"))
    return _page([_alias(a) for a in page.aliases], page.next_marker, "Aliases")


# --- cryptography ---------------------------------------------------------------------


def encrypt(api: KmsService, ctx: RequestContext, p: Params) -> Wire:
    arn, blob = api.encrypt(ctx, p["KeyId"], p["Plaintext"], p.get("EncryptionContext"),
                            p.get("EncryptionAlgorithm"))
    return {"CiphertextBlob": blob, "KeyId": arn, "EncryptionAlgorithm": SYMMETRIC_DEFAULT}


def decrypt(api: KmsService, ctx: RequestContext, p: Params) -> Wire:
    result = api.decrypt(ctx, p.get("CiphertextBlob") or b"", p.get("EncryptionContext"),
                         p.get("KeyId"), p.get("EncryptionAlgorithm"))
    return {"KeyId": result.key_arn, "Plaintext": result.plaintext,
            "EncryptionAlgorithm": SYMMETRIC_DEFAULT}


def re_encrypt(api: KmsService, ctx: RequestContext, p: Params) -> Wire:
    source, target, blob = api.re_encrypt(
        ctx, p.get("CiphertextBlob") or b"", p["DestinationKeyId"],
        source_context=p.get("SourceEncryptionContext"), source_key=p.get("SourceKeyId"),
        destination_context=p.get("DestinationEncryptionContext"),
        source_algorithm=p.get("SourceEncryptionAlgorithm"),
        destination_algorithm=p.get("DestinationEncryptionAlgorithm"),
    )
    return {"CiphertextBlob": blob, "SourceKeyId": source, "KeyId": target,
            "SourceEncryptionAlgorithm": SYMMETRIC_DEFAULT,
            "DestinationEncryptionAlgorithm": SYMMETRIC_DEFAULT}


def _data_key(api: KmsService, ctx: RequestContext, p: Params, plaintext: bool) -> Wire:
    result = api.generate_data_key(
        ctx, p["KeyId"], context=p.get("EncryptionContext"), key_spec=p.get("KeySpec"),
        number_of_bytes=p.get("NumberOfBytes"), with_plaintext=plaintext)
    return _compact(CiphertextBlob=result.blob, Plaintext=result.plaintext,
                    KeyId=result.key_arn)


def generate_data_key(api: KmsService, ctx: RequestContext, p: Params) -> Wire:
    return _data_key(api, ctx, p, True)


def generate_data_key_without_plaintext(api: KmsService, ctx: RequestContext,
                                        p: Params) -> Wire:
    return _data_key(api, ctx, p, False)


def generate_random(api: KmsService, ctx: RequestContext, p: Params) -> Wire:
    return {"Plaintext": api.generate_random(ctx, p.get("NumberOfBytes"))}


OPERATIONS: dict[str, Callable[[KmsService, RequestContext, Params], Wire]] = {
    "CreateKey": create_key,
    "DescribeKey": describe_key,
    "ListKeys": list_keys,
    "EnableKey": enable_key,
    "DisableKey": disable_key,
    "ScheduleKeyDeletion": schedule_key_deletion,
    "CancelKeyDeletion": cancel_key_deletion,
    "EnableKeyRotation": enable_key_rotation,
    "DisableKeyRotation": disable_key_rotation,
    "GetKeyRotationStatus": get_key_rotation_status,
    "RotateKeyOnDemand": rotate_key_on_demand,
    "GetKeyPolicy": get_key_policy,
    "PutKeyPolicy": put_key_policy,
    "ListKeyPolicies": list_key_policies,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListResourceTags": list_resource_tags,
    "CreateAlias": create_alias,
    "UpdateAlias": update_alias,
    "DeleteAlias": delete_alias,
    "ListAliases": list_aliases,
    "Encrypt": encrypt,
    "Decrypt": decrypt,
    "ReEncrypt": re_encrypt,
    "GenerateDataKey": generate_data_key,
    "GenerateDataKeyWithoutPlaintext": generate_data_key_without_plaintext,
    "GenerateRandom": generate_random,
}
