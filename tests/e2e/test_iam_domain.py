"""IAM service behaviour on both stores: users, keys, roles, groups, policies, limits."""

from __future__ import annotations

import inspect
import json
import re
import tempfile
from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strongroom.auth.errors import UnrecognizedClient
from strongroom.core.clock import ManualClock
from strongroom.core.config import ServerConfig
from strongroom.core.errors import AccessDenied, StrongroomError, ValidationFailed
from strongroom.core.types import Principal, RequestContext, Tag
from strongroom.iam import errors as iam_errors
from strongroom.iam import tags as tag_rules
from strongroom.iam.errors import EntityKind
from strongroom.iam.managed import ADMINISTRATOR_ACCESS, SECRETS_MANAGER_READ_WRITE
from strongroom.policy.authorizer import AdministratorsOnly, AuthorizationRequest
from strongroom.policy.evaluate import Decision
from strongroom.protocol import iam as wire
from strongroom.protocol.errors import TABLE, to_wire
from strongroom.server.compose import build
from tests.conftest import REGIONS, _drop_pg_database, _fresh_pg_database
from tests.e2e.helpers import race

USER, ROLE, GROUP = EntityKind.USER, EntityKind.ROLE, EntityKind.GROUP
ADMIN_ARN = ADMINISTRATOR_ACCESS.arn
SMRW_ARN = SECRETS_MANAGER_READ_WRITE.arn


def policy(action: str = "s3:GetObject", resource: str = "*") -> str:
    return json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]})


TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


class Recorder:
    """AdministratorsOnly (which lets administrators read AWS managed policies),
    remembering every question it was asked."""

    def __init__(self) -> None:
        self.requests: list[AuthorizationRequest] = []

    def decide(self, request: AuthorizationRequest) -> Decision:
        self.requests.append(request)
        return AdministratorsOnly().decide(request)


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request):
    database = store = None
    if request.param == "postgresql":
        database, store = _fresh_pg_database()
    data_dir = Path(tempfile.mkdtemp())
    config = ServerConfig(data_dir=data_dir, store=store, regions=REGIONS,
                          account_id="123456789012")
    recorder = Recorder()
    application = build(config, clock=ManualClock(), authorizer=recorder)
    application.recorder = recorder
    application.store_kind = request.param
    yield application
    application.store.close()
    if database:
        _drop_pg_database(database)


def ctx(app, *, admin: bool = True, name: str = "admin", kind: str = "IAMUser"
        ) -> RequestContext:
    account = app.first_start.account_id
    principal = Principal(account_id=account, arn=f"arn:aws:iam::{account}:user/{name}",
                          user_id="AIDATEST", name=name, kind=kind, access_key_id="AKIATEST",
                          is_admin=admin)
    return RequestContext(principal=principal, region="us-east-1", request_id="r")


