-- 024_refund_webhooks: refund.succeeded and refund.failed events are sent
-- to the merchant's webhook from this version on (webhook.Types). The
-- outbox picks events by type when it sends, so those recorded before
-- would all go out at once on upgrade (the last 72 hours of them), each
-- out of sequence behind the payment events already delivered, which a
-- receiver that ignores old sequence numbers drops anyway. They are
-- marked skipped: not undelivered, never claimed, never retried.
UPDATE events SET webhook_state = 'skipped'
WHERE type IN ('refund.succeeded', 'refund.failed') AND webhook_state IS NULL;
