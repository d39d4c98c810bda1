"""The database-independent pieces of the built-in rotators, as AWS's templates word them."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from strongroom.rotators.functions import common, mysql, postgresql
from strongroom.rotators.functions import postgresql_single_user as pg_single

ARN = "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf"
TOKEN = "8a4f4a0f-1c9a-4b6e-9f5d-6d4c2a3b1e77"


def _client() -> Any:
    return boto3.client("secretsmanager", region_name="us-east-1", aws_access_key_id="AKIDEXAMPLE",
                        aws_secret_access_key="secret", endpoint_url="http://127.0.0.1:1")


BASE = {"engine": "postgres", "host": "db", "username": "app", "password": "pw"}


@pytest.mark.parametrize(("secret", "message"), [
    ({**BASE, "engine": "mysql"}, "Database engine must be set to 'postgres' in order to use this "
     "rotation lambda"),
    ({k: v for k, v in BASE.items() if k != "engine"}, "Database engine must be set to "
     "'postgres' in order to use this rotation lambda"),
    ({k: v for k, v in BASE.items() if k != "host"}, "host key is missing from secret JSON"),
    ({k: v for k, v in BASE.items() if k != "password"},
     "password key is missing from secret JSON"),
])
def test_single_user_secret_checks_give_aws_messages(secret: dict[str, Any], message: str) -> None:
    """A single-user secret with a wrong engine or a missing key fails with AWS's KeyError."""
    with pytest.raises(KeyError) as info:
        postgresql.SINGLE_USER_SHAPE.check(secret)
    assert info.value.args[0] == message


def test_alternating_users_secret_checks_keys_before_engine() -> None:
    """Like AWS's multi-user templates, a missing engine is a missing key there."""
    with pytest.raises(KeyError) as info:
        mysql.ALTERNATING_USERS_SHAPE.check({"host": "h", "username": "u", "password": "p"})
    assert info.value.args[0] == "engine key is missing from secret JSON"
    with pytest.raises(KeyError) as info:
        mysql.ALTERNATING_USERS_SHAPE.check({"host": "h", "username": "u", "password": "p",
                                             "engine": "postgres"})
    assert info.value.args[0] == ("Database engine must be set to 'mysql' in order to use this "
                                  "rotation lambda")


@pytest.mark.parametrize("engine", ["mysql", "aurora-mysql", "mariadb"])
def test_mysql_rotators_accept_mariadb(engine: str) -> None:
    """The MySQL rotators accept engines mysql, aurora-mysql and mariadb."""
    secret = {"engine": engine, "host": "h", "username": "u", "password": "p"}
    assert mysql.SINGLE_USER_SHAPE.check(dict(secret)) == secret


def test_alternate_usernames_flip_and_respect_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """x becomes x_clone and back; clones longer than the engine allows are refused."""
    assert postgresql.next_alternate_username({"username": "app"}) == "app_clone"
    assert postgresql.next_alternate_username({"username": "app_clone"}) == "app"
    with pytest.raises(ValueError, match="would exceed 63 characters"):
        postgresql.next_alternate_username({"username": "a" * 58})
    assert len(postgresql.next_alternate_username({"username": "a" * 57})) == 63
    with pytest.raises(ValueError, match="would exceed 16 characters"):
        mysql.next_alternate_username({"username": "elevenchars", "engine": "mysql"})
    assert mysql.next_alternate_username({"username": "elevenchars", "engine": "mariadb"})
    with pytest.raises(ValueError, match="would exceed 80 characters"):
        mysql.next_alternate_username({"username": "u" * 75, "engine": "mariadb"})
    monkeypatch.setenv("USERNAME_CHARACTER_LIMIT", "32")
    assert mysql.next_alternate_username({"username": "elevenchars", "engine": "mysql"})


