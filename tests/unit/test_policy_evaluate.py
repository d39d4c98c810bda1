"""Policy evaluation: identity, resource, boundary and session policies, in one account
and across two, and the reasons AccessDenied messages give."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom.policy.document import Effect, PolicyDocument, PolicyKind, Statement, parse_policy
from strongroom.policy.evaluate import (
    ALLOW,
    Allow,
    CallerFacts,
    Decision,
    ExplicitDeny,
    ImplicitDeny,
    PolicySet,
    RequestFacts,
    evaluate,
    principal_context,
    statement_applies,
)

A = "111122223333"
B = "444455556666"
GET = "secretsmanager:GetSecretValue"
SECRET = f"arn:aws:secretsmanager:us-east-1:{A}:secret:prod/db-AbCdEf"
ROLE = f"arn:aws:iam::{A}:role/app"
SESSION = f"arn:aws:sts::{A}:assumed-role/app/s1"
USER = f"arn:aws:iam::{A}:user/alice"

alice = CallerFacts(arn=USER, account=A, user_id="AIDAALICE0000000000", tags={"team": "red"})
bob = CallerFacts(arn=f"arn:aws:iam::{A}:user/bob", account=A, user_id="AIDABOB000000000000")
session = CallerFacts(
    arn=SESSION, account=A, user_id="AROAAPP00000000000000:s1", role_arn=ROLE, session_name="s1"
)
root = CallerFacts(arn=f"arn:aws:iam::{A}:root", account=A)
federated = CallerFacts(
    arn=f"arn:aws:sts::{A}:federated-user/alice", account=A, user_id=f"{A}:alice"
)
service = CallerFacts(arn="secretsmanager.amazonaws.com", account="")
anonymous = CallerFacts(arn="", account="")
foreign = CallerFacts(
    arn=f"arn:aws:sts::{B}:assumed-role/reader/s2",
    account=B,
    user_id="AROAREADER0000000000:s2",
    role_arn=f"arn:aws:iam::{B}:role/reader",
)


def policy(
    *statements: dict[str, Any], kind: PolicyKind = "identity", version: str | None = "2012-10-17"
) -> PolicyDocument:
    body: dict[str, Any] = {"Statement": list(statements)}
    if version:
        body["Version"] = version
    return parse_policy(json.dumps(body), kind=kind)


def allow(
    action: str | list[str] = GET, resource: str | list[str] = "*", **extra: Any
) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(
    action: str | list[str] = GET, resource: str | list[str] = "*", **extra: Any
) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def grant(principal: Any, **extra: Any) -> PolicyDocument:
    """A secret's resource policy allowing GetSecretValue to `principal`."""
    return policy(allow(Principal=principal, **extra), kind="resource")


def decide(
    caller: CallerFacts,
    policies: PolicySet,
    *,
    action: str = GET,
    resource: str = SECRET,
    **ctx: Any,
) -> Decision:
    return evaluate(RequestFacts(action, resource, caller, ctx), policies)


ID_ALLOW = policy(allow())
ID_OTHER = policy(allow("secretsmanager:ListSecrets"))


# --- decisions and their phrases -----------------------------------------------------------------


def test_decisions_say_whether_they_allow() -> None:
    assert ALLOW.allowed
    assert Allow().because(GET) == ""
    assert not ExplicitDeny("session policy").allowed
    assert not ImplicitDeny("identity-based policy").allowed


@pytest.mark.parametrize(
    ("decision", "phrase"),
    [
        (
            ImplicitDeny("identity-based policy"),
            f"because no identity-based policy allows the {GET} action",
        ),
        (
            ImplicitDeny("resource-based policy"),
            f"because no resource-based policy allows the {GET} action",
        ),
        (
            ImplicitDeny("permissions boundary"),
            f"because no permissions boundary allows the {GET} action",
        ),
        (ImplicitDeny("session policy"), f"because no session policy allows the {GET} action"),
        (
            ExplicitDeny("identity-based policy"),
            "with an explicit deny in an identity-based policy",
        ),
        (ExplicitDeny("resource-based policy"), "with an explicit deny in a resource-based policy"),
        (ExplicitDeny("permissions boundary"), "with an explicit deny in a permissions boundary"),
        (ExplicitDeny("session policy"), "with an explicit deny in a session policy"),
    ],
)
def test_reasons_use_the_access_denied_wording(decision: Decision, phrase: str) -> None:
    assert decision.because(GET) == phrase


