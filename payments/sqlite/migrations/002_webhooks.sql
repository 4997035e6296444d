-- 002_webhooks: the merchant-webhook outbox on the events table, machine-
-- readable event data, and the delivery log.

-- data: JSON detail (refunds). webhook_state: NULL until the first try,
-- then delivered, retrying or failed. webhook_next_at: the next try (or
-- the end of a claim's lease); NULL means due now. delivery_attempts and
-- delivered_at (from 001) count the tries and stamp success.
ALTER TABLE events ADD COLUMN data TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN webhook_state TEXT;
ALTER TABLE events ADD COLUMN webhook_next_at INTEGER;

-- ClaimWebhookEvents: undelivered events by age.
CREATE INDEX events_outbox ON events (created_at) WHERE webhook_state IS NULL OR webhook_state = 'retrying';

CREATE TABLE webhook_deliveries (
	id          TEXT    PRIMARY KEY,
	payment_id  TEXT    NOT NULL REFERENCES payments (id),
	seq         INTEGER NOT NULL,
	event_type  TEXT    NOT NULL,
	attempt     INTEGER NOT NULL,
	redelivery  INTEGER NOT NULL DEFAULT 0,
	status_code INTEGER NOT NULL DEFAULT 0,
	error       TEXT    NOT NULL DEFAULT '',
	duration_ns INTEGER NOT NULL DEFAULT 0,
	at          INTEGER NOT NULL,
	state       TEXT    NOT NULL,
	next_at     INTEGER
);

CREATE INDEX webhook_deliveries_payment ON webhook_deliveries (payment_id, id);

-- ListPayments: newest first, optionally by status or reference.
CREATE INDEX payments_created ON payments (created_at, id);
CREATE INDEX payments_reference ON payments (reference, created_at);