def local_arn(app, name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{app.first_start.account_id}:policy{path}{name}"


# --- users ------------------------------------------------------------------------------


def test_a_user_is_created_read_listed_and_found_whatever_the_case(app):
    c = ctx(app)
    user = app.iam.create_user(c, "Alice", path="/dev/", tags=[Tag("team", "blue")])
    assert user.arn == f"arn:aws:iam::{app.first_start.account_id}:user/dev/Alice"
    assert re.fullmatch(r"AIDA[A-Z0-9]{17}", user.user_id)
    got = app.iam.get_user(c, "alice")
    assert (got.name, got.tags) == ("Alice", (Tag("team", "blue"),))
    assert app.iam.get_user(c).name == "admin"  # no name: the caller
    assert [u.name for u in app.iam.list_users(c, path_prefix="/dev/").items] == ["Alice"]
    with pytest.raises(iam_errors.EntityExists):
        app.iam.create_user(c, "ALICE")
    with pytest.raises(ValidationFailed):
        app.iam.create_user(c, "bad name!")


def test_users_are_listed_in_pages_with_an_opaque_marker(app):
    c = ctx(app)
    for i in range(5):
        app.iam.create_user(c, f"u{i}")
    first = app.iam.list_users(c, max_items=4)
    assert first.truncated
    assert len(first.items) == 4
    rest = app.iam.list_users(c, max_items=4, marker=first.marker)
    assert not rest.truncated
    assert sorted(u.name for u in first.items + rest.items) == sorted(
        ["admin", "u0", "u1", "u2", "u3", "u4"])
    with pytest.raises(iam_errors.InvalidInput):
        app.iam.list_roles(c, marker=first.marker)


def test_a_renamed_user_keeps_its_id_keys_groups_and_policies(app):
    c = ctx(app)
    user = app.iam.create_user(c, "old")
    key = app.iam.create_access_key(c, "old")
    app.iam.create_group(c, "g")
    app.iam.add_user_to_group(c, "g", "old")
    app.iam.put_inline_policy(c, USER, "old", "p", policy())
    app.iam.update_user(c, "old", new_name="new", new_path="/moved/")
    renamed = app.iam.get_user(c, "new")
    assert (renamed.user_id, renamed.path) == (user.user_id, "/moved/")
    principal, secret = app.identities.lookup(key.access_key_id)
    assert (principal.name, principal.arn, secret) == ("new", renamed.arn,
                                                       key.secret_access_key)
    assert [g.name for g in app.iam.list_groups_for_user(c, "new").items] == ["g"]
    assert app.iam.list_inline_policies(c, USER, "new").items == ["p"]
    with pytest.raises(iam_errors.EntityNotFound):
        app.iam.get_user(c, "old")


def test_a_user_is_deleted_only_once_nothing_hangs_on_it(app):
    c = ctx(app)
    app.iam.create_user(c, "bob")
    key = app.iam.create_access_key(c, "bob")
    app.iam.create_group(c, "g")
    app.iam.add_user_to_group(c, "g", "bob")
    app.iam.put_inline_policy(c, USER, "bob", "p", policy())
    app.iam.attach_policy(c, USER, "bob", SMRW_ARN)
    steps = [("access_keys", lambda: app.iam.delete_access_key(c, key.access_key_id, "bob")),
             ("user_groups", lambda: app.iam.remove_user_from_group(c, "g", "bob")),
             ("inline_policies", lambda: app.iam.delete_inline_policy(c, USER, "bob", "p")),
             ("attached_policies", lambda: app.iam.detach_policy(c, USER, "bob", SMRW_ARN))]
    for reason, clear in steps:
        with pytest.raises(iam_errors.DeleteConflict) as info:
            app.iam.delete_user(c, "bob")
        assert info.value.reason == reason
        app.iam.get_user(c, "bob")  # still there
        clear()
    app.iam.delete_user(c, "bob")
    with pytest.raises(iam_errors.EntityNotFound):
        app.iam.get_user(c, "bob")
    assert to_wire(iam_errors.EntityNotFound(USER, "bob"), "r").message == (
        "The user with name bob cannot be found.")


# --- access keys ------------------------------------------------------------------------


def test_access_keys_are_limited_to_two_and_an_inactive_one_does_not_authenticate(app):
    c = ctx(app)
    app.iam.create_user(c, "carol")
    first = app.iam.create_access_key(c, "carol")
    assert first.access_key_id.startswith("AKIA")
    assert len(first.access_key_id) == 20
    assert len(first.secret_access_key) == 40
    assert first.secret_access_key not in repr(first)
    app.iam.create_access_key(c, "carol")
    with pytest.raises(iam_errors.QuotaExceeded) as info:
        app.iam.create_access_key(c, "carol")
    assert to_wire(info.value, "r").message == "Cannot exceed quota for AccessKeysPerUser: 2"
    assert len(app.iam.list_access_keys(c, "carol").items) == 2
    app.identities.lookup(first.access_key_id)
    app.iam.update_access_key(c, first.access_key_id, "Inactive", "carol")
    with pytest.raises(UnrecognizedClient):
        app.identities.lookup(first.access_key_id)
    app.iam.update_access_key(c, first.access_key_id, "Active", "carol")
    assert app.identities.lookup(first.access_key_id)[0].name == "carol"
    app.iam.delete_access_key(c, first.access_key_id, "carol")
    with pytest.raises(UnrecognizedClient):
        app.identities.lookup(first.access_key_id)
    with pytest.raises(iam_errors.AccessKeyNotFound):
        app.iam.update_access_key(c, first.access_key_id, "Inactive", "carol")


def test_a_key_is_changed_only_through_its_own_user(app):
    c = ctx(app)
    app.iam.create_user(c, "dave")
    app.iam.create_user(c, "erin")
    key = app.iam.create_access_key(c, "dave")
    with pytest.raises(iam_errors.AccessKeyNotFound):
        app.iam.delete_access_key(c, key.access_key_id, "erin")
    with pytest.raises(iam_errors.UserNameRequired):
        app.iam.list_access_keys(ctx(app, kind="AssumedRole"))
    used = app.iam.get_access_key_last_used(c, key.access_key_id)
    assert (used.user_name, used.last_used) == ("dave", None)
    app.iam.note_access_key_used(key.access_key_id, "secretsmanager", "us-east-1")
    assert app.iam.get_access_key_last_used(c, key.access_key_id).service == "secretsmanager"
    with pytest.raises(AccessDenied):
        app.iam.get_access_key_last_used(c, "AKIAIOSFODNN7EXAMPLE")


def test_secret_access_keys_are_not_stored_in_the_clear(app):
    if app.store_kind != "sqlite":
        pytest.skip("scans the SQLite file")
    c = ctx(app)
    app.iam.create_user(c, "frank")
    key = app.iam.create_access_key(c, "frank")
    app.store.close()
    data = b"".join(p.read_bytes() for p in Path(app.store.path).parent.glob("strongroom.db*"))
    assert key.access_key_id.encode() in data
    assert key.secret_access_key.encode() not in data


def test_concurrent_key_creations_never_pass_the_limit(app):
    c = ctx(app)
    app.iam.create_user(c, "gina")
    outcomes = race(6, lambda: app.iam.create_access_key(c, "gina"))
    assert outcomes.count("created") == 2
    assert set(outcomes) == {"created", "QuotaExceeded"}


# --- roles ------------------------------------------------------------------------------


def test_a_role_carries_its_trust_policy_session_limit_and_tags(app):
    c = ctx(app)
    role = app.iam.create_role(c, "app", TRUST, description="d", tags=[Tag("env", "prod")])
    assert role.role_id.startswith("AROA")
    assert role.max_session_duration == 3600
    app.iam.update_role(c, "APP", description="new", max_session_duration=7200)
    got = app.iam.get_role(c, "app")
    assert (got.description, got.max_session_duration) == ("new", 7200)
    record = app.iam.get_role_by_arn(role.arn)
    assert record is not None
    assert record.tags == (("env", "prod"),)
    assert record.trust_policy == TRUST
    assert app.iam.get_role_by_arn(role.arn + "x") is None
    for seconds in (3599, 43201):
        with pytest.raises(ValidationFailed):
            app.iam.update_role(c, "app", max_session_duration=seconds)
    with pytest.raises(iam_errors.MalformedPolicyDocument):
        app.iam.update_trust_policy(c, "app", policy())  # a Resource has no place in trust
    with pytest.raises(iam_errors.MalformedPolicyDocument):
        app.iam.create_role(c, "other", "{not json")
    with pytest.raises(iam_errors.EntityNotFound):
        app.iam.get_role(c, "other")
    with pytest.raises(iam_errors.EntityExists):
        app.iam.create_role(c, "App", TRUST)


def test_a_role_is_deleted_only_without_policies(app):
    c = ctx(app)
    app.iam.create_role(c, "r", TRUST)
    app.iam.attach_policy(c, ROLE, "r", SMRW_ARN)
    app.iam.put_inline_policy(c, ROLE, "r", "p", policy())
    with pytest.raises(iam_errors.DeleteConflict) as info:
        app.iam.delete_role(c, "r")
    assert to_wire(info.value, "r").message == "Cannot delete entity, must delete policies first."
    app.iam.delete_inline_policy(c, ROLE, "r", "p")
    with pytest.raises(iam_errors.DeleteConflict) as info:
        app.iam.delete_role(c, "r")
    assert to_wire(info.value, "r").message == (
        "Cannot delete entity, must detach all policies first.")
    app.iam.detach_policy(c, ROLE, "r", SMRW_ARN)
    app.iam.delete_role(c, "r")
    assert app.iam.list_roles(c).items == []


# --- groups -----------------------------------------------------------------------------


def test_group_membership_and_deletion(app):
    c = ctx(app)
    group = app.iam.create_group(c, "devs", path="/eng/")
    assert group.group_id.startswith("AGPA")
    app.iam.create_user(c, "hank")
    app.iam.add_user_to_group(c, "DEVS", "hank")
    app.iam.add_user_to_group(c, "devs", "hank")  # twice is once
    found, members = app.iam.get_group(c, "devs")
    assert (found.arn.endswith(":group/eng/devs"), [u.name for u in members.items]) == (
        True, ["hank"])
    with pytest.raises(iam_errors.DeleteConflict):
        app.iam.delete_group(c, "devs")
    with pytest.raises(iam_errors.EntityNotFound) as info:
        app.iam.add_user_to_group(c, "nope", "nobody")
    assert info.value.kind is USER  # the missing user is named first, as in AWS
    with pytest.raises(iam_errors.EntityNotFound) as info:
        app.iam.add_user_to_group(c, "nope", "hank")
    assert info.value.kind is GROUP
    app.iam.remove_user_from_group(c, "devs", "hank")
    app.iam.remove_user_from_group(c, "devs", "hank")  # not a member: no error
    app.iam.delete_group(c, "devs")
    assert app.iam.list_groups(c).items == []


# --- inline and managed policies ----------------------------------------------------------


def test_inline_policies_for_every_owner_kind(app):
    c = ctx(app)
    app.iam.create_user(c, "u")
    app.iam.create_role(c, "r", TRUST)
    app.iam.create_group(c, "g")
    for kind, owner in ((USER, "u"), (ROLE, "r"), (GROUP, "g")):
        app.iam.put_inline_policy(c, kind, owner, "read", policy())
        app.iam.put_inline_policy(c, kind, owner, "read", policy("s3:PutObject"))  # replaces
        assert app.iam.get_inline_policy(c, kind, owner, "read") == (owner,
                                                                      policy("s3:PutObject"))
        assert app.iam.list_inline_policies(c, kind, owner).items == ["read"]
        with pytest.raises(iam_errors.MalformedPolicyDocument):
            app.iam.put_inline_policy(c, kind, owner, "bad", '{"Statement": []}')
        with pytest.raises(iam_errors.InlinePolicyNotFound):
            app.iam.get_inline_policy(c, kind, owner, "bad")
        app.iam.delete_inline_policy(c, kind, owner, "read")
        with pytest.raises(iam_errors.InlinePolicyNotFound):
            app.iam.delete_inline_policy(c, kind, owner, "read")


def test_inline_policies_of_a_user_share_a_size_quota(app):
    c = ctx(app)
    app.iam.create_user(c, "u")
    big = policy(resource=[f"arn:aws:s3:::bucket-{i:04d}" for i in range(40)])
    app.iam.put_inline_policy(c, USER, "u", "one", big)
    with pytest.raises(iam_errors.QuotaExceeded) as info:
        app.iam.put_inline_policy(c, USER, "u", "two", big)
    assert to_wire(info.value, "r").message == (
        "Maximum policy size of 2048 bytes exceeded for user u")
    assert app.iam.list_inline_policies(c, USER, "u").items == ["one"]


def test_managed_policy_versions_follow_iam_rules(app):
    c = ctx(app)
    created = app.iam.create_policy(c, "Reader", policy(), path="/team/", description="d")
    arn = local_arn(app, "Reader", "/team/")
    assert (created.arn, created.default_version) == (arn, "v1")
    with pytest.raises(iam_errors.PolicyExists):
        app.iam.create_policy(c, "reader", policy())
    for expected in ("v2", "v3", "v4", "v5"):
        assert app.iam.create_policy_version(c, arn, policy("s3:List*")).version_id == expected
    with pytest.raises(iam_errors.QuotaExceeded):
        app.iam.create_policy_version(c, arn, policy())
    app.iam.delete_policy_version(c, arn, "v2")
    v6 = app.iam.create_policy_version(c, arn, policy("s3:Put*"), set_as_default=True)
    assert (v6.version_id, v6.is_default, v6.document) == ("v6", True, None)
    assert app.iam.get_policy(c, arn).default_version == "v6"
    assert app.iam.get_policy_version(c, arn, "v6").document == policy("s3:Put*")
    assert [v.version_id for v in app.iam.list_policy_versions(c, arn).items] == [
        "v6", "v5", "v4", "v3", "v1"]
    with pytest.raises(iam_errors.DeleteConflict):
        app.iam.delete_policy_version(c, arn, "v6")
    with pytest.raises(iam_errors.PolicyVersionNotFound):
        app.iam.get_policy_version(c, arn, "v2")
    app.iam.set_default_policy_version(c, arn, "v1")
    with pytest.raises(iam_errors.DeleteConflict) as info:
        app.iam.delete_policy(c, arn)
    assert info.value.reason == "policy_versions"
    for version in ("v3", "v4", "v5", "v6"):
        app.iam.delete_policy_version(c, arn, version)
    app.iam.delete_policy(c, arn)
    with pytest.raises(iam_errors.PolicyNotFound):
        app.iam.get_policy(c, arn)


def test_attachments_keep_counts_right_and_block_deletion(app):
    c = ctx(app)
    app.iam.create_policy(c, "p", policy())
    arn = local_arn(app, "p")
    app.iam.create_user(c, "u")
    app.iam.create_role(c, "r", TRUST)
    app.iam.attach_policy(c, USER, "u", arn)
    app.iam.attach_policy(c, USER, "u", arn)  # again: no change
    app.iam.attach_policy(c, ROLE, "r", arn)
    app.iam.put_role_boundary(c, "r", arn)
    described = app.iam.get_policy(c, arn)
    assert (described.attachment_count, described.boundary_usage_count) == (2, 1)
    with pytest.raises(iam_errors.DeleteConflict):
        app.iam.delete_policy(c, arn)
    local = app.iam.list_policies(c, scope="Local", only_attached=True).items
    assert [p.name for p in local] == ["p"]
    aws = {p.name: p for p in app.iam.list_policies(c, scope="AWS").items}
    assert {"AdministratorAccess", "SecretsManagerReadWrite", "IAMFullAccess",
            "IAMReadOnlyAccess", "ReadOnlyAccess"} <= set(aws)
    assert aws["AdministratorAccess"].attachment_count == 1  # the bootstrap admin
    assert [a.arn for a in app.iam.list_attached_policies(c, USER, "u").items] == [arn]
    assert app.iam.list_attached_policies(c, USER, "u", path_prefix="/x/").items == []
    with pytest.raises(iam_errors.PolicyNotAttachableOrMissing):
        app.iam.attach_policy(c, USER, "u", local_arn(app, "missing"))
    with pytest.raises(iam_errors.InvalidPolicyArn):
        app.iam.attach_policy(c, USER, "u", "not-an-arn")
    with pytest.raises(iam_errors.PolicyNotFound):
        app.iam.detach_policy(c, ROLE, "r", SMRW_ARN)
    app.iam.detach_policy(c, USER, "u", arn)
    app.iam.detach_policy(c, ROLE, "r", arn)
    app.iam.delete_role_boundary(c, "r")
    assert app.iam.get_policy(c, arn).attachment_count == 0
    app.iam.delete_policy(c, arn)


def test_at_most_ten_managed_policies_attach_to_one_principal(app):
    c = ctx(app)
    app.iam.create_group(c, "g")
    for i in range(11):
        app.iam.create_policy(c, f"p{i}", policy())
    for i in range(10):
        app.iam.attach_policy(c, GROUP, "g", local_arn(app, f"p{i}"))
    with pytest.raises(iam_errors.QuotaExceeded) as info:
        app.iam.attach_policy(c, GROUP, "g", local_arn(app, "p10"))
    assert to_wire(info.value, "r").code == "LimitExceeded"


def test_aws_managed_policies_are_shared_and_unmodifiable(app):
    c = ctx(app)
    assert app.iam.get_policy(c, ADMIN_ARN).default_version == "v1"
    document = app.iam.get_policy_version(c, SMRW_ARN, "v6").document
    assert "secretsmanager:*" in json.loads(document)["Statement"][0]["Action"]
    for change in (lambda: app.iam.create_policy_version(c, ADMIN_ARN, policy()),
                   lambda: app.iam.delete_policy(c, ADMIN_ARN),
                   lambda: app.iam.set_default_policy_version(c, ADMIN_ARN, "v1")):
        with pytest.raises(iam_errors.UnmodifiableEntity):
            change()
    before = app.iam.generation(app.first_start.account_id)
    app.iam.seed_managed_policies()  # current already: nothing to do
    assert app.iam.generation(app.first_start.account_id) == before
    with pytest.raises(AccessDenied):  # another account's policy: not ours to see
        app.iam.get_policy(c, "arn:aws:iam::999999999999:policy/theirs")


# --- tags and boundaries ------------------------------------------------------------------


def test_tag_keys_are_case_insensitive_and_limited_to_fifty(app):
    c = ctx(app)
    app.iam.create_user(c, "u")
    app.iam.tag_user(c, "u", [Tag("Team", "a"), Tag("env", "x")])
    app.iam.tag_user(c, "u", [Tag("team", "b")])
    assert app.iam.list_user_tags(c, "u").items == [Tag("team", "b"), Tag("env", "x")]
    with pytest.raises(iam_errors.InvalidInput) as info:
        app.iam.tag_user(c, "u", [Tag("k", "1"), Tag("K", "2")])
    assert to_wire(info.value, "r").message == (
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
    app.iam.untag_user(c, "u", ["TEAM"])
    assert app.iam.list_user_tags(c, "u").items == [Tag("env", "x")]
    app.iam.tag_user(c, "u", [Tag(f"k{i}", "") for i in range(49)])
    with pytest.raises(iam_errors.QuotaExceeded):
        app.iam.tag_user(c, "u", [Tag("one-more", "")])
    with pytest.raises(ValidationFailed):
        app.iam.create_role(c, "r", TRUST, tags=[Tag(f"k{i}", "") for i in range(51)])
    app.iam.create_role(c, "r", TRUST)
    app.iam.tag_role(c, "r", [Tag("a", "1")])
    app.iam.untag_role(c, "r", ["A"])
    assert app.iam.list_role_tags(c, "r").items == []


def test_a_boundary_must_name_an_existing_managed_policy(app):
    c = ctx(app)
    app.iam.create_user(c, "u")
    with pytest.raises(iam_errors.InvalidInput):
        app.iam.put_user_boundary(c, "u", "arn:aws:iam::123456789012:not_a_policy/x")
    with pytest.raises(iam_errors.BoundaryNotFound):
        app.iam.put_user_boundary(c, "u", local_arn(app, "nothing"))
    with pytest.raises(iam_errors.BoundaryNotFound):
        app.iam.create_role(c, "r", TRUST, boundary_arn=local_arn(app, "nothing"))
    assert app.iam.list_roles(c).items == []
    app.iam.put_user_boundary(c, "u", SMRW_ARN)
    assert app.iam.get_user(c, "u").boundary_arn == SMRW_ARN
    app.iam.delete_user_boundary(c, "u")
    assert app.iam.get_user(c, "u").boundary_arn is None


# --- what the authorizer reads ---------------------------------------------------------------


def test_policies_for_a_user_include_its_groups_boundary_and_tags(app):
    c = ctx(app)
    account = app.first_start.account_id
    app.iam.create_policy(c, "attached", policy("s3:GetObject"))
    app.iam.create_policy(c, "bound", policy("s3:*"))
    app.iam.create_user(c, "u", tags=[Tag("team", "blue")],
                        boundary_arn=local_arn(app, "bound"))
    app.iam.put_inline_policy(c, USER, "u", "inline", policy("s3:ListBucket"))
    app.iam.attach_policy(c, USER, "u", local_arn(app, "attached"))
    app.iam.create_group(c, "g")
    app.iam.add_user_to_group(c, "g", "u")
    app.iam.put_inline_policy(c, GROUP, "g", "group-inline", policy("kms:Decrypt"))
    app.iam.attach_policy(c, GROUP, "g", SMRW_ARN)
    found = app.iam.policies_for_user(account, "U")
    assert found.identity[:4] == (policy("s3:ListBucket"), policy("s3:GetObject"),
                                  policy("kms:Decrypt"), SECRETS_MANAGER_READ_WRITE.document)
    assert (found.boundary, dict(found.tags)) == (policy("s3:*"), {"team": "blue"})
    app.iam.create_policy_version(c, local_arn(app, "attached"), policy("s3:Put*"),
                                  set_as_default=True)
    assert app.iam.policies_for_user(account, "u").identity[1] == policy("s3:Put*")
    admin = app.iam.policies_for_user(account, "admin")
    assert admin.identity == (ADMINISTRATOR_ACCESS.document,)
    assert admin.boundary is None
    app.iam.create_role(c, "r", TRUST, tags=[Tag("k", "v")])
    app.iam.attach_policy(c, ROLE, "r", ADMIN_ARN)
    role = app.iam.policies_for_role(account, "r")
    assert (role.identity, role.boundary, dict(role.tags)) == (
        (ADMINISTRATOR_ACCESS.document,), None, {"k": "v"})
    with pytest.raises(iam_errors.EntityNotFound):
        app.iam.policies_for_role(account, "none")


def test_every_write_bumps_the_generation_and_nothing_else_does(app):
    c = ctx(app)
    account = app.first_start.account_id
    start = app.iam.generation(account)
    app.iam.create_user(c, "u")
    assert app.iam.generation(account) == start + 1
    app.iam.get_user(c, "u")
    app.iam.list_users(c)
    app.iam.policies_for_user(account, "u")
    assert app.iam.generation(account) == start + 1
    with pytest.raises(iam_errors.EntityExists):
        app.iam.create_user(c, "u")
    with pytest.raises(iam_errors.MalformedPolicyDocument):
        app.iam.put_inline_policy(c, USER, "u", "p", "nope")
    with pytest.raises(AccessDenied):
        app.iam.delete_user(ctx(app, admin=False), "u")
    assert app.iam.generation(account) == start + 1
    app.iam.tag_user(c, "u", [Tag("a", "b")])
    app.iam.put_inline_policy(c, USER, "u", "p", policy())
    assert app.iam.generation(account) == start + 3


# --- authorization and the wire ---------------------------------------------------------------


def test_every_operation_asks_the_authorizer_about_the_entity_arn(app):
    c = ctx(app)
    account = app.first_start.account_id
    app.iam.create_user(c, "u", path="/p/")
    app.iam.create_role(c, "r", TRUST)
    app.recorder.requests.clear()
    app.iam.get_user(c, "U")
    app.iam.attach_policy(c, ROLE, "r", SMRW_ARN)
    app.iam.get_policy(c, SMRW_ARN)
    asked = [(r.action, r.resource) for r in app.recorder.requests]
    assert asked == [("iam:GetUser", f"arn:aws:iam::{account}:user/p/u"),
                     ("iam:AttachRolePolicy", f"arn:aws:iam::{account}:role/r"),
                     ("iam:GetPolicy", SMRW_ARN)]
    assert app.recorder.requests[1].context["iam:PolicyARN"] == SMRW_ARN


def test_a_caller_without_permission_learns_nothing_about_existence(app):
    outsider = ctx(app, admin=False, name="nobody")
    app.iam.create_user(ctx(app), "exists")
    for name in ("exists", "missing"):
        with pytest.raises(AccessDenied):
            app.iam.get_user(outsider, name)
    with pytest.raises(AccessDenied):
        app.iam.create_group(outsider, "g")
    assert app.iam.list_groups(ctx(app)).items == []


def test_wire_handlers_answer_in_iam_shapes(app):
    c = ctx(app)
    ops = wire.OPERATIONS
    created = ops["CreateRole"](app.iam, c, {"RoleName": "r", "AssumeRolePolicyDocument": TRUST})
    assert "MaxSessionDuration" not in created["Role"]
    assert json.loads(unquote(created["Role"]["AssumeRolePolicyDocument"])) == json.loads(TRUST)
    got = ops["GetRole"](app.iam, c, {"RoleName": "r"})["Role"]
    assert (got["MaxSessionDuration"], got["RoleLastUsed"]) == (3600, {})
    ops["PutRolePolicy"](app.iam, c, {"RoleName": "r", "PolicyName": "p",
                                      "PolicyDocument": policy()})
    answer = ops["GetRolePolicy"](app.iam, c, {"RoleName": "r", "PolicyName": "p"})
    assert unquote(answer["PolicyDocument"]) == policy()
    ops["CreateUser"](app.iam, c, {"UserName": "u", "Tags": [{"Key": "a", "Value": "b"}]})
    key = ops["CreateAccessKey"](app.iam, c, {"UserName": "u"})["AccessKey"]
    assert len(key["SecretAccessKey"]) == 40
    listed = ops["ListAccessKeys"](app.iam, c, {"UserName": "u"})
    assert "SecretAccessKey" not in listed["AccessKeyMetadata"][0]
    assert listed["IsTruncated"] is False
    assert "Marker" not in listed
    users = ops["ListUsers"](app.iam, c, {"MaxItems": 1})
    assert users["IsTruncated"] is True
    assert "Tags" not in users["Users"][0]
    last = ops["GetAccessKeyLastUsed"](app.iam, c, {"AccessKeyId": key["AccessKeyId"]})
    assert last["AccessKeyLastUsed"] == {"ServiceName": "N/A", "Region": "N/A"}
    policy_out = ops["GetPolicy"](app.iam, c, {"PolicyArn": ADMIN_ARN})["Policy"]
    assert policy_out["Tags"] == []
    assert policy_out["AttachmentCount"] == 1


def test_every_iam_error_has_a_wire_row_with_an_iam_code():
    statuses = {"NoSuchEntity": 404, "EntityAlreadyExists": 409, "DeleteConflict": 409,
                "LimitExceeded": 409, "MalformedPolicyDocument": 400, "InvalidInput": 400,
                "UnmodifiableEntity": 400, "PolicyNotAttachable": 400,
                "ConcurrentModification": 409, "ValidationError": 400}
    samples = {
        iam_errors.EntityNotFound: (USER, "x"), iam_errors.InlinePolicyNotFound: (ROLE, "p"),
        iam_errors.EntityExists: (GROUP, "g"), iam_errors.DeleteConflict: ("access_keys",),
        iam_errors.QuotaExceeded: ("policy_versions", 5), iam_errors.InvalidInput: ("marker",),
        iam_errors.PolicyVersionNotFound: ("arn:aws:iam::aws:policy/X", "v9"),
        iam_errors.UserNameRequired: (), iam_errors.ConcurrentModification: (),
    }
    for _, cls in inspect.getmembers(iam_errors, inspect.isclass):
        if cls.__module__ != iam_errors.__name__ or not issubclass(cls, StrongroomError) \
                or cls is iam_errors.IamError:
            continue
        assert cls in TABLE, cls.__name__
        wire_error = to_wire(cls(*samples.get(cls, ("arn:aws:iam::aws:policy/X",))), "r")
        assert statuses[wire_error.code] == wire_error.status, cls.__name__
        assert "{" not in wire_error.message


# --- tag rules as invariants ------------------------------------------------------------------

_keys = st.text(alphabet="abcABC", min_size=1, max_size=3)


@given(current=st.lists(st.tuples(_keys, st.text(max_size=2)), max_size=8,
                        unique_by=lambda t: t[0].lower()),
       new=st.lists(st.builds(Tag, _keys, st.text(max_size=2)), max_size=8,
                    unique_by=lambda t: t.key.lower()))
def test_merged_tags_keep_one_key_per_spelling_and_the_newest_values(current, new):
    merged = tag_rules.merged(current, new, "tags_user")
    lowered = [k.lower() for k, _ in merged]
    assert len(lowered) == len(set(lowered))
    assert all((t.key, t.value) in merged for t in new)
    assert tag_rules.without(merged, [t.key.upper() for t in new]) == [
        (k, v) for k, v in current if k.lower() not in {t.key.lower() for t in new}]