@pytest.mark.parametrize(("ssl", "expected"), [
    (None, (True, True)), (True, (True, False)), (False, (False, False)),
    ("TRUE", (True, False)), ("false", (False, False)), ("maybe", (True, True)),
    (1, (True, True)),
])
def test_tls_choice_follows_the_ssl_key(ssl: object, expected: tuple[bool, bool]) -> None:
    """ssl true -> TLS only, false -> plaintext only, absent or odd -> TLS then plaintext."""
    secret: dict[str, Any] = {} if ssl is None else {"ssl": ssl}
    assert common.tls_choice(secret) == expected


@pytest.mark.parametrize(("text", "mariadb", "number", "alter_user"), [
    ("8.0.36", False, (8, 0, 36), True),
    ("5.7.5-log", False, (5, 7, 5), False),
    ("5.7.44", False, (5, 7, 44), True),
    ("10.11.19-MariaDB-0+deb12u1", True, (10, 11, 19), True),
    ("5.5.5-10.1.48-MariaDB", True, (10, 1, 48), False),
])
def test_server_versions(text: str, mariadb: bool, number: tuple[int, int, int],
                         alter_user: bool) -> None:
    """VERSION() strings of MySQL and MariaDB tell which password statement works."""
    version = mysql.ServerVersion.parse(text)
    assert (version.mariadb, version.number, version.has_alter_user) == (mariadb, number,
                                                                          alter_user)


@pytest.mark.parametrize(("grant", "expected"), [
    ("GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*81EEDB8F332C36DE0C01BD695EF255F9'",
     "GRANT USAGE ON *.* TO `app_clone`@`%`"),
    ("GRANT SELECT, INSERT ON `shop`.* TO `app`@`%`",
     "GRANT SELECT, INSERT ON `shop`.* TO `app_clone`@`%`"),
    ("GRANT SELECT ON `db TO x`.`t` TO 'app'@'%' WITH GRANT OPTION",
     "GRANT SELECT ON `db TO x`.`t` TO `app_clone`@`%` WITH GRANT OPTION"),
    ("GRANT `reader`@`%` TO `app`@`%` WITH ADMIN OPTION",
     "GRANT `reader`@`%` TO `app_clone`@`%` WITH ADMIN OPTION"),
])
def test_grants_are_rewritten_for_the_clone(grant: str, expected: str) -> None:
    """SHOW GRANTS lines move to the clone without the current user's password hash."""
    assert mysql.regrant(grant, ("app", "%"), mysql.account("app_clone", "%")) == expected


def test_account_names_are_backtick_quoted() -> None:
    """Backticks in a user name are doubled, never able to end the quoted name."""
    assert mysql.account("a`b", "%") == "`a``b`@`%`"


def _stubbed_create(monkeypatch: pytest.MonkeyPatch, rotation_token: str | None) -> None:
    monkeypatch.setenv("EXCLUDE_CHARACTERS", "xyz")
    monkeypatch.setenv("PASSWORD_LENGTH", "40")
    monkeypatch.setenv("EXCLUDE_PUNCTUATION", "Yes")
    client = _client()
    current = json.dumps(BASE)
    with Stubber(client) as stub:
        stub.add_response("get_secret_value", {"SecretString": current, "ARN": ARN},
                          {"SecretId": ARN, "VersionStage": "AWSCURRENT"})
        stub.add_client_error("get_secret_value", "ResourceNotFoundException",
                              expected_params={"SecretId": ARN, "VersionStage": "AWSPENDING",
                                               "VersionId": TOKEN})
        stub.add_response("get_random_password", {"RandomPassword": "n" * 40}, {
            "ExcludeCharacters": "xyz", "PasswordLength": 40, "ExcludeNumbers": False,
            "ExcludePunctuation": True, "ExcludeUppercase": False, "ExcludeLowercase": False,
            "RequireEachIncludedType": True})
        put: dict[str, Any] = {"SecretId": ARN, "ClientRequestToken": TOKEN,
                               "SecretString": json.dumps({**BASE, "password": "n" * 40}),
                               "VersionStages": ["AWSPENDING"]}
        if rotation_token:
            put["RotationToken"] = rotation_token
        stub.add_response("put_secret_value", {"ARN": ARN, "VersionId": TOKEN}, put)
        request = common.Request(client, ARN, TOKEN, rotation_token, pg_single.ROTATION.shape)
        common.create_secret(request, pg_single.ROTATION)
        stub.assert_no_pending_responses()


