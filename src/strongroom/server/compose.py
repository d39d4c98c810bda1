"""The composition root: the one place that builds every object and wires them.

Nothing below this module imports a concrete store; each service receives what
it needs here.
"""

from __future__ import annotations

import json
import logging
import os
import secrets as random_source
from dataclasses import dataclass, field
from pathlib import Path

from strongroom.audit.digests import AuditDigests
from strongroom.audit.lookup import AuditLookup
from strongroom.audit.sink import AuditSink, parse_sink
from strongroom.audit.trail import AuditSettings, AuditTrail
from strongroom.auth.authenticator import Authenticator
from strongroom.auth.identity import Credentials, Identities, new_account_id
from strongroom.auth.sessions import Sessions
from strongroom.auth.sts import StsService
from strongroom.core.clock import Clock, SystemClock
from strongroom.core.config import ServerConfig
from strongroom.iam.authorizer import IamAuthorizer
from strongroom.iam.generations import Generations
from strongroom.iam.service import IamService
from strongroom.keys.rootkey import RootKey
from strongroom.keys.seal import KEY_FILE, RootKeyHolder
from strongroom.keys.service import KeyService
from strongroom.kms.service import KmsService
from strongroom.lambdas.interpreter import shared_interpreter
from strongroom.lambdas.invoker import Executor
from strongroom.lambdas.logs import FunctionLogs
from strongroom.lambdas.runner import LAMBDA_CA_BUNDLE, Sandbox, sandbox_problem, user_sandbox
from strongroom.lambdas.service import LambdaService
from strongroom.notify.dispatcher import Dispatcher, DispatcherSettings
from strongroom.notify.service import Subscriptions
from strongroom.policy.authorizer import Authorizer, LateAuthorizer
from strongroom.protocol import cloudtrail as cloudtrail_wire
from strongroom.protocol import iam as iam_wire
from strongroom.protocol import kms as kms_wire
from strongroom.protocol import lambda_ as lambda_wire
from strongroom.protocol import logs as logs_wire
from strongroom.protocol import secretsmanager
from strongroom.protocol import sts as sts_wire
from strongroom.protocol.json11 import Json11Protocol, JsonService
from strongroom.protocol.model import ServiceModel
from strongroom.protocol.query import QueryProtocol, QueryService
from strongroom.protocol.restjson import RestJsonProtocol, RestJsonService
from strongroom.rotation.engine import EngineSettings, RotationEngine
from strongroom.secrets.functions import FunctionInvoker
from strongroom.secrets.listing import SecretsReader
from strongroom.secrets.policies import ResourcePolicies
from strongroom.secrets.replicas import ReplicationService
from strongroom.secrets.rotation import RotationService
from strongroom.secrets.service import SecretsService
from strongroom.storage.base import Store

IAM_NAMESPACE = "https://iam.amazonaws.com/doc/2010-05-08/"
STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
ROOT_KEY_FILE = KEY_FILE
OPERATOR_TOKEN_FILE = "operator.token"  # noqa: S105 - a file name
SQLITE_FILE = "strongroom.db"
ENV_ACCESS_KEY = "STRONGROOM_ROOT_ACCESS_KEY_ID"
ENV_SECRET_KEY = "STRONGROOM_ROOT_SECRET_ACCESS_KEY"  # noqa: S105 - a variable name

log = logging.getLogger("strongroom.server")


@dataclass
class Application:
    config: ServerConfig
    store: Store
    identities: Identities
    secrets: SecretsService
    json11: Json11Protocol
    first_start: FirstStart | None
    iam: IamService
    sessions: Sessions
    query: QueryProtocol
    kms: KmsService
    holder: RootKeyHolder
    authenticator: Authenticator
    operator_token: str
    rotations: RotationService
    rotation_engine: RotationEngine
    lambdas: LambdaService
    restjson: RestJsonProtocol
    subscriptions: Subscriptions | None = None
    dispatcher: Dispatcher | None = None
    audit_digests: AuditDigests | None = None
    audit_sink: AuditSink | None = None
    trail: AuditTrail = field(default_factory=AuditTrail.disabled)


