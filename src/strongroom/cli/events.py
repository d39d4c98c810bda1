"""`strongroom events`: subscribe webhooks and NATS subjects to an account's events, list
and delete subscriptions, and show how delivery is going.

Works on the store directly, as `strongroom account` does, so a running server picks a
new subscription up at its next poll. Subscribing a webhook needs the root key (its
signing secret is stored wrapped by it) and prints that secret once.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from strongroom.core.config import ServerConfig
from strongroom.keys.rootkey import RootKey
from strongroom.notify.errors import NotifyError
from strongroom.notify.model import (
    DEFAULT_NATS_URL,
    NatsTarget,
    Subscription,
    Target,
    WebhookTarget,
)
from strongroom.notify.service import Subscriptions


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("events", help="deliver an account's events to webhooks or NATS")
    actions = p.add_subparsers(dest="action", required=True)
    s = actions.add_parser("subscribe", help="send an account's events to a webhook or a "
                           "NATS subject, in EventBridge's envelope")
    _common(s)
    s.add_argument("--name", required=True, help="the subscription's name in the account")
    target = s.add_mutually_exclusive_group(required=True)
    target.add_argument("--webhook", metavar="URL", help="POST each event to this https:// "
                        "(or http://) URL, signed with HMAC-SHA256")
    target.add_argument("--nats", metavar="SUBJECT", help="publish each event to this subject")
    s.add_argument("--nats-url", default=DEFAULT_NATS_URL,
                   help=f"the NATS server (default {DEFAULT_NATS_URL})")
    s.add_argument("--nats-jetstream", action="store_true",
                   help="require a JetStream stream to acknowledge each event (durable; the "
                   "event id is sent as Nats-Msg-Id)")
    s.add_argument("--ca-file", default=None, type=Path,
                   help="verify an https:// webhook's certificate against this CA bundle")
    s.add_argument("--pattern", default=None,
                   help="an EventBridge event pattern (JSON); default: every event")
    s.add_argument("--all-management-events", action="store_true",
                   help="include read-only calls (GetSecretValue, Describe*, List*), as "
                   "EventBridge's ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS does")
    s.add_argument("--from-start", action="store_true",
                   help="deliver the account's whole audit trail, not only events from now on")
    for name, text in (("list", "the subscriptions (of one account, or all)"),
                       ("status", "each subscription's cursor, backlog and last error")):
        a = actions.add_parser(name, help=text)
        _common(a, account_required=False)
    d = actions.add_parser("delete", help="delete a subscription")
    _common(d)
    d.add_argument("--name", required=True)


def _common(p: argparse.ArgumentParser, *, account_required: bool = True) -> None:
    p.add_argument("--account-id", required=account_required, default=None)
    p.add_argument("--data-dir", default="./strongroom-data", type=Path,
                   help="the server's data directory (holds the root key and SQLite store)")
    p.add_argument("--store", default=None, help="the server's --store, if it has one")


def run(args: argparse.Namespace) -> int:
    from strongroom.cli import operator
    from strongroom.core.clock import SystemClock
    from strongroom.server.compose import SQLITE_FILE, open_store

    if args.store is None and not (args.data_dir / SQLITE_FILE).is_file():
        print(f"strongroom: no store in {args.data_dir}", file=sys.stderr)
        return 1
    root = RootKey(None)  # only subscribing a webhook needs the key
    if args.action == "subscribe" and args.webhook is not None:
        try:
            root, _ = operator.unseal_offline(args.data_dir, [], None)
        except operator.OperatorError as exc:
            print(f"strongroom: {exc}", file=sys.stderr)
            return 1
    store = open_store(ServerConfig(data_dir=args.data_dir, store=args.store,
                                    regions=frozenset()))
    try:
        service = Subscriptions(store, root, SystemClock())
        if args.action == "subscribe":
            return _subscribe(service, args)
        if args.action == "list":
            for subscription in service.all(args.account_id):
                print(_line(subscription))
            return 0
        if args.action == "delete":
            service.delete(args.account_id, args.name)
            print(f"strongroom: deleted subscription {args.name} of {args.account_id}")
            return 0
        return _status(service, args.account_id)
    except NotifyError as exc:
        print(f"strongroom: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()


def _subscribe(service: Subscriptions, args: argparse.Namespace) -> int:
    target: Target
    if args.webhook is not None:
        if args.ca_file is not None and not args.ca_file.is_file():
            print(f"strongroom: no CA bundle at {args.ca_file}", file=sys.stderr)
            return 1
        target = WebhookTarget.parse(args.webhook, str(args.ca_file.resolve())
                                     if args.ca_file is not None else None)
    else:
        target = NatsTarget.parse(args.nats, args.nats_url, jetstream=args.nats_jetstream)
    done = service.subscribe(args.account_id, args.name, target, pattern=args.pattern,
                             include_read_only=args.all_management_events,
                             from_start=args.from_start)
    print(f"strongroom: subscribed {_line(done.subscription)}")
    if done.signing_secret is not None:
        print("Signing secret (shown only this once; the receiver verifies "
              "X-Strongroom-Signature with it):\n\n"
              f"{done.signing_secret}\n", flush=True)
    return 0


def _line(s: Subscription) -> str:
    pattern = json.dumps(s.pattern, separators=(",", ":")) if s.pattern else "every event"
    scope = "all management events" if s.include_read_only else "changes only"
    state = "" if s.enabled else " (disabled)"
    return (f"{s.account_id} {s.name}: {s.kind.value} {s.target.describe()}; {scope}; "
            f"{pattern}{state}")


def _status(service: Subscriptions, account_id: str | None) -> int:
    for status in service.status(account_id):
        s = status.subscription
        print(f"{s.account_id} {s.name}: {s.kind.value} {s.target.describe()}")
        print(f"  cursor {status.cursor} of {status.head} (backlog {status.backlog}), "
              f"{status.delivered} delivered")
        if status.last_delivered is not None:
            print(f"  last delivered {_when(status.last_delivered)}")
        if status.attempts:
            print(f"  failing: {status.attempts} attempts, next at "
                  f"{_when(status.next_attempt)}; last error: {status.last_error}")
    return 0


def _when(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
