-- The audit trail: every call and every service event as a CloudTrail record, hash-chained
-- per account. `audit_heads` holds each chain's last sequence number and digest; appending
-- locks that row, so records of one account are numbered and chained one at a time even
-- with several writers or nodes. `record` is the canonical JSON the digest covers; the other
-- columns are copies of its fields for LookupEvents. Account '' holds calls that could not
-- be attributed to any account (an unknown access key, say).
CREATE TABLE audit_heads (
    account_id TEXT PRIMARY KEY,
    seq BIGINT NOT NULL,
    digest TEXT NOT NULL
);

CREATE TABLE audit_records (
    account_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    event_id TEXT NOT NULL UNIQUE,
    event_time {real} NOT NULL,
    region TEXT NOT NULL,
    event_source TEXT NOT NULL,
    event_name TEXT NOT NULL,
    read_only INTEGER NOT NULL,
    event_type TEXT NOT NULL,
    username TEXT,
    access_key_id TEXT,
    resources TEXT,
    record TEXT NOT NULL,
    prev_digest TEXT NOT NULL,
    digest TEXT NOT NULL,
    PRIMARY KEY (account_id, seq)
);
CREATE INDEX audit_records_time ON audit_records (account_id, region, event_time);
