"""The composition root: the one place that builds every object and wires them.

Nothing below this module imports a concrete store; each service receives what
it needs here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from strongroom.auth.authenticator import Authenticator
from strongroom.auth.identity import Credentials, Identities, new_account_id
from strongroom.core.clock import Clock, SystemClock
from strongroom.core.config import ServerConfig
from strongroom.iam.service import IamService
from strongroom.keys.rootkey import RootKey
from strongroom.keys.service import KeyService
from strongroom.policy.authorizer import AdministratorsOnly, Authorizer
from strongroom.protocol import secretsmanager
from strongroom.protocol.json11 import Json11Protocol, JsonService
from strongroom.protocol.model import ServiceModel
from strongroom.secrets.listing import SecretsReader
from strongroom.secrets.policies import ResourcePolicies
from strongroom.secrets.service import SecretsService
from strongroom.storage.base import Store

ROOT_KEY_FILE = "root.key"
SQLITE_FILE = "strongroom.db"
ENV_ACCESS_KEY = "STRONGROOM_ROOT_ACCESS_KEY_ID"
ENV_SECRET_KEY = "STRONGROOM_ROOT_SECRET_ACCESS_KEY"  # noqa: S105 - a variable name


@dataclass
class Application:
    config: ServerConfig
    store: Store
    identities: Identities
    secrets: SecretsService
    json11: Json11Protocol
    first_start: FirstStart | None
    iam: IamService


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
    clock = clock or SystemClock()
    config.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    root, _ = RootKey.load_or_create(config.data_dir / ROOT_KEY_FILE)
    store = open_store(config)
    authorizer = authorizer or AdministratorsOnly()
    identities = Identities(store, root, clock)
    iam = IamService(store, root, clock, authorizer)
    iam.seed_managed_policies()  # before the first account, whose admin attaches one
    first = _first_start(identities, config)
    keys = KeyService(store, root, clock)
    secrets = SecretsService(store, keys, authorizer, clock)
    api = secretsmanager.SecretsApi(secrets, SecretsReader(secrets), ResourcePolicies(secrets))
    json11 = Json11Protocol(
        [JsonService(ServiceModel.load("secretsmanager"), secretsmanager.OPERATIONS, api)],
        Authenticator(identities, clock, config.regions),
    )
    return Application(config, store, identities, secrets, json11, first, iam)


def _first_start(identities: Identities, config: ServerConfig) -> FirstStart | None:
    """On an empty store: the default account and its administrator's key pair."""
    if identities.accounts():
        return None
    account_id = config.account_id or new_account_id()
    fixed = None
    if os.environ.get(ENV_ACCESS_KEY) and os.environ.get(ENV_SECRET_KEY):
        fixed = Credentials(os.environ[ENV_ACCESS_KEY], os.environ[ENV_SECRET_KEY])
    credentials = identities.create_account(account_id, fixed)
    return FirstStart(account_id, credentials)
