"""SQL for rotating the root key: every value the root key wraps, and its replacement.

These columns hold root-wrapped values: KMS key material (`kms_keys.material_wrapped`,
version 1 as first written, and `kms_key_versions`), long-term access-key secrets
(`access_keys`), session secrets (`sts_sessions`), the audit trail's signing keys
(`audit_signing_keys`), functions' environment variables
(`lambda_functions.environment_sealed`) and event subscriptions' signing secrets
(`event_subscriptions.secret_wrapped`). Secret ciphertexts are wrapped
by KMS keys, not by the root key, and are not touched.
"""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.storage.queries_base import QueryBase


@dataclass(frozen=True, repr=False)
class RootWrapped:
    """One root-wrapped value: where it lives and what names it."""

    table: str  # which table (see the module docstring)
    ident: str  # key id or access key id
    version: int  # material version (1 for kms_keys; 0 for credentials)
    wrapped: bytes


def root_wrapped_values(tx: QueryBase) -> list[RootWrapped]:
    """Every root-wrapped value, read under the write lock of the caller's transaction."""
    rows: list[RootWrapped] = []
    rows += [RootWrapped("kms_keys", str(r[0]), 1, bytes(r[1])) for r in tx._rows(
        "SELECT key_id, material_wrapped FROM kms_keys ORDER BY key_id")]
    rows += [RootWrapped("kms_key_versions", str(r[0]), int(r[1]), bytes(r[2])) for r in tx._rows(
        "SELECT key_id, version, material_wrapped FROM kms_key_versions ORDER BY key_id, version")]
    rows += [RootWrapped("access_keys", str(r[0]), 0, bytes(r[1])) for r in tx._rows(
        "SELECT access_key_id, secret_wrapped FROM access_keys ORDER BY access_key_id")]
    rows += [RootWrapped("sts_sessions", str(r[0]), 0, bytes(r[1])) for r in tx._rows(
        "SELECT access_key_id, secret_wrapped FROM sts_sessions ORDER BY access_key_id")]
    rows += [RootWrapped("audit_signing_keys", str(r[0]), 0, bytes(r[1])) for r in tx._rows(
        "SELECT key_id, private_wrapped FROM audit_signing_keys ORDER BY key_id")]
    rows += [RootWrapped("lambda_functions", str(r[0]), 0, bytes(r[1])) for r in tx._rows(
        "SELECT arn, environment_sealed FROM lambda_functions "
        "WHERE environment_sealed IS NOT NULL ORDER BY arn")]
    rows += [RootWrapped("event_subscriptions", str(r[0]), 0, bytes(r[1])) for r in tx._rows(
        "SELECT id, secret_wrapped FROM event_subscriptions "
        "WHERE secret_wrapped IS NOT NULL ORDER BY id")]
    return rows


def replace_root_wrapped(tx: QueryBase, item: RootWrapped, wrapped: bytes) -> None:
    if item.table == "kms_keys":
        tx._run("UPDATE kms_keys SET material_wrapped = ? WHERE key_id = ?", (wrapped, item.ident))
    elif item.table == "kms_key_versions":
        tx._run("UPDATE kms_key_versions SET material_wrapped = ? WHERE key_id = ? AND version = ?",
                (wrapped, item.ident, item.version))
    elif item.table == "access_keys":
        tx._run("UPDATE access_keys SET secret_wrapped = ? WHERE access_key_id = ?",
                (wrapped, item.ident))
    elif item.table == "sts_sessions":
        tx._run("UPDATE sts_sessions SET secret_wrapped = ? WHERE access_key_id = ?",
                (wrapped, item.ident))
    elif item.table == "audit_signing_keys":
        tx._run("UPDATE audit_signing_keys SET private_wrapped = ? WHERE key_id = ?",
                (wrapped, item.ident))
    elif item.table == "lambda_functions":
        tx._run("UPDATE lambda_functions SET environment_sealed = ? WHERE arn = ?",
                (wrapped, item.ident))
    elif item.table == "event_subscriptions":
        tx._run("UPDATE event_subscriptions SET secret_wrapped = ? WHERE id = ?",
                (wrapped, item.ident))
    else:
        raise ValueError(f"no root-wrapped column in {item.table}")
