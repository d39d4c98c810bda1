"""The MySQL / MariaDB side of the built-in rotation functions, on PyMySQL.

Logs in from a secret's JSON (engine `mysql`, `aurora-mysql` or `mariadb`; TLS as
its `ssl` key says), changes the user's own password with the statement the server
version accepts, and creates the alternating `<user>_clone` account with the current
account's grants, copied from SHOW GRANTS as AWS's templates do, and its TLS
requirements. Account names are backtick-quoted; passwords are always bound
parameters. Runs inside a rotation function's zip as `strongroom_rotator_mysql.py`;
imports nothing from strongroom.
"""

from __future__ import annotations

import os
import re
import ssl
from dataclasses import dataclass
from typing import Any

import pymysql

if __package__:
    from . import common
else:  # inside a rotation function's zip
    import strongroom_rotator_common as common  # type: ignore[no-redef]

Connection = Any  # pymysql.connections.Connection; PyMySQL ships no type hints

ENGINES = frozenset({"mysql", "aurora-mysql", "mariadb"})
DEFAULT_EXCLUDE_CHARACTERS = '/@"\'\\'
DEFAULT_PORT = 3306
# AWS's MySQL templates cap `<user>_clone` at 16 characters (MySQL 5.6's limit; the
# variable USERNAME_CHARACTER_LIMIT raises it), the MariaDB template at 80.
USERNAME_LIMITS = {"mariadb": 80}
DEFAULT_USERNAME_LIMIT = 16

SINGLE_USER_SHAPE = common.SecretShape(ENGINES, "mysql", engine_checked_first=True)
ALTERNATING_USERS_SHAPE = common.SecretShape(ENGINES, "mysql", engine_checked_first=False)


def connect(secret: common.SecretDict) -> Connection | None:
    port = common.port_of(secret, DEFAULT_PORT)
    dbname = secret.get("dbname") or None
    return common.connect_with_fallback(
        secret, lambda use_tls: _attempt(secret, port, dbname, use_tls))


def _tls_context() -> ssl.SSLContext:
    # Certificate and host name checked, as AWS's template does with its CA bundle.
    return ssl.create_default_context(cafile=os.environ.get("SSL_CA_FILE"))


def _attempt(secret: common.SecretDict, port: int, dbname: str | None, use_tls: bool
             ) -> Connection | None:
    try:
        conn = pymysql.connect(
            host=secret["host"], port=port, user=secret["username"],
            password=secret["password"], database=dbname, autocommit=True,
            connect_timeout=common.CONNECT_TIMEOUT, ssl=_tls_context() if use_tls else None)
    except pymysql.err.MySQLError as exc:
        common.logger.info("no %s login to MySQL %s as %s: %s",
                           "TLS" if use_tls else "plaintext", secret["host"],
                           secret["username"], common.first_line(exc))
        return None
    if use_tls and not _uses_tls(conn):
        # PyMySQL quietly stays in plaintext when the server offers no TLS.
        conn.close()
        common.logger.info("MySQL %s offers no TLS", secret["host"])
        return None
    common.logger.info("logged into MySQL %s as %s (%s)", secret["host"], secret["username"],
                       "TLS" if use_tls else "plaintext")
    return conn


