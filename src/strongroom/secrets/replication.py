"""Replicas: a primary secret copied to other regions of the same account.

A replica is an ordinary secret in its region — same name, same ARN suffix,
`primary_region` set — whose versions are the primary's, re-encrypted under a key of
the replica's region with the replica's own encryption context. Every region of a
strongroom deployment lives in one store, so replicas are kept equal to their primary
inside the primary's own write transaction: a reader in the replica's region never sees
a state the primary never had. When a replica cannot be written (its key disabled, say),
the primary's write still succeeds and the replica's status says Failed until a later
write, or ReplicateSecretToRegions, brings it back in sync.
"""

from __future__ import annotations

from strongroom.core.clock import Clock
from strongroom.keys.service import DecryptFailed, KeyNotFound, KeyService, KeyUnusable
from strongroom.secrets.events import ServiceEvent, record_event
from strongroom.secrets.model import ReplicaStatus
from strongroom.storage.queries_replication import ReplicaRecord
from strongroom.storage.records import SecretRecord, VersionRecord
from strongroom.storage.sql import Tx

IN_SYNC = "InSync"
FAILED = "Failed"
NAME_TAKEN = "Secret with this name already exists in this region"  # rotation ref. §10


def replica_arn(primary_arn: str, region: str) -> str:
    parts = primary_arn.split(":")
    parts[3] = region
    return ":".join(parts)


def _context(arn: str, version_id: str) -> dict[str, str]:
    return {"SecretARN": arn, "SecretVersionId": version_id}


class Replicator:
    """Copies a primary's state onto its replicas, as the service itself: no caller's
    permissions are involved in keeping a replica current (AWS checks them when the
    replica is added)."""

    def __init__(self, keys: KeyService, clock: Clock) -> None:
        self._keys = keys
        self._clock = clock

    def sync(self, tx: Tx, primary_pk: int) -> None:
        replicas = tx.list_replicas(primary_pk)
        if not replicas:
            return
        primary = tx.get_secret_by_pk(primary_pk)
        if primary is None:
            return
        for replica in replicas:
            self.sync_one(tx, primary, replica)

    def sync_one(self, tx: Tx, primary: SecretRecord, replica: ReplicaRecord) -> ReplicaRecord:
        target = tx.get_secret_by_arn(replica_arn(primary.arn, replica.region), lock=True)
        status, message = IN_SYNC, None
        if target is None or target.primary_region != primary.region:
            if replica.status == FAILED:
                return replica  # never made (see its message): nothing to bring in line
            status, message = FAILED, NAME_TAKEN if target is not None else "Replica not found"
        else:
            try:
                self._copy(tx, primary, target, replica.kms_key_id)
            except KeyNotFound:
                status, message = FAILED, "The KMS key for this replica does not exist."
            except KeyUnusable as exc:
                status, message = FAILED, f"The KMS key {exc.key_arn} is {exc.state}."
            except DecryptFailed:
                status, message = FAILED, "The secret could not be decrypted for replication."
        updated = ReplicaRecord(primary.pk, replica.region, replica.kms_key_id, status, message)
        if (status, message) != (replica.status, replica.status_message):
            event = (ServiceEvent.REPLICATION_SUCCEEDED if status == IN_SYNC
                     else ServiceEvent.REPLICATION_FAILED)
            record_event(tx, now=self._clock.now(), account_id=primary.account_id,
                         region=primary.region, event=event, secret_arn=primary.arn,
                         error_message=None if status == IN_SYNC
                         else f"Replication to {replica.region} failed: {message}")
        tx.put_replica(updated)
        return updated

    def _copy(self, tx: Tx, primary: SecretRecord, target: SecretRecord,
              kms_key_id: str | None) -> None:
        tx.update_secret(target.pk, description=primary.description,
                         resource_policy=primary.resource_policy,
                         last_changed=self._clock.now())
        tx.replace_tags(target.pk, tx.get_tags(primary.pk))
        source = {v.version_id: v for v in tx.list_versions(primary.pk)}
        mine = {v.version_id: v for v in tx.list_versions(target.pk)}
        for version_id in mine.keys() - source.keys():
            tx.delete_version(target.pk, version_id)
        key = None
        for version in sorted(source.values(), key=lambda v: v.seq):
            have = mine.get(version.version_id)
            if have is not None and (have.ciphertext is not None or version.ciphertext is None):
                continue  # values never change once written: a copy stays right
            if version.ciphertext is None or version.wrapped_key is None:
                tx.insert_version(VersionRecord(
                    target.pk, version.version_id, version.seq, version.created, None, None,
                    None, None, None))
                continue
            key = key or self._keys.key_in(tx, target.account_id, target.region, kms_key_id)
            plaintext = self._keys.decrypt_value(
                tx, version.wrapped_key, version.ciphertext,
                _context(primary.arn, version.version_id))
            wrapped, ciphertext = self._keys.encrypt_value(
                key, plaintext, _context(target.arn, version.version_id))
            record = VersionRecord(target.pk, version.version_id, version.seq, version.created,
                                   None, key.arn, version.value_kind, wrapped, ciphertext)
            if have is None:
                tx.insert_version(record)
            else:
                tx.fill_version(record)
        tx.change_stages(target.pk, tx.get_stages(target.pk), tx.get_stages(primary.pk))
        if key is not None:
            tx.update_secret(target.pk, kms_key_id=None if key.managed else key.arn)

    def reencrypt(self, tx: Tx, primary: SecretRecord, replica: ReplicaRecord) -> ReplicaRecord:
        """After the replica's key changed: drop its copies and make them again."""
        target = tx.get_secret_by_arn(replica_arn(primary.arn, replica.region), lock=True)
        if target is not None:
            for version in tx.list_versions(target.pk):
                tx.delete_version(target.pk, version.version_id)
        return self.sync_one(tx, primary, replica)


def statuses(tx: Tx, primary: SecretRecord) -> list[ReplicaStatus]:
    found = []
    for replica in tx.list_replicas(primary.pk):
        target = tx.get_secret_by_arn(replica_arn(primary.arn, replica.region))
        found.append(ReplicaStatus(
            replica.region, replica.kms_key_id, replica.status, replica.status_message,
            target.last_accessed if target is not None else None))
    return found
