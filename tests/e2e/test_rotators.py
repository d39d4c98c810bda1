"""The built-in rotators against a live strongroom and real PostgreSQL and MariaDB servers.

Each test makes its own database and users with random names and drops them after.
Most tests run the handlers in-process with the environment a Lambda function gets
(the endpoint and the account's keys): `_rotate` stores the pending value as the first
createSecret would on RotateSecret's placeholder, then runs every step through
`lambda_handler`. The last tests deploy zips through the Lambda API and let
RotateSecret run them as subprocesses, as AWS Lambda would.

The local PostgreSQL trusts 127.0.0.1 (any password logs in), so PostgreSQL tests
check the stored SCRAM verifier instead of a login; MariaDB checks real logins.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import psycopg
import pymysql
import pytest
from psycopg import sql

from strongroom.cli import rotators as rotators_cli
from strongroom.rotators.functions import common, mysql, postgresql
from strongroom.rotators.functions import mysql_alternating_users as my_alternating
from strongroom.rotators.functions import mysql_single_user as my_single
from strongroom.rotators.functions import postgresql_alternating_users as pg_alternating
from strongroom.rotators.functions import postgresql_single_user as pg_single
from tests.conftest import PG_ADMIN_DSN, Account
from tests.e2e.rotation_zips import build_template_zip

MARIADB = {"host": os.environ.get("STRONGROOM_TEST_MYSQL_HOST", "127.0.0.1"),
           "port": int(os.environ.get("STRONGROOM_TEST_MYSQL_PORT", "3306")),
           "user": "root", "password": os.environ.get("STRONGROOM_TEST_MYSQL_PASSWORD", "")}
PG_HOST = "127.0.0.1"


def _name(prefix: str = "r") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


# --- databases -----------------------------------------------------------------------------


def scram_matches(verifier: str, password: str) -> bool:
    """Whether a PostgreSQL SCRAM-SHA-256 verifier was made from `password`."""
    method, rest = verifier.split("$", 1)
    assert method == "SCRAM-SHA-256"
    iterations_salt, keys = rest.split("$")
    iterations, salt = iterations_salt.split(":")
    stored_key = keys.split(":")[0]
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt),
                                 int(iterations))
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    return hmac.compare_digest(hashlib.sha256(client_key).digest(), base64.b64decode(stored_key))


@dataclass
class PgSandbox:
    admin: psycopg.Connection[Any]
    dbname: str
    roles: list[str] = field(default_factory=list)

    def create_role(self, password: str, *options: str) -> str:
        role = _name()
        self.roles += [role, role + common.CLONE_SUFFIX]
        self.admin.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} " + " ".join(options))
                           .format(sql.Identifier(role), sql.Literal(password)))
        return role

    def verifier(self, role: str) -> str:
        row = self.admin.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s",
                                 (role,)).fetchone()
        assert row is not None, f"no role {role}"
        return str(row[0])

    def run(self, statement: sql.Composable) -> Any:
        with psycopg.connect(f"host={PG_HOST} user=postgres dbname={self.dbname}",
                             autocommit=True) as conn:
            cur = conn.execute(statement)
            return cur.fetchall() if cur.description else None

    def secret(self, role: str, password: str, **extra: Any) -> dict[str, Any]:
        return {"engine": "postgres", "host": PG_HOST, "port": "5432", "dbname": self.dbname,
                "username": role, "password": password, **extra}


@pytest.fixture
def pg() -> Iterator[PgSandbox]:
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
        sandbox = PgSandbox(admin, _name("rotdb_"))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(sandbox.dbname)))
        try:
            yield sandbox
        finally:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                          .format(sql.Identifier(sandbox.dbname)))
            for role in reversed(sandbox.roles):
                admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


@dataclass
class MariaSandbox:
    root: Any
    dbname: str
    users: list[str] = field(default_factory=list)

    def create_user(self, password: str) -> str:
        user = _name()
        self.users += [user, user + common.CLONE_SUFFIX]
        self.execute(f"CREATE USER {mysql.account(user, '%%')} IDENTIFIED BY %s", (password,))
        self.execute(f"GRANT SELECT ON {mysql.quote_name(self.dbname)}.* TO "
                     f"{mysql.account(user, '%')}")
        return user

    def execute(self, statement: str, args: Any = None) -> list[tuple[Any, ...]]:
        with self.root.cursor() as cur:
            cur.execute(statement, args)
            return list(cur.fetchall())

    def grants(self, user: str) -> list[str]:
        """SHOW GRANTS of `user`, with the grantee and any password hash blanked."""
        rows = self.execute(f"SHOW GRANTS FOR {mysql.account(user, '%')}")
        grantee = " TO " + mysql.account(user, "%")
        return sorted(str(row[0]).split(" IDENTIFIED BY PASSWORD")[0].replace(grantee, " TO ?")
                      for row in rows)

    def can_login(self, user: str, password: str) -> bool:
        try:
            pymysql.connect(host=MARIADB["host"], port=MARIADB["port"], user=user,
                            password=password, database=self.dbname, connect_timeout=5).close()
        except pymysql.err.OperationalError:
            return False
        return True

    def secret(self, user: str, password: str, engine: str = "mariadb",
               **extra: Any) -> dict[str, Any]:
        return {"engine": engine, "host": MARIADB["host"], "port": MARIADB["port"],
                "dbname": self.dbname, "username": user, "password": password, **extra}


@pytest.fixture
def maria() -> Iterator[MariaSandbox]:
    root = pymysql.connect(**MARIADB, autocommit=True)  # type: ignore[arg-type]
    sandbox = MariaSandbox(root, _name("rotdb_"))
    sandbox.execute(f"CREATE DATABASE {mysql.quote_name(sandbox.dbname)}")
    sandbox.execute(f"CREATE TABLE {mysql.quote_name(sandbox.dbname)}.items (id INT)")
    try:
        yield sandbox
    finally:
        for user in sandbox.users:
            sandbox.execute(f"DROP USER IF EXISTS {mysql.account(user, '%')}")
        sandbox.execute(f"DROP DATABASE IF EXISTS {mysql.quote_name(sandbox.dbname)}")
        root.close()


# --- the function's environment and a rotation ---------------------------------------------


@pytest.fixture
def sm(account: Account, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """The account's client; the environment a rotation function of that account gets."""
    monkeypatch.setenv("SECRETS_MANAGER_ENDPOINT", account.server.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", account.credentials.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", account.credentials.secret_access_key)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "EXCLUDE_CHARACTERS",
                 "PASSWORD_LENGTH", "USERNAME_CHARACTER_LIMIT"):
        monkeypatch.delenv(name, raising=False)
    # boto3's default session keeps the first credentials it finds; a Lambda process
    # belongs to one function, but these tests switch accounts.
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    return account.client()


