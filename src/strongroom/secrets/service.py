"""The Secrets Manager service: one method per operation, in domain words.

Each method resolves the secret, asks the authorizer, then does its work in one
store transaction. It returns domain values and raises typed errors; the wire
layer alone knows AWS field names. Secret values exist in clear only inside the
call that needs them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from strongroom.core.clock import Clock, start_of_day
from strongroom.core.errors import AccessDenied
from strongroom.core.types import RequestContext, Tag
from strongroom.keys.service import (
    DecryptFailed,
    KeyService,
    KeyUnusable,
    ResolvedKey,
    parse_blob,
)
from strongroom.kms.access import policy_of
from strongroom.policy.authorizer import Authorizer, require
from strongroom.secrets import labels as label_moves
from strongroom.secrets.errors import (
    ClientRequestTokenMissing,
    InvalidParameter,
    InvalidRequest,
    KmsAccessDenied,
    LimitExceeded,
    NameScheduledForDeletion,
    SecretAlreadyMarkedDeleted,
    SecretExists,
    SecretMarkedForDeletion,
    SecretNotFound,
    StageNotOnVersion,
    TokenInUse,
    VersionIdNotFound,
    VersionStageNotFound,
)
from strongroom.secrets.events import ServiceEvent, record_event
from strongroom.secrets.model import (
    DEFAULT_RECOVERY_DAYS,
    DEPRECATED_VERSION_MIN_AGE,
    MAX_TAGS,
    MAX_VALUE_BYTES,
    MAX_VERSIONS,
    ReplicaStatus,
    SecretDescription,
    SecretValue,
    Stage,
    ValueKind,
    VersionInfo,
    VersionValue,
    WriteResult,
)
from strongroom.secrets.names import new_arn, parse_secret_id, unsuffixed_arn, validate_name
from strongroom.secrets.password import PasswordSpec, generate_password
from strongroom.secrets.replication import Replicator, statuses
from strongroom.secrets.rotation_state import abandon_superseded, rotation_token_matches
from strongroom.secrets.schedule import Window, next_rotation_date
from strongroom.storage.base import Store, UniqueViolation
from strongroom.storage.records import SecretRecord, VersionRecord
from strongroom.storage.sql import Tx

_ACTION = "secretsmanager:{}".format


def _context(arn: str, version_id: str) -> dict[str, str]:
    """The encryption context AWS binds to each version's data key."""
    return {"SecretARN": arn, "SecretVersionId": version_id}


