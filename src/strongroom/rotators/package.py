"""The catalogue of built-in rotation functions, and their Lambda zips.

A zip holds the function's handler module as `lambda_function.py` (handler
`lambda_function.lambda_handler`) and the shared modules under names no user code
would take. Sources are read with importlib.resources, so this works from an
installed package; nothing here imports them. Entries carry a fixed timestamp, so
the same code gives the same zip (and the same CodeSha256).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from importlib import resources

FUNCTIONS_PACKAGE = "strongroom.rotators.functions"
HANDLER = "lambda_function.lambda_handler"
RUNTIME = "python3.12"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class BuiltInRotator:
    name: str
    module: str  # in FUNCTIONS_PACKAGE; becomes lambda_function.py
    engine_module: str  # in FUNCTIONS_PACKAGE; becomes strongroom_rotator_<engine>.py
    summary: str

    def zip_members(self) -> dict[str, str]:
        """Name in the zip -> source file in FUNCTIONS_PACKAGE."""
        return {
            "lambda_function.py": f"{self.module}.py",
            "strongroom_rotator_common.py": "common.py",
            f"strongroom_rotator_{self.engine_module}.py": f"{self.engine_module}.py",
        }


ROTATORS: dict[str, BuiltInRotator] = {r.name: r for r in (
    BuiltInRotator("postgresql-single-user", "postgresql_single_user", "postgresql",
                   "PostgreSQL: the user changes its own password"),
    BuiltInRotator("postgresql-alternating-users", "postgresql_alternating_users",
                   "postgresql", "PostgreSQL: <user> and <user>_clone take turns (masterarn)"),
    BuiltInRotator("mysql-single-user", "mysql_single_user", "mysql",
                   "MySQL / MariaDB: the user changes its own password"),
    BuiltInRotator("mysql-alternating-users", "mysql_alternating_users", "mysql",
                   "MySQL / MariaDB: <user> and <user>_clone take turns (masterarn)"),
)}


class UnknownRotator(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def rotator(name: str) -> BuiltInRotator:
    try:
        return ROTATORS[name]
    except KeyError:
        raise UnknownRotator(name) from None


def build_zip(name: str) -> bytes:
    """The Lambda deployment package of the built-in rotator `name`."""
    sources = resources.files(FUNCTIONS_PACKAGE)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, source in sorted(rotator(name).zip_members().items()):
            info = zipfile.ZipInfo(member, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, sources.joinpath(source).read_bytes())
    return buffer.getvalue()
