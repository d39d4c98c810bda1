"""How current this node's view of each account's IAM is.

Every IAM write bumps its account's generation in the store. Caches of things
IAM decides (parsed policies, access keys) stamp their entries with the
generation they were read at and trust them while it is unchanged. This node's
own writes drop the remembered number at once; other nodes' writes are noticed
when it is re-read, at most `recheck_seconds` later: that is the staleness bound.
What a write transaction reads is remembered only if that transaction has not
changed IAM (see `committed`): anything else may be rolled back.
"""

from __future__ import annotations

import threading

from strongroom.core.clock import Clock
from strongroom.iam.service import IamService


class Generations:
    def __init__(self, iam: IamService, clock: Clock, *, recheck_seconds: float = 1.0) -> None:
        self._iam = iam
        self._clock = clock
        self._recheck = recheck_seconds
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[int, float]] = {}
        self._local = threading.local()  # .changed: this thread's open write changed IAM
        iam.on_change(self.forget)

    def forget(self, account_id: str) -> None:
        """An IAM write of this node changed the account. Called by IamService once its
        own transaction ends; when that was nested in an outer one (an API call's, which
        also appends its audit record), that has not committed yet, so this thread notes
        to forget again in `write_committed`."""
        with self._lock:
            self._seen.pop(account_id, None)
        if self._iam.store.in_write():
            self._local.changed = True

    def write_committed(self, account_id: str) -> None:
        """A write transaction of this thread committed: if it changed IAM, the number
        re-read while it was open must go too. Other writes keep the cache."""
        if getattr(self._local, "changed", False):
            self._local.changed = False
            self.forget(account_id)

    def committed(self, account_id: str, generation: int) -> bool:
        """Whether `generation`, read inside a write transaction, is the committed one this
        node last saw outside any. IAM writes bump the generation, so a transaction that
        changed IAM reads a larger number: what it read may roll back. One that did not
        read committed IAM state, which caches may keep under that generation."""
        with self._lock:
            known = self._seen.get(account_id)
        return known is not None and known[0] == generation

    def current(self, account_id: str) -> int:
        if self._iam.store.in_write():
            # Inside a write (an IAM write bumps the generation before it authorizes):
            # the number may never commit, so it is neither remembered nor trusted.
            return self._iam.generation(account_id)
        now = self._clock.now()
        with self._lock:
            known = self._seen.get(account_id)
        if known is not None and now - known[1] < self._recheck:
            return known[0]
        generation = self._iam.generation(account_id)
        with self._lock:
            self._seen[account_id] = (generation, now)
        return generation