@dataclass(frozen=True)
class FirstStart:
    """What the first start created; the credentials are shown once and never again."""

    account_id: str
    credentials: Credentials


def open_store(config: ServerConfig) -> Store:
    if config.store and config.store.startswith(("postgresql://", "postgres://")):
        from strongroom.storage.postgres import PostgresStore

        return PostgresStore(config.store, pool_size=config.worker_threads + 2)
    if config.store and not config.store.startswith("sqlite:"):
        raise ValueError("--store takes postgresql://... or sqlite:PATH")
    from strongroom.storage.sqlite import SQLiteStore

    path = config.store[len("sqlite:"):] if config.store else str(config.data_dir / SQLITE_FILE)
    return SQLiteStore(path)


def build(config: ServerConfig, *, clock: Clock | None = None,
          authorizer: Authorizer | None = None) -> Application:
    """Wire everything. `authorizer` replaces IAM policy evaluation (tests of other layers)."""
    clock = clock or SystemClock()
    config.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    holder = RootKeyHolder.open(config.data_dir)
    root = holder.root
    store = open_store(config)
    late = LateAuthorizer()
    identities = Identities(store, root, clock)
    iam = IamService(store, root, clock, late)
    generations = Generations(iam, clock)
    late.target = authorizer or IamAuthorizer(iam, clock, generations)
    first = first_start(identities, iam, config, root)
    keys = KeyService(store, root, clock)
    secrets = SecretsService(store, keys, late, clock)
    kms = KmsService(store, keys, late, clock)
    sessions = Sessions(store, root, clock)
    sts = StsService(iam, sessions, late, clock)
    authenticator = Authenticator(identities, sessions, clock, config.regions, generations)
    holder.on_seal(authenticator.forget_all)
    holder.on_seal(keys.forget_all)
    lambdas = build_lambdas(config, store, root, iam, sessions, late, clock)
    invoker: FunctionInvoker = lambdas
    rotations = RotationService(secrets, invoker)
    engine = RotationEngine(store, secrets, invoker, clock, EngineSettings(
        lease_seconds=config.rotation_lease_seconds, max_attempts=config.rotation_max_attempts,
        retry_delay=config.rotation_retry_delay, poll_interval=config.rotation_poll_interval,
    ), paused=lambda: holder.sealed)
    rotations.set_started_hook(engine.wake)
    api = secretsmanager.SecretsApi(secrets, SecretsReader(secrets), ResourcePolicies(secrets),
                                    rotations, ReplicationService(secrets, config.regions))
    digests = AuditDigests(store, root, clock)
    holder.on_seal(digests.forget_key)
    json_services = [
        JsonService(ServiceModel.load("secretsmanager"), secretsmanager.OPERATIONS, api),
        JsonService(ServiceModel.load("kms"), kms_wire.OPERATIONS, kms),
        JsonService(ServiceModel.load("logs"), logs_wire.OPERATIONS, FunctionLogs(store, late)),
        JsonService(cloudtrail_wire.service_model(), cloudtrail_wire.OPERATIONS,
                    AuditLookup(store, late, clock))]
    query_services = [
        QueryService(ServiceModel.load("iam"), IAM_NAMESPACE, iam_wire.OPERATIONS, iam),
        QueryService(ServiceModel.load("sts"), STS_NAMESPACE, sts_wire.OPERATIONS, sts)]
    rest_services = [RestJsonService(
        ServiceModel.load("lambda"), lambda_wire.OPERATIONS, lambdas, lambda_wire.ERROR_STATUSES)]
    trail = build_trail(config, store, clock, [s.model for s in json_services]
                        + [s.model for s in query_services] + [s.model for s in rest_services])
    trail.on_commit(generations.write_committed)  # IAM writes drop it before their commit
    json11 = Json11Protocol(json_services, authenticator, trail)
    query = QueryProtocol(query_services, authenticator, trail)
    restjson = RestJsonProtocol(rest_services, authenticator, trail)
    return Application(config, store, identities, secrets, json11, first, iam, sessions, query,
                       kms, holder, authenticator, write_operator_token(config), rotations,
                       engine, lambdas=lambdas, restjson=restjson,
                       subscriptions=Subscriptions(store, root, clock),
                       dispatcher=build_dispatcher(config, store, holder, clock),
                       audit_digests=digests, audit_sink=build_audit_sink(config, store),
                       trail=trail)


