"""STS on the wire: AssumeRole, GetSessionToken and GetCallerIdentity members in and out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from strongroom.auth.sessions import TemporaryCredentials
from strongroom.auth.sts import StsService
from strongroom.core.errors import NotImplementedOperation
from strongroom.core.types import RequestContext

Params = dict[str, Any]
Wire = dict[str, Any]


def _credentials(c: TemporaryCredentials) -> Wire:
    return {"AccessKeyId": c.access_key_id, "SecretAccessKey": c.secret_access_key,
            "SessionToken": c.session_token, "Expiration": c.expiration}


def get_caller_identity(sts: StsService, ctx: RequestContext, p: Params) -> Wire:
    user_id, account, arn = sts.get_caller_identity(ctx)
    return {"UserId": user_id, "Account": account, "Arn": arn}


def assume_role(sts: StsService, ctx: RequestContext, p: Params) -> Wire:
    result = sts.assume_role(
        ctx, role_arn=p["RoleArn"], session_name=p["RoleSessionName"],
        duration=p.get("DurationSeconds"), policy=p.get("Policy"),
        policy_arns=[a["arn"] for a in p.get("PolicyArns") or () if "arn" in a] or None,
        tags={t["Key"]: t["Value"] for t in p.get("Tags") or ()},
        transitive_tag_keys=p.get("TransitiveTagKeys"), external_id=p.get("ExternalId"),
        source_identity=p.get("SourceIdentity"),
    )
    out: Wire = {
        "Credentials": _credentials(result.credentials),
        "AssumedRoleUser": {"AssumedRoleId": result.assumed_role_id, "Arn": result.arn},
        "PackedPolicySize": result.packed_policy_size,
    }
    if result.source_identity:
        out["SourceIdentity"] = result.source_identity
    return out


def get_session_token(sts: StsService, ctx: RequestContext, p: Params) -> Wire:
    if p.get("SerialNumber") or p.get("TokenCode"):
        raise NotImplementedOperation("GetSessionToken with MFA")
    return {"Credentials": _credentials(
        sts.get_session_token(ctx, duration=p.get("DurationSeconds")))}


OPERATIONS: dict[str, Callable[[StsService, RequestContext, Params], Wire]] = {
    "GetCallerIdentity": get_caller_identity,
    "AssumeRole": assume_role,
    "GetSessionToken": get_session_token,
}
