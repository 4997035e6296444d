-- 040_webhook_endpoint: when a webhook endpoint (HPP_WEBHOOK_URL) was first
-- configured for this database, in Unix nanoseconds. The webhook worker
-- sends only events recorded from then on: an endpoint added to a shop
-- that ran without one does not receive the events recorded before it.
-- Written once, by the first worker that has an endpoint, and never
-- changed, so an endpoint unset for a while and set again (or changed)
-- still receives what was recorded meanwhile, within the retry window.
-- A database that already has deliveries had an endpoint before this
-- mark existed: 0, no limit besides the retry window, as before.
CREATE TABLE webhook_endpoint (
	id    INTEGER PRIMARY KEY CHECK (id = 1),
	since INTEGER NOT NULL
);

INSERT INTO webhook_endpoint (id, since) SELECT 1, 0 WHERE EXISTS (SELECT 1 FROM webhook_deliveries);
