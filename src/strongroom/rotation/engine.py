"""The rotation engine: starts rotations when their window opens and runs their steps.

Everything it knows lives in the store, so a restart, or another server process on
the same store, carries on where this one stopped:

- A secret whose window has opened and that has no rotation row gets one (with the
  AWSPENDING placeholder) in one transaction; the row's primary key is the secret, so
  two engines can never both start it.
- A worker runs a rotation only while it holds the row's lease, which a heartbeat
  renews. The step reached is saved before each step is called, so a worker that
  dies mid-rotation leaves a row whose lease runs out; the next engine to look takes
  it over and calls that step again (AWS's templates make every step idempotent).
- A failed step fails the attempt: RotationFailed is recorded and the whole rotation
  is retried from createSecret after a back-off, up to `max_attempts`; then it waits,
  AWSPENDING still on its version as AWS leaves it, for the next window (a rotation
  without a schedule: a day) and starts over.

Functions are called outside any transaction: they call back into Secrets Manager.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from strongroom.core.clock import Clock
from strongroom.core.errors import StrongroomError
from strongroom.secrets.events import ServiceEvent, record_event
from strongroom.secrets.functions import SECRETS_MANAGER_PRINCIPAL, FunctionInvoker
from strongroom.secrets.model import Stage
from strongroom.secrets.rotation import stored_rules
from strongroom.secrets.rotation_state import (
    FAILED,
    ROTATE,
    RUNNING,
    STEPS,
    begin_rotation,
    rotation_in_progress,
    token_digest,
)
from strongroom.secrets.schedule import next_window
from strongroom.secrets.service import SecretsService
from strongroom.storage.base import Store, UniqueViolation
from strongroom.storage.queries_rotation import RotationRecord
from strongroom.storage.records import SecretRecord
from strongroom.storage.sql import Tx

log = logging.getLogger("strongroom.rotation")

UNSCHEDULED_RETRY = 86400.0  # a failed rotation with no schedule is tried again daily


@dataclass(frozen=True)
class EngineSettings:
    lease_seconds: float = 30.0  # a dead worker's rotation is taken over after this
    max_attempts: int = 3  # attempts per window before the rotation waits
    retry_delay: float = 30.0  # before the 2nd attempt; doubles for each later one
    workers: int = 4  # rotations run at once by this engine
    poll_interval: float = 1.0  # how often due windows and rotations are looked for


class RotationEngine:
    def __init__(self, store: Store, secrets: SecretsService, invoker: FunctionInvoker,
                 clock: Clock, settings: EngineSettings | None = None, *,
                 paused: Callable[[], bool] = lambda: False) -> None:
        self._store = store
        self._secrets = secrets
        self._invoker = invoker
        self._clock = clock
        self.settings = settings or EngineSettings()
        self._paused = paused
        self.owner = f"engine-{uuid.uuid4()}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._pool: ThreadPoolExecutor | None = None
        self._running: set[int] = set()
        self._lock = threading.Lock()

    # --- lifecycle -------------------------------------------------------------

    def start(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=self.settings.workers,
                                        thread_name_prefix="strongroom-rotation")
        for target, name in ((self._loop, "strongroom-rotation-scheduler"),
                             (self._heartbeat, "strongroom-rotation-lease")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Stop looking for work; rotations under way finish their current step only if it
        ends within a few seconds, else their lease runs out and another engine resumes."""
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=5)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.settings.poll_interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                if not self._paused():
                    self.schedule_due()
                    self._dispatch()
            except Exception:
                log.exception("rotation pass failed; will retry")

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.settings.lease_seconds / 3):
            with self._lock:
                if not self._running:
                    continue
            try:
                with self._store.write() as tx:
                    tx.renew_leases(self.owner, self._clock.now() + self.settings.lease_seconds)
            except Exception:
                log.exception("could not renew rotation leases")

    def _dispatch(self) -> None:
        if self._pool is None:
            raise RuntimeError("the rotation engine was not started")
        with self._lock:
            free = self.settings.workers - len(self._running)
        if free <= 0:
            return
        for row in self.claim(free):
            with self._lock:
                self._running.add(row.secret_pk)
            self._pool.submit(self._run_and_release, row)

    def _run_and_release(self, row: RotationRecord) -> None:
        try:
            self.run(row)
        except Exception:
            log.exception("rotation of secret %d failed unexpectedly", row.secret_pk)
        finally:
            with self._lock:
                self._running.discard(row.secret_pk)
            self._wake.set()

    # --- one pass, callable directly (tests, the CLI) --------------------------

    def run_pending(self) -> int:
        """Start due windows and run every claimable rotation to its end, on this thread."""
        self.schedule_due()
        done = 0
        while rows := self.claim(self.settings.workers):
            for row in rows:
                self.run(row)
                done += 1
        return done

    def schedule_due(self, *, limit: int = 50) -> int:
        now = self._clock.now()
        with self._store.read() as tx:
            due = tx.secrets_due_for_rotation(now, limit)
        started = 0
        for pk in due:
            try:
                with self._store.write() as tx:
                    started += self._start_window(tx, pk, now)
            except UniqueViolation:
                continue  # another engine started it first
            except StrongroomError as exc:  # e.g. no room for another version yet
                log.warning("rotation of secret %d could not start: %s", pk, exc)
                with self._store.write() as tx:
                    secret = tx.get_secret_by_pk(pk, lock=True)
                    if secret is not None:
                        self._skip_window(tx, secret, now, "The rotation could not start.")
        return started

    def _start_window(self, tx: Tx, pk: int, now: float) -> int:
        secret = tx.get_secret_by_pk(pk, lock=True)
        if (secret is None or not secret.rotation_enabled or secret.next_rotation is None
                or secret.next_rotation > now or secret.deleted_date is not None
                or not secret.rotation_lambda_arn):
            return 0
        row = tx.get_rotation(pk, lock=True)
        if row is not None:
            if row.state != FAILED or row.due > now:
                return 0
            tx.update_rotation(pk, state=RUNNING, attempts=0, step=STEPS[0], due=now,
                               lease_owner=None, lease_until=None,
                               window_end=secret.rotation_window_end)
            record_event(tx, now=now, account_id=secret.account_id, region=secret.region,
                         event=ServiceEvent.ROTATION_STARTED, secret_arn=secret.arn)
            return 1
        stages = tx.get_stages(pk)
        if rotation_in_progress(stages):
            # AWSPENDING left on another version (e.g. by CancelRotateSecret): AWS cannot
            # rotate until someone removes it; try again at the next window.
            self._skip_window(tx, secret, now, "A previous rotation isn't complete.")
            return 0
        self._secrets.make_room(tx, pk, stages)
        begin_rotation(tx, secret, token=str(uuid.uuid4()), function_arn=secret.rotation_lambda_arn,
                       kind=ROTATE, now=now, window_end=secret.rotation_window_end)
        self._secrets.replicate(tx, pk)
        return 1

    def _skip_window(self, tx: Tx, secret: SecretRecord, now: float, reason: str) -> None:
        rules = stored_rules(secret)
        window = next_window(rules, after=now + 1, last_rotated=now) if rules else None
        tx.update_secret(secret.pk, next_rotation=window.start if window else None,
                         rotation_window_end=window.end if window else None)
        record_event(tx, now=now, account_id=secret.account_id, region=secret.region,
                     event=ServiceEvent.ROTATION_FAILED, secret_arn=secret.arn,
                     error_message=reason)

    def claim(self, limit: int) -> list[RotationRecord]:
        now = self._clock.now()
        claimed = []
        with self._store.write() as tx:
            for row in tx.claimable_rotations(now, limit):
                if tx.claim_rotation(row.secret_pk, self.owner, now,
                                     now + self.settings.lease_seconds):
                    claimed.append(row)
        return claimed

    # --- running one rotation ----------------------------------------------------

    def run(self, row: RotationRecord) -> None:
        with self._store.read() as tx:
            secret = tx.get_secret_by_pk(row.secret_pk)
        if secret is None:
            return
        steps = STEPS[STEPS.index(row.step):] if row.kind == ROTATE else ("testSecret",)
        for step in steps:
            rotation_token = str(uuid.uuid4())
            with self._store.write() as tx:
                if not tx.update_rotation(row.secret_pk, owner=self.owner, step=step,
                                          rotation_token_hash=token_digest(rotation_token)):
                    log.info("rotation of %s was cancelled or taken over", secret.arn)
                    return
            event = {"Step": step, "SecretId": secret.arn, "ClientRequestToken": row.token,
                     "RotationToken": rotation_token}
            result = self._invoker.invoke_for_service(
                row.function_arn, event, service_principal=SECRETS_MANAGER_PRINCIPAL,
                source_arn=secret.arn, source_account=secret.account_id)
            if not result.ok:
                # Not the function's error message: the function wrote it, and it may hold a
                # value. Its log (CloudWatch Logs subset) has the whole story.
                log.warning("rotation function %s failed at %s for %s (%s)", row.function_arn,
                            step, secret.arn, (result.error or "").partition(": ")[0])
                self._failed(row, secret, f"Error when executing lambda {row.function_arn} "
                                          f"during {step} step")
                return
        self._finished(row, secret)

    def _failed(self, row: RotationRecord, secret: SecretRecord, message: str) -> None:
        now = self._clock.now()
        with self._store.write() as tx:
            current = tx.get_rotation(row.secret_pk, lock=True)
            if current is None or current.lease_owner != self.owner:
                return
            if current.kind != ROTATE:
                tx.delete_rotation(row.secret_pk)
                tx.delete_version(row.secret_pk, row.token)
                self._secrets.replicate(tx, row.secret_pk)
                record_event(tx, now=now, account_id=secret.account_id, region=secret.region,
                             event=ServiceEvent.TEST_ROTATION_FAILED, secret_arn=secret.arn,
                             error_message=message)
                return
            attempts = current.attempts + 1
            record_event(tx, now=now, account_id=secret.account_id, region=secret.region,
                         event=ServiceEvent.ROTATION_FAILED, secret_arn=secret.arn,
                         error_message=message)
            if attempts < self.settings.max_attempts:
                delay = self.settings.retry_delay * 2 ** (attempts - 1)
                tx.update_rotation(row.secret_pk, attempts=attempts, step=STEPS[0],
                                   due=now + delay, lease_owner=None, lease_until=None,
                                   last_error=message)
                return
            # Out of attempts: wait for the next window to try again (a rotation without a
            # schedule, once a day).
            fresh = tx.get_secret_by_pk(row.secret_pk)
            rules = stored_rules(fresh) if fresh is not None else None
            window = next_window(rules, after=now + 1, last_rotated=now) if rules else None
            if window is None or fresh is None or not fresh.rotation_enabled:
                tx.update_rotation(row.secret_pk, attempts=attempts, step=STEPS[0],
                                   due=now + UNSCHEDULED_RETRY, lease_owner=None,
                                   lease_until=None, last_error=message)
                return
            tx.update_rotation(row.secret_pk, attempts=attempts, state=FAILED,
                               due=window.start, lease_owner=None, lease_until=None,
                               last_error=message)
            tx.update_secret(row.secret_pk, next_rotation=window.start,
                             rotation_window_end=window.end)

    def _finished(self, row: RotationRecord, secret: SecretRecord) -> None:
        now = self._clock.now()
        with self._store.write() as tx:
            current = tx.get_rotation(row.secret_pk, lock=True)
            if current is None or current.lease_owner != self.owner:
                return
            fresh = tx.get_secret_by_pk(row.secret_pk, lock=True)
            if fresh is None:
                return
            stages = tx.get_stages(row.secret_pk)
            if current.kind != ROTATE:
                tx.delete_rotation(row.secret_pk)
                tx.delete_version(row.secret_pk, row.token)
                self._secrets.replicate(tx, row.secret_pk)
                record_event(tx, now=now, account_id=fresh.account_id, region=fresh.region,
                             event=ServiceEvent.TEST_ROTATION_SUCCEEDED, secret_arn=fresh.arn)
                return
            if stages.get(Stage.CURRENT.value) != row.token:
                failed = True
            else:
                failed = False
                if stages.get(Stage.PENDING.value) == row.token:
                    tx.remove_stage(row.secret_pk, Stage.PENDING.value)  # as AWS does
                rules = stored_rules(fresh)
                # the window this rotation ran in is used up (an immediate one used none)
                after = max(now, current.window_end or now)
                window = (next_window(rules, after=after, last_rotated=now)
                          if rules is not None and fresh.rotation_enabled else None)
                tx.update_secret(row.secret_pk, last_rotated=now, last_changed=now,
                                 next_rotation=window.start if window else None,
                                 rotation_window_end=window.end if window else None)
                tx.delete_rotation(row.secret_pk)
                self._secrets.replicate(tx, row.secret_pk)
                record_event(tx, now=now, account_id=fresh.account_id, region=fresh.region,
                             event=ServiceEvent.ROTATION_SUCCEEDED, secret_arn=fresh.arn)
        if failed:
            self._failed(row, secret, f"Error when executing lambda {row.function_arn} during "
                                      "finishSecret step: AWSCURRENT was not moved to the new "
                                      "version")
