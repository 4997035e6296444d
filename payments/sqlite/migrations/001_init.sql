-- 001_init: payments, their attempts at Latipay, the event log (also the
-- future webhook outbox), verified notifications and idempotency keys.
-- Times are INTEGER unix nanoseconds in UTC; NULL means the zero time.
-- Money is INTEGER minor units, never REAL.

CREATE TABLE payments (
	id                TEXT    PRIMARY KEY,
	reference         TEXT    NOT NULL,
	amount            INTEGER NOT NULL,
	currency          TEXT    NOT NULL,
	description       TEXT    NOT NULL DEFAULT '',
	method            TEXT    NOT NULL DEFAULT '',
	status            TEXT    NOT NULL,
	source            TEXT    NOT NULL DEFAULT '',
	return_url        TEXT    NOT NULL DEFAULT '',
	cancel_url        TEXT    NOT NULL DEFAULT '',
	latipay_reference TEXT    NOT NULL DEFAULT '',
	latipay_order_id  TEXT    NOT NULL DEFAULT '',
	attempts          INTEGER NOT NULL DEFAULT 0,
	amount_cny        TEXT    NOT NULL DEFAULT '',
	currency_rate     TEXT    NOT NULL DEFAULT '',
	refunded          INTEGER NOT NULL DEFAULT 0,
	paid_late         INTEGER NOT NULL DEFAULT 0,
	needs_review      INTEGER NOT NULL DEFAULT 0,
	version           INTEGER NOT NULL,
	created_at        INTEGER,
	updated_at        INTEGER,
	expires_at        INTEGER,
	paid_at           INTEGER
);

-- ExpiredPayments: open statuses whose window has ended.
CREATE INDEX payments_status_expires ON payments (status, expires_at);

CREATE TABLE attempts (
	reference     TEXT    PRIMARY KEY,
	payment_id    TEXT    NOT NULL REFERENCES payments (id),
	method        TEXT    NOT NULL DEFAULT '',
	hosted        INTEGER NOT NULL DEFAULT 0,
	status        TEXT    NOT NULL,
	order_id      TEXT    NOT NULL DEFAULT '',
	qr_code_url   TEXT    NOT NULL DEFAULT '',
	amount_cny    TEXT    NOT NULL DEFAULT '',
	rate          TEXT    NOT NULL DEFAULT '',
	created_at    INTEGER,
	next_check_at INTEGER,
	checks        INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX attempts_payment ON attempts (payment_id, created_at);
-- ClaimDueAttempts: live attempts whose check is due.
CREATE INDEX attempts_due ON attempts (status, next_check_at);

-- One row per event; seq counts from 1 per payment. delivered_at and
-- delivery_attempts belong to the merchant-webhook outbox (not used yet).
CREATE TABLE events (
	payment_id        TEXT    NOT NULL REFERENCES payments (id),
	seq               INTEGER NOT NULL,
	type              TEXT    NOT NULL,
	from_status       TEXT    NOT NULL DEFAULT '',
	to_status         TEXT    NOT NULL DEFAULT '',
	detail            TEXT    NOT NULL DEFAULT '',
	created_at        INTEGER,
	delivered_at      INTEGER,
	delivery_attempts INTEGER,
	PRIMARY KEY (payment_id, seq)
);

-- Verified Latipay notifications, kept for audit. digest is unique so a
-- repeated notification is recorded once; payment_id is NULL for orphans.
CREATE TABLE notifications (
	id         INTEGER PRIMARY KEY,
	digest     TEXT    NOT NULL UNIQUE,
	reference  TEXT    NOT NULL,
	status     TEXT    NOT NULL DEFAULT '',
	body       TEXT    NOT NULL DEFAULT '',
	result     TEXT    NOT NULL DEFAULT '',
	at         INTEGER,
	payment_id TEXT    REFERENCES payments (id)
);

CREATE INDEX notifications_reference ON notifications (reference);

CREATE TABLE idempotency (
	key        TEXT    PRIMARY KEY,
	hash       TEXT    NOT NULL,
	payment_id TEXT    NOT NULL REFERENCES payments (id),
	created_at INTEGER NOT NULL
);
