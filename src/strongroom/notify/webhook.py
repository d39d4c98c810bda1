"""Delivering one event to an HTTPS (or HTTP) webhook, signed with the subscription's key.

The signature follows Stripe's scheme: `X-Strongroom-Signature: t=<unix time>,v1=<hex
HMAC-SHA256 of "<t>.<body>">`, so a receiver checks both who sent the event and that it
is fresh. Any 2xx answer means delivered; anything else, or no answer within the timeout,
raises DeliveryFailed with a reason that holds neither the body nor the URL's query.
Certificates are verified (against `ca_file` when given); redirects are not followed.
"""

from __future__ import annotations

import hashlib
import hmac
import ssl
import urllib.error
import urllib.request
from typing import Any

from strongroom.notify.errors import DeliveryFailed
from strongroom.notify.model import WebhookTarget

SIGNATURE_HEADER = "X-Strongroom-Signature"
EVENT_ID_HEADER = "X-Strongroom-Event-Id"
USER_AGENT = "strongroom-events/1"


def signature(key: bytes, timestamp: int, body: bytes) -> str:
    digest = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(key: bytes, header: str, body: bytes, *, now: float, tolerance: float = 300.0
           ) -> bool:
    """What a receiver does (and the tests): a v1 signature over this body, made within
    `tolerance` seconds of `now`."""
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        fields.setdefault(name, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(key, timestamp, body).rpartition("v1=")[2]
    return any(hmac.compare_digest(expected, given) for given in fields.get("v1", []))


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx then surfaces as an HTTPError: not delivered


def post(target: WebhookTarget, body: bytes, *, event_id: str, key: bytes, now: float,
         timeout: float) -> int:
    """POST one event; returns the 2xx status, or raises DeliveryFailed."""
    # S310: WebhookTarget.parse admits only http and https URLs
    request = urllib.request.Request(target.url, data=body, method="POST", headers={  # noqa: S310
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_ID_HEADER: event_id,
        SIGNATURE_HEADER: signature(key, int(now), body),
    })
    handlers: list[urllib.request.BaseHandler] = [_NoRedirects()]
    if target.url.startswith("https:"):
        context = ssl.create_default_context(cafile=target.ca_file)
        handlers.append(urllib.request.HTTPSHandler(context=context))
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(request, timeout=timeout) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise DeliveryFailed(f"HTTP {exc.code} from {target.describe()}") from None
    except urllib.error.URLError as exc:
        raise DeliveryFailed(f"{target.describe()}: {exc.reason}") from None
    except (OSError, ValueError) as exc:  # timeouts, resets, malformed answers
        raise DeliveryFailed(f"{target.describe()}: {type(exc).__name__}: {exc}") from None
    if not 200 <= status < 300:
        raise DeliveryFailed(f"HTTP {status} from {target.describe()}")
    return status