# --- identity-based policies ---------------------------------------------------------------------


def test_nothing_allows_by_default() -> None:
    assert decide(alice, PolicySet()) == ImplicitDeny("identity-based policy")


def test_an_identity_policy_allows() -> None:
    assert decide(alice, PolicySet(identity=[ID_OTHER, ID_ALLOW])) == ALLOW


def test_an_identity_deny_wins_and_names_its_statement() -> None:
    denying = policy({**deny(), "Sid": "NoProd"})
    assert decide(alice, PolicySet(identity=[ID_ALLOW, denying])) == ExplicitDeny(
        "identity-based policy", "NoProd"
    )


def test_the_first_policy_type_with_a_deny_is_the_one_named() -> None:
    policies = PolicySet(
        identity=[policy(deny())],
        resource=policy(deny(Principal="*"), kind="resource"),
        boundary=policy(deny()),
    )
    assert decide(alice, policies) == ExplicitDeny("identity-based policy")


def test_actions_match_case_insensitively() -> None:
    lower = policy(allow("SECRETSMANAGER:getsecretvalue"))
    assert decide(alice, PolicySet(identity=[lower])) == ALLOW


def test_not_action_and_not_resource() -> None:
    everything_but_get = policy({"Effect": "Allow", "NotAction": GET, "Resource": "*"})
    assert (
        decide(
            alice, PolicySet(identity=[everything_but_get]), action="secretsmanager:DescribeSecret"
        )
        == ALLOW
    )
    assert decide(alice, PolicySet(identity=[everything_but_get])) == ImplicitDeny(
        "identity-based policy"
    )
    outside_prod = policy(
        {
            "Effect": "Allow",
            "Action": GET,
            "NotResource": "arn:aws:secretsmanager:*:*:secret:prod/*",
        }
    )
    assert decide(alice, PolicySet(identity=[outside_prod])) == ImplicitDeny(
        "identity-based policy"
    )
    other = SECRET.replace("prod/", "dev/")
    assert decide(alice, PolicySet(identity=[outside_prod]), resource=other) == ALLOW


def test_resource_variables_resolve_from_the_caller() -> None:
    own = policy(allow(resource="arn:aws:secretsmanager:*:*:secret:${aws:username}/*"))
    mine = SECRET.replace("prod/", "alice/")
    assert decide(alice, PolicySet(identity=[own]), resource=mine) == ALLOW
    assert decide(bob, PolicySet(identity=[own]), resource=mine) == ImplicitDeny(
        "identity-based policy"
    )
    # Role sessions have no aws:username: the entry matches nothing.
    assert decide(session, PolicySet(identity=[own]), resource=mine) == ImplicitDeny(
        "identity-based policy"
    )


def test_resource_variables_are_literal_without_the_2012_version() -> None:
    literal = policy(
        allow(resource="arn:aws:secretsmanager:*:*:secret:${aws:username}/*"), version=None
    )
    mine = SECRET.replace("prod/", "alice/")
    assert decide(alice, PolicySet(identity=[literal]), resource=mine) == ImplicitDeny(
        "identity-based policy"
    )
    braces = SECRET.replace("prod/", "${aws:username}/")
    assert decide(alice, PolicySet(identity=[literal]), resource=braces) == ALLOW


def test_not_resource_with_an_unresolved_variable_does_not_apply() -> None:
    stmt = {
        "Effect": "Deny",
        "Action": GET,
        "NotResource": "arn:aws:secretsmanager:*:*:secret:${aws:username}/*",
    }
    policies = PolicySet(identity=[ID_ALLOW, policy(stmt)])
    assert decide(alice, policies) == ExplicitDeny("identity-based policy")
    assert decide(session, policies) == ALLOW


