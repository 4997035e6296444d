-- 021_link_uses_paid: a stored link's maximum counts paid payments. A use
-- holds its place while its payment is open; the payment's unpaid end
-- (expired, failed, canceled) gives the place back in the transaction of
-- that transition, and a payment paid late takes it again
-- (payments.LinkUseChange). Each use now names its payment and its state,
-- and the link counts its paid payments beside the places taken (uses).
ALTER TABLE payment_links ADD COLUMN paid_uses INTEGER NOT NULL DEFAULT 0 CHECK (paid_uses >= 0);
ALTER TABLE payment_link_uses ADD COLUMN payment_id TEXT REFERENCES payments (id);
ALTER TABLE payment_link_uses ADD COLUMN state TEXT NOT NULL DEFAULT 'held'
	CHECK (state IN ('held', 'paid', 'released'));

-- The payment of each use so far: Links.Pay made it with the idempotency
-- key 'link:' || link_id || ':' || key.
UPDATE payment_link_uses SET payment_id = (SELECT payment_id FROM idempotency
	WHERE idempotency.key = 'link:' || payment_link_uses.link_id || ':' || payment_link_uses.key);
UPDATE payment_link_uses SET state = CASE (SELECT status FROM payments WHERE id = payment_link_uses.payment_id)
	WHEN 'paid' THEN 'paid' WHEN 'partially_refunded' THEN 'paid' WHEN 'refunded' THEN 'paid'
	WHEN 'expired' THEN 'released' WHEN 'failed' THEN 'released' WHEN 'canceled' THEN 'released'
	ELSE 'held' END
	WHERE payment_id IS NOT NULL;
-- A use with no payment a day after it was counted is one whose payment
-- was never made (the process stopped in between): no payment will give
-- its place back.
UPDATE payment_link_uses SET state = 'released'
	WHERE payment_id IS NULL AND at < (CAST(strftime('%s', 'now') AS INTEGER) - 86400) * 1000000000;
CREATE INDEX payment_link_uses_payment ON payment_link_uses (payment_id) WHERE payment_id IS NOT NULL;

UPDATE payment_links SET
	uses = (SELECT count(*) FROM payment_link_uses u WHERE u.link_id = payment_links.id AND u.state <> 'released'),
	paid_uses = (SELECT count(*) FROM payment_link_uses u WHERE u.link_id = payment_links.id AND u.state = 'paid');
