"""ReplicateSecretToRegions, RemoveRegionsFromReplication, StopReplicationToReplica.

Adding a replica checks what AWS checks of the caller (the regions, an existing secret of
the same name, kms:GenerateDataKey on the replica's key) and then lets the Replicator
make the copy. A problem with one region does not fail the call: that replica's status
says Failed and why, as AWS reports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from strongroom.core.types import RequestContext
from strongroom.keys.service import KeyNotFound, KeyUnusable, ResolvedKey
from strongroom.secrets.errors import InvalidParameter, InvalidRequest, KmsAccessDenied
from strongroom.secrets.events import ServiceEvent, record_event
from strongroom.secrets.model import ReplicaStatus, Stage
from strongroom.secrets.replication import FAILED, NAME_TAKEN, replica_arn, statuses
from strongroom.secrets.service import SecretsService, is_replica
from strongroom.storage.queries_replication import ReplicaRecord
from strongroom.storage.records import SecretRecord
from strongroom.storage.sql import Tx

IN_PROGRESS = "InProgress"


@dataclass(frozen=True)
class ReplicaRequest:
    region: str
    kms_key_id: str | None = None


@dataclass(frozen=True)
class ReplicationResult:
    arn: str
    statuses: tuple[ReplicaStatus, ...]


class ReplicationService:
    def __init__(self, secrets: SecretsService, regions: frozenset[str]) -> None:
        self._secrets = secrets
        self._regions = regions

    def replicate(self, ctx: RequestContext, secret_id: str, add: Sequence[ReplicaRequest],
                  *, force: bool = False) -> ReplicationResult:
        wanted = [r.region for r in add]
        if len(set(wanted)) != len(wanted):
            raise InvalidParameter("replica_region_repeated")
        for region in wanted:
            if region not in self._regions:
                raise InvalidParameter("replica_region_invalid", region=region)
        conditions: dict[str, object] = {
            "secretsmanager:AddReplicaRegions": wanted,
            "secretsmanager:ForceOverwriteReplicaSecret": force,
        }
        secrets = self._secrets
        keys: dict[str, ResolvedKey | str] = {}
        for request in add:  # a region's managed key is created (its own write) beforehand
            try:
                keys[request.region] = secrets.keys.key_for_encryption(
                    ctx.principal.account_id, request.region, request.kms_key_id or None)
            except KeyNotFound:
                keys[request.region] = "The KMS key for this replica does not exist."
            except KeyUnusable as exc:
                keys[request.region] = f"The KMS key {exc.key_arn} is {exc.state}."
        now = secrets.clock.now()
        with secrets.store.write() as tx:
            primary = secrets.resolve(tx, ctx, secret_id, "ReplicateSecretToRegions",
                                      conditions, lock=True)
            secrets.writable(primary)
            for request in add:
                if request.region == primary.region:
                    raise InvalidParameter("replica_region_is_primary", region=request.region)
            for request in add:
                self._add(tx, ctx, primary, request, keys[request.region], force, now)
            secrets.replicate(tx, primary.pk)
            return ReplicationResult(primary.arn, tuple(statuses(tx, primary)))

    def _add(self, tx: Tx, ctx: RequestContext, primary: SecretRecord, request: ReplicaRequest,
             key: ResolvedKey | str, force: bool, now: float) -> None:
        region = request.region
        target_arn = replica_arn(primary.arn, region)
        record_event(tx, now=now, account_id=primary.account_id, region=primary.region,
                     event=ServiceEvent.REPLICATION_STARTED, secret_arn=primary.arn)
        if isinstance(key, str):
            self._failed(tx, primary, region, request.kms_key_id, key)
            return
        kms_key_id = None if key.managed else key.arn
        try:
            current = tx.get_stages(primary.pk).get(Stage.CURRENT.value, "")
            self._secrets.use_key(tx, ctx, key.key_id, "GenerateDataKey", target_arn, region,
                                  current)
        except KmsAccessDenied:
            self._failed(tx, primary, region, kms_key_id, "Access to KMS is not allowed")
            return
        except KeyUnusable as exc:
            self._failed(tx, primary, region, kms_key_id, f"The KMS key {exc.key_arn} is "
                                                          f"{exc.state}.")
            return
        existing = tx.get_secret_by_name(primary.account_id, region, primary.name, lock=True)
        ours = existing is not None and existing.arn == target_arn \
            and existing.primary_region == primary.region
        if existing is not None and not ours:
            if not force:
                self._failed(tx, primary, region, kms_key_id, NAME_TAKEN)
                return
            tx.delete_secret(existing.pk)
        if not ours:
            tx.insert_secret(SecretRecord(
                pk=0, account_id=primary.account_id, region=region, name=primary.name,
                arn=target_arn, description=primary.description, kms_key_id=kms_key_id,
                created=now, last_changed=now, last_accessed=None, deleted_date=None,
                purge_after=None, owning_service=None, primary_region=primary.region,
                secret_type=primary.secret_type, resource_policy=primary.resource_policy))
        previous = next((r for r in tx.list_replicas(primary.pk) if r.region == region), None)
        entry = ReplicaRecord(primary.pk, region, kms_key_id, IN_PROGRESS, None)
        tx.put_replica(entry)
        tx.update_secret(primary.pk, primary_region=primary.region)
        if ours and previous is not None and previous.kms_key_id != kms_key_id:
            self._secrets.replicator.reencrypt(tx, primary, entry)

    @staticmethod
    def _failed(tx: Tx, primary: SecretRecord, region: str, kms_key_id: str | None,
                message: str) -> None:
        tx.put_replica(ReplicaRecord(primary.pk, region, kms_key_id, FAILED, message))
        tx.update_secret(primary.pk, primary_region=primary.region)

    def remove(self, ctx: RequestContext, secret_id: str,
               regions: Sequence[str]) -> ReplicationResult:
        """Delete the replicas in `regions` at once (AWS: immediately)."""
        secrets = self._secrets
        with secrets.store.write() as tx:
            primary = secrets.resolve(tx, ctx, secret_id, "RemoveRegionsFromReplication",
                                      lock=True)
            secrets.writable(primary)
            known = {r.region for r in tx.list_replicas(primary.pk)}
            for region in regions:
                if region not in known:
                    raise InvalidParameter("replica_region_not_found", region=region)
            for region in regions:
                target = tx.get_secret_by_arn(replica_arn(primary.arn, region), lock=True)
                if target is not None and target.primary_region == primary.region:
                    tx.delete_secret(target.pk)
                tx.delete_replica(primary.pk, region)
            if not tx.list_replicas(primary.pk):
                tx.update_secret(primary.pk, primary_region=None)
            return ReplicationResult(primary.arn, tuple(statuses(tx, primary)))

    def stop(self, ctx: RequestContext, secret_id: str) -> str:
        """Promote a replica (called in its region) to a standalone secret."""
        secrets = self._secrets
        with secrets.store.write() as tx:
            replica = secrets.resolve(tx, ctx, secret_id, "StopReplicationToReplica", lock=True)
            secrets.not_deleted(replica)
            if not is_replica(replica) or replica.primary_region is None:
                raise InvalidRequest("not_a_replica", secret_id=secret_id)
            primary = tx.get_secret_by_arn(replica_arn(replica.arn, replica.primary_region),
                                           lock=True)
            tx.update_secret(replica.pk, primary_region=None,
                             last_changed=secrets.clock.now())
            if primary is not None:
                tx.delete_replica(primary.pk, replica.region)
                if not tx.list_replicas(primary.pk):
                    tx.update_secret(primary.pk, primary_region=None)
        return replica.arn
