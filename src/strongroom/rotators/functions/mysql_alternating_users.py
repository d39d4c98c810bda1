"""Rotation function: MySQL or MariaDB users `<user>` and `<user>_clone` take turns.

The secret also names, in `masterarn`, a secret holding a user that may create
users and grant. Each rotation switches the secret to the other user with a new
password: the first one creates `<user>_clone` with the grants and TLS requirements of
`<user>`; later ones change the password of the user not in use. The clone name may
have USERNAME_CHARACTER_LIMIT characters (default 16, 80 for engine `mariadb`, as AWS).

Packed as `lambda_function.py` by `strongroom rotators package mysql-alternating-users`, with
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
    shape=engine.ALTERNATING_USERS_SHAPE,
    engine=engine.ENGINE,
    default_exclude_characters=engine.DEFAULT_EXCLUDE_CHARACTERS,
    next_username=engine.next_alternate_username,
    set_secret=common.set_alternating_users,
)


def lambda_handler(event: dict[str, Any], context: Any) -> None:
    """Run one rotation step: createSecret, setSecret, testSecret or finishSecret."""
    common.handle(event, ROTATION)
