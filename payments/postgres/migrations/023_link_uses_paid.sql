-- 023_link_uses_paid: a stored link's maximum counts paid payments. A use
-- holds its place while its payment is open; the payment's unpaid end
-- (expired, failed, canceled) gives the place back in the transaction of
-- that transition, and a payment paid late takes it again
-- (payments.LinkUseChange). Each use now names its payment and its state,
-- and the link counts its paid payments beside the places taken (uses).
--
-- Uses and links are counted again at the end: their writes wait for this
-- migration (reads go on), so no use is counted between the copy and the
-- count. Links are few; this takes a moment.
LOCK TABLE payment_links, payment_link_uses IN SHARE ROW EXCLUSIVE MODE;

ALTER TABLE payment_links ADD COLUMN paid_uses integer NOT NULL DEFAULT 0 CHECK (paid_uses >= 0);
ALTER TABLE payment_link_uses
	ADD COLUMN payment_id text REFERENCES payments (id),
	ADD COLUMN state text NOT NULL DEFAULT 'held' CHECK (state IN ('held', 'paid', 'released'));

-- The payment of each use so far: Links.Pay made it with the idempotency
-- key 'link:' || link_id || ':' || key.
UPDATE payment_link_uses u SET payment_id = i.payment_id
	FROM idempotency i WHERE i.key = 'link:' || u.link_id || ':' || u.key;
UPDATE payment_link_uses u SET state = CASE
		WHEN p.status IN ('paid', 'partially_refunded', 'refunded') THEN 'paid'
		WHEN p.status IN ('expired', 'failed', 'canceled') THEN 'released'
		ELSE 'held' END
	FROM payments p WHERE p.id = u.payment_id;
-- A use with no payment a day after it was counted is one whose payment
-- was never made (the process stopped in between): no payment will give
-- its place back.
UPDATE payment_link_uses SET state = 'released' WHERE payment_id IS NULL AND at < now() - interval '1 day';
CREATE INDEX payment_link_uses_payment ON payment_link_uses (payment_id) WHERE payment_id IS NOT NULL;

UPDATE payment_links l SET
	uses = (SELECT count(*) FROM payment_link_uses u WHERE u.link_id = l.id AND u.state <> 'released'),
	paid_uses = (SELECT count(*) FROM payment_link_uses u WHERE u.link_id = l.id AND u.state = 'paid');