def _create(sm: Any, secret: dict[str, Any]) -> str:
    return str(sm.create_secret(Name=_name("db-"), SecretString=json.dumps(secret))["ARN"])


def _value(sm: Any, arn: str, stage: str = "AWSCURRENT") -> dict[str, Any]:
    return dict(json.loads(sm.get_secret_value(SecretId=arn, VersionStage=stage)["SecretString"]))


def _rotate(function: ModuleType, sm: Any, arn: str) -> str:
    """One rotation, step by step; the token."""
    token = str(uuid.uuid4())
    event = {"SecretId": arn, "ClientRequestToken": token}
    with pytest.raises(ValueError, match="has no stage for rotation"):
        function.lambda_handler({**event, "Step": "createSecret"}, None)
    # In-process there is no RotateSecret placeholder: store the pending value as the
    # first createSecret would on it, then run every step as the service would.
    rotation = function.ROTATION
    common.create_secret(common.Request(sm, arn, token, None, rotation.shape), rotation)
    for step in ("createSecret", "setSecret", "testSecret", "finishSecret"):
        function.lambda_handler({**event, "Step": step}, None)
    stages = sm.describe_secret(SecretId=arn)["VersionIdsToStages"]
    assert "AWSCURRENT" in stages[token]
    return token


# --- PostgreSQL ----------------------------------------------------------------------------


