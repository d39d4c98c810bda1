"""The Secrets Manager side of a rotation, as AWS's rotation templates do it.

Owns the staging checks every AWS template makes before a step, createSecret's
probe-and-put, finishSecret's label move, the secret JSON checks, and the two
database strategies (single user, alternating users) written against an `Engine`.
It must not talk SQL (the engine modules do) and must never log a password or a
secret's JSON: log ARNs, usernames, hosts and steps only. Runs inside a rotation
function's zip as `strongroom_rotator_common.py`; imports nothing from strongroom.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import boto3

logger = logging.getLogger("strongroom.rotator")
logger.setLevel(logging.INFO)  # steps, ARNs, users and hosts: never a password

SecretDict = dict[str, Any]

CURRENT, PENDING, PREVIOUS = "AWSCURRENT", "AWSPENDING", "AWSPREVIOUS"
CLONE_SUFFIX = "_clone"
CONNECT_TIMEOUT = 5
_TRUE_WORDS = frozenset({"true", "1", "y", "yes"})  # AWS's get_environment_bool


class Closable(Protocol):
    def close(self) -> None: ...


C = TypeVar("C", bound=Closable)


@dataclass(frozen=True)
class Engine(Generic[C]):
    """What the strategies need from a database: log in, prove a login, change passwords."""

    label: str  # in log lines and error messages, e.g. "PostgreSQL"
    connect: Callable[[SecretDict], C | None]  # None when the login fails
    password_checked: Callable[[C], bool]  # did the server ask for the password?
    run_test_query: Callable[[C], None]
    set_own_password: Callable[[C, SecretDict], None]  # logged in as the user itself
    set_alternate_user: Callable[[C, SecretDict, SecretDict], None]  # as master: current, pending


@dataclass(frozen=True)
class SecretShape:
    """The secret JSON a rotation function accepts (AWS's `get_secret_dict` checks)."""

    engines: frozenset[str]
    engine_name: str  # as AWS words it: "Database engine must be set to 'postgres' ..."
    engine_checked_first: bool  # single-user templates check `engine` before the other keys

    def check(self, secret: object) -> SecretDict:
        if not isinstance(secret, dict):
            raise ValueError("Secret JSON must be an object")
        required = ["host", "username", "password"]
        if self.engine_checked_first:
            self._check_engine(secret)
        else:
            required.append("engine")
        for field in required:
            if field not in secret:
                raise KeyError(f"{field} key is missing from secret JSON")
        if not self.engine_checked_first:
            self._check_engine(secret)
        return secret

    def _check_engine(self, secret: SecretDict) -> None:
        if secret.get("engine") not in self.engines:
            raise KeyError(f"Database engine must be set to '{self.engine_name}' in order to "
                           "use this rotation lambda")


@dataclass(frozen=True)
class Request:
    """One step's event, with the client and the checks to read the secret's versions."""

    client: Any
    arn: str
    token: str
    rotation_token: str | None
    shape: SecretShape

    def secret(self, stage: str, *, of_token: bool = False, arn: str | None = None) -> SecretDict:
        kwargs: dict[str, str] = {"SecretId": arn or self.arn, "VersionStage": stage}
        if of_token:
            kwargs["VersionId"] = self.token
        value = self.client.get_secret_value(**kwargs)
        return self.shape.check(json.loads(value["SecretString"]))

    def current(self) -> SecretDict:
        return self.secret(CURRENT)

    def pending(self) -> SecretDict:
        return self.secret(PENDING, of_token=True)

    def previous(self) -> SecretDict | None:
        """AWSPREVIOUS, or None when there is none or it is not a usable secret (as AWS)."""
        try:
            return self.secret(PREVIOUS)
        except (self.client.exceptions.ResourceNotFoundException, KeyError):
            return None


@dataclass(frozen=True)
class Rotation(Generic[C]):
    """A rotation function: its secret shape, its password defaults, its strategy."""

    shape: SecretShape
    engine: Engine[C]
    default_exclude_characters: str
    next_username: Callable[[SecretDict], str]  # the pending user for a current secret
    set_secret: Callable[[Request, Rotation[C]], None]


# --- the handler ---------------------------------------------------------------------------


def handle(event: Mapping[str, Any], rotation: Rotation[C]) -> None:
    """Run one step of `event`, after the staging checks every AWS template makes."""
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    client = boto3.client("secretsmanager", endpoint_url=os.environ["SECRETS_MANAGER_ENDPOINT"])
    request = Request(client, arn, token, event.get("RotationToken"), rotation.shape)
    if not _staged_for_rotation(client, arn, token):
        return
    logger.info("%s: secret %s, version %s", step, arn, token)
    if step == "createSecret":
        create_secret(request, rotation)
    elif step == "setSecret":
        rotation.set_secret(request, rotation)
    elif step == "testSecret":
        test_secret(request, rotation)
    elif step == "finishSecret":
        finish_secret(request)
    else:
        raise ValueError(f"Invalid step parameter {step} for secret {arn}")


def _staged_for_rotation(client: Any, arn: str, token: str) -> bool:
    """The templates' prologue: False when the step has nothing to do (already current)."""
    metadata = client.describe_secret(SecretId=arn)
    if "RotationEnabled" in metadata and not metadata["RotationEnabled"]:
        raise ValueError(f"Secret {arn} is not enabled for rotation")
    versions = metadata["VersionIdsToStages"]
    if token not in versions:
        raise ValueError(f"Secret version {token} has no stage for rotation of secret {arn}.")
    if CURRENT in versions[token]:
        logger.info("Secret version %s already set as AWSCURRENT for secret %s.", token, arn)
        return False
    if PENDING not in versions[token]:
        raise ValueError(
            f"Secret version {token} not set as AWSPENDING for rotation of secret {arn}.")
    return True


# --- steps shared by every strategy --------------------------------------------------------


def create_secret(request: Request, rotation: Rotation[C]) -> None:
    """Store a new credential as AWSPENDING under the token, unless one is already there."""
    current = request.current()
    try:
        request.pending()
    except request.client.exceptions.ResourceNotFoundException:
        pass
    else:
        logger.info("createSecret: pending version of %s already has a value", request.arn)
        return
    pending = dict(current)
    pending["username"] = rotation.next_username(current)
    pending["password"] = random_password(request.client, rotation.default_exclude_characters)
    put: dict[str, Any] = {"SecretId": request.arn, "ClientRequestToken": request.token,
                           "SecretString": json.dumps(pending), "VersionStages": [PENDING]}
    if request.rotation_token:
        put["RotationToken"] = request.rotation_token
    request.client.put_secret_value(**put)
    logger.info("createSecret: stored a new password for user %s as version %s of %s",
                pending["username"], request.token, request.arn)


def test_secret(request: Request, rotation: Rotation[C]) -> None:
    """Log in with the pending credential and run the templates' `SELECT NOW()`."""
    engine = rotation.engine
    conn = engine.connect(request.pending())
    if conn is None:
        raise ValueError(
            f"Unable to log into database with pending secret of secret ARN {request.arn}")
    try:
        if not engine.password_checked(conn):
            logger.warning("testSecret: the %s server did not ask for a password, so this "
                           "login proves nothing about it", engine.label)
        engine.run_test_query(conn)
    finally:
        conn.close()
    logger.info("testSecret: logged into %s with the pending secret of %s", engine.label,
                request.arn)


def finish_secret(request: Request) -> None:
    """Move AWSCURRENT to the token's version (AWSPREVIOUS follows the old one)."""
    metadata = request.client.describe_secret(SecretId=request.arn)
    current_version = None
    for version, stages in metadata["VersionIdsToStages"].items():
        if CURRENT in stages:
            if version == request.token:
                logger.info("finishSecret: version %s is already AWSCURRENT", version)
                return
            current_version = version
            break
    request.client.update_secret_version_stage(
        SecretId=request.arn, VersionStage=CURRENT, MoveToVersionId=request.token,
        RemoveFromVersionId=current_version)
    logger.info("finishSecret: version %s of %s is now AWSCURRENT", request.token, request.arn)


# --- strategies ----------------------------------------------------------------------------


def _proven(engine: Engine[C], secret: SecretDict) -> bool:
    """Whether `secret` logs in with a password the server checked."""
    conn = engine.connect(secret)
    if conn is None:
        return False
    try:
        # Under trust authentication every login succeeds; that is no proof the pending
        # password is set, so set it (AWS's templates would skip the change there).
        return engine.password_checked(conn)
    finally:
        conn.close()


def set_single_user(request: Request, rotation: Rotation[C]) -> None:
    """Log in as the user (current, else previous password) and change its own password."""
    engine = rotation.engine
    previous = request.previous()
    current = request.current()
    pending = request.pending()
    if _proven(engine, pending):
        logger.info("setSecret: the pending password of %s is already set", request.arn)
        return
    if current["username"] != pending["username"]:
        raise ValueError(f"Attempting to modify user {pending['username']} other than current "
                         f"user {current['username']}")
    if current["host"] != pending["host"]:
        raise ValueError(f"Attempting to modify user for host {pending['host']} other than "
                         f"current host {current['host']}")
    conn = engine.connect(current)
    if conn is None and previous is not None:
        if previous["username"] != pending["username"]:
            raise ValueError(f"Attempting to modify user {pending['username']} other than "
                             f"previous valid user {previous['username']}")
        if previous["host"] != pending["host"]:
            raise ValueError(f"Attempting to modify user for host {pending['host']} other than "
                             f"previous valid host {previous['host']}")
        previous.pop("ssl", None)  # as AWS: the previous login uses the current TLS setting
        if "ssl" in current:
            previous["ssl"] = current["ssl"]
        conn = engine.connect(previous)
    if conn is None:
        raise ValueError("Unable to log into database with previous, current, or pending secret "
                         f"of secret arn {request.arn}")
    try:
        engine.set_own_password(conn, pending)
    finally:
        conn.close()
    logger.info("setSecret: set the password of user %s on %s", pending["username"],
                pending["host"])


def set_alternating_users(request: Request, rotation: Rotation[C]) -> None:
    """As the master user, create the alternate user with the current one's rights, or
    change its password when it exists."""
    engine = rotation.engine
    current = request.current()
    pending = request.pending()
    if _proven(engine, pending):
        logger.info("setSecret: the pending password of %s is already set", request.arn)
        return
    if rotation.next_username(current) != pending["username"]:
        raise ValueError(f"Attempting to modify user {pending['username']} other than current "
                         f"user or clone {current['username']}")
    if current["host"] != pending["host"]:
        raise ValueError(f"Attempting to modify user for host {pending['host']} other than "
                         f"current host {current['host']}")
    # Log in with the current credential first, so that a secret naming a user it cannot
    # log in as does not make us act on that user (AWS's confused-deputy check).
    conn = engine.connect(current)
    if conn is None:
        raise ValueError(
            f"Unable to log into database using current credentials for secret {request.arn}")
    conn.close()
    if "masterarn" not in current:
        raise KeyError("masterarn key is missing from secret JSON")
    master_arn = current["masterarn"]
    master = request.secret(CURRENT, arn=master_arn)
    if master["host"] != current["host"]:
        # AWS also accepts an RDS read replica of the master's host; strongroom has no RDS.
        raise ValueError(f"Current database host {current['host']} is not the same host "
                         f"as/rds replica of master {master['host']}")
    conn = engine.connect(master)
    if conn is None:
        raise ValueError(
            f"Unable to log into database using credentials in master secret {master_arn}")
    try:
        engine.set_alternate_user(conn, current, pending)
    finally:
        conn.close()
    logger.info("setSecret: set the password of user %s on %s as master user %s",
                pending["username"], pending["host"], master["username"])


# --- helpers -------------------------------------------------------------------------------


def same_username(secret: SecretDict) -> str:
    return str(secret["username"])


def alternate_username(username: str, limit: int) -> str:
    """`x` <-> `x_clone`; refuses a clone name longer than the database allows."""
    if username.endswith(CLONE_SUFFIX):
        return username[: -len(CLONE_SUFFIX)]
    clone = username + CLONE_SUFFIX
    if len(clone) > limit:
        raise ValueError("Unable to clone user, username length with _clone appended would "
                         f"exceed {limit} characters")
    return clone


def env_flag(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).lower() in _TRUE_WORDS


def random_password(client: Any, default_exclude_characters: str) -> str:
    """GetRandomPassword with the environment variables AWS's templates read."""
    answer = client.get_random_password(
        ExcludeCharacters=os.environ.get("EXCLUDE_CHARACTERS", default_exclude_characters),
        PasswordLength=int(os.environ.get("PASSWORD_LENGTH", "32")),
        ExcludeNumbers=env_flag("EXCLUDE_NUMBERS", False),
        ExcludePunctuation=env_flag("EXCLUDE_PUNCTUATION", False),
        ExcludeUppercase=env_flag("EXCLUDE_UPPERCASE", False),
        ExcludeLowercase=env_flag("EXCLUDE_LOWERCASE", False),
        RequireEachIncludedType=env_flag("REQUIRE_EACH_INCLUDED_TYPE", True),
    )
    return str(answer["RandomPassword"])


def tls_choice(secret: SecretDict) -> tuple[bool, bool]:
    """(use TLS, fall back to plaintext if TLS fails), from the secret's `ssl` key.

    true / "true" -> TLS only; false / "false" -> plaintext only; absent or anything
    else -> TLS first, then plaintext, as AWS's templates do.
    """
    value = secret.get("ssl")
    if isinstance(value, bool):
        return value, False
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true", False
    return True, True


def connect_with_fallback(secret: SecretDict, attempt: Callable[[bool], C | None]) -> C | None:
    """`attempt(use_tls)` as `tls_choice` says; None when no attempt logs in."""
    use_tls, fall_back = tls_choice(secret)
    conn = attempt(use_tls)
    if conn is None and fall_back:
        logger.info("no TLS login to %s as %s; trying without TLS", secret["host"],
                    secret["username"])
        conn = attempt(False)
    return conn


def port_of(secret: SecretDict, default: int) -> int:
    return int(secret["port"]) if "port" in secret else default


def first_line(exc: BaseException) -> str:
    """An exception's first line, for logs (driver messages carry no passwords)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
