"""AWS's own MariaDB rotation templates, unmodified, deployed through the Lambda API and
run by RotateSecret against a live strongroom and the local MariaDB.

The templates are not part of this repository: the tests read them from the checkout
named by STRONGROOM_AWS_ROTATION_TEMPLATES and skip without it (see rotation_zips).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import Account
from tests.e2e.rotation_zips import (
    MARIADB_MULTI_USER,
    MARIADB_SINGLE_USER,
    build_pymysql_template_zip,
)
from tests.e2e.test_rotators import (
    MARIADB,
    ROTATION_ROLE_POLICY,
    TRUST_LAMBDA,
    MariaSandbox,
    _create,
    _value,
    _wait_until_current,
    maria,  # noqa: F401 - fixture
    sm,  # noqa: F401 - fixture
)


def _deploy(account: Account, tmp_path: Path, name: str, template: str) -> str:
    """The template as a function `name` that Secrets Manager may invoke; its ARN."""
    code = build_pymysql_template_zip(tmp_path, template)  # skips without a checkout
    iam = account.client("iam")
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=TRUST_LAMBDA)
    iam.put_role_policy(RoleName=f"{name}-role", PolicyName="rotate",
                        PolicyDocument=ROTATION_ROLE_POLICY)
    lam = account.client("lambda")
    arn = str(lam.create_function(
        FunctionName=name, Runtime="python3.12", Role=role["Role"]["Arn"],
        Handler="lambda_function.lambda_handler", Timeout=60,
        Code={"ZipFile": code})["FunctionArn"])
    lam.add_permission(FunctionName=name, StatementId="SecretsManagerAccess",
                       Action="lambda:InvokeFunction", Principal="secretsmanager.amazonaws.com")
    return arn


def _rotate(account: Account, sm: Any, secret: str, function: str) -> None:  # noqa: F811
    token = sm.rotate_secret(SecretId=secret, RotationLambdaARN=function)["VersionId"]
    try:
        _wait_until_current(sm, secret, token)
    except AssertionError:
        logs = account.server.app.lambdas.invocation_logs(function, 5)
        raise AssertionError("\n\n".join(f"{log.error_type}\n{log.log}"
                                         for log in logs)) from None


def test_aws_mariadb_single_user_template_rotates_through_rotate_secret(
        account: Account, sm: Any, maria: MariaSandbox, tmp_path: Path) -> None:  # noqa: F811
    """The single-user template logs in as the user and sets its own password: after each
    rotation the new password logs in and the one before it no longer does."""
    function = _deploy(account, tmp_path, "aws-mariadb-single", MARIADB_SINGLE_USER)
    user = maria.create_user("first-password")
    secret = _create(sm, maria.secret(user, "first-password"))
    old = "first-password"
    for _ in range(2):
        _rotate(account, sm, secret, function)
        current = _value(sm, secret)
        assert current["username"] == user
        assert current["password"] != old
        assert _value(sm, secret, "AWSPREVIOUS")["password"] == old
        assert maria.can_login(user, current["password"])
        assert not maria.can_login(user, old)
        old = current["password"]


def test_aws_mariadb_multi_user_template_rotates_through_rotate_secret(
        account: Account, sm: Any, maria: MariaSandbox, tmp_path: Path) -> None:  # noqa: F811
    """The multi-user template logs in with the master secret (same host), creates
    `<user>_clone` with the user's grants, then alternates: after each rotation the
    current and the previous users both log in, and the two users' grants are the same."""
    function = _deploy(account, tmp_path, "aws-mariadb-multi", MARIADB_MULTI_USER)
    user = maria.create_user("first-password")
    master = _create(sm, maria.secret("root", MARIADB["password"]))
    secret = _create(sm, maria.secret(user, "first-password", masterarn=master))
    usernames = []
    for _ in range(2):
        _rotate(account, sm, secret, function)
        current = _value(sm, secret)
        previous = _value(sm, secret, "AWSPREVIOUS")
        usernames.append(current["username"])
        assert current["username"] != previous["username"]
        assert maria.can_login(current["username"], current["password"])
        assert maria.can_login(previous["username"], previous["password"])
        assert maria.grants(user + "_clone") == maria.grants(user)
    assert usernames == [user + "_clone", user]
