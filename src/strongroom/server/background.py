"""Background work of a running server: purging secrets past their recovery window,
KMS keys past their deletion window and expired STS sessions; rotating KMS keys. It also
starts and stops the rotation engine and the events dispatcher (each its own threads).

Runs in one daemon thread. Purging is idempotent (a row deleted by one node is
simply not found by another), so several nodes may run it side by side.
"""

from __future__ import annotations

import logging
import threading

from strongroom.server.compose import Application

log = logging.getLogger("strongroom.background")


class Background:
    def __init__(self, application: Application) -> None:
        self._app = application
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._digest_thread: threading.Thread | None = None

    def start(self) -> None:
        self._app.rotation_engine.start()
        if self._app.dispatcher is not None:
            self._app.dispatcher.start()
        self._thread = threading.Thread(target=self._run, name="strongroom-purge", daemon=True)
        self._thread.start()
        if self._app.audit_sink is not None:
            self._app.audit_sink.start()
        self._digest_thread = threading.Thread(target=self._sign_digests,
                                               name="strongroom-audit-digests", daemon=True)
        self._digest_thread.start()

    def stop(self) -> None:
        self._app.rotation_engine.stop()
        if self._app.dispatcher is not None:
            self._app.dispatcher.stop()
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._digest_thread is not None:
            self._digest_thread.join(timeout=5)
        if self._app.audit_sink is not None:
            self._app.audit_sink.stop()

    def run_once(self) -> int:
        """One pass: expired sessions, KMS keys past their deletion window (their material
        is destroyed), keys due for automatic rotation, secrets past their recovery window.
        Skipped while the root key is sealed (rotation needs it; the rest waits too)."""
        if self._app.holder.sealed:
            return 0
        self._app.sessions.purge_expired()
        shredded = self._app.kms.purge_due()
        if shredded:
            log.info("deleted %d KMS keys whose deletion window ended; their material is gone",
                     shredded)
        self._app.kms.rotate_due()
        return self._app.secrets.purge_due()

    def _run(self) -> None:
        interval = self._app.config.purge_interval
        while not self._stop.wait(interval):
            try:
                purged = self.run_once()
                if purged:
                    log.info("purged %d secrets whose recovery window ended", purged)
            except Exception:
                log.exception("purge pass failed; will retry")

    def _sign_digests(self) -> None:
        """Sign each account's audit chain head when it moved (audit.digests), every
        `audit_digest_interval` seconds; nothing is signed while sealed."""
        digests = self._app.audit_digests
        if digests is None:
            return
        while not self._stop.wait(self._app.config.audit_digest_interval):
            try:
                digests.sign_heads()
            except Exception:
                log.exception("signing audit checkpoints failed; will retry")
