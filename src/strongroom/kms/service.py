"""The KMS service: one object with one method per KMS operation, for symmetric keys.

It is assembled from one part per area — key lifecycle and rotation (`lifecycle`),
tags and key policy (`settings`), aliases (`aliases`), cryptographic operations
(`ciphers`) — which share key resolution, authorization and state checks
(`access`). Background work (purging keys past their deletion date, scheduled
rotation) lives here; the server's background loop calls it.
"""

from __future__ import annotations

from strongroom.kms.aliases import KeyAliases
from strongroom.kms.ciphers import KeyCiphers
from strongroom.kms.lifecycle import KeyLifecycle
from strongroom.kms.model import DAY, DEFAULT_ROTATION_DAYS
from strongroom.kms.settings import KeySettings


class KmsService(KeyLifecycle, KeySettings, KeyAliases, KeyCiphers):
    def purge_due(self) -> int:
        """Delete keys whose deletion date has passed, with every version of their
        material, their tags and aliases (crypto-shredding). Returns how many."""
        with self._store.write() as tx:
            due = tx.kms_keys_due_for_deletion(self._clock.now())
            for key_id in due:
                tx.delete_kms_key(key_id)
        for key_id in due:
            self._keys.forget(key_id)
        return len(due)

    def rotate_due(self) -> int:
        """Rotate Enabled keys whose automatic rotation date has come. Returns how many."""
        now = self._clock.now()
        with self._store.write() as tx:
            due = tx.kms_keys_due_for_rotation(now)
            for key_id in due:
                record = tx.get_kms_key(key_id, lock=True)
                if record is None:
                    continue
                self._keys.rotate(tx, key_id)
                days = record.rotation_period_days or DEFAULT_ROTATION_DAYS
                tx.set_kms_key_rotation(key_id, True, days, now + days * DAY)
        return len(due)
