-- 021_gin_pending: writes at 1,000,000 payments.
--
-- Every UPDATE of a payment that changes its status is not HOT (status is
-- in several indexes), so it adds an entry to every index of the table,
-- the two GIN indexes included (006's trigrams, 018's words): some 30
-- keys, each a descent into a posting tree. With fastupdate off (018) a
-- write touched seven times the buffers it touches without those two
-- indexes. EXPLAIN (ANALYZE, BUFFERS) of 300 status updates in one
-- transaction on a seeded schema of 1,000,000 payments: about 76,000
-- buffers with fastupdate off, 19,000 to 24,000 with it on and a 64 kB
-- pending list, 11,000 without the two indexes; one INSERT like
-- CreatePayment's: 241 buffers, against 30 without them.
--
-- A pending list of 64 kB (the least PostgreSQL allows; 018's concern was
-- the default 4 MB, about 200 pages read by every search) costs a search
-- at most 8 pages, and a write that fills it merges a couple of hundred
-- rows' keys in key order, one descent per key for all of them.
ALTER INDEX payments_words SET (fastupdate = on, gin_pending_list_limit = 64);
DO $$
BEGIN
	IF to_regclass('payments_text') IS NOT NULL THEN
		ALTER INDEX payments_text SET (fastupdate = on, gin_pending_list_limit = 64);
	END IF;
END $$;
