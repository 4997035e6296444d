-- 035_failed_expires: the expiry sweep's own index of the failed payments
-- that may still expire. A failed counter sale never expires (Expirable
-- in payments/service.go) and stays failed for good; in
-- payments_status_expires it sits in the failed range that every sweep
-- reads, and would be fetched by every sweep, on every instance, forever.
-- The predicate is written as ExpiredPayments writes its failed branch.
CREATE INDEX payments_failed_expires ON payments (expires_at, id)
	WHERE status = 'failed' AND source NOT IN ('counter_qr', 'counter_scan');
