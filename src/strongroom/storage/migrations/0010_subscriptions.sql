-- Events to subscribers: who wants an account's audit records (as EventBridge events) and
-- how far each has been delivered. The audit trail is the outbox; a subscription's
-- `cursor_seq` is the last audit seq of its account that it is done with (delivered or not
-- matched), advanced only after delivery succeeded, so nothing is skipped and order holds.
-- The worker delivering holds a lease (`lease_owner`, `lease_until`) so two server nodes
-- never deliver for one subscription at once; a lease that ran out means its worker died.
CREATE TABLE event_subscriptions (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target TEXT NOT NULL,
    secret_wrapped {blob},
    ca_file TEXT,
    pattern TEXT,
    include_read_only INTEGER NOT NULL,
    enabled INTEGER NOT NULL,
    created {real} NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE event_deliveries (
    subscription_id TEXT PRIMARY KEY REFERENCES event_subscriptions(id) ON DELETE CASCADE,
    account_id TEXT NOT NULL,
    cursor_seq BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt {real} NOT NULL,
    last_error TEXT,
    last_delivered {real},
    delivered BIGINT NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until {real}
);
CREATE INDEX event_deliveries_account ON event_deliveries (account_id);
