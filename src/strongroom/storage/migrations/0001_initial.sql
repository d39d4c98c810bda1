-- The first schema. {blob}, {real} and {serial} are replaced per dialect.
CREATE TABLE accounts (
    account_id TEXT PRIMARY KEY,
    created {real} NOT NULL
);

CREATE TABLE users (
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    user_name TEXT NOT NULL,
    user_id TEXT NOT NULL UNIQUE,
    arn TEXT NOT NULL UNIQUE,
    created {real} NOT NULL,
    is_admin INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, user_name)
);

CREATE TABLE access_keys (
    access_key_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    secret_wrapped {blob} NOT NULL,
    status TEXT NOT NULL,
    created {real} NOT NULL,
    FOREIGN KEY (account_id, user_name) REFERENCES users(account_id, user_name)
);

CREATE TABLE kms_keys (
    key_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    arn TEXT NOT NULL UNIQUE,
    material_wrapped {blob} NOT NULL,
    state TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    managed INTEGER NOT NULL DEFAULT 0,
    created {real} NOT NULL
);

CREATE TABLE kms_aliases (
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    alias_name TEXT NOT NULL,
    key_id TEXT NOT NULL REFERENCES kms_keys(key_id),
    PRIMARY KEY (account_id, region, alias_name)
);

CREATE TABLE secrets (
    pk {serial},
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    arn TEXT NOT NULL UNIQUE,
    description TEXT,
    kms_key_id TEXT,
    created {real} NOT NULL,
    last_changed {real} NOT NULL,
    last_accessed {real},
    deleted_date {real},
    purge_after {real},
    owning_service TEXT,
    primary_region TEXT,
    secret_type TEXT,
    resource_policy TEXT,
    UNIQUE (account_id, region, name)
);
CREATE INDEX secrets_purge ON secrets (purge_after);

CREATE TABLE secret_tags (
    secret_pk BIGINT NOT NULL REFERENCES secrets(pk),
    position INTEGER NOT NULL,
    tag_key TEXT NOT NULL,
    tag_value TEXT NOT NULL,
    PRIMARY KEY (secret_pk, tag_key)
);

CREATE TABLE secret_versions (
    secret_pk BIGINT NOT NULL REFERENCES secrets(pk),
    version_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    created {real} NOT NULL,
    last_accessed {real},
    kms_key_id TEXT,
    value_kind TEXT,
    wrapped_key {blob},
    ciphertext {blob},
    PRIMARY KEY (secret_pk, version_id)
);

CREATE TABLE secret_stages (
    secret_pk BIGINT NOT NULL REFERENCES secrets(pk),
    stage TEXT NOT NULL,
    version_id TEXT NOT NULL,
    PRIMARY KEY (secret_pk, stage),
    FOREIGN KEY (secret_pk, version_id) REFERENCES secret_versions(secret_pk, version_id)
);
CREATE INDEX secret_stages_version ON secret_stages (secret_pk, version_id);