def test_postgresql_set_password_stores_a_verifier_of_the_new_password(pg: PgSandbox) -> None:
    """ALTER ROLE through the rotator leaves a SCRAM verifier of the new password only."""
    role = pg.create_role("old-pw")
    conn = postgresql.connect(pg.secret(role, "old-pw", ssl=False))
    assert conn is not None
    with conn:
        postgresql.set_password(conn, role, "new'pw\\with;quotes")
    assert scram_matches(pg.verifier(role), "new'pw\\with;quotes")
    assert not scram_matches(pg.verifier(role), "old-pw")


def test_postgresql_clone_gets_the_rights_of_the_current_role(pg: PgSandbox) -> None:
    """The alternate role is created with LOGIN as a member of the current one."""
    role = pg.create_role("pw0")
    master = pg.create_role("master-pw", "CREATEROLE")
    pg.run(sql.SQL("CREATE TABLE items (id int); GRANT SELECT ON items TO {}")
           .format(sql.Identifier(role)))
    conn = postgresql.connect(pg.secret(master, "master-pw"))
    assert conn is not None
    clone = role + "_clone"
    with conn:
        postgresql.set_alternate_user(conn, pg.secret(role, "pw0"), pg.secret(clone, "pw1"))
        postgresql.set_alternate_user(conn, pg.secret(role, "pw0"), pg.secret(clone, "pw2"))
    assert scram_matches(pg.verifier(clone), "pw2")
    rows = pg.run(sql.SQL("SELECT has_table_privilege({}, 'items', 'SELECT'), "
                          "pg_has_role({}, {}, 'MEMBER'), rolcanlogin FROM pg_roles "
                          "WHERE rolname = {}").format(sql.Literal(clone), sql.Literal(clone),
                                                       sql.Literal(role), sql.Literal(clone)))
    assert rows == [(True, True, True)]


def test_postgresql_single_user_rotation(sm: Any, pg: PgSandbox) -> None:
    """Single user: the database ends with the new password, the old one is gone, and the
    old version becomes AWSPREVIOUS."""
    role = pg.create_role("first-password")
    arn = _create(sm, pg.secret(role, "first-password"))
    first_version = sm.describe_secret(SecretId=arn)["VersionIdsToStages"]
    token = _rotate(pg_single, sm, arn)
    new = _value(sm, arn)
    assert new["username"] == role
    assert new["password"] != "first-password"
    assert len(new["password"]) == 32
    assert scram_matches(pg.verifier(role), new["password"])
    assert not scram_matches(pg.verifier(role), "first-password")
    stages = sm.describe_secret(SecretId=arn)["VersionIdsToStages"]
    assert [stages[v] for v in first_version] == [["AWSPREVIOUS"]]
    assert "AWSCURRENT" in stages[token]
    # A retried step of a finished rotation does nothing (the prologue's AWSCURRENT check).
    pg_single.lambda_handler({"SecretId": arn, "ClientRequestToken": token,
                              "Step": "setSecret"}, None)
    assert scram_matches(pg.verifier(role), new["password"])


def test_postgresql_alternating_users_rotation(sm: Any, pg: PgSandbox) -> None:
    """Alternating users: the first rotation creates <user>_clone, the second returns to
    <user> with a new password, and the clone keeps its own."""
    role = pg.create_role("pw0")
    master = pg.create_role("master-pw", "CREATEROLE")
    master_arn = _create(sm, pg.secret(master, "master-pw"))
    arn = _create(sm, pg.secret(role, "pw0", masterarn=master_arn))
    pg.run(sql.SQL("CREATE TABLE items (id int); GRANT SELECT ON items TO {}")
           .format(sql.Identifier(role)))

    _rotate(pg_alternating, sm, arn)
    first = _value(sm, arn)
    clone = role + "_clone"
    assert first["username"] == clone
    assert first["masterarn"] == master_arn
    assert scram_matches(pg.verifier(clone), first["password"])
    assert scram_matches(pg.verifier(role), "pw0")  # the other user is untouched
    assert pg.run(sql.SQL("SELECT has_table_privilege({}, 'items', 'SELECT')")
                  .format(sql.Literal(clone))) == [(True,)]

    _rotate(pg_alternating, sm, arn)
    second = _value(sm, arn)
    assert second["username"] == role
    assert second["password"] not in ("pw0", first["password"])
    assert scram_matches(pg.verifier(role), second["password"])
    assert scram_matches(pg.verifier(clone), first["password"])
    assert _value(sm, arn, "AWSPREVIOUS")["username"] == clone


