-- 038_reviewed_webhooks: payment.reviewed events (an owner marked a
-- flagged payment reviewed) are sent to the merchant's webhook from this
-- version on (webhook.Types). The outbox picks events by type when it
-- sends, so those recorded before would all go out at once on upgrade
-- (the last 72 hours of them), out of sequence behind the payment events
-- already delivered. They are marked skipped: not undelivered, never
-- claimed, never retried.
UPDATE events SET webhook_state = 'skipped'
WHERE type = 'payment.reviewed' AND webhook_state IS NULL;
