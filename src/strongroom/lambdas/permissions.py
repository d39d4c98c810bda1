"""Function resource policies and the questions asked of them without a signed caller.

AddPermission statements are written the way Lambda writes them (GetPolicy shows
Lambda's shape: Id "default", `Principal` {"Service": ...} or {"AWS": ...}, conditions on
`AWS:SourceArn` / `AWS:SourceAccount`). A service principal (secretsmanager.amazonaws.com)
and Lambda itself (assuming the execution role) have no identity policies: only the
function's resource policy, or the role's trust policy, can let them in. The policy
engine decides; this module only builds documents and facts.
"""

from __future__ import annotations

import json
import re
from typing import Any

from strongroom.lambdas.errors import LambdaError
from strongroom.lambdas.model import LAMBDA_PRINCIPAL
from strongroom.policy.document import PolicyDocument, parse_policy
from strongroom.policy.errors import MalformedPolicy
from strongroom.policy.evaluate import CallerFacts, PolicySet, RequestFacts, evaluate

POLICY_LIMIT = 20 * 1024  # Lambda's function resource policy quota (20 KB)
_ACCOUNT = re.compile(r"\d{12}")


def _principal(principal: str) -> Any:
    if principal == "*":
        return "*"
    if _ACCOUNT.fullmatch(principal):
        return {"AWS": f"arn:aws:iam::{principal}:root"}
    if principal.startswith("arn:"):
        return {"AWS": principal}
    return {"Service": principal}


def statement(*, sid: str, function_arn: str, action: str, principal: str,
              source_arn: str | None, source_account: str | None,
              principal_org_id: str | None) -> dict[str, Any]:
    """One AddPermission statement, in the shape GetPolicy shows."""
    condition: dict[str, dict[str, str]] = {}
    if source_account is not None:
        condition.setdefault("StringEquals", {})["AWS:SourceAccount"] = source_account
    if principal_org_id is not None:
        condition.setdefault("StringEquals", {})["aws:PrincipalOrgID"] = principal_org_id
    if source_arn is not None:
        condition["ArnLike"] = {"AWS:SourceArn": source_arn}
    body: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Principal": _principal(principal),
                            "Action": action, "Resource": function_arn}
    if condition:
        body["Condition"] = condition
    return body


def add_statement(policy: str | None, new: dict[str, Any]) -> str:
    """The policy text with `new` appended; ResourceConflict on a duplicate Sid."""
    document: dict[str, Any] = (json.loads(policy) if policy else
                                {"Version": "2012-10-17", "Id": "default", "Statement": []})
    if any(s.get("Sid") == new["Sid"] for s in document["Statement"]):
        raise LambdaError("duplicate_statement", sid=str(new["Sid"]))
    document["Statement"].append(new)
    text = json.dumps(document, separators=(",", ":"))
    if len(text) > POLICY_LIMIT:
        raise LambdaError("policy_too_long", size=str(len(text)), limit=str(POLICY_LIMIT))
    try:
        parse_policy(text, kind="resource")
    except MalformedPolicy as exc:
        raise LambdaError("bad_permission", detail=exc.detail) from exc
    return text


def remove_statement(policy: str | None, sid: str) -> str | None:
    """The policy text without statement `sid` (None when nothing is left)."""
    document = json.loads(policy) if policy else None
    if document is None or not any(s.get("Sid") == sid for s in document["Statement"]):
        raise LambdaError("statement_not_found", sid=sid)
    document["Statement"] = [s for s in document["Statement"] if s.get("Sid") != sid]
    if not document["Statement"]:
        return None
    return json.dumps(document, separators=(",", ":"))


def _parsed(text: str | None, kind: str) -> PolicyDocument | None:
    if not text:
        return None
    try:
        return parse_policy(text, kind="trust" if kind == "trust" else "resource")
    except MalformedPolicy:
        return None


def service_may_invoke(policy: str | None, function_arn: str, *, service_principal: str,
                       source_arn: str, source_account: str) -> bool:
    """Whether the function's resource policy lets a service principal invoke it for
    `source_arn` in `source_account` (aws:SourceArn / aws:SourceAccount)."""
    document = _parsed(policy, "resource")
    if document is None:
        return False
    facts = RequestFacts(
        action="lambda:InvokeFunction", resource=function_arn,
        principal=CallerFacts(arn=service_principal, account=""),
        context={"aws:SourceArn": source_arn, "aws:SourceAccount": source_account},
    )
    return evaluate(facts, PolicySet(resource=document)).allowed


def lambda_may_assume(trust_policy: str, role_arn: str, *, function_arn: str,
                      account_id: str) -> bool:
    """Whether a role's trust policy lets Lambda (the service) assume it for a function."""
    document = _parsed(trust_policy, "trust")
    if document is None:
        return False
    facts = RequestFacts(
        action="sts:AssumeRole", resource=role_arn,
        principal=CallerFacts(arn=LAMBDA_PRINCIPAL, account=""),
        context={"aws:SourceArn": function_arn, "aws:SourceAccount": account_id},
    )
    return evaluate(facts, PolicySet(resource=document, resource_policy_required=True)).allowed
