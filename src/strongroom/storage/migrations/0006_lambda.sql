-- Functions (the Lambda API subset) and their recent invocations. The environment is
-- sealed by the root key (variables can hold secrets); the code is the uploaded zip.
CREATE TABLE lambda_functions (
    arn TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    runtime TEXT NOT NULL,
    handler TEXT NOT NULL,
    role_arn TEXT NOT NULL,
    timeout INTEGER NOT NULL,
    memory_size INTEGER NOT NULL,
    description TEXT NOT NULL,
    environment_sealed {blob},
    code_zip {blob} NOT NULL,
    code_sha256 TEXT NOT NULL,
    code_size INTEGER NOT NULL,
    revision_id TEXT NOT NULL,
    last_modified {real} NOT NULL,
    policy TEXT,
    tags TEXT NOT NULL
);
CREATE UNIQUE INDEX lambda_functions_name ON lambda_functions (account_id, region, name);

-- One row per finished invocation; only the newest few per function are kept. The log is
-- the function's own output (capped), never the event or the environment.
CREATE TABLE lambda_invocations (
    id {serial},
    function_arn TEXT NOT NULL,
    request_id TEXT NOT NULL,
    started {real} NOT NULL,
    duration_ms {real} NOT NULL,
    ok INTEGER NOT NULL,
    error_type TEXT,
    log_text TEXT NOT NULL
);
CREATE INDEX lambda_invocations_function ON lambda_invocations (function_arn, id);
