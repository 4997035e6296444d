-- 001_init: payments, their attempts at Latipay, the event log (also the
-- future webhook outbox), verified notifications and idempotency keys.
-- The same shape as payments/sqlite's 001_init, in PostgreSQL types:
-- money is BIGINT minor units, never NUMERIC or REAL; times are
-- timestamptz (microseconds; the store truncates to match); NULL means the
-- zero time.

CREATE TABLE payments (
	id                text        PRIMARY KEY,
	reference         text        NOT NULL,
	amount            bigint      NOT NULL,
	currency          text        NOT NULL,
	description       text        NOT NULL DEFAULT '',
	method            text        NOT NULL DEFAULT '',
	status            text        NOT NULL,
	source            text        NOT NULL DEFAULT '',
	return_url        text        NOT NULL DEFAULT '',
	cancel_url        text        NOT NULL DEFAULT '',
	latipay_reference text        NOT NULL DEFAULT '',
	latipay_order_id  text        NOT NULL DEFAULT '',
	attempts          bigint      NOT NULL DEFAULT 0,
	amount_cny        text        NOT NULL DEFAULT '',
	currency_rate     text        NOT NULL DEFAULT '',
	refunded          bigint      NOT NULL DEFAULT 0,
	paid_late         boolean     NOT NULL DEFAULT false,
	needs_review      boolean     NOT NULL DEFAULT false,
	version           bigint      NOT NULL,
	created_at        timestamptz,
	updated_at        timestamptz,
	expires_at        timestamptz,
	paid_at           timestamptz
);

-- ExpiredPayments: open statuses whose window has ended.
CREATE INDEX payments_status_expires ON payments (status, expires_at);

CREATE TABLE attempts (
	-- seq keeps attempts created at the same instant in the order first written.
	seq           bigint      GENERATED ALWAYS AS IDENTITY,
	reference     text        PRIMARY KEY,
	payment_id    text        NOT NULL REFERENCES payments (id),
	method        text        NOT NULL DEFAULT '',
	hosted        boolean     NOT NULL DEFAULT false,
	status        text        NOT NULL,
	order_id      text        NOT NULL DEFAULT '',
	qr_code_url   text        NOT NULL DEFAULT '',
	amount_cny    text        NOT NULL DEFAULT '',
	rate          text        NOT NULL DEFAULT '',
	created_at    timestamptz,
	next_check_at timestamptz,
	checks        bigint      NOT NULL DEFAULT 0
);

CREATE INDEX attempts_payment ON attempts (payment_id, created_at, seq);
-- ClaimDueAttempts: live attempts whose check is due.
CREATE INDEX attempts_due ON attempts (next_check_at, reference) WHERE next_check_at IS NOT NULL;

-- One row per event; seq counts from 1 per payment. delivered_at and
-- delivery_attempts belong to the merchant-webhook outbox.
CREATE TABLE events (
	payment_id        text        NOT NULL REFERENCES payments (id),
	seq               bigint      NOT NULL,
	type              text        NOT NULL,
	from_status       text        NOT NULL DEFAULT '',
	to_status         text        NOT NULL DEFAULT '',
	detail            text        NOT NULL DEFAULT '',
	created_at        timestamptz,
	delivered_at      timestamptz,
	delivery_attempts bigint,
	PRIMARY KEY (payment_id, seq)
);

-- Verified Latipay notifications, kept for audit. digest is unique so a
-- repeated notification is recorded once; payment_id is NULL for orphans.
CREATE TABLE notifications (
	id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	digest     text        NOT NULL UNIQUE,
	reference  text        NOT NULL,
	status     text        NOT NULL DEFAULT '',
	body       text        NOT NULL DEFAULT '',
	result     text        NOT NULL DEFAULT '',
	at         timestamptz,
	payment_id text        REFERENCES payments (id)
);

CREATE INDEX notifications_reference ON notifications (reference);

CREATE TABLE idempotency (
	key        text        PRIMARY KEY,
	hash       text        NOT NULL,
	payment_id text        NOT NULL REFERENCES payments (id),
	created_at timestamptz NOT NULL
);
