"""`strongroom operator`: how the root key is sealed, and sealing or unsealing a server.

`init` and `rotate-root-key` work on a data directory with no server running; `status`,
`seal` and `unseal` talk to the running server through its loopback operator endpoint,
with the token it wrote to `<data-dir>/operator.token`. Passphrases and shares are
read from a prompt that does not echo, or from the environment for automation.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

from strongroom.core.config import ServerConfig
from strongroom.keys.rootkey import RootKey, RootKeyError
from strongroom.keys.seal import (
    AlreadyInitialized,
    RootKeyHolder,
    SealMode,
    UnsealFailed,
    initialize,
    is_initialized,
    protect,
)
from strongroom.keys.shamir import ShareInvalid

if TYPE_CHECKING:
    from strongroom.server.compose import FirstStart

PASSPHRASE_ENV = "STRONGROOM_PASSPHRASE"  # noqa: S105 - a variable name
_DATA_DIR_HELP = "the server's data directory (default ./strongroom-data)"


class OperatorError(Exception):
    """A failure to report to the operator in one line; exit status 1."""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("operator", help="seal, unseal and protect the root key")
    actions = p.add_subparsers(dest="action", required=True)
    init = actions.add_parser("init", help="initialize a data directory before first start")
    init.add_argument("--mode", choices=("file", "passphrase", "shamir"), required=True)
    init.add_argument("--shares", type=int, default=5, help="shamir: shares to print (n)")
    init.add_argument("--threshold", type=int, default=3, help="shamir: shares to unseal (k)")
    init.add_argument("--account-id", default=None, help="12 digits (default: generated)")
    rotate = actions.add_parser("rotate-root-key",
                                help="new root key; rewrap the store (server stopped)")
    unseal = actions.add_parser("unseal", help="unseal the running server (one share per call)")
    for parser in (init, rotate):
        parser.add_argument("--store", default=None, help="the server's --store, if it has one")
    for parser in (rotate, unseal):
        parser.add_argument("--share", action="append", default=[],
                            help="a shamir share (default: prompted)")
        parser.add_argument("--passphrase-env", default=None,
                            help=f"read the passphrase from this variable (default: prompted, or "
                            f"{PASSPHRASE_ENV})")
    status = actions.add_parser("status", help="mode and seal state of the running server")
    seal = actions.add_parser("seal", help="seal the running server (drops the key from memory)")
    for parser in (init, rotate, unseal, status, seal):
        parser.add_argument("--data-dir", default="./strongroom-data", type=Path,
                            help=_DATA_DIR_HELP)


def run(args: argparse.Namespace) -> int:
    try:
        if args.action == "init":
            return _init(args)
        if args.action == "rotate-root-key":
            return _rotate(args)
        if args.action == "unseal":
            return _unseal(args)
        return _show(call_server(args.data_dir, args.action, {}))
    except OperatorError as exc:
        print(f"strongroom: {exc}", file=sys.stderr)
        return 1


# --- offline: init, rotate ---------------------------------------------------------------


def _init(args: argparse.Namespace) -> int:
    from strongroom.server.compose import SQLITE_FILE

    if is_initialized(args.data_dir):
        raise OperatorError(f"{args.data_dir} is already initialized; nothing changed")
    mode = SealMode(args.mode)
    options: dict[str, Any] = {}
    if mode is SealMode.PASSPHRASE:
        options["passphrase"] = _new_passphrase()
    elif mode is SealMode.SHAMIR:
        if not 2 <= args.threshold <= args.shares <= 255:
            raise OperatorError("--threshold and --shares need 2 <= k <= n <= 255")
        options.update(threshold=args.threshold, shares=args.shares)
    if args.account_id is not None and not (len(args.account_id) == 12
                                            and args.account_id.isdigit()):
        raise OperatorError("--account-id must be 12 digits")
    if args.store is None and (args.data_dir / SQLITE_FILE).exists():
        raise OperatorError(f"{args.data_dir} already holds a store")
    try:
        root, shares = initialize(args.data_dir, mode, **options)
    except AlreadyInitialized as exc:
        raise OperatorError(f"{exc}; nothing changed") from exc
    config = ServerConfig(data_dir=args.data_dir, store=args.store, regions=frozenset(),
                          account_id=args.account_id)
    first = _create_first_account(config, root)
    print(f"strongroom: initialized {args.data_dir} in {mode} mode.")
    if first is not None:
        print(f"Account {first.account_id}; administrator credentials (shown only this once):\n"
              f"\nexport AWS_ACCESS_KEY_ID={first.credentials.access_key_id}\n"
              f"export AWS_SECRET_ACCESS_KEY={first.credentials.secret_access_key}\n")
    _print_shares(shares, options.get("threshold", 0))
    if mode is not SealMode.FILE:
        print("The server starts sealed; unseal it with `strongroom operator unseal`.")
    root.seal()
    return 0


def _create_first_account(config: ServerConfig, root: RootKey) -> FirstStart | None:
    from strongroom.auth.identity import Identities
    from strongroom.core.clock import SystemClock
    from strongroom.iam.service import IamService
    from strongroom.policy.authorizer import LateAuthorizer
    from strongroom.server.compose import first_start, open_store

    store = open_store(config)
    try:
        clock = SystemClock()
        iam = IamService(store, root, clock, LateAuthorizer())
        return first_start(Identities(store, root, clock), iam, config, root)
    finally:
        store.close()


def _rotate(args: argparse.Namespace) -> int:
    from strongroom.iam.names import access_key_purpose
    from strongroom.keys.crypto import random_key
    from strongroom.keys.rekey import rewrap_store
    from strongroom.server.compose import open_store

    if _server_answers(args.data_dir):
        raise OperatorError("the server is running; stop it before rotating the root key")
    pending = sorted(p.name for p in args.data_dir.glob("*.pending"))
    if pending:
        raise OperatorError(
            f"an earlier rotation was interrupted ({', '.join(pending)}): if the store was "
            "rewrapped, move them into place (drop .pending); otherwise delete them")
    old, holder = unseal_offline(args.data_dir, args.share, args.passphrase_env)
    mode = holder.mode
    options: dict[str, Any] = {}
    if mode is SealMode.PASSPHRASE:
        options["passphrase"] = _passphrase(args.passphrase_env, "passphrase (kept as is): ")
    elif mode is SealMode.SHAMIR:
        options.update(threshold=holder.protection.threshold, shares=holder.protection.shares)
    material = random_key()
    new = RootKey(material)
    staged = protect(args.data_dir, mode, material, **options)
    store = open_store(ServerConfig(data_dir=args.data_dir, store=args.store,
                                    regions=frozenset()))
    # New shares are printed before the store changes: a crash after the rewrap commits
    # must not lose the only way to open it.
    _print_shares(staged.shares, options.get("threshold", 0), flush=True)
    try:
        counts = rewrap_store(store, old, new, access_key_purpose)
    except BaseException:
        staged.abandon()
        if staged.shares:
            print("Rotation failed: discard the shares above; the old ones still work.")
        raise
    finally:
        store.close()
    staged.commit()
    old.seal()
    new.seal()
    print(f"strongroom: rotated the root key of {args.data_dir}; rewrapped "
          f"{counts.kms_materials} KMS key materials, {counts.access_keys} access keys and "
          f"{counts.sessions} sessions.")
    if staged.shares:
        print("The shares above replace the old ones, which no longer open this data "
              "directory.")
    return 0


def unseal_offline(data_dir: Path, shares: list[str], passphrase_env: str | None
                   ) -> tuple[RootKey, RootKeyHolder]:
    """The root key of a data directory with no server running, from the key file, the
    passphrase or enough shares (prompted for when not given). Returns (root, holder)."""
    if not is_initialized(data_dir):
        raise OperatorError(f"{data_dir} is not initialized; start the server once first, "
                            "or run `strongroom operator init`")
    try:
        holder = RootKeyHolder.open(data_dir)
        if holder.mode is SealMode.PASSPHRASE:
            holder.unseal_with_passphrase(_passphrase(passphrase_env, "passphrase: "))
        elif holder.mode is SealMode.SHAMIR:
            given = list(shares)
            while holder.sealed:
                status = holder.status()
                text = given.pop(0) if given else getpass.getpass(
                    f"share {status.shares_given + 1} of {status.shares_needed}: ")
                holder.submit_share(text)
    except (ShareInvalid, UnsealFailed) as exc:
        raise OperatorError(exc.reason) from exc
    except RootKeyError as exc:
        raise OperatorError(str(exc)) from exc
    return holder.root, holder


# --- online: status, seal, unseal ----------------------------------------------------------


def _unseal(args: argparse.Namespace) -> int:
    info = _token(args.data_dir)
    status = call_server(args.data_dir, "status", {}, info)
    if not status.get("sealed"):
        return _show(status)
    if status.get("mode") == "passphrase":
        return _show(call_server(args.data_dir, "unseal", {
            "passphrase": _passphrase(args.passphrase_env, "passphrase: ")}, info))
    if status.get("mode") == "shamir":
        shares = args.share or [getpass.getpass(
            f"share {status['shares_given'] + 1} of {status['shares_needed']}: ")]
        for share in shares:
            status = call_server(args.data_dir, "unseal", {"share": share}, info)
        return _show(status)
    return _show(call_server(args.data_dir, "unseal", {}, info))


def call_server(data_dir: Path, action: str, body: dict[str, Any],
                info: dict[str, Any] | None = None) -> dict[str, Any]:
    info = info or _token(data_dir)
    request = urllib.request.Request(
        f"http://127.0.0.1:{int(info['port'])}/_strongroom/operator/{action}",
        data=json.dumps(body).encode(), method="POST",
        headers={"content-type": "application/json",
                 "x-strongroom-operator-token": str(info["token"])})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - http only
            answer: dict[str, Any] = json.loads(response.read())
            return answer
    except urllib.error.HTTPError as exc:
        try:
            detail = json.loads(exc.read()).get("error", exc.reason)
        except ValueError:
            detail = exc.reason
        raise OperatorError(str(detail)) from exc
    except OSError as exc:
        raise OperatorError(f"no server answers on port {info['port']}: {exc}") from exc


def _token(data_dir: Path) -> dict[str, Any]:
    from strongroom.server.compose import OPERATOR_TOKEN_FILE

    try:
        info: dict[str, Any] = json.loads((data_dir / OPERATOR_TOKEN_FILE).read_text())
    except FileNotFoundError as exc:
        raise OperatorError(f"no server is running on {data_dir} (no operator.token)") from exc
    except (OSError, ValueError) as exc:
        raise OperatorError(f"cannot read {data_dir / OPERATOR_TOKEN_FILE}: {exc}") from exc
    return info


def _server_answers(data_dir: Path) -> bool:
    try:
        call_server(data_dir, "status", {})
    except OperatorError:
        return False
    return True


def _show(status: dict[str, Any]) -> int:
    line = f"mode: {status['mode']}\nsealed: {str(status['sealed']).lower()}"
    if status.get("mode") == "shamir" and status.get("sealed"):
        line += f"\nshares: {status['shares_given']} of {status['shares_needed']} given"
    print(line)
    return 0


def _print_shares(shares: list[str], threshold: int, *, flush: bool = False) -> None:
    if not shares:
        return
    print(f"Unseal shares ({threshold} of {len(shares)} unseal; shown only this once — give "
          "one to each keeper, store none beside the data):\n")
    for share in shares:
        print(share)
    print(flush=flush)


def _passphrase(env: str | None, prompt: str) -> str:
    value = os.environ.get(env or PASSPHRASE_ENV)
    if env and value is None:
        raise OperatorError(f"{env} is not set")
    return value if value else getpass.getpass(prompt)


def _new_passphrase() -> str:
    value = os.environ.get(PASSPHRASE_ENV)
    if value:
        return value
    first = getpass.getpass("new passphrase: ")
    if len(first) < 8:
        raise OperatorError("a passphrase has at least 8 characters")
    if getpass.getpass("again: ") != first:
        raise OperatorError("the passphrases differ")
    return first