def test_conditions_read_the_request_context() -> None:
    tagged = policy(
        allow(Condition={"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}})
    )
    assert decide(alice, PolicySet(identity=[tagged]), **{"aws:ResourceTag/team": "red"}) == ALLOW
    assert decide(
        alice, PolicySet(identity=[tagged]), **{"aws:ResourceTag/team": "blue"}
    ) == ImplicitDeny("identity-based policy")


# --- resource-based policies, same account -------------------------------------------------------


def test_a_resource_policy_naming_the_user_allows_without_identity_policy() -> None:
    assert decide(alice, PolicySet(resource=grant({"AWS": USER}))) == ALLOW
    assert decide(bob, PolicySet(resource=grant({"AWS": USER}))) == ImplicitDeny(
        "identity-based policy"
    )


def test_a_grant_to_the_user_is_not_limited_by_its_boundary() -> None:
    """IAM: grants to a user ARN are not limited by an implicit deny in its boundary."""
    policies = PolicySet(resource=grant({"AWS": USER}), boundary=policy(allow("s3:*")))
    assert decide(alice, policies) == ALLOW


def test_a_grant_to_the_session_is_not_limited_by_boundary_or_session_policy() -> None:
    policies = PolicySet(
        resource=grant({"AWS": SESSION}),
        boundary=policy(allow("s3:*")),
        session=[policy(allow("s3:*"))],
    )
    assert decide(session, policies) == ALLOW


def test_a_grant_to_the_role_needs_no_identity_policy() -> None:
    assert decide(session, PolicySet(resource=grant({"AWS": ROLE}))) == ALLOW


def test_a_grant_to_the_role_is_limited_by_boundary_and_session_policy() -> None:
    narrow = policy(allow("s3:*"))
    assert decide(
        session, PolicySet(resource=grant({"AWS": ROLE}), boundary=narrow)
    ) == ImplicitDeny("permissions boundary")
    assert decide(
        session, PolicySet(resource=grant({"AWS": ROLE}), session=[narrow])
    ) == ImplicitDeny("session policy")
    both = PolicySet(resource=grant({"AWS": ROLE}), boundary=ID_ALLOW, session=[ID_ALLOW])
    assert decide(session, both) == ALLOW


def test_a_role_grant_reaches_the_role_by_its_unique_id() -> None:
    assert decide(session, PolicySet(resource=grant({"AWS": "AROAAPP00000000000000"}))) == ALLOW


@pytest.mark.parametrize("account", [A, f"arn:aws:iam::{A}:root"])
def test_naming_the_account_delegates_to_identity_policies(account: str) -> None:
    """Account id and root ARN both delegate; alone they grant no IAM principal."""
    assert decide(alice, PolicySet(resource=grant({"AWS": account}))) == ImplicitDeny(
        "identity-based policy"
    )
    assert decide(alice, PolicySet(resource=grant({"AWS": account}), identity=[ID_ALLOW])) == ALLOW


def test_naming_everyone_grants_directly() -> None:
    for principal in ("*", {"AWS": "*"}):
        policies = PolicySet(resource=grant(principal), boundary=policy(allow("s3:*")))
        assert decide(alice, policies) == ALLOW


def test_a_resource_deny_naming_the_account_denies_its_principals() -> None:
    denying = policy(deny(Principal={"AWS": A}), kind="resource")
    assert decide(alice, PolicySet(identity=[ID_ALLOW], resource=denying)) == ExplicitDeny(
        "resource-based policy"
    )
    other = policy(deny(Principal={"AWS": B}), kind="resource")
    assert decide(alice, PolicySet(identity=[ID_ALLOW], resource=other)) == ALLOW


def test_a_resource_deny_naming_the_role_denies_its_sessions() -> None:
    denying = policy(deny(Principal={"AWS": ROLE}), kind="resource")
    assert decide(session, PolicySet(identity=[ID_ALLOW], resource=denying)) == ExplicitDeny(
        "resource-based policy"
    )


def test_a_resource_policy_that_does_not_name_the_caller_grants_nothing() -> None:
    assert decide(alice, PolicySet(resource=grant({"AWS": ROLE}))) == ImplicitDeny(
        "identity-based policy"
    )


# --- permissions boundaries and session policies -------------------------------------------------


def test_a_boundary_must_also_allow_identity_grants() -> None:
    assert decide(alice, PolicySet(identity=[ID_ALLOW], boundary=ID_ALLOW)) == ALLOW
    assert decide(
        alice, PolicySet(identity=[ID_ALLOW], boundary=policy(allow("s3:*")))
    ) == ImplicitDeny("permissions boundary")


def test_a_boundary_grants_nothing_by_itself() -> None:
    assert decide(alice, PolicySet(boundary=ID_ALLOW)) == ImplicitDeny("identity-based policy")


def test_a_deny_in_the_boundary_wins_over_a_resource_grant() -> None:
    policies = PolicySet(resource=grant({"AWS": USER}), boundary=policy(allow("*"), deny()))
    assert decide(alice, policies) == ExplicitDeny("permissions boundary")


def test_session_policies_limit_a_role_session() -> None:
    assert decide(session, PolicySet(identity=[ID_ALLOW], session=[ID_OTHER, ID_ALLOW])) == ALLOW
    assert decide(session, PolicySet(identity=[ID_ALLOW], session=[ID_OTHER])) == ImplicitDeny(
        "session policy"
    )
    assert decide(session, PolicySet(identity=[ID_ALLOW], session=[])) == ImplicitDeny(
        "session policy"
    )
    assert decide(session, PolicySet(session=[ID_ALLOW])) == ImplicitDeny("identity-based policy")


def test_a_deny_in_a_session_policy_wins() -> None:
    assert decide(
        session, PolicySet(identity=[ID_ALLOW], session=[policy(allow("*"), deny())])
    ) == ExplicitDeny("session policy")


def test_identity_boundary_and_session_must_all_allow() -> None:
    narrow = policy(allow("s3:*"))
    policies = PolicySet(identity=[ID_ALLOW], boundary=ID_ALLOW, session=[narrow])
    assert decide(session, policies) == ImplicitDeny("session policy")
    policies = PolicySet(identity=[ID_ALLOW], boundary=narrow, session=[ID_ALLOW])
    assert decide(session, policies) == ImplicitDeny("permissions boundary")


def test_a_federated_user_needs_a_session_policy() -> None:
    assert decide(federated, PolicySet(identity=[ID_ALLOW])) == ImplicitDeny("session policy")
    assert decide(federated, PolicySet(identity=[ID_ALLOW], session=[ID_ALLOW])) == ALLOW


def test_a_grant_to_the_federated_session_is_direct_but_to_its_user_is_bounded() -> None:
    assert decide(federated, PolicySet(resource=grant({"AWS": federated.arn}))) == ALLOW
    via_user = PolicySet(resource=grant({"AWS": USER}))
    assert decide(federated, via_user) == ImplicitDeny("session policy")
    assert decide(federated, dataclasses.replace(via_user, session=[ID_ALLOW])) == ALLOW


# --- root, services, anonymous -------------------------------------------------------------------


def test_the_root_user_may_do_anything_in_its_account_unless_denied() -> None:
    assert decide(root, PolicySet()) == ALLOW
    assert decide(
        root, PolicySet(resource=policy(deny(Principal="*"), kind="resource"))
    ) == ExplicitDeny("resource-based policy")


def test_a_service_principal_needs_a_resource_policy_naming_it() -> None:
    assert (
        decide(service, PolicySet(resource=grant({"Service": "secretsmanager.amazonaws.com"})))
        == ALLOW
    )
    assert decide(service, PolicySet(resource=grant({"AWS": "*"}))) == ImplicitDeny(
        "resource-based policy"
    )
    assert decide(service, PolicySet(identity=[ID_ALLOW])) == ImplicitDeny("resource-based policy")


def test_anonymous_callers_need_a_public_grant() -> None:
    assert decide(anonymous, PolicySet(resource=grant("*"))) == ALLOW
    assert decide(anonymous, PolicySet(resource=grant({"AWS": A}))) == ImplicitDeny(
        "resource-based policy"
    )


# --- cross-account -------------------------------------------------------------------------------

CROSS_ID = policy(allow(resource=SECRET))


def test_cross_account_needs_identity_and_resource_policy() -> None:
    both = PolicySet(
        identity=[CROSS_ID], resource=grant({"AWS": foreign.role_arn}), resource_account=A
    )
    assert decide(foreign, both) == ALLOW
    assert decide(foreign, dataclasses.replace(both, resource=None)) == ImplicitDeny(
        "resource-based policy"
    )
    assert decide(foreign, dataclasses.replace(both, identity=())) == ImplicitDeny(
        "identity-based policy"
    )


@pytest.mark.parametrize("principal", [B, f"arn:aws:iam::{B}:root", SESSION.replace(A, B), "*"])
def test_cross_account_resource_policy_may_name_the_account_or_the_caller(principal: str) -> None:
    caller = (
        dataclasses.replace(foreign, arn=SESSION.replace(A, B))
        if "assumed-role/app" in principal
        else foreign
    )
    policies = PolicySet(
        identity=[CROSS_ID], resource=grant({"AWS": principal}), resource_account=A
    )
    assert decide(caller, policies) == ALLOW


def test_a_direct_cross_account_grant_still_needs_the_callers_boundary() -> None:
    policies = PolicySet(
        identity=[CROSS_ID],
        resource=grant({"AWS": foreign.arn}),
        resource_account=A,
        boundary=policy(allow("s3:*")),
    )
    assert decide(foreign, policies) == ImplicitDeny("permissions boundary")


def test_a_grant_to_another_account_does_not_reach_the_caller() -> None:
    policies = PolicySet(identity=[CROSS_ID], resource=grant({"AWS": A}), resource_account=A)
    assert decide(foreign, policies) == ImplicitDeny("resource-based policy")


def test_the_root_user_of_another_account_needs_the_resource_policy() -> None:
    other_root = CallerFacts(arn=f"arn:aws:iam::{B}:root", account=B)
    assert decide(other_root, PolicySet(resource_account=A)) == ImplicitDeny(
        "resource-based policy"
    )
    assert decide(other_root, PolicySet(resource=grant({"AWS": B}), resource_account=A)) == ALLOW


def test_resource_account_equal_to_the_callers_is_same_account() -> None:
    assert decide(alice, PolicySet(resource=grant({"AWS": USER}), resource_account=A)) == ALLOW


# --- NotPrincipal --------------------------------------------------------------------------------


def deny_except(*principals: str) -> PolicyDocument:
    return policy(deny(NotPrincipal={"AWS": list(principals)}), kind="resource")


def test_not_principal_deny_spares_a_user_listed_with_its_account() -> None:
    policies = PolicySet(identity=[ID_ALLOW], resource=deny_except(USER, f"arn:aws:iam::{A}:root"))
    assert decide(alice, policies) == ALLOW
    assert decide(bob, policies) == ExplicitDeny("resource-based policy")


def test_not_principal_deny_without_the_account_denies_the_user() -> None:
    """The strict reading of AWS's "might deny access to the entire account"."""
    assert decide(
        alice, PolicySet(identity=[ID_ALLOW], resource=deny_except(USER))
    ) == ExplicitDeny("resource-based policy")


def test_not_principal_deny_spares_a_session_listed_with_role_and_account() -> None:
    full = deny_except(SESSION, ROLE, A)
    assert decide(session, PolicySet(identity=[ID_ALLOW], resource=full)) == ALLOW
    without_role = deny_except(SESSION, A)
    assert decide(session, PolicySet(identity=[ID_ALLOW], resource=without_role)) == ExplicitDeny(
        "resource-based policy"
    )


def test_not_principal_deny_always_denies_a_principal_with_a_boundary() -> None:
    policies = PolicySet(identity=[ID_ALLOW], boundary=ID_ALLOW, resource=deny_except(USER, A))
    assert decide(alice, policies) == ExplicitDeny("resource-based policy")


def test_not_principal_allow_grants_everyone_else() -> None:
    allowing = policy(allow(NotPrincipal={"AWS": [USER]}), kind="resource")
    assert decide(bob, PolicySet(resource=allowing)) == ALLOW
    assert decide(alice, PolicySet(resource=allowing)) == ImplicitDeny("identity-based policy")


# --- trust-style resource policies ---------------------------------------------------------------


def test_a_required_resource_policy_must_name_the_caller_or_its_account() -> None:
    trust = policy(
        {"Effect": "Allow", "Principal": {"AWS": A}, "Action": "sts:AssumeRole"}, kind="trust"
    )
    assume = policy(allow("sts:AssumeRole"))
    kw = {"action": "sts:AssumeRole", "resource": ROLE}
    assert decide(
        alice, PolicySet(identity=[assume], resource_policy_required=True), **kw
    ) == ImplicitDeny("resource-based policy")
    assert (
        decide(
            alice, PolicySet(identity=[assume], resource=trust, resource_policy_required=True), **kw
        )
        == ALLOW
    )
    assert decide(
        alice, PolicySet(resource=trust, resource_policy_required=True), **kw
    ) == ImplicitDeny("identity-based policy")
    direct = policy(
        {"Effect": "Allow", "Principal": {"AWS": USER}, "Action": "sts:AssumeRole"}, kind="trust"
    )
    assert decide(alice, PolicySet(resource=direct, resource_policy_required=True), **kw) == ALLOW


def test_statement_applies_to_trust_statements_without_resources() -> None:
    trust = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": ROLE},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "x"}},
        },
        kind="trust",
    )
    statement = trust.statements[0]
    request = RequestFacts("sts:AssumeRole", ROLE, session, {"sts:ExternalId": "x"})
    assert statement_applies(statement, request, policy_kind="trust")
    assert not statement_applies(
        statement, dataclasses.replace(request, context={}), policy_kind="trust"
    )
    assert not statement_applies(
        statement, dataclasses.replace(request, principal=alice), policy_kind="trust"
    )


