-- 012_reports: indexes for the back office's figures (payments.ReportStore),
-- as payments/sqlite's 012.

-- Totals: paid payments by the instant they were paid, with every column
-- the totals group and sum (an index-only scan).
CREATE INDEX payments_paid ON payments (paid_at, currency, method, source, amount)
	WHERE paid_at IS NOT NULL;

-- Totals: refunds Latipay accepted, by the instant they succeeded.
CREATE INDEX refunds_succeeded ON refunds (updated_at) WHERE status = 'succeeded';

-- Attention: payments paid late or with an anomaly, by their last change.
CREATE INDEX payments_flagged ON payments (updated_at) WHERE paid_late OR needs_review;

-- Attention: events whose webhook the merchant's endpoint refuses.
CREATE INDEX events_webhook_trouble ON events (created_at) WHERE webhook_state IN ('retrying', 'failed');
