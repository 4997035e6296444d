-- 045_upgrade_endpoint_cashier: two things.
--
-- A database upgraded from before 043 that had events but no delivery
-- yet may have had an endpoint (HPP_WEBHOOK_URL) that the earlier version
-- was about to send them to: that version sent every event of the last 72
-- hours not yet delivered. 043 left it with no mark, so the first worker
-- of the new version recorded its own start and never sent the events
-- recorded before it. -infinity marks it instead: the first worker with
-- an endpoint records the oldest event the earlier version would still
-- have sent (WebhookEndpointSince), so none is lost on the upgrade. A
-- database without events (a new one) has nothing to lose and keeps the
-- rule of 043: an endpoint gets the events recorded from when it was set.
-- The database cannot tell whether the earlier version had an endpoint, so
-- one that ran it without (or ran 043 without one since) is marked alike:
-- its first endpoint gets the last 72 hours' backlog, as before 043.
--
-- The payments list's cashier filter (id IN the sales of one account)
-- reads counter_sales by account_id; the device filter has
-- counter_sales_device (015). Covering: payment_id is all it reads.
INSERT INTO webhook_endpoint (id, since) SELECT 1, '-infinity'
	WHERE NOT EXISTS (SELECT 1 FROM webhook_endpoint) AND EXISTS (SELECT 1 FROM events);

CREATE INDEX counter_sales_account ON counter_sales (account_id, payment_id);
