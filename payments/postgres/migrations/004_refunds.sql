-- 004_refunds: refunds get their own rows, loaded with the payment under
-- its row lock, so parallel refunds of one payment are decided one after
-- another (the refundable amount, the Idempotency-Key, the outcome) and a
-- pending refund can be found by the reconciler (next_check_at). The same
-- shape as payments/sqlite's 005_refunds.
CREATE TABLE refunds (
	seq             bigint      GENERATED ALWAYS AS IDENTITY,
	id              text        PRIMARY KEY,
	payment_id      text        NOT NULL REFERENCES payments (id),
	amount          bigint      NOT NULL,
	currency        text        NOT NULL,
	status          text        NOT NULL,
	reason          text        NOT NULL DEFAULT '',
	key_hash        text        NOT NULL DEFAULT '',
	request_hash    text        NOT NULL DEFAULT '',
	gateway_code    bigint      NOT NULL DEFAULT 0,
	gateway_message text        NOT NULL DEFAULT '',
	created_at      timestamptz NOT NULL,
	updated_at      timestamptz NOT NULL,
	next_check_at   timestamptz,
	checks          bigint      NOT NULL DEFAULT 0
);

CREATE INDEX refunds_payment ON refunds (payment_id, created_at, seq);
CREATE UNIQUE INDEX refunds_key ON refunds (payment_id, key_hash) WHERE key_hash <> '';
CREATE INDEX refunds_due ON refunds (next_check_at, id) WHERE status = 'pending';

-- The refunds recorded so far live in the event log: carry them over,
-- with the outcome their later events recorded. One still pending is
-- checked by the reconciler at once.
INSERT INTO refunds (id, payment_id, amount, currency, status, reason, key_hash, request_hash,
	gateway_code, created_at, updated_at, next_check_at)
SELECT r.data::jsonb->>'id', r.payment_id, (r.data::jsonb->>'amount')::bigint, p.currency,
	CASE
		WHEN EXISTS (SELECT 1 FROM events s WHERE s.payment_id = r.payment_id AND s.type = 'refund.succeeded'
			AND s.data::jsonb->>'id' = r.data::jsonb->>'id') THEN 'succeeded'
		WHEN EXISTS (SELECT 1 FROM events f WHERE f.payment_id = r.payment_id AND f.type = 'refund.failed'
			AND f.data::jsonb->>'id' = r.data::jsonb->>'id') THEN 'failed'
		ELSE 'pending' END,
	COALESCE(r.data::jsonb->>'reason', ''), COALESCE(r.data::jsonb->>'key', ''),
	COALESCE(r.data::jsonb->>'hash', ''),
	COALESCE((SELECT (f.data::jsonb->>'code')::bigint FROM events f WHERE f.payment_id = r.payment_id
		AND f.type = 'refund.failed' AND f.data::jsonb->>'id' = r.data::jsonb->>'id' LIMIT 1), 0),
	COALESCE(r.created_at, now()), COALESCE(r.created_at, now()), NULL
FROM events r JOIN payments p ON p.id = r.payment_id
WHERE r.type = 'refund.requested' AND r.data <> '';

UPDATE refunds SET next_check_at = created_at WHERE status = 'pending';

-- Latipay's order id was taken from callbacks, where the signature does
-- not cover it. A merchant-hosted attempt's id came from the signed QR
-- data and stays; a hosted attempt's is forgotten and asked of Latipay
-- again before its next refund.
UPDATE payments SET latipay_order_id = ''
WHERE latipay_reference IN (SELECT reference FROM attempts WHERE hosted);
UPDATE attempts SET order_id = '' WHERE hosted;
