"""Lambda zips of AWS's own rotation templates, for the compatibility tests.

AWS's templates (github.com/aws-samples/aws-secrets-manager-rotation-lambdas) are not
part of this repository. Point STRONGROOM_AWS_ROTATION_TEMPLATES at a checkout of that
repository to run the tests that deploy them unmodified; without it those tests skip
and say why.
"""

from __future__ import annotations

import importlib.metadata
import os
import zipfile
from pathlib import Path

import pytest

TEMPLATES_VARIABLE = "STRONGROOM_AWS_ROTATION_TEMPLATES"
POSTGRESQL_SINGLE_USER = "SecretsManagerRDSPostgreSQLRotationSingleUser"
GENERIC_TEMPLATE = "SecretsManagerRotationTemplate"


def template(name: str) -> Path:
    """The template's lambda_function.py, or a skip when no checkout is configured."""
    root = os.environ.get(TEMPLATES_VARIABLE)
    if not root:
        pytest.skip(f"set {TEMPLATES_VARIABLE} to a checkout of "
                    "aws-samples/aws-secrets-manager-rotation-lambdas to run AWS's own templates")
    path = Path(root) / name / "lambda_function.py"
    if not path.is_file():
        pytest.skip(f"{path} does not exist")
    return path


def build_template_zip(tmp_path: Path, name: str = POSTGRESQL_SINGLE_USER) -> bytes:
    """AWS's template as lambda_function.py with the driver it imports, PyGreSQL (`pg`,
    `pgdb`, a C extension on libpq), copied whole from this venv — as one builds a Lambda
    deployment package with a compiled dependency."""
    source = template(name)
    target = tmp_path / "aws-template.zip"
    dist = importlib.metadata.distribution("PyGreSQL")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(source, "lambda_function.py")
        for entry in dist.files or []:
            if entry.parts[0] in ("pg", "pgdb") and "__pycache__" not in entry.parts:
                archive.write(Path(str(dist.locate_file(entry))), entry.as_posix())
    return target.read_bytes()


MARIADB_SINGLE_USER = "SecretsManagerRDSMariaDBRotationSingleUser"
MARIADB_MULTI_USER = "SecretsManagerRDSMariaDBRotationMultiUser"


def build_pymysql_template_zip(tmp_path: Path, name: str) -> bytes:
    """AWS's MariaDB/MySQL template `name` as lambda_function.py with the driver it
    imports, PyMySQL (the pure-Python `pymysql` package), copied from this venv."""
    source = template(name)
    target = tmp_path / f"{name}.zip"
    dist = importlib.metadata.distribution("PyMySQL")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(source, "lambda_function.py")
        for entry in dist.files or []:
            if entry.parts[0] == "pymysql" and "__pycache__" not in entry.parts:
                archive.write(Path(str(dist.locate_file(entry))), entry.as_posix())
    return target.read_bytes()