@pytest.mark.parametrize("rotation_token", [None, "0b0e4f3d-77aa-4b7c-9d3e-0123456789ab-opaque"])
def test_create_secret_makes_the_calls_aws_templates_make(
        monkeypatch: pytest.MonkeyPatch, rotation_token: str | None) -> None:
    """createSecret probes AWSPENDING, asks for a password as the env says, and puts it
    (with the event's RotationToken when there is one)."""
    _stubbed_create(monkeypatch, rotation_token)


def test_create_secret_keeps_an_existing_pending_value() -> None:
    """A retried createSecret finds the pending value and puts nothing."""
    client = _client()
    with Stubber(client) as stub:
        stub.add_response("get_secret_value", {"SecretString": json.dumps(BASE)},
                          {"SecretId": ARN, "VersionStage": "AWSCURRENT"})
        stub.add_response("get_secret_value", {"SecretString": json.dumps(BASE)},
                          {"SecretId": ARN, "VersionStage": "AWSPENDING", "VersionId": ANY})
        request = common.Request(client, ARN, TOKEN, None, pg_single.ROTATION.shape)
        common.create_secret(request, pg_single.ROTATION)
        stub.assert_no_pending_responses()


@pytest.mark.parametrize(("stages", "outcome"), [
    ({TOKEN: ["AWSCURRENT", "AWSPENDING"]}, None),
    ({"0" * 32: ["AWSCURRENT"]}, f"Secret version {TOKEN} has no stage for rotation of secret "
     f"{ARN}."),
    ({TOKEN: ["AWSPREVIOUS"]}, f"Secret version {TOKEN} not set as AWSPENDING for rotation of "
     f"secret {ARN}."),
])
def test_the_prologue_guards_every_step(monkeypatch: pytest.MonkeyPatch, stages: dict[str, Any],
                                        outcome: str | None) -> None:
    """Already current -> nothing to do; no stage or not pending -> AWS's ValueError."""
    client = _client()
    monkeypatch.setenv("SECRETS_MANAGER_ENDPOINT", "http://127.0.0.1:1")
    monkeypatch.setattr(common.boto3, "client", lambda *a, **k: client)
    event = {"SecretId": ARN, "ClientRequestToken": TOKEN, "Step": "setSecret"}
    with Stubber(client) as stub:
        stub.add_response("describe_secret", {"ARN": ARN, "VersionIdsToStages": stages},
                          {"SecretId": ARN})
        if outcome is None:
            assert pg_single.lambda_handler(event, None) is None
        else:
            with pytest.raises(ValueError, match=r"^Secret version ") as info:
                pg_single.lambda_handler(event, None)
            assert str(info.value) == outcome


def test_rotation_disabled_and_unknown_steps_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """RotationEnabled false and a misspelt step fail as in AWS's templates."""
    client = _client()
    monkeypatch.setenv("SECRETS_MANAGER_ENDPOINT", "http://127.0.0.1:1")
    monkeypatch.setattr(common.boto3, "client", lambda *a, **k: client)
    event = {"SecretId": ARN, "ClientRequestToken": TOKEN, "Step": "create_secret"}
    with Stubber(client) as stub:
        stub.add_response("describe_secret", {"RotationEnabled": False,
                                              "VersionIdsToStages": {TOKEN: ["AWSPENDING"]}})
        with pytest.raises(ValueError, match=f"Secret {ARN} is not enabled for rotation"):
            pg_single.lambda_handler(event, None)
        stub.add_response("describe_secret", {"VersionIdsToStages": {TOKEN: ["AWSPENDING"]}})
        with pytest.raises(ValueError, match="Invalid step parameter create_secret for secret"):
            pg_single.lambda_handler(event, None)