def test_postgresql_alternating_users_needs_the_master_on_the_same_host(
        sm: Any, pg: PgSandbox) -> None:
    """A master secret for another host is refused with AWS's message."""
    role = pg.create_role("pw0")
    master_arn = _create(sm, {**pg.secret("postgres", "x"), "host": "elsewhere.example"})
    arn = _create(sm, pg.secret(role, "pw0", masterarn=master_arn))
    with pytest.raises(ValueError, match="is not the same host as/rds replica of master"):
        _rotate(pg_alternating, sm, arn)


# --- MySQL / MariaDB -----------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["mariadb", "mysql"])
def test_mysql_single_user_rotation(sm: Any, maria: MariaSandbox, engine: str) -> None:
    """Single user: the new password logs in, the old one no longer does."""
    user = maria.create_user("first-password")
    arn = _create(sm, maria.secret(user, "first-password", engine=engine))
    token = _rotate(my_single, sm, arn)
    new = _value(sm, arn)
    assert maria.can_login(user, new["password"])
    assert not maria.can_login(user, "first-password")
    assert _value(sm, arn, "AWSPREVIOUS")["password"] == "first-password"
    # A setSecret retried before finishSecret finds the pending password already set.
    pending_token = str(uuid.uuid4())
    common.create_secret(common.Request(sm, arn, pending_token, None, my_single.ROTATION.shape),
                         my_single.ROTATION)
    event = {"SecretId": arn, "ClientRequestToken": pending_token, "Step": "setSecret"}
    my_single.lambda_handler(event, None)
    my_single.lambda_handler(event, None)
    assert maria.can_login(user, _value(sm, arn, "AWSPENDING")["password"])
    assert token != pending_token


def test_mysql_single_user_falls_back_to_the_previous_password(sm: Any, maria: MariaSandbox
                                                               ) -> None:
    """When AWSCURRENT does not log in, setSecret logs in with AWSPREVIOUS."""
    user = maria.create_user("works")
    arn = _create(sm, maria.secret(user, "works"))
    sm.put_secret_value(SecretId=arn, SecretString=json.dumps(maria.secret(user, "stale")))
    _rotate(my_single, sm, arn)
    assert maria.can_login(user, _value(sm, arn)["password"])


def test_mysql_clone_gets_the_grants_of_the_current_user(maria: MariaSandbox) -> None:
    """The clone is created with the same grants as the current user, password excluded."""
    user = maria.create_user("pw0")
    db = mysql.quote_name(maria.dbname)
    maria.execute(f"GRANT SELECT, INSERT ON {db}.* TO {mysql.account(user, '%')}")
    maria.execute(f"GRANT UPDATE (id) ON {db}.items TO {mysql.account(user, '%')} "
                  "WITH GRANT OPTION")
    conn = mysql.connect({**maria.secret("root", MARIADB["password"]), "ssl": False})
    assert conn is not None
    clone = user + "_clone"
    try:
        mysql.set_alternate_user(conn, maria.secret(user, "pw0"), maria.secret(clone, "pw1"))
    finally:
        conn.close()
    assert maria.grants(clone) == maria.grants(user)
    assert any("WITH GRANT OPTION" in grant for grant in maria.grants(clone))
    assert maria.can_login(clone, "pw1")
    assert maria.can_login(user, "pw0")


def test_mysql_clone_gets_the_tls_requirement_of_the_current_user(maria: MariaSandbox) -> None:
    """REQUIRE SSL on the current user is copied to the clone."""
    user = maria.create_user("pw0")
    maria.execute(f"ALTER USER {mysql.account(user, '%')} REQUIRE SSL")
    conn = mysql.connect({**maria.secret("root", MARIADB["password"]), "ssl": False})
    assert conn is not None
    try:
        mysql.set_alternate_user(conn, maria.secret(user, "pw0"),
                                 maria.secret(user + "_clone", "pw1"))
    finally:
        conn.close()
    rows = maria.execute("SELECT ssl_type FROM mysql.user WHERE User = %s", (user + "_clone",))
    assert rows == [("ANY",)]