class SecretsService:
    def __init__(
        self, store: Store, keys: KeyService, authorizer: Authorizer, clock: Clock
    ) -> None:
        self._store = store
        self._keys = keys
        self._authz = authorizer
        self._clock = clock
        self._replicator = Replicator(keys, clock)

    @property
    def store(self) -> Store:
        return self._store

    @property
    def authorizer(self) -> Authorizer:
        return self._authz

    @property
    def clock(self) -> Clock:
        return self._clock

    @property
    def keys(self) -> KeyService:
        return self._keys

    @property
    def replicator(self) -> Replicator:
        return self._replicator

    def replicate(self, tx: Tx, pk: int) -> None:
        """Bring the secret's replicas in line with it (a no-op without replicas); every
        write to a secret calls this before its transaction ends."""
        self._replicator.sync(tx, pk)

    def authorize_any(self, ctx: RequestContext, action: str) -> None:
        """For operations on no particular secret (IAM resource "*")."""
        require(self._authz, ctx, _ACTION(action), "*")

    # --- resolving and authorizing -------------------------------------------

    def _find(
        self, tx: Tx, ctx: RequestContext, secret_id: str, *, lock: bool = False
    ) -> SecretRecord | None:
        ref = parse_secret_id(secret_id)
        account = ref.account_id or ctx.principal.account_id
        region = ref.region or ctx.region
        if ref.arn is not None:
            return tx.get_secret_by_arn(ref.arn, lock=lock)
        if ref.name is None:
            return None
        return tx.get_secret_by_name(account, region, ref.name, lock=lock)

    def resolve(
        self,
        tx: Tx,
        ctx: RequestContext,
        secret_id: str,
        action: str,
        conditions: Mapping[str, object] | None = None,
        *,
        lock: bool = False,
    ) -> SecretRecord:
        """Find and authorize. A caller who may not act gets AccessDenied whether or not
        the secret exists, so existence does not leak."""
        return self._resolve(tx, ctx, secret_id, action, conditions, lock=lock)[0]

    def _resolve(
        self,
        tx: Tx,
        ctx: RequestContext,
        secret_id: str,
        action: str,
        conditions: Mapping[str, object] | None = None,
        *,
        lock: bool = False,
    ) -> tuple[SecretRecord, dict[str, str]]:
        """`resolve`, also returning the secret's stages (read with its tags at once)."""
        secret = self._find(tx, ctx, secret_id, lock=lock)
        if secret is None:
            ref = parse_secret_id(secret_id)
            resource = ref.arn or unsuffixed_arn(
                ref.region or ctx.region, ref.account_id or ctx.principal.account_id,
                ref.name or secret_id,
            )
            try:
                require(self._authz, ctx, _ACTION(action), resource, conditions)
            except AccessDenied as denied:
                # AWS names an unresolved secret as the caller wrote it (recorded:
                # "... on resource: settings because ...").
                raise AccessDenied(denied.principal_arn, denied.action, secret_id,
                                   denied.reason) from None
            raise SecretNotFound(secret_id)
        facts = dict(conditions or {})
        facts["secretsmanager:SecretId"] = secret.arn
        facts["secretsmanager:Name"] = secret.name
        tags, stages = tx.get_tags_and_stages(secret.pk)
        facts["aws:ResourceTag"] = dict(tags)
        require(self._authz, ctx, _ACTION(action), secret.arn, facts,
                resource_policy=secret.resource_policy, resource_account=secret.account_id)
        return secret, stages

    @staticmethod
    def not_deleted(secret: SecretRecord) -> None:
        if secret.deleted_date is not None:
            raise SecretMarkedForDeletion(secret.arn)

    @staticmethod
    def writable(secret: SecretRecord) -> None:
        """Changes go to the primary's region; a replica follows it and only it."""
        SecretsService.not_deleted(secret)
        if is_replica(secret):
            raise InvalidRequest("replica_write")

    # --- values and versions -------------------------------------------------

    def use_key(self, tx: Tx, ctx: RequestContext, key_id: str, operation: str,
                arn: str, region: str, version_id: str) -> None:
        """Secrets Manager calls KMS on the caller's behalf, so the caller needs
        kms:<operation> on the key, decided by the key policy and IAM with the condition
        keys KMS sees for a call through Secrets Manager (kms:ViaService and the
        encryption context). AWS answers a refusal with "Access to KMS is not allowed"."""
        record = tx.get_kms_key(key_id)
        if record is None:
            raise DecryptFailed()  # the key is gone: what it protected is unreadable
        if record.managed and record.account_id != ctx.principal.account_id:
            raise InvalidRequest("cross_account_default_key")
        context = _context(arn, version_id)
        conditions: dict[str, object] = {
            "kms:ViaService": f"secretsmanager.{region}.amazonaws.com",
            "kms:CallerAccount": ctx.principal.account_id,
            "kms:EncryptionContextKeys": sorted(context),
            **{f"kms:EncryptionContext:{k}": v for k, v in context.items()},
        }
        try:
            require(self._authz, ctx, f"kms:{operation}", record.arn, conditions,
                    resource_policy=policy_of(record), resource_account=record.account_id,
                    resource_policy_kind="key")
        except AccessDenied as denied:
            raise KmsAccessDenied() from denied
        if record.state != "Enabled":
            raise KeyUnusable(record.arn, record.state)

    def _decrypt(self, tx: Tx, ctx: RequestContext, secret: SecretRecord,
                 version: VersionRecord) -> SecretValue:
        if version.ciphertext is None or version.wrapped_key is None:
            raise VersionIdNotFound(version.version_id)
        header = parse_blob(version.wrapped_key)
        if header is None:
            raise DecryptFailed()
        self.use_key(tx, ctx, header.key_id, "Decrypt", secret.arn, secret.region,
                      version.version_id)
        plaintext = self._keys.decrypt_value(  # _use_key has just read the key's state
            tx, version.wrapped_key, version.ciphertext,
            _context(secret.arn, version.version_id), state_checked=True,
        )
        return SecretValue(ValueKind(version.value_kind or ValueKind.STRING), plaintext)

    def _sealed_version(
        self, tx: Tx, ctx: RequestContext, region: str, secret_pk: int, arn: str,
        version_id: str, seq: int, value: SecretValue, key: ResolvedKey,
    ) -> VersionRecord:
        self.use_key(tx, ctx, key.key_id, "GenerateDataKey", arn, region, version_id)
        wrapped, ciphertext = self._keys.encrypt_value(key, value.data, _context(arn, version_id))
        return VersionRecord(
            secret_pk=secret_pk, version_id=version_id, seq=seq, created=self._clock.now(),
            last_accessed=None, kms_key_id=key.arn, value_kind=value.kind.value,
            wrapped_key=wrapped, ciphertext=ciphertext,
        )

    @staticmethod
    def _check_value(value: SecretValue) -> None:
        if len(value.data) > MAX_VALUE_BYTES:
            raise InvalidParameter("value_too_large", maximum=str(MAX_VALUE_BYTES))
        if not value.data:
            raise InvalidParameter("value_empty")

    def make_room(self, tx: Tx, pk: int, stages: Mapping[str, str]) -> None:
        """Keep at most MAX_VERSIONS: drop the oldest unlabelled versions older than a day."""
        versions = tx.list_versions(pk)
        if len(versions) < MAX_VERSIONS:
            return
        labelled = set(stages.values())
        cutoff = self._clock.now() - DEPRECATED_VERSION_MIN_AGE
        removable = [v for v in reversed(versions)
                     if v.version_id not in labelled and v.created < cutoff]
        excess = len(versions) - MAX_VERSIONS + 1
        if len(removable) < excess:
            raise LimitExceeded("versions", MAX_VERSIONS)
        secret = tx.get_secret_by_pk(pk)
        for version in removable[:excess]:
            tx.delete_version(pk, version.version_id)
            if secret is not None:
                self._version_event(tx, secret, ServiceEvent.END_SECRET_VERSION_DELETE)

    def _version_event(self, tx: Tx, secret: SecretRecord, event: ServiceEvent,
                       count: int = 1) -> None:
        """AWS's service events of version deletion, one per version."""
        for _ in range(count):
            record_event(tx, now=self._clock.now(), account_id=secret.account_id,
                         region=secret.region, event=event, secret_arn=secret.arn)

    def _add_version(
        self,
        tx: Tx,
        ctx: RequestContext,
        secret: SecretRecord,
        token: str,
        value: SecretValue,
        stages: Sequence[str] | None,
    ) -> tuple[str, tuple[str, ...], bool]:
        """Store a new version (or recognise a retry). Returns (id, labels, created)."""
        existing = tx.get_version(secret.pk, token)
        before = tx.get_stages(secret.pk)
        if existing is not None and existing.ciphertext is not None:
            if self._decrypt(tx, ctx, secret, existing) != value:
                raise TokenInUse(token, secret.arn)
            return token, label_moves.labels_of(before, token), False
        key = self._keys.key_in(tx, secret.account_id, secret.region, secret.kms_key_id)
        if existing is not None:  # the value-less placeholder a rotation left: fill it
            record = self._sealed_version(
                tx, ctx, secret.region, secret.pk, secret.arn, token, existing.seq, value, key)
            tx.fill_version(record)
        else:
            self.make_room(tx, secret.pk, before)
            record = self._sealed_version(
                tx, ctx, secret.region, secret.pk, secret.arn, token,
                tx.next_version_seq(secret.pk), value, key)
            tx.insert_version(record)
        if stages is None:
            after = label_moves.promote(before, token)
        else:
            after = label_moves.attach(before, token, stages)
        tx.change_stages(secret.pk, before, after)
        self._current_moved(tx, secret, before, after)
        tx.update_secret(secret.pk, last_changed=self._clock.now())
        return token, label_moves.labels_of(after, token), True

    def _current_moved(self, tx: Tx, secret: SecretRecord, before: Mapping[str, str],
                       after: Mapping[str, str]) -> None:
        current = after.get(Stage.CURRENT.value)
        if current is not None and current != before.get(Stage.CURRENT.value):
            abandon_superseded(tx, secret, current, self._clock.now())

    # --- operations ----------------------------------------------------------

    def create_secret(
        self,
        ctx: RequestContext,
        *,
        name: str,
        token: str | None,
        value: SecretValue | None,
        description: str | None = None,
        kms_key_id: str | None = None,
        tags: Sequence[Tag] = (),
        secret_type: str | None = None,
    ) -> WriteResult:
        validate_name(name)
        account, region = ctx.principal.account_id, ctx.region
        conditions: dict[str, object] = {"secretsmanager:Name": name}
        if description is not None:
            conditions["secretsmanager:Description"] = description
        if kms_key_id:
            conditions["secretsmanager:KmsKeyId"] = kms_key_id
        if tags:
            conditions["aws:RequestTag"] = {t.key: t.value for t in tags}
            conditions["aws:ResourceTag"] = {t.key: t.value for t in tags}
            conditions["aws:TagKeys"] = [t.key for t in tags]
        require(self._authz, ctx, _ACTION("CreateSecret"),
                unsuffixed_arn(region, account, name), conditions)
        if tags:
            require(self._authz, ctx, _ACTION("TagResource"),
                    unsuffixed_arn(region, account, name), conditions)
        _check_tags(tags)
        if value is not None:
            self._check_value(value)
            if not token:
                raise ClientRequestTokenMissing()
        key = self._keys.key_for_encryption(account, region, kms_key_id or None)
        now = self._clock.now()
        try:
            with self._store.write() as tx:
                existing = tx.get_secret_by_name(account, region, name, lock=True)
                if existing is not None:
                    return self._create_retry(tx, ctx, existing, token, value)
                arn = new_arn(region, account, name)
                record = SecretRecord(
                    pk=0, account_id=account, region=region, name=name, arn=arn,
                    description=description, kms_key_id=None if key.managed else key.arn,
                    created=now, last_changed=now, last_accessed=None, deleted_date=None,
                    purge_after=None, owning_service=None, primary_region=None,
                    secret_type=secret_type or None, resource_policy=None,
                )
                pk = tx.insert_secret(record)
                tx.replace_tags(pk, [(t.key, t.value) for t in _merge_tags([], tags)])
                if value is None or token is None:
                    return WriteResult(arn=arn, name=name)
                version = self._sealed_version(tx, ctx, region, pk, arn, token, 1, value, key)
                tx.insert_version(version)
                tx.set_stage(pk, Stage.CURRENT, token)
                return WriteResult(arn=arn, name=name, version_id=token,
                                   stages=(Stage.CURRENT.value,))
        except UniqueViolation as exc:  # a concurrent create of the same name won
            raise SecretExists(name) from exc

    def _create_retry(
        self, tx: Tx, ctx: RequestContext, existing: SecretRecord, token: str | None,
        value: SecretValue | None,
    ) -> WriteResult:
        """A CreateSecret retried with its token and value succeeds; anything else collides."""
        if existing.deleted_date is not None:
            raise NameScheduledForDeletion(existing.name)
        if token and value is not None:
            version = tx.get_version(existing.pk, token)
            if version is not None and version.ciphertext is not None \
                    and self._decrypt(tx, ctx, existing, version) == value:
                stages = label_moves.labels_of(tx.get_stages(existing.pk), token)
                return WriteResult(existing.arn, existing.name, token, stages)
        raise SecretExists(existing.name)

    def get_secret_value(
        self,
        ctx: RequestContext,
        secret_id: str,
        *,
        version_id: str | None = None,
        version_stage: str | None = None,
        action: str = "GetSecretValue",
    ) -> VersionValue:
        conditions: dict[str, object] = {}
        if version_id:
            conditions["secretsmanager:VersionId"] = version_id
        if version_stage:
            conditions["secretsmanager:VersionStage"] = version_stage
        with self._store.read() as tx:
            secret, stages = self._resolve(tx, ctx, secret_id, action, conditions)
            self.not_deleted(secret)
            version = self._pick_version(tx, secret, stages, version_id, version_stage)
            value = self._decrypt(tx, ctx, secret, version)
        self._note_access(secret, version)
        return VersionValue(
            arn=secret.arn, name=secret.name, version_id=version.version_id, value=value,
            stages=label_moves.labels_of(stages, version.version_id), created=version.created,
        )

    @staticmethod
    def _pick_version(
        tx: Tx, secret: SecretRecord, stages: Mapping[str, str], version_id: str | None,
        version_stage: str | None,
    ) -> VersionRecord:
        if version_id:
            version = tx.get_version(secret.pk, version_id)
            if version is None or version.ciphertext is None:
                raise VersionIdNotFound(version_id)
            if version_stage and stages.get(version_stage) != version_id:
                raise StageNotOnVersion(version_id, version_stage)
            return version
        stage = version_stage or Stage.CURRENT.value
        holder = stages.get(stage)
        version = tx.get_version(secret.pk, holder) if holder is not None else None
        if version is None or version.ciphertext is None:
            raise VersionStageNotFound(stage)
        return version

    def _note_access(self, secret: SecretRecord, version: VersionRecord) -> None:
        """LastAccessedDate is kept to the day, so at most one write per secret per day."""
        today = start_of_day(self._clock.now())
        if secret.last_accessed == today and version.last_accessed == today:
            return
        with self._store.write() as tx:
            tx.update_secret(secret.pk, last_accessed=today)
            tx.update_version_access(secret.pk, version.version_id, today)

    def put_secret_value(
        self,
        ctx: RequestContext,
        secret_id: str,
        *,
        token: str | None,
        value: SecretValue | None,
        stages: Sequence[str] | None = None,
        rotation_token: str | None = None,
    ) -> WriteResult:
        if value is None:
            raise InvalidRequest("value_missing")
        self._check_value(value)
        if not token:
            raise ClientRequestTokenMissing()
        with self._store.write() as tx:
            secret = self.resolve(tx, ctx, secret_id, "PutSecretValue", lock=True)
            self.writable(secret)
            if rotation_token is not None and not rotation_token_matches(
                    tx.get_rotation(secret.pk), rotation_token):
                raise InvalidRequest("rotation_token_invalid")
            version_id, labels, _ = self._add_version(tx, ctx, secret, token, value, stages)
            self.replicate(tx, secret.pk)
        return WriteResult(secret.arn, secret.name, version_id, labels)

    def update_secret(
        self,
        ctx: RequestContext,
        secret_id: str,
        *,
        token: str | None,
        value: SecretValue | None = None,
        description: str | None = None,
        kms_key_id: str | None = None,
    ) -> WriteResult:
        conditions: dict[str, object] = {}
        if description is not None:
            conditions["secretsmanager:Description"] = description
        if kms_key_id is not None:
            conditions["secretsmanager:KmsKeyId"] = kms_key_id
        if value is not None:
            self._check_value(value)
            if not token:
                raise ClientRequestTokenMissing()
        new_key = None
        if kms_key_id is not None:
            with self._store.read() as tx:
                found = self._find(tx, ctx, secret_id)
            account = found.account_id if found else ctx.principal.account_id
            region = found.region if found else ctx.region
            new_key = self._keys.key_for_encryption(account, region, kms_key_id or None)
        with self._store.write() as tx:
            secret = self.resolve(tx, ctx, secret_id, "UpdateSecret", conditions, lock=True)
            self.not_deleted(secret)
            if is_replica(secret):
                # a replica's own key is the one thing that may change in its region
                if value is not None or description is not None or new_key is None:
                    raise InvalidRequest("replica_write")
                self._change_replica_key(tx, secret, new_key)
                return WriteResult(secret.arn, secret.name)
            if description is not None:
                tx.update_secret(secret.pk, description=description)
            if new_key is not None:
                secret = self._change_key(tx, ctx, secret, new_key)
            version_id = None
            if value is not None and token is not None:
                if tx.get_version(secret.pk, token) is not None:
                    raise TokenInUse(token, secret.arn)
                version_id, _, _ = self._add_version(tx, ctx, secret, token, value, None)
            tx.update_secret(secret.pk, last_changed=self._clock.now())
            self.replicate(tx, secret.pk)
        return WriteResult(secret.arn, secret.name, version_id)

    def _change_key(self, tx: Tx, ctx: RequestContext, secret: SecretRecord,
                    key: ResolvedKey) -> SecretRecord:
        """Re-encrypt the labelled AWS versions under the new key, as AWS does."""
        stages = tx.get_stages(secret.pk)
        for stage in (Stage.CURRENT, Stage.PENDING, Stage.PREVIOUS):
            version_id = stages.get(stage)
            version = tx.get_version(secret.pk, version_id) if version_id else None
            if version is None or version.ciphertext is None:
                continue
            value = self._decrypt(tx, ctx, secret, version)
            tx.fill_version(self._sealed_version(
                tx, ctx, secret.region, secret.pk, secret.arn, version.version_id, version.seq,
                value, key))
        kms_key_id = None if key.managed else key.arn
        tx.update_secret(secret.pk, kms_key_id=kms_key_id)
        return replace(secret, kms_key_id=kms_key_id)

    def _change_replica_key(self, tx: Tx, replica: SecretRecord, key: ResolvedKey) -> None:
        """UpdateSecret(KmsKeyId) in a replica's region: the replica's copies are made
        again under the new key."""
        primary_arn = replica.arn.split(":")
        primary_arn[3] = replica.primary_region or replica.region
        primary = tx.get_secret_by_arn(":".join(primary_arn), lock=True)
        entry = next((r for r in tx.list_replicas(primary.pk) if r.region == replica.region),
                     None) if primary is not None else None
        if primary is None or entry is None:
            raise InvalidRequest("replica_write")
        changed = replace(entry, kms_key_id=None if key.managed else key.arn)
        tx.put_replica(changed)
        self._replicator.reencrypt(tx, primary, changed)

    def describe_secret(self, ctx: RequestContext, secret_id: str) -> SecretDescription:
        with self._store.read() as tx:
            secret = self.resolve(tx, ctx, secret_id, "DescribeSecret")
            return self._describe(tx, secret)

    def _describe(self, tx: Tx, secret: SecretRecord) -> SecretDescription:
        return describe_record(secret, tx.get_tags(secret.pk), tx.get_stages(secret.pk),
                               tuple(statuses(tx, secret)))

    def list_secret_version_ids(
        self, ctx: RequestContext, secret_id: str, *, include_deprecated: bool = False
    ) -> tuple[SecretRecord, list[VersionInfo]]:
        with self._store.read() as tx:
            secret = self.resolve(tx, ctx, secret_id, "ListSecretVersionIds")
            stages = tx.get_stages(secret.pk)
            versions = tx.list_versions(secret.pk)
        infos = []
        for version in versions:
            if version.ciphertext is None:
                continue  # rotation placeholders hold no value and are not listed
            labels = label_moves.labels_of(stages, version.version_id)
            if not labels and not include_deprecated:
                continue
            infos.append(VersionInfo(
                version_id=version.version_id, stages=labels, created=version.created,
                last_accessed=version.last_accessed,
                kms_key_ids=(_kms_key_label(version.kms_key_id, secret),),
            ))
        return secret, infos

    def update_version_stage(
        self,
        ctx: RequestContext,
        secret_id: str,
        *,
        stage: str,
        move_to: str | None,
        remove_from: str | None,
    ) -> WriteResult:
        with self._store.write() as tx:
            secret = self.resolve(tx, ctx, secret_id, "UpdateSecretVersionStage",
                                   {"secretsmanager:VersionStage": stage}, lock=True)
            self.writable(secret)
            for version_id in (move_to, remove_from):
                if version_id is not None and tx.get_version(secret.pk, version_id) is None:
                    raise InvalidParameter("version_not_found", version_id=version_id)
            before = tx.get_stages(secret.pk)
            after = label_moves.move(before, stage, move_to=move_to, remove_from=remove_from)
            tx.change_stages(secret.pk, before, after)
            self._current_moved(tx, secret, before, after)
            tx.update_secret(secret.pk, last_changed=self._clock.now())
            self.replicate(tx, secret.pk)
        return WriteResult(secret.arn, secret.name)

    def delete_secret(
        self,
        ctx: RequestContext,
        secret_id: str,
        *,
        recovery_window_days: int | None = None,
        force: bool | None = None,
    ) -> WriteResult:
        if recovery_window_days is not None and force:
            raise InvalidParameter("window_and_force")
        if recovery_window_days is not None and not 7 <= recovery_window_days <= 30:
            raise InvalidParameter("window_out_of_range")
        conditions: dict[str, object] = {
            "secretsmanager:ForceDeleteWithoutRecovery": bool(force),
        }
        if recovery_window_days is not None:
            conditions["secretsmanager:RecoveryWindowInDays"] = recovery_window_days
        now = self._clock.now()
        with self._store.write() as tx:
            try:
                secret = self.resolve(tx, ctx, secret_id, "DeleteSecret", conditions, lock=True)
            except SecretNotFound:
                if force:  # AWS: forcing the deletion of a missing secret is not an error
                    ref = parse_secret_id(secret_id)
                    arn = ref.arn or unsuffixed_arn(
                        ref.region or ctx.region, ref.account_id or ctx.principal.account_id,
                        ref.name or secret_id)
                    return WriteResult(arn, ref.name or secret_id, deletion_date=now)
                raise
            if is_replica(secret):
                raise InvalidRequest("replica_write")
            replicas = tx.list_replicas(secret.pk)
            if replicas:
                raise InvalidParameter("primary_has_replicas", secret_id=secret_id,
                                       regions=",".join(r.region for r in replicas))
            versions = len(tx.list_versions(secret.pk))
            if force:
                self._version_event(tx, secret, ServiceEvent.START_SECRET_VERSION_DELETE,
                                    versions)
                tx.delete_secret(secret.pk)
                self._version_event(tx, secret, ServiceEvent.END_SECRET_VERSION_DELETE,
                                    versions)
                return WriteResult(secret.arn, secret.name, deletion_date=now)
            if secret.deleted_date is not None:
                raise SecretAlreadyMarkedDeleted(secret.arn)
            days = recovery_window_days or DEFAULT_RECOVERY_DAYS
            purge_after = now + days * 86400
            tx.update_secret(secret.pk, deleted_date=now, purge_after=purge_after,
                             last_changed=now)
            self._version_event(tx, secret, ServiceEvent.START_SECRET_VERSION_DELETE, versions)
        return WriteResult(secret.arn, secret.name, deletion_date=purge_after)

    def restore_secret(self, ctx: RequestContext, secret_id: str) -> WriteResult:
        with self._store.write() as tx:
            secret = self.resolve(tx, ctx, secret_id, "RestoreSecret", lock=True)
            if secret.deleted_date is not None:
                tx.update_secret(secret.pk, deleted_date=None, purge_after=None,
                                 last_changed=self._clock.now())
                self._version_event(tx, secret, ServiceEvent.CANCEL_SECRET_VERSION_DELETE,
                                    len(tx.list_versions(secret.pk)))
        return WriteResult(secret.arn, secret.name)

    def purge_due(self, *, limit: int = 100) -> int:
        """Delete secrets whose recovery window has ended; returns how many went."""
        with self._store.write() as tx:
            due = tx.secrets_due_for_purge(self._clock.now(), limit)
            for pk in due:
                secret = tx.get_secret_by_pk(pk)
                versions = len(tx.list_versions(pk))
                tx.delete_secret(pk)
                if secret is not None:
                    self._version_event(tx, secret, ServiceEvent.END_SECRET_VERSION_DELETE,
                                        versions)
        return len(due)

    def get_random_password(self, ctx: RequestContext, spec: PasswordSpec) -> str:
        self.authorize_any(ctx, "GetRandomPassword")
        return generate_password(spec)

    def tag_resource(self, ctx: RequestContext, secret_id: str, tags: Sequence[Tag]) -> None:
        conditions: dict[str, object] = {
            "aws:RequestTag": {t.key: t.value for t in tags},
            "aws:TagKeys": [t.key for t in tags],
        }
        with self._store.write() as tx:
            secret = self.resolve(tx, ctx, secret_id, "TagResource", conditions, lock=True)
            self.writable(secret)
            merged = _merge_tags(tx.get_tags(secret.pk), tags)
            _check_tags(merged)
            pairs = [(t.key, t.value) for t in merged]
            self._keeps_access(ctx, secret, "TagResource", conditions, pairs)
            tx.replace_tags(secret.pk, pairs)
            tx.update_secret(secret.pk, last_changed=self._clock.now())
            self.replicate(tx, secret.pk)

    def _keeps_access(self, ctx: RequestContext, secret: SecretRecord, action: str,
                      conditions: Mapping[str, object], tags: Sequence[tuple[str, str]]) -> None:
        """AWS refuses a tag change that would take away the caller's own permission to
        make it (the ABAC self-lockout guard): ask again as if the tags were already set."""
        facts = {**conditions, "secretsmanager:SecretId": secret.arn,
                 "secretsmanager:Name": secret.name, "aws:ResourceTag": dict(tags)}
        require(self._authz, ctx, _ACTION(action), secret.arn, facts,
                resource_policy=secret.resource_policy, resource_account=secret.account_id)

    def untag_resource(
        self, ctx: RequestContext, secret_id: str, tag_keys: Sequence[str]
    ) -> None:
        with self._store.write() as tx:
            secret = self.resolve(tx, ctx, secret_id, "UntagResource",
                                   {"aws:TagKeys": list(tag_keys)}, lock=True)
            self.writable(secret)
            drop = set(tag_keys)
            kept = [(k, v) for k, v in tx.get_tags(secret.pk) if k not in drop]
            self._keeps_access(ctx, secret, "UntagResource", {"aws:TagKeys": list(tag_keys)},
                               kept)
            tx.replace_tags(secret.pk, kept)
            tx.update_secret(secret.pk, last_changed=self._clock.now())
            self.replicate(tx, secret.pk)


