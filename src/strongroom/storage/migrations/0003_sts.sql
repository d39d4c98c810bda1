-- Temporary credentials issued by STS. The secret is wrapped by the root key; the
-- session token is kept only as its SHA-256 digest.
CREATE TABLE sts_sessions (
    access_key_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    principal_name TEXT NOT NULL,
    principal_id TEXT NOT NULL,
    principal_arn TEXT NOT NULL,
    role_arn TEXT,
    session_name TEXT,
    secret_wrapped {blob} NOT NULL,
    token_digest TEXT NOT NULL,
    issued {real} NOT NULL,
    expires {real} NOT NULL,
    session_policies TEXT,
    tags TEXT NOT NULL,
    transitive_tag_keys TEXT NOT NULL,
    source_identity TEXT
);
CREATE INDEX sts_sessions_expires ON sts_sessions (expires);