def test_mysql_alternating_users_rotation(sm: Any, maria: MariaSandbox) -> None:
    """Alternating users: clone created with the same grants, both users log in, and the
    second rotation returns to the original user with a new password."""
    user = maria.create_user("pw0")
    master_arn = _create(sm, maria.secret("root", MARIADB["password"]))
    arn = _create(sm, maria.secret(user, "pw0", engine="mysql", masterarn=master_arn))

    _rotate(my_alternating, sm, arn)
    first = _value(sm, arn)
    clone = user + "_clone"
    assert first["username"] == clone
    assert maria.grants(clone) == maria.grants(user)
    assert maria.can_login(clone, first["password"])
    assert maria.can_login(user, "pw0")

    _rotate(my_alternating, sm, arn)
    second = _value(sm, arn)
    assert second["username"] == user
    assert maria.can_login(user, second["password"])
    assert not maria.can_login(user, "pw0")
    assert maria.can_login(clone, first["password"])


def test_mysql_alternating_users_refuse_a_too_long_clone_name(sm: Any, maria: MariaSandbox
                                                              ) -> None:
    """Engine mysql caps <user>_clone at 16 characters, as AWS's template does."""
    arn = _create(sm, maria.secret("a_rather_long_user", "pw", engine="mysql",
                                   masterarn="arn:x"))
    with pytest.raises(ValueError, match="would exceed 16 characters"):
        _rotate(my_alternating, sm, arn)


# --- secret checks and passwords -----------------------------------------------------------


@pytest.mark.parametrize(("function", "secret", "message"), [
    (pg_single, {"engine": "mysql", "host": "h", "username": "u", "password": "p"},
     "Database engine must be set to 'postgres' in order to use this rotation lambda"),
    (my_single, {"engine": "postgres", "host": "h", "username": "u", "password": "p"},
     "Database engine must be set to 'mysql' in order to use this rotation lambda"),
    (pg_alternating, {"engine": "postgres", "username": "u", "password": "p"},
     "host key is missing from secret JSON"),
    (my_alternating, {"host": "h", "username": "u", "password": "p"},
     "engine key is missing from secret JSON"),
])
def test_bad_secrets_fail_with_aws_messages(sm: Any, function: ModuleType,
                                            secret: dict[str, Any], message: str) -> None:
    """A wrong engine or a missing key stops createSecret with AWS's KeyError."""
    arn = _create(sm, secret)
    request = common.Request(sm, arn, str(uuid.uuid4()), None, function.ROTATION.shape)
    with pytest.raises(KeyError) as info:
        common.create_secret(request, function.ROTATION)
    assert info.value.args[0] == message


@pytest.mark.parametrize(("default", "excluded"), [
    (postgresql.DEFAULT_EXCLUDE_CHARACTERS, ':/@"\'\\'),
    (mysql.DEFAULT_EXCLUDE_CHARACTERS, '/@"\'\\'),
])
def test_default_passwords_exclude_awss_characters(sm: Any, monkeypatch: pytest.MonkeyPatch,
                                                   default: str, excluded: str) -> None:
    """Generated passwords never hold the characters AWS's templates exclude by default."""
    assert default == excluded
    monkeypatch.setenv("PASSWORD_LENGTH", "4096")
    password = common.random_password(sm, default)
    assert len(password) == 4096
    assert not set(password) & set(excluded)
    assert {":", ";"} & set(password) - set(excluded)  # punctuation is otherwise there


def test_password_settings_come_from_the_environment(sm: Any, maria: MariaSandbox,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """EXCLUDE_CHARACTERS and PASSWORD_LENGTH shape the pending password."""
    monkeypatch.setenv("EXCLUDE_CHARACTERS", "abcdefABCDEF0123456789")
    monkeypatch.setenv("PASSWORD_LENGTH", "48")
    user = maria.create_user("pw0")
    arn = _create(sm, maria.secret(user, "pw0"))
    _rotate(my_single, sm, arn)
    password = _value(sm, arn)["password"]
    assert len(password) == 48
    assert not set(password) & set("abcdefABCDEF0123456789")
    assert maria.can_login(user, password)


# --- AWS's own template, from its zip ------------------------------------------------------

# --- installed through the Lambda API, run by RotateSecret --------------------------------

TRUST_LAMBDA = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
    "Action": "sts:AssumeRole"}]})
