-- Replication to other regions of the same account. A replica is an ordinary secret row
-- in its region (same name and ARN suffix, `primary_region` set) whose versions are
-- copies of the primary's, encrypted under a key of the replica's region; this table is
-- the primary's view of its replicas: the key asked for and how the last sync went.
CREATE TABLE secret_replicas (
    primary_pk BIGINT NOT NULL REFERENCES secrets(pk),
    region TEXT NOT NULL,
    kms_key_id TEXT,
    status TEXT NOT NULL,
    status_message TEXT,
    PRIMARY KEY (primary_pk, region)
);
