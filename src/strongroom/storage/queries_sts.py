"""SQL for STS sessions (temporary credentials)."""

from __future__ import annotations

from strongroom.storage.queries_base import QueryBase
from strongroom.storage.records import SessionRecord

_COLUMNS = (
    "access_key_id, account_id, kind, principal_name, principal_id, principal_arn, role_arn, "
    "session_name, secret_wrapped, token_digest, issued, expires, session_policies, tags, "
    "transitive_tag_keys, source_identity"
)


class SessionQueries(QueryBase):
    def insert_session(self, s: SessionRecord) -> None:
        self._run(
            f"INSERT INTO sts_sessions ({_COLUMNS}) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (s.access_key_id, s.account_id, s.kind, s.principal_name, s.principal_id,
             s.principal_arn, s.role_arn, s.session_name, s.secret_wrapped, s.token_digest,
             s.issued, s.expires, s.session_policies, s.tags, s.transitive_tag_keys,
             s.source_identity),
        )

    def get_session(self, access_key_id: str) -> SessionRecord | None:
        row = self._one(f"SELECT {_COLUMNS} FROM sts_sessions WHERE access_key_id = ?",
                        (access_key_id,))
        if row is None:
            return None
        values = list(row)
        values[8] = bytes(values[8])
        return SessionRecord(*values)

    def delete_expired_sessions(self, before: float) -> int:
        return self._run("DELETE FROM sts_sessions WHERE expires < ?", (before,))
