"""Events to subscribers: an account's audit records, in EventBridge's envelope, delivered
to webhooks and NATS subjects in order and at least once, with the audit trail as the
durable outbox. Imports audit records, storage, keys and core; only the server and the CLI
import it."""
