-- 002_webhooks: the merchant-webhook outbox on the events table, machine-
-- readable event data, and the delivery log (as payments/sqlite's 002).

-- data: JSON detail (refunds). webhook_state: NULL until the first try,
-- then delivered, retrying or failed. webhook_next_at: the next try (or
-- the end of a claim's lease); NULL means due now. delivery_attempts and
-- delivered_at (from 001) count the tries and stamp success.
ALTER TABLE events
	ADD COLUMN data            text NOT NULL DEFAULT '',
	ADD COLUMN webhook_state   text,
	ADD COLUMN webhook_next_at timestamptz;

-- ClaimWebhookEvents: the undelivered events, per payment in order.
CREATE INDEX events_outbox ON events (payment_id, seq)
	WHERE webhook_state IS NULL OR webhook_state = 'retrying';

CREATE TABLE webhook_deliveries (
	id          text        PRIMARY KEY,
	payment_id  text        NOT NULL REFERENCES payments (id),
	seq         bigint      NOT NULL,
	event_type  text        NOT NULL,
	attempt     bigint      NOT NULL,
	redelivery  boolean     NOT NULL DEFAULT false,
	status_code bigint      NOT NULL DEFAULT 0,
	error       text        NOT NULL DEFAULT '',
	duration_ns bigint      NOT NULL DEFAULT 0,
	at          timestamptz NOT NULL,
	state       text        NOT NULL,
	next_at     timestamptz
);

CREATE INDEX webhook_deliveries_payment ON webhook_deliveries (payment_id, id);

-- ListPayments: newest first, optionally by status or reference.
CREATE INDEX payments_created ON payments (created_at, id);
CREATE INDEX payments_reference ON payments (reference, created_at);
