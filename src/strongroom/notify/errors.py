"""What can go wrong managing subscriptions. These never reach an AWS client (only the CLI
manages subscriptions), so they have no row in the wire error table."""

from __future__ import annotations

from strongroom.core.errors import StrongroomError


class NotifyError(StrongroomError):
    """A subscription request that cannot be carried out."""


class InvalidPattern(NotifyError):
    """An event pattern that is not EventBridge's pattern language; `where` is the path of
    the offending member (``detail.eventName``), `reason` what is wrong with it."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"invalid event pattern at {where or 'the top'}: {reason}")
        self.where = where
        self.reason = reason


class InvalidTarget(NotifyError):
    """A webhook URL, NATS URL or subject that cannot be delivered to."""


class SubscriptionExists(NotifyError):
    def __init__(self, account_id: str, name: str) -> None:
        super().__init__(f"account {account_id} already has a subscription named {name!r}")


class SubscriptionNotFound(NotifyError):
    def __init__(self, account_id: str, name: str) -> None:
        super().__init__(f"account {account_id} has no subscription named {name!r}")


class DeliveryFailed(StrongroomError):
    """A target did not take an event; `reason` is safe to record (no body, no secret)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
