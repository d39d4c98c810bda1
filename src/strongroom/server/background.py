"""Background work of a running server: purging secrets past their recovery window,
KMS keys past their deletion window and expired STS sessions; rotating KMS keys.

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

    def start(self) -> None:
        self._app.rotation_engine.start()
        self._thread = threading.Thread(target=self._run, name="strongroom-purge", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._app.rotation_engine.stop()
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

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
