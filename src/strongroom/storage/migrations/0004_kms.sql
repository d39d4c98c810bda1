-- KMS: customer managed keys beside the AWS managed key. Each key keeps every version
-- of its material (wrapped by the root key) so ciphertexts made before a rotation still
-- open; `current_version` is the one new ciphertexts use. Version 1 of every existing
-- key is copied from kms_keys.material_wrapped, which stays as it was.
ALTER TABLE kms_keys ADD COLUMN key_usage TEXT NOT NULL DEFAULT 'ENCRYPT_DECRYPT';
ALTER TABLE kms_keys ADD COLUMN key_spec TEXT NOT NULL DEFAULT 'SYMMETRIC_DEFAULT';
ALTER TABLE kms_keys ADD COLUMN origin TEXT NOT NULL DEFAULT 'AWS_KMS';
ALTER TABLE kms_keys ADD COLUMN policy TEXT;
ALTER TABLE kms_keys ADD COLUMN deletion_date {real};
ALTER TABLE kms_keys ADD COLUMN pending_window_days INTEGER;
ALTER TABLE kms_keys ADD COLUMN rotation_enabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE kms_keys ADD COLUMN rotation_period_days INTEGER;
ALTER TABLE kms_keys ADD COLUMN next_rotation {real};
ALTER TABLE kms_keys ADD COLUMN current_version INTEGER NOT NULL DEFAULT 1;
CREATE INDEX kms_keys_account ON kms_keys (account_id, region, key_id);
CREATE INDEX kms_keys_deletion ON kms_keys (deletion_date);

CREATE TABLE kms_key_versions (
    key_id TEXT NOT NULL REFERENCES kms_keys(key_id),
    version INTEGER NOT NULL,
    material_wrapped {blob} NOT NULL,
    created {real} NOT NULL,
    PRIMARY KEY (key_id, version)
);
INSERT INTO kms_key_versions (key_id, version, material_wrapped, created)
    SELECT key_id, 1, material_wrapped, created FROM kms_keys;

CREATE TABLE kms_key_tags (
    key_id TEXT NOT NULL REFERENCES kms_keys(key_id),
    tag_key TEXT NOT NULL,
    tag_value TEXT NOT NULL,
    PRIMARY KEY (key_id, tag_key)
);

ALTER TABLE kms_aliases ADD COLUMN created {real};
ALTER TABLE kms_aliases ADD COLUMN last_updated {real};
CREATE INDEX kms_aliases_key ON kms_aliases (key_id);
