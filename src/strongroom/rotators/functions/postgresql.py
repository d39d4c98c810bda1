"""The PostgreSQL side of the built-in rotation functions, on psycopg 3.

Logs in from a secret's JSON (TLS as its `ssl` key says), changes a role's password,
and creates the alternating `<user>_clone` role as AWS's template does (`CREATE ROLE
... LOGIN PASSWORD` then `GRANT <current> TO <clone>`). Identifiers are quoted with
`sql.Identifier`; `ALTER ROLE ... PASSWORD` takes no bind parameter, so the password
goes in as a `sql.Literal` of the SCRAM verifier libpq computes on our side: the
plaintext never reaches the server or its statement log. Runs inside a rotation
function's zip as `strongroom_rotator_postgresql.py`; imports nothing from strongroom.
"""

from __future__ import annotations

import os
from typing import Any

import psycopg
from psycopg import sql

if __package__:
    from . import common
else:  # inside a rotation function's zip
    import strongroom_rotator_common as common  # type: ignore[no-redef]

Connection = psycopg.Connection[Any]

ENGINES = frozenset({"postgres", "aurora-postgresql"})
DEFAULT_EXCLUDE_CHARACTERS = ':/@"\'\\'
DEFAULT_PORT = 5432
DEFAULT_DBNAME = "postgres"
MAX_NAME_LENGTH = 63  # NAMEDATALEN - 1

SINGLE_USER_SHAPE = common.SecretShape(ENGINES, "postgres", engine_checked_first=True)
ALTERNATING_USERS_SHAPE = common.SecretShape(ENGINES, "postgres", engine_checked_first=False)


def connect(secret: common.SecretDict) -> Connection | None:
    port = common.port_of(secret, DEFAULT_PORT)
    dbname = secret.get("dbname") or DEFAULT_DBNAME
    return common.connect_with_fallback(
        secret, lambda use_tls: _attempt(secret, port, str(dbname), use_tls))


def _attempt(secret: common.SecretDict, port: int, dbname: str, use_tls: bool
             ) -> Connection | None:
    params: dict[str, Any] = {
        "host": secret["host"], "port": port, "dbname": dbname, "user": secret["username"],
        "password": secret["password"], "connect_timeout": common.CONNECT_TIMEOUT,
        "application_name": "strongroom-rotator", "autocommit": True,
    }
    if use_tls:
        # verify-full checks the certificate and the host name, as AWS's template does;
        # SSL_CA_FILE names the CA bundle, else the system's (libpq 16+ knows "system").
        params.update(sslmode="verify-full",
                      sslrootcert=os.environ.get("SSL_CA_FILE", "system"))
    else:
        params["sslmode"] = "disable"
    try:
        conn = psycopg.connect(**params)
    except psycopg.OperationalError as exc:
        common.logger.info("no %s login to PostgreSQL %s as %s: %s",
                           "TLS" if use_tls else "plaintext", secret["host"],
                           secret["username"], common.first_line(exc))
        return None
    common.logger.info("logged into PostgreSQL %s as %s (%s)", secret["host"],
                       secret["username"], "TLS" if use_tls else "plaintext")
    return conn


def password_checked(conn: Connection) -> bool:
    return bool(conn.pgconn.used_password)


def run_test_query(conn: Connection) -> None:
    conn.execute("SELECT NOW()").fetchone()


def _password_literal(conn: Connection, username: str, password: str) -> sql.Literal:
    """The verifier the server would store (its `password_encryption`), as a literal."""
    verifier = conn.pgconn.encrypt_password(password.encode(), username.encode(), None)
    return sql.Literal(verifier.decode("ascii"))


def set_password(conn: Connection, username: str, password: str) -> None:
    conn.execute(sql.SQL("ALTER ROLE {} WITH PASSWORD {}").format(
        sql.Identifier(username), _password_literal(conn, username, password)))


def set_own_password(conn: Connection, pending: common.SecretDict) -> None:
    set_password(conn, pending["username"], pending["password"])


def role_exists(conn: Connection, username: str) -> bool:
    row = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (username,)).fetchone()
    return row is not None


def set_alternate_user(conn: Connection, current: common.SecretDict,
                       pending: common.SecretDict) -> None:
    """Create the pending role as a member of the current one, or change its password."""
    user, of = pending["username"], current["username"]
    with conn.transaction():
        if role_exists(conn, user):
            set_password(conn, user, pending["password"])
            return
        conn.execute(sql.SQL("CREATE ROLE {} WITH LOGIN PASSWORD {}").format(
            sql.Identifier(user), _password_literal(conn, user, pending["password"])))
        conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(of), sql.Identifier(user)))
    common.logger.info("setSecret: created role %s as a member of %s", user, of)


def next_alternate_username(secret: common.SecretDict) -> str:
    return common.alternate_username(secret["username"], MAX_NAME_LENGTH)


ENGINE: common.Engine[Connection] = common.Engine(
    label="PostgreSQL", connect=connect, password_checked=password_checked,
    run_test_query=run_test_query, set_own_password=set_own_password,
    set_alternate_user=set_alternate_user,
)
