"""Subscriptions as values: where events go (a webhook or a NATS subject), which ones
(an event pattern, read-only calls or not), and how far delivery has got.

Parsing a target checks it once, here; everything after holds a checked value.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from strongroom.notify.errors import InvalidTarget

DEFAULT_NATS_URL = "nats://127.0.0.1:4222"
NATS_PORT = 4222
_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
_SUBJECT_TOKEN = re.compile(r"[^\s.*>]+")


class TargetKind(StrEnum):
    WEBHOOK = "webhook"
    NATS = "nats"


@dataclass(frozen=True)
class WebhookTarget:
    url: str
    ca_file: str | None = None  # a CA bundle to verify the receiver's certificate with

    @classmethod
    def parse(cls, url: str, ca_file: str | None = None) -> WebhookTarget:
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise InvalidTarget(f"a webhook URL is https://host/path or http://host/path, "
                                f"not {url!r}")
        if ca_file is not None and parts.scheme != "https":
            raise InvalidTarget("--ca-file applies to https:// webhooks only")
        return cls(url, ca_file)

    def describe(self) -> str:
        parts = urlsplit(self.url)  # never show a query string: it may hold a token
        return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"


@dataclass(frozen=True)
class NatsTarget:
    url: str
    subject: str
    jetstream: bool = False  # publish with a JetStream acknowledgement (and Nats-Msg-Id)

    @classmethod
    def parse(cls, subject: str, url: str = DEFAULT_NATS_URL, *,
              jetstream: bool = False) -> NatsTarget:
        parts = urlsplit(url)
        if parts.scheme != "nats" or not parts.hostname:
            raise InvalidTarget(f"a NATS URL is nats://host[:port], not {url!r}")
        tokens = subject.split(".")
        if not all(_SUBJECT_TOKEN.fullmatch(t) for t in tokens):
            raise InvalidTarget(f"{subject!r} is not a NATS subject to publish to (dot-"
                                "separated tokens, no spaces or wildcards)")
        return cls(url, subject, jetstream)

    def address(self) -> tuple[str, int]:
        parts = urlsplit(self.url)
        return parts.hostname or "127.0.0.1", parts.port or NATS_PORT

    def describe(self) -> str:
        host, port = self.address()
        mode = " (JetStream)" if self.jetstream else ""
        return f"nats://{host}:{port} {self.subject}{mode}"

    def to_text(self) -> str:
        return json.dumps({"url": self.url, "subject": self.subject,
                           "jetstream": self.jetstream}, sort_keys=True)

    @classmethod
    def from_text(cls, text: str) -> NatsTarget:
        data = json.loads(text)
        return cls(str(data["url"]), str(data["subject"]), bool(data.get("jetstream")))


Target = WebhookTarget | NatsTarget


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise InvalidTarget(f"a subscription name is 1-64 letters, digits, '.', '_' or '-', "
                            f"not {name!r}")
    return name


@dataclass(frozen=True)
class Subscription:
    id: str
    account_id: str
    name: str
    target: Target
    pattern: dict[str, Any] | None  # None: every event
    include_read_only: bool  # AWS's ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS
    enabled: bool
    created: float

    @property
    def kind(self) -> TargetKind:
        return TargetKind.WEBHOOK if isinstance(self.target, WebhookTarget) else TargetKind.NATS


@dataclass(frozen=True)
class DeliveryStatus:
    subscription: Subscription
    cursor: int  # the last audit seq of the account done with
    head: int  # the account's newest audit seq
    attempts: int  # failed attempts at the next event (0: none failing)
    next_attempt: float
    last_error: str | None
    last_delivered: float | None
    delivered: int

    @property
    def backlog(self) -> int:
        """Audit records not yet looked at (some may not match the pattern)."""
        return max(0, self.head - self.cursor)