ROTATION_ROLE_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["secretsmanager:DescribeSecret",
                                   "secretsmanager:GetSecretValue",
                                   "secretsmanager:PutSecretValue",
                                   "secretsmanager:UpdateSecretVersionStage"],
     "Resource": "*"},
    {"Effect": "Allow", "Action": "secretsmanager:GetRandomPassword", "Resource": "*"},
]})


def _wait_until_current(sm: Any, arn: str, token: str, timeout: float = 60.0) -> None:
    """Until the rotation is over: AWSCURRENT on the token, AWSPENDING removed by the service."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sm.describe_secret(SecretId=arn)["VersionIdsToStages"].get(token) == ["AWSCURRENT"]:
            return
        time.sleep(0.2)
    raise AssertionError(f"version {token} did not become AWSCURRENT")


def test_installed_rotators_rotate_through_rotate_secret(account: Account, sm: Any,
                                                         maria: MariaSandbox) -> None:
    """`strongroom rotators install` deploys a function that RotateSecret then runs:
    single user and alternating users, twice each, against MariaDB."""
    iam = account.client("iam")
    role = iam.create_role(RoleName="rotator", AssumeRolePolicyDocument=TRUST_LAMBDA)
    iam.put_role_policy(RoleName="rotator", PolicyName="rotate",
                        PolicyDocument=ROTATION_ROLE_POLICY)
    lam = account.client("lambda")
    single_fn = rotators_cli.install("mysql-single-user", "rotate-single", role["Role"]["Arn"],
                                     {"PASSWORD_LENGTH": "40"}, client=lam)
    assert single_fn == rotators_cli.install("mysql-single-user", "rotate-single",
                                             role["Role"]["Arn"], {}, client=lam)
    alternating_fn = rotators_cli.install("mysql-alternating-users", "rotate-alternating",
                                          role["Role"]["Arn"], {}, client=lam)

    user = maria.create_user("pw0")
    single = _create(sm, maria.secret(user, "pw0"))
    for _ in range(2):
        token = sm.rotate_secret(SecretId=single, RotationLambdaARN=single_fn)["VersionId"]
        _wait_until_current(sm, single, token)
    password = _value(sm, single)["password"]
    assert len(password) == 40
    assert maria.can_login(user, password)
    assert not maria.can_login(user, _value(sm, single, "AWSPREVIOUS")["password"])

    other = maria.create_user("pw1")
    master = _create(sm, maria.secret("root", MARIADB["password"]))
    alternating = _create(sm, maria.secret(other, "pw1", masterarn=master))
    usernames = []
    for _ in range(2):
        token = sm.rotate_secret(SecretId=alternating,
                                 RotationLambdaARN=alternating_fn)["VersionId"]
        _wait_until_current(sm, alternating, token)
        current = _value(sm, alternating)
        usernames.append(current["username"])
        assert maria.can_login(current["username"], current["password"])
    assert usernames == [other + "_clone", other]
    assert maria.grants(other + "_clone") == maria.grants(other)


def test_aws_postgresql_template_rotates_through_rotate_secret(
        account: Account, sm: Any, pg: PgSandbox, tmp_path: Path) -> None:
    """AWS's unmodified PostgreSQL template, deployed as a zip with its bundled driver
    (PyGreSQL, a compiled extension), completes a rotation that RotateSecret starts. (The
    local PostgreSQL trusts 127.0.0.1, so the template's setSecret finds the pending
    credentials already "work" and leaves the database alone; the built-in rotators'
    tests check the password itself.)"""
    iam = account.client("iam")
    role = iam.create_role(RoleName="aws-template", AssumeRolePolicyDocument=TRUST_LAMBDA)
    iam.put_role_policy(RoleName="aws-template", PolicyName="rotate",
                        PolicyDocument=ROTATION_ROLE_POLICY)
    lam = account.client("lambda")
    function = lam.create_function(
        FunctionName="aws-template", Runtime="python3.12", Role=role["Role"]["Arn"],
        Handler="lambda_function.lambda_handler", Timeout=30,
        Code={"ZipFile": build_template_zip(tmp_path)})["FunctionArn"]
    lam.add_permission(FunctionName="aws-template", StatementId="SecretsManagerAccess",
                       Action="lambda:InvokeFunction", Principal="secretsmanager.amazonaws.com")
    secret = _create(sm, pg.secret(pg.create_role("first-password"), "first-password"))
    token = sm.rotate_secret(SecretId=secret, RotationLambdaARN=function)["VersionId"]
    _wait_until_current(sm, secret, token)
    assert _value(sm, secret)["password"] != "first-password"


def _deployed(account: Account, name: str) -> str:
    """`strongroom rotators install` of one built-in rotator, with a role allowed to rotate."""
    iam = account.client("iam")
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=TRUST_LAMBDA)
    iam.put_role_policy(RoleName=f"{name}-role", PolicyName="rotate",
                        PolicyDocument=ROTATION_ROLE_POLICY)
    return rotators_cli.install(name, name, role["Role"]["Arn"], {},
                                client=account.client("lambda"))


def test_installed_postgresql_rotators_rotate_through_rotate_secret(
        account: Account, sm: Any, pg: PgSandbox) -> None:
    """Both PostgreSQL strategies, deployed and run by RotateSecret. The local server
    trusts 127.0.0.1, so a login proves nothing: the stored SCRAM verifiers do."""
    single_fn = _deployed(account, "postgresql-single-user")
    role = pg.create_role("first-password")
    single = _create(sm, pg.secret(role, "first-password"))
    token = sm.rotate_secret(SecretId=single, RotationLambdaARN=single_fn)["VersionId"]
    _wait_until_current(sm, single, token)
    assert scram_matches(pg.verifier(role), _value(sm, single)["password"])
    assert not scram_matches(pg.verifier(role), "first-password")

    alternating_fn = _deployed(account, "postgresql-alternating-users")
    master = _create(sm, pg.secret("postgres", "unused-under-trust"))
    other = pg.create_role("pw1")
    alternating = _create(sm, pg.secret(other, "pw1", masterarn=master))
    for expected in (other + common.CLONE_SUFFIX, other):
        token = sm.rotate_secret(SecretId=alternating,
                                 RotationLambdaARN=alternating_fn)["VersionId"]
        _wait_until_current(sm, alternating, token)
        current = _value(sm, alternating)
        assert current["username"] == expected
        assert scram_matches(pg.verifier(expected), current["password"])
    previous = _value(sm, alternating, "AWSPREVIOUS")  # still valid until the next rotation
    assert scram_matches(pg.verifier(previous["username"]), previous["password"])


def test_alternating_users_rotations_cause_no_failed_login(account: Account, sm: Any,
                                                          maria: MariaSandbox) -> None:
    """An application reads AWSCURRENT and logs in, in a loop, while the secret is rotated
    again and again with the alternating-users strategy: not one login fails."""
    function = _deployed(account, "mysql-alternating-users")
    user = maria.create_user("pw0")
    master = _create(sm, maria.secret("root", MARIADB["password"]))
    arn = _create(sm, maria.secret(user, "pw0", masterarn=master))
    app = account.client()
    stop = threading.Event()
    logins: list[bool] = []

    def application() -> None:
        while not stop.is_set():
            current = json.loads(app.get_secret_value(SecretId=arn)["SecretString"])
            logins.append(maria.can_login(current["username"], current["password"]))

    reader = threading.Thread(target=application)
    reader.start()
    try:
        for _ in range(4):
            token = sm.rotate_secret(SecretId=arn, RotationLambdaARN=function)["VersionId"]
            _wait_until_current(sm, arn, token)
    finally:
        stop.set()
        reader.join(timeout=30)
    assert len(logins) > 20
    assert all(logins), f"{logins.count(False)} of {len(logins)} logins failed"
