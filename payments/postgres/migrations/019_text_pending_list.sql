-- 019_text_pending_list: the search box's GIN indexes (006's trigrams when
-- pg_trgm is there, 018's words) take new payments through a small
-- pending list again, instead of none.
--
-- 018 turned fastupdate off so that no search read GIN's pending list
-- (up to 4 MB by default: some 200 pages read by every search until
-- VACUUM merged it). Without it each new payment's trigrams and words go
-- into the indexes' trees one entry at a time, which took the server's
-- CPU per creation from about 830 to about 1,190 µs
-- (BenchmarkCreateParallel's pg-cpu-µs/op, four alternating rounds).
-- With a pending list of 64 kB a search reads at most 8 pages of it, and
-- the inserting backend merges the list into the trees in sorted batches
-- once it is full: about 890 µs, within the noise of 4 MB's.
ALTER INDEX payments_words SET (fastupdate = on, gin_pending_list_limit = 64);
DO $$
BEGIN
	IF to_regclass('payments_text') IS NOT NULL THEN
		ALTER INDEX payments_text SET (fastupdate = on, gin_pending_list_limit = 64);
	END IF;
END $$;