def build_trail(config: ServerConfig, store: Store, clock: Clock,
                models: list[ServiceModel]) -> AuditTrail:
    """The record of every API call (off only with `audit=False`, for benchmarks)."""
    if not config.audit:
        log.warning("the audit trail is off (--no-audit): API calls leave no record")
    settings = AuditSettings(
        enabled=config.audit, batch_ms=config.audit_batch_ms, batch_max=config.audit_batch_max,
        timeout=config.audit_timeout, queue_max=config.audit_queue_max)
    return AuditTrail(store, clock, settings, {m.signing_name: m.definition for m in models},
                      default_region=config.default_region)


def build_audit_sink(config: ServerConfig, store: Store) -> AuditSink | None:
    """The audit sink (`audit_sink`: file:/path or stdout), if one is configured."""
    if not config.audit_sink:
        return None
    return AuditSink(store, parse_sink(config.audit_sink), interval=config.audit_sink_interval)


def build_dispatcher(config: ServerConfig, store: Store, holder: RootKeyHolder, clock: Clock
                     ) -> Dispatcher:
    """Delivers events to subscribers from the audit trail (paused while sealed: webhook
    signing keys are wrapped by the root key)."""
    return Dispatcher(store, holder.root, clock, DispatcherSettings(
        poll_interval=config.events_poll_interval, lease_seconds=config.events_lease_seconds,
        retry_base=config.events_retry_base, retry_cap=config.events_retry_cap,
        timeout=config.events_timeout,
    ), paused=lambda: holder.sealed)


def function_endpoint(config: ServerConfig) -> str:
    """The URL functions use to call this server back."""
    if config.function_endpoint:
        return config.function_endpoint.rstrip("/")
    host = config.host
    if host in ("0.0.0.0", "", "*"):  # noqa: S104 - reading the setting, not binding
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{config.port}"


def build_lambdas(config: ServerConfig, store: Store, root: RootKey, iam: IamService,
                  sessions: Sessions, authorizer: Authorizer, clock: Clock) -> LambdaService:
    """The function service (Lambda API); it is also the FunctionInvoker rotation uses."""
    endpoint = function_endpoint(config)
    functions_dir, sandbox = function_sandbox(config)
    executor = Executor(store, root, iam, sessions,
                        functions_dir=functions_dir, endpoint=endpoint,
                        logs_kept=config.function_logs_kept, sandbox=sandbox)
    return LambdaService(store, root, iam, authorizer, clock, executor, endpoint=endpoint,
                         background_workers=config.function_workers)