# --- the principal's own context keys ------------------------------------------------------------


def test_principal_context_describes_the_caller() -> None:
    keys = principal_context(session)
    assert keys["aws:PrincipalArn"] == ROLE
    assert keys["aws:PrincipalType"] == "AssumedRole"
    assert keys["aws:userid"] == "AROAAPP00000000000000:s1"
    assert "aws:username" not in keys
    assert principal_context(alice)["aws:username"] == "alice"
    assert principal_context(alice)["aws:PrincipalTag/team"] == "red"
    assert principal_context(root)["aws:userid"] == A
    assert principal_context(anonymous)["aws:userid"] == "anonymous"
    assert principal_context(service)["aws:PrincipalIsAWSService"] is True


def test_the_request_context_overrides_principal_keys() -> None:
    tagged = policy(allow(Condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}}))
    assert decide(alice, PolicySet(identity=[tagged]), **{"aws:PrincipalTag/Team": "blue"}) == ALLOW
    gone = policy(allow(Condition={"Null": {"aws:username": "true"}}))
    request = RequestFacts(GET, SECRET, alice, {"aws:username": None})
    assert evaluate(request, PolicySet(identity=[gone])) == ALLOW


# --- properties ----------------------------------------------------------------------------------

ACTIONS = [GET, "secretsmanager:PutSecretValue", "secretsmanager:ListSecrets"]
RESOURCES = [SECRET, "*"]
CALLERS = [alice, session, foreign, root, federated]

