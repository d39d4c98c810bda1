"""The `strongroom` command: run the server, and operator chores.

`strongroom server` initializes an empty data directory on first start (root
key, store, default account, administrator) and prints the administrator's key
pair once, ready to paste into a shell. `strongroom operator init` does the same
before first start with the root key sealed by a passphrase or Shamir shares.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from strongroom.cli import audit, events, operator, rotators
from strongroom.core.config import DEFAULT_PORT, DEFAULT_REGION, ServerConfig, standard_regions
from strongroom.server.hardening import forbid_core_dumps

_D = ServerConfig  # its field defaults are the command's defaults


def _server_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("server", help="run the strongroom server")
    p.add_argument("--data-dir", default="./strongroom-data", type=Path,
                   help="where the root key and the SQLite store live (default ./strongroom-data)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.add_argument("--store", default=None,
                   help="postgresql://... to use PostgreSQL; default SQLite in the data dir")
    p.add_argument("--account-id", default=None,
                   help="12-digit id of the default account created on first start")
    p.add_argument("--regions", default=None,
                   help="comma-separated regions to serve (default: every standard AWS region)")
    p.add_argument("--default-region", default=DEFAULT_REGION,
                   help="region printed in the first-start hints")
    p.add_argument("--threads", type=int, default=None,
                   help="worker threads running requests (default 2 with SQLite, where the "
                   "GIL makes more slower, 8 with PostgreSQL, whose round trips overlap)")
    p.add_argument("--purge-interval", type=float, default=_D.purge_interval,
                   help="seconds between purges of secrets past their recovery window")
    p.add_argument("--rotation-lease-seconds", type=float,
                   default=_D.rotation_lease_seconds,
                   help="a rotation whose server stopped is resumed by another after this long "
                   "(default %(default)s)")
    p.add_argument("--rotation-retry-delay", type=float, default=_D.rotation_retry_delay,
                   help="seconds before a failed rotation is tried again; doubles each time "
                   "(default %(default)s)")
    p.add_argument("--rotation-max-attempts", type=int, default=_D.rotation_max_attempts,
                   help="attempts per rotation window before it waits for the next "
                   "(default %(default)s)")
    p.add_argument("--function-user", default=_D.function_user,
                   help="when run as root, the user functions run as (default %(default)s)")
    p.add_argument("--function-dir", default=None, type=Path,
                   help="when run as root, where function code is unpacked (default "
                   "<data-dir>.functions; never inside the data directory)")
    p.add_argument("--function-python", default=None,
                   help="the interpreter functions run on (default the server's own; the "
                   "function user must be able to run it)")
    p.add_argument("--audit-sink", default=None,
                   help="ship every audit record as a JSON line to file:/path/audit.jsonl or "
                   "stdout (default: no sink)")
    p.add_argument("--audit-digest-interval", type=float, default=_D.audit_digest_interval,
                   help="seconds between signed checkpoints of each account's audit chain "
                   "(default %(default)s)")
    p.add_argument("--no-audit", dest="audit", action="store_false",
                   help="for benchmarking only: turn the audit trail off, so that API calls "
                   "leave no record")
    p.add_argument("--audit-timeout", type=float, default=_D.audit_timeout,
                   help="seconds a call waits for its audit record to be durable before it "
                   "is refused with 503 (default %(default)s)")
    p.add_argument("--audit-batch-ms", type=float, default=_D.audit_batch_ms,
                   help="the longest a batch of audit records waits for the records of "
                   "requests still being handled, to share their commit (default "
                   "%(default)s; 0: commit what is queued at once)")
    p.add_argument("--audit-batch-max", type=int, default=_D.audit_batch_max,
                   help="most audit records per commit (default %(default)s)")
    p.add_argument("--audit-queue-max", type=int, default=_D.audit_queue_max,
                   help="audit records that may wait for the writer; beyond, calls get 503 "
                   "at once (default %(default)s)")
    p.add_argument("--log-level", default="info")


def config_from(args: argparse.Namespace) -> ServerConfig:
    if args.account_id is not None and not (len(args.account_id) == 12
                                            and args.account_id.isdigit()):
        raise SystemExit("--account-id must be 12 digits")
    if args.audit_sink is not None:
        from strongroom.audit.sink import parse_sink

        try:
            parse_sink(args.audit_sink)
        except ValueError as exc:
            raise SystemExit(f"--audit-sink: {exc}") from None
    regions = (frozenset(r.strip() for r in args.regions.split(",") if r.strip())
               if args.regions else standard_regions())
    return ServerConfig(
        data_dir=args.data_dir, host=args.host, port=args.port, store=args.store,
        account_id=args.account_id, regions=regions, default_region=args.default_region,
        worker_threads=args.threads or (
            8 if (args.store or "").startswith(("postgresql://", "postgres://")) else 2),
        purge_interval=args.purge_interval, rotation_lease_seconds=args.rotation_lease_seconds,
        rotation_retry_delay=args.rotation_retry_delay,
        rotation_max_attempts=args.rotation_max_attempts,
        function_user=args.function_user, function_dir=args.function_dir,
        function_python=args.function_python,
        audit_sink=args.audit_sink, audit_digest_interval=args.audit_digest_interval,
        audit=args.audit, audit_timeout=args.audit_timeout, audit_batch_ms=args.audit_batch_ms,
        audit_batch_max=args.audit_batch_max, audit_queue_max=args.audit_queue_max,
    )


def run_server(args: argparse.Namespace) -> int:
    import uvicorn

    from strongroom.server.app import StrongroomApp
    from strongroom.server.compose import build

    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = config_from(args)
    application = build(config)
    endpoint = f"http://{config.host}:{config.port}"
    if application.first_start is not None:
        first = application.first_start
        print(
            f"strongroom: initialized {config.data_dir} with account {first.account_id}.\n"
            "Administrator credentials (shown only this once; paste into your shell):\n\n"
            f"export AWS_ENDPOINT_URL={endpoint}\n"
            f"export AWS_ACCESS_KEY_ID={first.credentials.access_key_id}\n"
            f"export AWS_SECRET_ACCESS_KEY={first.credentials.secret_access_key}\n"
            f"export AWS_DEFAULT_REGION={config.default_region}\n",
            flush=True,
        )
    status = application.holder.status()
    if status.sealed:
        print(f"strongroom: the root key is sealed ({status.mode} mode); every API call "
              "answers 503 until an operator runs `strongroom operator unseal --data-dir "
              f"{config.data_dir}`", flush=True)
    print(f"strongroom: serving on {endpoint}", flush=True)
    uvicorn.run(
        StrongroomApp(application), host=config.host, port=config.port, access_log=False,
        log_level=args.log_level, lifespan="on", http="httptools", proxy_headers=False,
        loop="uvloop" if sys.platform != "win32" else "asyncio",
    )
    return 0


def _account_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("account", help="operator commands for accounts")
    actions = p.add_subparsers(dest="action", required=True)
    for name, text in (("create", "create an account with its own administrator"),
                       ("list", "list the accounts of this deployment")):
        a = actions.add_parser(name, help=text)
        a.add_argument("--data-dir", default="./strongroom-data", type=Path,
                       help="the server's data directory (holds the root key)")
        a.add_argument("--store", default=None, help="the server's --store, if it has one")
        if name == "create":
            a.add_argument("--account-id", default=None, help="12 digits (default: generated)")


def run_account(args: argparse.Namespace) -> int:
    from strongroom.auth.identity import Identities, new_account_id
    from strongroom.core.clock import SystemClock
    from strongroom.server.compose import open_store

    try:  # the key file, or (passphrase, shamir modes) a prompt
        root, _ = operator.unseal_offline(args.data_dir, [], None)
    except operator.OperatorError as exc:
        print(f"strongroom: {exc}", file=sys.stderr)
        return 1
    config = ServerConfig(data_dir=args.data_dir, store=args.store, regions=frozenset())
    store = open_store(config)
    try:
        identities = Identities(store, root, SystemClock())
        if args.action == "list":
            for account_id in identities.accounts():
                print(account_id)
            return 0
        account_id = args.account_id or new_account_id()
        if not (len(account_id) == 12 and account_id.isdigit()):
            print("strongroom: --account-id must be 12 digits", file=sys.stderr)
            return 2
        if identities.account_exists(account_id):
            print(f"strongroom: account {account_id} already exists", file=sys.stderr)
            return 1
        credentials = identities.create_account(account_id)
    finally:
        store.close()
    print(
        f"strongroom: created account {account_id}.\n"
        "Administrator credentials (shown only this once):\n\n"
        f"export AWS_ACCESS_KEY_ID={credentials.access_key_id}\n"
        f"export AWS_SECRET_ACCESS_KEY={credentials.secret_access_key}\n"
    )
    return 0


def _functions_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("functions", help="operator commands for functions (Lambda API)")
    actions = p.add_subparsers(dest="action", required=True)
    a = actions.add_parser("logs", help="print a function's recorded invocation logs")
    a.add_argument("name", help="the function's name")
    a.add_argument("--account-id", required=True, help="the function's account")
    a.add_argument("--region", default=DEFAULT_REGION, help="the function's region")
    a.add_argument("--data-dir", default="./strongroom-data", type=Path,
                   help="the server's data directory (holds the SQLite store)")
    a.add_argument("--store", default=None, help="the server's --store, if it has one")
    a.add_argument("--limit", type=int, default=10,
                   help="how many of the newest invocations to print (default 10)")


def run_functions(args: argparse.Namespace) -> int:
    """Print the newest invocations' logs, oldest first, each under its log stream name.
    Logs are not sealed, so this needs the store only, not the root key."""
    from strongroom.lambdas.model import function_arn
    from strongroom.lambdas.runner import log_stream_name
    from strongroom.server.compose import SQLITE_FILE, open_store

    if args.store is None and not (args.data_dir / SQLITE_FILE).is_file():
        print(f"strongroom: no store in {args.data_dir}", file=sys.stderr)
        return 1
    store = open_store(ServerConfig(data_dir=args.data_dir, store=args.store,
                                    regions=frozenset()))
    arn = function_arn(args.region, args.account_id, args.name)
    try:
        with store.read() as tx:
            records = tx.recent_invocations(arn, max(1, args.limit))
    finally:
        store.close()
    if not records:
        print(f"strongroom: no recorded invocations of {arn}", file=sys.stderr)
        return 1
    for record in reversed(records):
        print(f"==> /aws/lambda/{args.name} {log_stream_name(record.started, record.request_id)}")
        print(record.log_text, end="" if record.log_text.endswith("\n") else "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="strongroom", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    _server_parser(sub)
    _account_parser(sub)
    _functions_parser(sub)
    operator.add_parser(sub)
    audit.add_parser(sub)
    rotators.add_parser(sub)
    events.add_parser(sub)
    args = parser.parse_args(argv)
    # Every command may hold the root key, shares or secret values in memory.
    forbid_core_dumps()
    if args.command == "server":
        return run_server(args)
    if args.command == "account":
        return run_account(args)
    if args.command == "functions":
        return run_functions(args)
    if args.command == "audit":
        return audit.run(args)
    if args.command == "operator":
        return operator.run(args)
    if args.command == "rotators":
        return rotators.run(args)
    if args.command == "events":
        return events.run(args)
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
