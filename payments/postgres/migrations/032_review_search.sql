-- 032_review_search: a payment flagged paid late or needing review is
-- marked reviewed by an owner (payments.Service.MarkReviewed), which
-- takes it off what needs attention; a later flag clears the mark.
-- reviewed_at is NULL until then. The home page's attention block and the
-- list's "needs review" and "paid late" filters read the flagged payments
-- not yet reviewed through these partial indexes alone, and "reviewed"
-- those marked.
ALTER TABLE payments ADD COLUMN reviewed_at timestamptz;
DROP INDEX payments_flagged;
CREATE INDEX payments_flagged ON payments (updated_at)
	WHERE (paid_late OR needs_review) AND reviewed_at IS NULL;
CREATE INDEX payments_flagged_list ON payments (created_at DESC NULLS LAST, id DESC)
	WHERE (paid_late OR needs_review) AND reviewed_at IS NULL;
CREATE INDEX payments_reviewed_list ON payments (created_at DESC NULLS LAST, id DESC) WHERE reviewed_at IS NOT NULL;

-- The search box finds a payment by its exact amount ("88.80"), newest
-- first, reading only the payments of that amount.
CREATE INDEX payments_amount_list ON payments (amount, created_at DESC NULLS LAST, id DESC);
