"""Rotation function: PostgreSQL users `<user>` and `<user>_clone` take turns.

The secret also names, in `masterarn`, a secret holding a role that may create
roles. Each rotation switches the secret to the other user with a new password: the
first one creates `<user>_clone` as a member of `<user>`; later ones change the
password of the user not in use. Both users keep working, so clients see no gap.

Packed as `lambda_function.py` by `strongroom rotators package postgresql-alternating-users`, with
`strongroom_rotator_common.py` and `strongroom_rotator_postgresql.py` beside it.
"""

from __future__ import annotations

from typing import Any

if __package__:
    from . import common
    from . import postgresql as engine
else:  # inside a rotation function's zip, as lambda_function.py
    import strongroom_rotator_common as common  # type: ignore[no-redef]
    import strongroom_rotator_postgresql as engine  # type: ignore[no-redef]

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