def _uses_tls(conn: Connection) -> bool:
    with conn.cursor() as cur:
        cur.execute("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
        row = cur.fetchone()
    return bool(row and row[1])


def password_checked(conn: Connection) -> bool:
    return True  # MySQL has no trust authentication for TCP logins


def run_test_query(conn: Connection) -> None:
    with conn.cursor() as cur:
        cur.execute("SELECT NOW()")
        cur.fetchone()


# --- server versions -----------------------------------------------------------------------


@dataclass(frozen=True)
class ServerVersion:
    mariadb: bool
    number: tuple[int, int, int]

    @classmethod
    def parse(cls, text: str) -> ServerVersion:
        """From SELECT VERSION(): '8.0.36', '10.11.6-MariaDB-0+deb12u1', '5.5.5-10.6.1-MariaDB'."""
        mariadb = "mariadb" in text.lower()
        numbers = re.findall(r"(\d+)\.(\d+)\.(\d+)", text)
        if mariadb and len(numbers) > 1 and numbers[0] == ("5", "5", "5"):
            numbers = numbers[1:]  # the old replication-protocol prefix
        first = numbers[0] if numbers else ("0", "0", "0")
        major, minor, patch = (int(part) for part in first)
        return cls(mariadb, (major, minor, patch))

    @property
    def has_alter_user(self) -> bool:
        """ALTER USER ... IDENTIFIED BY: MySQL 5.7.6+, MariaDB 10.2+."""
        return self.number >= ((10, 2, 0) if self.mariadb else (5, 7, 6))


def server_version(conn: Connection) -> ServerVersion:
    with conn.cursor() as cur:
        cur.execute("SELECT VERSION()")
        return ServerVersion.parse(str(cur.fetchone()[0]))


# --- passwords and accounts ----------------------------------------------------------------


def quote_name(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def account(user: str, host: str) -> str:
    return f"{quote_name(user)}@{quote_name(host)}"


def _escaped(text: str) -> str:
    """`text` for a statement that also takes parameters: PyMySQL %-formats it then."""
    return text.replace("%", "%%")


def set_own_password(conn: Connection, pending: common.SecretDict) -> None:
    version = server_version(conn)
    # MariaDB lets a user without CREATE USER change its own password only with SET
    # PASSWORD; MySQL 8 dropped PASSWORD() and accepts ALTER USER for oneself.
    if version.mariadb or not version.has_alter_user:
        statement = "SET PASSWORD = PASSWORD(%s)"
    else:
        statement = "ALTER USER CURRENT_USER() IDENTIFIED BY %s"
    with conn.cursor() as cur:
        cur.execute(statement, (pending["password"],))


def set_password_for(conn: Connection, user_account: str, password: str) -> None:
    if server_version(conn).has_alter_user:
        statement = f"ALTER USER {_escaped(user_account)} IDENTIFIED BY %s"
    else:
        statement = f"SET PASSWORD FOR {_escaped(user_account)} = PASSWORD(%s)"
    with conn.cursor() as cur:
        cur.execute(statement, (password,))


def account_host(conn: Connection, user: str) -> str:
    """The host part of `user`'s account; '%' when it has several and one is '%'."""
    with conn.cursor() as cur:
        cur.execute("SELECT Host FROM mysql.user WHERE User = %s", (user,))
        hosts = sorted(str(row[0]) for row in cur.fetchall())
    if not hosts:
        raise ValueError(f"User {user} does not exist")
    return "%" if "%" in hosts else hosts[0]


def account_exists(conn: Connection, user: str, host: str) -> bool:
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM mysql.user WHERE User = %s AND Host = %s", (user, host))
        return cur.fetchone() is not None


def set_alternate_user(conn: Connection, current: common.SecretDict,
                       pending: common.SecretDict) -> None:
    """Create or update the pending account with the current account's grants."""
    host = account_host(conn, current["username"])
    source, clone = (current["username"], host), (pending["username"], host)
    clone_account = account(*clone)
    with conn.cursor() as cur:
        if account_exists(conn, *clone):
            set_password_for(conn, clone_account, pending["password"])
        else:
            cur.execute(f"CREATE USER {_escaped(clone_account)} IDENTIFIED BY %s",
                        (pending["password"],))
            common.logger.info("setSecret: created user %s@%s", clone[0], host)
        cur.execute(f"SHOW GRANTS FOR {account(*source)}")
        grants = [str(row[0]) for row in cur.fetchall()]
        for grant in grants:
            # No parameters: PyMySQL leaves '%' in host and database patterns alone.
            cur.execute(regrant(grant, source, clone_account))
    copy_tls_requirements(conn, source, clone_account)


_TAIL_OPTIONS = ("WITH GRANT OPTION", "WITH ADMIN OPTION")


def regrant(grant: str, source: tuple[str, str], clone_account: str) -> str:
    """A SHOW GRANTS line of `source` rewritten to grant the same to `clone_account`.

    What follows the grantee is dropped (as AWS's template drops it), except the
    grant/admin option: it may hold `IDENTIFIED BY PASSWORD '<hash>'`, which would give
    the clone the current user's password.
    """
    user, host = source
    forms = [account(user, host),
             "'{}'@'{}'".format(user.replace("'", "\\'"), host.replace("'", "\\'"))]
    cut = -1
    for form in forms:
        cut = grant.rfind(" TO " + form)
        if cut >= 0:
            tail = grant[cut + len(" TO " + form):]
            break
    else:
        cut = grant.rfind(" TO ")
        if cut < 0:
            raise ValueError(f"Cannot read grant of user {user}: {grant[:40]}...")
        tail = grant[cut + len(" TO "):]
    options = [option for option in _TAIL_OPTIONS if option in tail.upper()]
    return " ".join([grant[:cut], "TO", clone_account, *options])


def copy_tls_requirements(conn: Connection, source: tuple[str, str], clone_account: str
                          ) -> None:
    """REQUIRE SSL / X509 / CIPHER-ISSUER-SUBJECT of `source`, as AWS's MariaDB template."""
    if not server_version(conn).has_alter_user:
        return
    with conn.cursor() as cur:
        cur.execute("SELECT ssl_type, ssl_cipher, x509_issuer, x509_subject FROM mysql.user "
                    "WHERE User = %s AND Host = %s", source)
        row = cur.fetchone()
        if row is None:
            return
        ssl_type, cipher, issuer, subject = (_text(value) for value in row)
        if ssl_type == "ANY":
            cur.execute(f"ALTER USER {clone_account} REQUIRE SSL")
        elif ssl_type == "X509":
            cur.execute(f"ALTER USER {clone_account} REQUIRE X509")
        elif ssl_type == "SPECIFIED":
            parts = [(word, value) for word, value in
                     (("CIPHER", cipher), ("ISSUER", issuer), ("SUBJECT", subject)) if value]
            clause = " AND ".join(f"{word} %s" for word, _ in parts) or "SSL"
            cur.execute(f"ALTER USER {_escaped(clone_account)} REQUIRE {clause}",
                        tuple(value for _, value in parts))
        else:
            cur.execute(f"ALTER USER {clone_account} REQUIRE NONE")


def _text(value: object) -> str:
    if isinstance(value, bytes | bytearray):
        return value.decode()
    return "" if value is None else str(value)


def next_alternate_username(secret: common.SecretDict) -> str:
    limit = os.environ.get("USERNAME_CHARACTER_LIMIT")
    return common.alternate_username(
        secret["username"],
        int(limit) if limit else USERNAME_LIMITS.get(secret.get("engine", ""),
                                                     DEFAULT_USERNAME_LIMIT))


ENGINE: common.Engine[Connection] = common.Engine(
    label="MySQL", connect=connect, password_checked=password_checked,
    run_test_query=run_test_query, set_own_password=set_own_password,
    set_alternate_user=set_alternate_user,
)