def is_replica(secret: SecretRecord) -> bool:
    return secret.primary_region is not None and secret.primary_region != secret.region


def describe_record(
    secret: SecretRecord, tags: Sequence[tuple[str, str]], stages: Mapping[str, str],
    replication: tuple[ReplicaStatus, ...] = (),
) -> SecretDescription:
    return SecretDescription(
        arn=secret.arn, name=secret.name, description=secret.description,
        kms_key_id=secret.kms_key_id, created=secret.created,
        last_changed=secret.last_changed, last_accessed=secret.last_accessed,
        deleted_date=secret.deleted_date, tags=tuple(Tag(k, v) for k, v in tags),
        stages_by_version=label_moves.by_version(stages),
        owning_service=secret.owning_service, primary_region=secret.primary_region,
        secret_type=secret.secret_type, replication=replication,
        rotation_enabled=secret.rotation_enabled,
        rotation_lambda_arn=secret.rotation_lambda_arn, rotation_rules=secret.rotation_rules,
        last_rotated=secret.last_rotated,
        next_rotation_date=(next_rotation_date(Window(secret.next_rotation,
                                                      secret.rotation_window_end))
                            if secret.rotation_enabled and secret.next_rotation is not None
                            and secret.rotation_window_end is not None else None),
    )


def _kms_key_label(kms_key_id: str | None, secret: SecretRecord) -> str:
    """AWS reports versions under the managed key as "DefaultEncryptionKey" (recorded)."""
    if secret.kms_key_id is None:
        return "DefaultEncryptionKey"
    return kms_key_id or "DefaultEncryptionKey"


def _merge_tags(current: Sequence[tuple[str, str]], new: Sequence[Tag]) -> list[Tag]:
    merged = dict(current)
    for tag in new:
        merged[tag.key] = tag.value
    return [Tag(k, v) for k, v in merged.items()]


def _check_tags(tags: Sequence[Tag]) -> None:
    if len(tags) > MAX_TAGS:
        raise LimitExceeded("tags", MAX_TAGS)
    for tag in tags:
        if tag.key.lower().startswith("aws:"):
            raise InvalidParameter("reserved_tag_key", key=tag.key)
