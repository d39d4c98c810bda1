-- Tamper evidence for the audit trail beyond the hash chain. `audit_signing_keys` holds the
-- store's Ed25519 key pairs (the private key wrapped by the root key; a new pair is made
-- only when no stored one opens under the current root key). `audit_digests` are signed
-- checkpoints of each account's chain: (seq, digest) of its head when it was signed, so
-- that cutting records off the end of a chain is detected even if the head row is rewritten.
-- `audit_sink_cursors` is how far each configured sink (file, stdout) has shipped each
-- account's chain.
CREATE TABLE audit_signing_keys (
    key_id TEXT PRIMARY KEY,
    public_key {blob} NOT NULL,
    private_wrapped {blob} NOT NULL,
    created {real} NOT NULL
);

CREATE TABLE audit_digests (
    account_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    digest TEXT NOT NULL,
    created {real} NOT NULL,
    signature {blob} NOT NULL,
    key_id TEXT NOT NULL,
    PRIMARY KEY (account_id, seq)
);

CREATE TABLE audit_sink_cursors (
    sink_name TEXT NOT NULL,
    account_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (sink_name, account_id)
);

-- LookupEvents reads one account's records in one region, newest first.
CREATE INDEX audit_records_region_seq ON audit_records (account_id, region, seq);
