"""SQL for a primary secret's replicas in other regions."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.storage.queries_base import QueryBase


@dataclass(frozen=True)
class ReplicaRecord:
    primary_pk: int
    region: str
    kms_key_id: str | None  # as asked for; None: the region's aws/secretsmanager
    status: str  # InSync | Failed | InProgress
    status_message: str | None


class ReplicationQueries(QueryBase):
    def list_replicas(self, primary_pk: int) -> list[ReplicaRecord]:
        rows = self._rows(
            "SELECT primary_pk, region, kms_key_id, status, status_message FROM secret_replicas "
            "WHERE primary_pk = ? ORDER BY region",
            (primary_pk,),
        )
        return [ReplicaRecord(int(r[0]), r[1], r[2], r[3], r[4]) for r in rows]

    def put_replica(self, r: ReplicaRecord) -> None:
        self._run("DELETE FROM secret_replicas WHERE primary_pk = ? AND region = ?",
                  (r.primary_pk, r.region))
        self._run(
            "INSERT INTO secret_replicas (primary_pk, region, kms_key_id, status, status_message) "
            "VALUES (?, ?, ?, ?, ?)",
            (r.primary_pk, r.region, r.kms_key_id, r.status, r.status_message),
        )

    def delete_replica(self, primary_pk: int, region: str) -> None:
        self._run("DELETE FROM secret_replicas WHERE primary_pk = ? AND region = ?",
                  (primary_pk, region))

    def delete_replicas_of(self, primary_pk: int) -> None:
        self._run("DELETE FROM secret_replicas WHERE primary_pk = ?", (primary_pk,))
