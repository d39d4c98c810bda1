-- IAM: paths and permissions boundaries on users, roles, groups and their members,
-- managed policies with versions, inline policies, attachments, tags, and a
-- per-account change counter that policy caches compare against.
-- Names are unique per account regardless of case, as IAM makes them.

ALTER TABLE users ADD COLUMN path TEXT NOT NULL DEFAULT '/';
ALTER TABLE users ADD COLUMN boundary_arn TEXT;
CREATE UNIQUE INDEX users_name_ci ON users (account_id, lower(user_name));

ALTER TABLE access_keys ADD COLUMN last_used {real};
ALTER TABLE access_keys ADD COLUMN last_used_service TEXT;
ALTER TABLE access_keys ADD COLUMN last_used_region TEXT;
CREATE INDEX access_keys_user ON access_keys (account_id, user_name);

CREATE TABLE iam_roles (
    role_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    role_name TEXT NOT NULL,
    arn TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    created {real} NOT NULL,
    trust_policy TEXT NOT NULL,
    description TEXT,
    max_session_duration INTEGER NOT NULL,
    boundary_arn TEXT,
    last_used {real},
    last_used_region TEXT
);
CREATE UNIQUE INDEX iam_roles_name_ci ON iam_roles (account_id, lower(role_name));

CREATE TABLE iam_groups (
    group_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    group_name TEXT NOT NULL,
    arn TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    created {real} NOT NULL
);
CREATE UNIQUE INDEX iam_groups_name_ci ON iam_groups (account_id, lower(group_name));

CREATE TABLE iam_group_members (
    group_id TEXT NOT NULL REFERENCES iam_groups(group_id),
    user_id TEXT NOT NULL REFERENCES users(user_id),
    added {real} NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX iam_group_members_user ON iam_group_members (user_id);

-- account_id is "aws" for the AWS managed policies every account shares.
CREATE TABLE iam_policies (
    policy_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    policy_name TEXT NOT NULL,
    arn TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    description TEXT,
    default_version TEXT NOT NULL,
    next_version INTEGER NOT NULL,
    attachable INTEGER NOT NULL DEFAULT 1,
    created {real} NOT NULL,
    updated {real} NOT NULL
);
CREATE UNIQUE INDEX iam_policies_name_ci ON iam_policies (account_id, lower(policy_name));

CREATE TABLE iam_policy_versions (
    policy_id TEXT NOT NULL REFERENCES iam_policies(policy_id),
    version_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    document TEXT NOT NULL,
    created {real} NOT NULL,
    PRIMARY KEY (policy_id, version_id)
);

-- owner_id is the unique id of a user (AIDA...), role (AROA...) or group (AGPA...),
-- so renaming an owner never touches these rows.
CREATE TABLE iam_inline_policies (
    owner_id TEXT NOT NULL,
    policy_name TEXT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (owner_id, policy_name)
);

CREATE TABLE iam_attachments (
    pk {serial},
    account_id TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    policy_arn TEXT NOT NULL,
    UNIQUE (owner_id, policy_arn)
);
CREATE INDEX iam_attachments_policy ON iam_attachments (account_id, policy_arn);

-- owner_id: a user, role or managed policy id.
CREATE TABLE iam_tags (
    owner_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    tag_key TEXT NOT NULL,
    tag_value TEXT NOT NULL,
    PRIMARY KEY (owner_id, tag_key)
);

CREATE TABLE iam_generations (
    account_id TEXT PRIMARY KEY,
    generation BIGINT NOT NULL
);
