"""Rotation function: one MySQL or MariaDB user changes its own password.

The secret holds the user's credential (engine `mysql`, `aurora-mysql` or `mariadb`,
host, username, password, optional port, dbname, ssl). setSecret logs in as that user
with the current password (else the previous one) and sets the pending one with the
statement its server version accepts; the old password stops working at once.

Packed as `lambda_function.py` by `strongroom rotators package mysql-single-user`, with
`strongroom_rotator_common.py` and `strongroom_rotator_mysql.py` beside it.
"""

from __future__ import annotations

from typing import Any

if __package__:
    from . import common
    from . import mysql as engine
else:  # inside a rotation function's zip, as lambda_function.py
    import strongroom_rotator_common as common  # type: ignore[no-redef]
    import strongroom_rotator_mysql as engine  # type: ignore[no-redef]

ROTATION = common.Rotation(
    shape=engine.SINGLE_USER_SHAPE,
    engine=engine.ENGINE,
    default_exclude_characters=engine.DEFAULT_EXCLUDE_CHARACTERS,
    next_username=common.same_username,
    set_secret=common.set_single_user,
)


def lambda_handler(event: dict[str, Any], context: Any) -> None:
    """Run one rotation step: createSecret, setSecret, testSecret or finishSecret."""
    common.handle(event, ROTATION)
