"""`strongroom rotators`: the Lambda zips it writes and the Lambda calls install makes."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import boto3
import pytest
from botocore.stub import ANY, Stubber

from strongroom.cli import rotators as cli
from strongroom.cli.main import main
from strongroom.rotators.package import HANDLER, ROTATORS, build_zip

NAMES = ["postgresql-single-user", "postgresql-alternating-users", "mysql-single-user",
         "mysql-alternating-users"]
FUNCTION_ARN = "arn:aws:lambda:us-east-1:111122223333:function:rotate-db"
ROLE = "arn:aws:iam::111122223333:role/rotator"

_IMPORT_CHECK = """
import sys
sys.path.insert(0, sys.argv[1])
import lambda_function
assert callable(lambda_function.lambda_handler)
assert lambda_function.__file__.startswith(sys.argv[1]), lambda_function.__file__
leaked = sorted(name for name in sys.modules if name.split(".")[0] == "strongroom")
assert not leaked, leaked
print(lambda_function.ROTATION.engine.label)
"""


def test_the_four_rotators_are_listed(capsys: pytest.CaptureFixture[str]) -> None:
    """`strongroom rotators list` names the four built-in rotators."""
    assert main(["rotators", "list"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == NAMES == list(ROTATORS)


@pytest.mark.parametrize("name", NAMES)
def test_a_package_imports_from_the_zip_alone(name: str, tmp_path: Path) -> None:
    """A rotator's zip holds lambda_function.py and imports in a fresh interpreter with
    nothing of strongroom but the zip."""
    target = tmp_path / "fn.zip"
    assert main(["rotators", "package", name, "-o", str(target)]) == 0
    engine = "postgresql" if name.startswith("postgresql") else "mysql"
    with zipfile.ZipFile(target) as archive:
        assert sorted(archive.namelist()) == sorted(
            ["lambda_function.py", "strongroom_rotator_common.py",
             f"strongroom_rotator_{engine}.py"])
    result = subprocess.run([sys.executable, "-I", "-c", _IMPORT_CHECK, str(target)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ("PostgreSQL" if engine == "postgresql" else "MySQL")


def test_zips_are_reproducible() -> None:
    """The same code gives byte-identical zips, so CodeSha256 changes only with the code."""
    assert build_zip("mysql-single-user") == build_zip("mysql-single-user")
    with zipfile.ZipFile(io.BytesIO(build_zip("mysql-single-user"))) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_an_unknown_rotator_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    """A misspelt name fails in one line and writes nothing."""
    assert main(["rotators", "package", "oracle", "-o", str(tmp_path / "x.zip")]) == 1
    assert "no built-in rotator 'oracle'" in capsys.readouterr().err
    assert not (tmp_path / "x.zip").exists()


def _lambda() -> object:
    return boto3.client("lambda", region_name="us-east-1", aws_access_key_id="AKIDEXAMPLE",
                        aws_secret_access_key="secret", endpoint_url="http://127.0.0.1:1")


_PERMISSION = {"FunctionName": "rotate-db", "StatementId": "SecretsManagerAccess",
               "Action": "lambda:InvokeFunction", "Principal": "secretsmanager.amazonaws.com",
               "SourceAccount": "111122223333"}


def test_install_creates_the_function_and_lets_secrets_manager_invoke_it() -> None:
    """install: CreateFunction (python3.12, 30 s, lambda_function.lambda_handler), then
    AddPermission for secretsmanager.amazonaws.com; it answers the function's ARN."""
    client = _lambda()
    with Stubber(client) as stub:
        stub.add_response("create_function", {"FunctionName": "rotate-db",
                                              "FunctionArn": FUNCTION_ARN}, {
            "FunctionName": "rotate-db", "Runtime": "python3.12", "Role": ROLE,
            "Handler": HANDLER, "Code": {"ZipFile": build_zip("postgresql-single-user")},
            "Timeout": 30, "Description": ANY,
            "Environment": {"Variables": {"PASSWORD_LENGTH": "40"}}})
        stub.add_response("add_permission", {"Statement": "{}"}, _PERMISSION)
        arn = cli.install("postgresql-single-user", "rotate-db", ROLE, {"PASSWORD_LENGTH": "40"},
                          client=client)
        stub.assert_no_pending_responses()
    assert arn == FUNCTION_ARN


def test_install_updates_the_code_of_an_existing_function() -> None:
    """A second install replaces the code and keeps the permission statement it finds."""
    client = _lambda()
    with Stubber(client) as stub:
        stub.add_client_error("create_function", "ResourceConflictException",
                              "Function already exist: rotate-db", 409)
        stub.add_response("update_function_code", {"FunctionArn": FUNCTION_ARN}, {
            "FunctionName": "rotate-db", "ZipFile": build_zip("mysql-alternating-users")})
        stub.add_client_error("add_permission", "ResourceConflictException",
                              "The statement id (SecretsManagerAccess) provided already exists.",
                              409, expected_params=_PERMISSION)
        arn = cli.install("mysql-alternating-users", "rotate-db", ROLE, {}, client=client)
        stub.assert_no_pending_responses()
    assert arn == FUNCTION_ARN


def test_install_reports_lambda_errors_in_one_line() -> None:
    """A refused call becomes a one-line error naming the operation and AWS's code."""
    client = _lambda()
    with Stubber(client) as stub:
        stub.add_client_error("create_function", "AccessDeniedException", "not allowed", 403)
        with pytest.raises(cli.RotatorsError, match="CreateFunction: AccessDeniedException"):
            cli.install("mysql-single-user", "rotate-db", ROLE, {}, client=client)


def test_install_env_wants_key_value(capsys: pytest.CaptureFixture[str]) -> None:
    """--env takes KEY=VALUE pairs."""
    assert main(["rotators", "install", "mysql-single-user", "--function-name", "f",
                 "--role", ROLE, "--env", "NOEQUALS"]) == 1
    assert "--env wants KEY=VALUE" in capsys.readouterr().err
