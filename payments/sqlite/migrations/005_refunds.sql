-- 005_refunds: refunds get their own rows, loaded with the payment under
-- its write lock, so parallel refunds of one payment are decided one after
-- another (the refundable amount, the Idempotency-Key, the outcome) and a
-- pending refund can be found by the reconciler (next_check_at).
CREATE TABLE refunds (
	id              TEXT    PRIMARY KEY,
	payment_id      TEXT    NOT NULL REFERENCES payments (id),
	amount          INTEGER NOT NULL,
	currency        TEXT    NOT NULL,
	status          TEXT    NOT NULL,
	reason          TEXT    NOT NULL DEFAULT '',
	key_hash        TEXT    NOT NULL DEFAULT '',
	request_hash    TEXT    NOT NULL DEFAULT '',
	gateway_code    INTEGER NOT NULL DEFAULT 0,
	gateway_message TEXT    NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	next_check_at   INTEGER,
	checks          INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX refunds_payment ON refunds (payment_id, created_at);
CREATE UNIQUE INDEX refunds_key ON refunds (payment_id, key_hash) WHERE key_hash <> '';
CREATE INDEX refunds_due ON refunds (next_check_at) WHERE status = 'pending';

-- The refunds recorded so far live in the event log: carry them over,
-- with the outcome their later events recorded. One still pending is
-- checked by the reconciler at once.
INSERT INTO refunds (id, payment_id, amount, currency, status, reason, key_hash, request_hash,
	gateway_code, created_at, updated_at, next_check_at)
SELECT json_extract(e.data, '$.id'), e.payment_id, json_extract(e.data, '$.amount'), p.currency,
	CASE
		WHEN EXISTS (SELECT 1 FROM events s WHERE s.payment_id = e.payment_id AND s.type = 'refund.succeeded'
			AND json_extract(s.data, '$.id') = json_extract(e.data, '$.id')) THEN 'succeeded'
		WHEN EXISTS (SELECT 1 FROM events f WHERE f.payment_id = e.payment_id AND f.type = 'refund.failed'
			AND json_extract(f.data, '$.id') = json_extract(e.data, '$.id')) THEN 'failed'
		ELSE 'pending' END,
	COALESCE(json_extract(e.data, '$.reason'), ''), COALESCE(json_extract(e.data, '$.key'), ''),
	COALESCE(json_extract(e.data, '$.hash'), ''),
	COALESCE((SELECT json_extract(f.data, '$.code') FROM events f WHERE f.payment_id = e.payment_id
		AND f.type = 'refund.failed' AND json_extract(f.data, '$.id') = json_extract(e.data, '$.id')), 0),
	e.created_at, e.created_at, NULL
FROM events e JOIN payments p ON p.id = e.payment_id
WHERE e.type = 'refund.requested' AND json_valid(e.data);

UPDATE refunds SET next_check_at = created_at WHERE status = 'pending';

-- Latipay's order id was taken from callbacks, where the signature does
-- not cover it. A merchant-hosted attempt's id came from the signed QR
-- data and stays; a hosted attempt's is forgotten and asked of Latipay
-- again before its next refund.
UPDATE payments SET latipay_order_id = ''
WHERE latipay_reference IN (SELECT reference FROM attempts WHERE hosted <> 0);
UPDATE attempts SET order_id = '' WHERE hosted <> 0;
