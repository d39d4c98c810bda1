"""Helpers shared by the policy example tests: parse a policy, make a caller, decide."""

from __future__ import annotations

import json
from typing import Any

from strongroom.policy.document import PolicyDocument, PolicyKind, parse_policy
from strongroom.policy.evaluate import CallerFacts, Decision, PolicySet, RequestFacts, evaluate

REGION_ACCOUNT = "us-east-1:123456789012"
DB_SECRET = f"arn:aws:secretsmanager:{REGION_ACCOUNT}:secret:prod/db-a1b2c3"
GET = "secretsmanager:GetSecretValue"


def doc(text: str | dict[str, Any], kind: PolicyKind = "identity") -> PolicyDocument:
    return parse_policy(text if isinstance(text, str) else json.dumps(text), kind=kind)


def user(name: str, account: str = "123456789012", **tags: str) -> CallerFacts:
    return CallerFacts(
        arn=f"arn:aws:iam::{account}:user/{name}",
        account=account,
        user_id=f"AIDA{name.upper():0<16}",
        tags=tags,
    )


def role_session(
    role: str, session: str, account: str = "123456789012", **tags: str
) -> CallerFacts:
    return CallerFacts(
        arn=f"arn:aws:sts::{account}:assumed-role/{role}/{session}",
        account=account,
        user_id=f"AROA{role.upper().replace('-', ''):0<16}:{session}",
        role_arn=f"arn:aws:iam::{account}:role/{role}",
        session_name=session,
        tags=tags,
    )


def decide(
    caller: CallerFacts, action: str, resource: str, policies: PolicySet, **context: Any
) -> Decision:
    return evaluate(RequestFacts(action, resource, caller, context), policies)
