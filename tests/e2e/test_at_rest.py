"""Nothing stored holds a secret value in the clear: not the database, not the logs."""

from __future__ import annotations

import base64
import uuid
from pathlib import Path

import psycopg


def _plaintexts(n: int = 5) -> list[str]:
    return [f"plaintext-marker-{uuid.uuid4().hex}" for _ in range(n)]


def _store_bytes(server) -> bytes:
    if server.store_kind == "sqlite":
        data_dir = Path(server.app.config.data_dir)
        return b"".join(p.read_bytes() for p in data_dir.glob("strongroom.db*"))
    dsn = server.app.config.store
    dump = []
    with psycopg.connect(dsn) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        dump.append(bytes(value))
                    else:
                        dump.append(str(value).encode())
    return b"\n".join(dump)


def test_database_never_holds_secret_values(sm, live_server, caplog):
    values = _plaintexts()
    sm.create_secret(Name="at-rest/a", SecretString=values[0])
    sm.put_secret_value(SecretId="at-rest/a", SecretString=values[1])
    sm.update_secret(SecretId="at-rest/a", SecretString=values[2])
    sm.create_secret(Name="at-rest/b", SecretBinary=values[3].encode())
    sm.put_secret_value(SecretId="at-rest/b", SecretString=values[4],
                        VersionStages=["custom"])
    assert sm.get_secret_value(SecretId="at-rest/a")["SecretString"] == values[2]
    stored = _store_bytes(live_server)
    assert b"at-rest/a" in stored  # metadata is stored in the clear, as in AWS
    for value in values:
        raw = value.encode()
        for form in (raw, base64.b64encode(raw), raw.hex().encode(), value.encode("utf-16-le")):
            assert form not in stored
        assert value not in caplog.text


def test_access_key_secrets_are_not_stored_in_the_clear(account, live_server):
    stored = _store_bytes(live_server)
    assert account.credentials.access_key_id.encode() in stored
    assert account.credentials.secret_access_key.encode() not in stored


def test_key_material_is_never_stored_in_the_clear(sm, account, live_server):
    """KMS key material (the managed key's and a customer key's, every version) exists
    in the store only wrapped by the root key."""
    kms = account.client("kms")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    kms.rotate_key_on_demand(KeyId=key)
    sm.create_secret(Name="km/a", SecretString="v", KmsKeyId=key)
    sm.create_secret(Name="km/b", SecretString="w")
    assert sm.get_secret_value(SecretId="km/a")["SecretString"] == "v"
    materials = list(live_server.app.secrets._keys._materials.values())
    assert len(materials) >= 2
    stored = _store_bytes(live_server)
    for material in materials:
        for form in (bytes(material), bytes(material).hex().encode(),
                     base64.b64encode(bytes(material))):
            assert form not in stored