statement_parts = st.fixed_dictionaries(
    {
        "Action": st.sampled_from(
            ["secretsmanager:*", GET, "secretsmanager:Put*", "*", "kms:Decrypt"]
        ),
        "Resource": st.sampled_from(["*", SECRET, "arn:aws:secretsmanager:*:*:secret:dev/*"]),
    },
    optional={
        "Condition": st.sampled_from(
            [
                {"StringEquals": {"aws:PrincipalTag/team": "red"}},
                {"StringNotEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}},
                {"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}},
                {"Bool": {"aws:SecureTransport": "true"}},
            ]
        )
    },
)
PRINCIPALS = st.sampled_from(
    ["*", {"AWS": A}, {"AWS": B}, {"AWS": ROLE}, {"AWS": USER}, {"AWS": foreign.role_arn}]
)


def statements(kind: PolicyKind) -> st.SearchStrategy[dict[str, Any]]:
    effect = st.sampled_from(["Allow", "Allow", "Deny"])
    base = st.builds(lambda parts, e: {**parts, "Effect": e}, statement_parts, effect)
    if kind == "identity":
        return base
    return st.builds(lambda s, p: {**s, "Principal": p}, base, PRINCIPALS)


def documents(kind: PolicyKind) -> st.SearchStrategy[PolicyDocument]:
    return st.lists(statements(kind), min_size=1, max_size=3).map(lambda s: policy(*s, kind=kind))


policy_sets = st.builds(
    PolicySet,
    identity=st.lists(documents("identity"), max_size=2),
    resource=st.none() | documents("resource"),
    resource_account=st.sampled_from([None, A]),
    boundary=st.none() | documents("identity"),
    session=st.none() | st.lists(documents("identity"), max_size=2),
)
requests = st.builds(
    RequestFacts,
    action=st.sampled_from(ACTIONS),
    resource=st.sampled_from(RESOURCES),
    principal=st.sampled_from(CALLERS),
    context=st.fixed_dictionaries(
        {},
        optional={
            "aws:ResourceTag/team": st.sampled_from(["red", "blue"]),
            "aws:TagKeys": st.lists(st.sampled_from(["a", "b"]), max_size=2),
            "aws:SecureTransport": st.booleans(),
        },
    ),
)


def with_statement(policies: PolicySet, slot: str, statement: dict[str, Any]) -> PolicySet:
    """The policy set with one more statement in a policy of the given slot."""
    if slot == "resource":
        statement = {**statement, "Principal": "*"}
        existing = policies.resource
        body = [*(_raw(existing) if existing else []), statement]
        return dataclasses.replace(policies, resource=policy(*body, kind="resource"))
    extra = policy(statement)
    if slot == "identity":
        return dataclasses.replace(policies, identity=[*policies.identity, extra])
    if slot == "boundary":
        existing = policies.boundary
        body = [*(_raw(existing) if existing else []), statement]
        return dataclasses.replace(policies, boundary=policy(*body))
    return dataclasses.replace(policies, session=[*(policies.session or ()), extra])


def _raw(document: PolicyDocument) -> list[dict[str, Any]]:
    """Statements back as JSON-able dicts (enough for the shapes generated here)."""
    out = []
    for s in document.statements:
        raw: dict[str, Any] = {
            "Effect": s.effect.value,
            "Action": list(s.action or ()),
            "Resource": list(s.resource or ()),
        }
        if s.principal is not None:
            raw["Principal"] = (
                s.principal if s.principal == "*" else {k: list(v) for k, v in s.principal.items()}
            )
        conditions: dict[str, dict[str, list[str]]] = {}
        for c in s.condition:
            conditions.setdefault(c.operator, {})[c.key] = list(c.values)
        if conditions:
            raw["Condition"] = conditions
        out.append(raw)
    return out


@settings(max_examples=300)
@given(policy_sets, requests, st.sampled_from(["identity", "resource", "boundary", "session"]))
def test_an_applicable_explicit_deny_always_wins(
    policies: PolicySet, request: RequestFacts, slot: str
) -> None:
    """Whatever else allows, a Deny that matches the request decides it."""
    denied = with_statement(
        policies, slot, {"Effect": "Deny", "Action": request.action, "Resource": "*"}
    )
    assert isinstance(evaluate(request, denied), ExplicitDeny)


@settings(max_examples=300)
@given(
    policy_sets,
    requests,
    st.sampled_from(["identity", "resource", "boundary", "session"]),
    statement_parts,
)
def test_adding_an_allow_statement_never_removes_access(
    policies: PolicySet, request: RequestFacts, slot: str, parts: dict[str, Any]
) -> None:
    """Allow statements only ever add permissions, wherever they are added."""
    if slot == "boundary" and policies.boundary is None:
        slot = "identity"  # a new boundary would restrict; only extend an existing one
    if slot == "session" and policies.session is None:
        slot = "identity"  # likewise for session policies
    before = evaluate(request, policies)
    after = evaluate(request, with_statement(policies, slot, {**parts, "Effect": "Allow"}))
    if before.allowed:
        assert after.allowed
    if isinstance(before, ExplicitDeny):
        assert after == before


ACTION_TEXT = st.text(st.sampled_from(list("abAB*?")), min_size=1, max_size=5)


@given(
    st.builds(lambda s, n: f"{s}:{n}", st.sampled_from(["sm", "SM", "kms"]), ACTION_TEXT),
    st.builds(
        lambda s, n: f"{s}:{n}",
        st.sampled_from(["sm", "Sm", "kms"]),
        st.text(st.sampled_from(list("abAB")), max_size=5),
    ),
    st.sampled_from([Effect.ALLOW, Effect.DENY]),
)
def test_not_action_is_the_complement_of_action(pattern: str, action: str, effect: Effect) -> None:
    """For every action, NotAction [X] applies exactly when Action [X] does not."""
    with_action = Statement(None, effect, None, None, (pattern,), None, ("*",), None, ())
    with_not = dataclasses.replace(with_action, action=None, not_action=(pattern,))
    request = RequestFacts(action, SECRET, alice)
    applies = statement_applies(with_action, request, policy_kind="identity")
    assert statement_applies(with_not, request, policy_kind="identity") is not applies
