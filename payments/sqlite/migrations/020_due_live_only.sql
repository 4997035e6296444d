-- 020_due_live_only: attempts_due holds only attempts with a check
-- scheduled. ClaimDueAttempts asks for next_check_at IS NOT NULL, so the
-- settled attempts (nearly all of them, once a shop has a history) were
-- entries no query reads, and every callback's paid transition deleted
-- the attempt's entry and inserted another, (paid, NULL), into this index:
-- now it only deletes. On an existing file the index is built again
-- once, reading every attempt (seconds at a million).
DROP INDEX attempts_due;
CREATE INDEX attempts_due ON attempts (status, next_check_at) WHERE next_check_at IS NOT NULL;