def function_sandbox(config: ServerConfig) -> tuple[Path, Sandbox | None]:
    """Where function code is unpacked and who runs it. As root: `function_user`, with the
    code beside the data directory (readable, not writable, for that user), on an
    interpreter that user can run (built if need be); never root. Otherwise the server's
    own user, with a warning."""
    data_dir = Path(config.data_dir).resolve()
    python = config.function_python
    if not Path(LAMBDA_CA_BUNDLE).exists() and os.geteuid() != 0:
        # (as root, each function gets the path in an overlay of its own: lambdas.runner)
        log.warning("%s (the CA bundle of AWS Lambda's Python runtimes) does not exist here: "
                    "AWS's MySQL/MariaDB rotation templates open it for every TLS attempt and "
                    "fail without it. Link it to this system's bundle (e.g. ln -s "
                    "/etc/ssl/certs/ca-certificates.crt %s) if you deploy them.",
                    LAMBDA_CA_BUNDLE, LAMBDA_CA_BUNDLE)
    if os.geteuid() != 0:
        log.warning("functions run as the server's user and can read the data directory "
                    "(%s): deploy only functions you trust as much as the server, or run the "
                    "server as root so that they run as function_user", data_dir)
        sandbox = Sandbox(python=python) if python else None
        return Path(config.function_dir or data_dir / "functions"), sandbox
    try:
        sandbox = user_sandbox(config.function_user, python)
    except KeyError as exc:
        raise ValueError(f"function_user {config.function_user!r} is not a user of this "
                         "system (or is root)") from exc
    functions_dir = Path(config.function_dir or data_dir.with_name(data_dir.name + ".functions"))
    if functions_dir.resolve().is_relative_to(data_dir):
        raise ValueError("function_dir must not be inside the data directory")
    functions_dir.mkdir(parents=True, exist_ok=True, mode=0o755)
    if functions_dir.stat().st_uid != 0:  # its owner could swap the code functions run
        raise ValueError(f"function_dir {functions_dir} must be owned by root")
    os.chmod(functions_dir, 0o755)  # noqa: S103 - the function user must read the code
    problem = sandbox_problem(sandbox)
    if problem is not None and python is None:
        shared = shared_interpreter(functions_dir)
        if shared is not None:
            sandbox = user_sandbox(config.function_user, shared)
            problem = sandbox_problem(sandbox)
    if problem is None:
        problem = _unreachable(functions_dir)
    if problem is not None:
        # Fail closed: functions keep the unprivileged user and so cannot start, rather
        # than run as root beside the root key.
        log.error("functions cannot run as %s (%s): every invocation will fail. Set "
                  "function_python to an interpreter that user can run.",
                  config.function_user, problem)
    return functions_dir, sandbox


def _unreachable(directory: Path) -> str | None:
    """Why another user could not reach `directory` (an ancestor it may not enter)."""
    for folder in [directory.resolve(), *directory.resolve().parents]:
        if not folder.stat().st_mode & 0o001:
            return f"{folder} may not be entered by other users (function_dir {directory})"
    return None


def first_start(identities: Identities, iam: IamService, config: ServerConfig, root: RootKey
                ) -> FirstStart | None:
    """Seed the AWS managed policies; on an empty store, create the default account and its
    administrator's key pair. Wrapping that key pair needs the root key: a sealed first
    start creates no account (`operator init` creates it instead)."""
    iam.seed_managed_policies()  # before the first account, whose admin attaches one
    if identities.accounts():
        return None
    if root.sealed:
        log.warning("the store has no account and the root key is sealed: unseal, then "
                    "create one with `strongroom account create`")
        return None
    account_id = config.account_id or new_account_id()
    fixed = None
    if os.environ.get(ENV_ACCESS_KEY) and os.environ.get(ENV_SECRET_KEY):
        fixed = Credentials(os.environ[ENV_ACCESS_KEY], os.environ[ENV_SECRET_KEY])
    credentials = identities.create_account(account_id, fixed)
    return FirstStart(account_id, credentials)


def write_operator_token(config: ServerConfig) -> str:
    """A fresh random token for the operator endpoint, readable only by who can read the data
    dir (mode 0600), with the port the CLI should talk to."""
    token = random_source.token_hex(32)
    path = Path(config.data_dir) / OPERATOR_TOKEN_FILE
    pending = path.with_name(path.name + ".pending")
    pending.unlink(missing_ok=True)
    fd = os.open(pending, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"port": config.port, "token": token}, handle)
    os.replace(pending, path)
    return token


def forget_operator_token(application: Application) -> None:
    """Remove the token file at shutdown, unless another server has since written its own."""
    path = Path(application.config.data_dir) / OPERATOR_TOKEN_FILE
    try:
        if json.loads(path.read_text()).get("token") == application.operator_token:
            path.unlink()
    except (OSError, ValueError):
        pass
