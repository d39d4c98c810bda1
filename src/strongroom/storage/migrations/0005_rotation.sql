-- Rotation: each secret's rotation configuration and schedule, the rotation in progress
-- (at most one per secret, leased by the worker running it so several server processes
-- never run it twice at once).
ALTER TABLE secrets ADD COLUMN rotation_enabled INTEGER;
ALTER TABLE secrets ADD COLUMN rotation_lambda_arn TEXT;
ALTER TABLE secrets ADD COLUMN rotation_rules TEXT;
ALTER TABLE secrets ADD COLUMN last_rotated {real};
ALTER TABLE secrets ADD COLUMN next_rotation {real};
ALTER TABLE secrets ADD COLUMN rotation_window_end {real};
CREATE INDEX secrets_next_rotation ON secrets (next_rotation);

CREATE TABLE rotations (
    secret_pk BIGINT PRIMARY KEY REFERENCES secrets(pk),
    token TEXT NOT NULL,
    kind TEXT NOT NULL,
    function_arn TEXT NOT NULL,
    step TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    started {real} NOT NULL,
    due {real} NOT NULL,
    window_end {real},
    lease_owner TEXT,
    lease_until {real},
    rotation_token_hash TEXT,
    last_error TEXT
);
CREATE INDEX rotations_due ON rotations (due);
