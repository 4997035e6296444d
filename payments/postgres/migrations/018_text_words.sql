-- 018_text_words: the search box's free text at 1,000,000 payments.
--
-- The trigram index (006) answers "order 123457:" by intersecting the
-- posting lists of every trigram of the text, and "ord", "rde", "der"
-- are in every payment that says "Order …": about 1,500 index pages per
-- search (20 to 80 ms at 1,000,000 payments). A whole word of the text
-- (letters and digits with something else on both sides, here "123457")
-- must also be a whole word of a matching payment, so this index of each
-- payment's words, lower-cased, finds the few candidates in a handful of
-- pages; the full text is then checked on each (ListPayments). Its
-- statistics tell the planner when a word is common ("white") and the
-- newest-first walk is quicker. It needs no extension.
CREATE INDEX payments_words ON payments
	USING gin (regexp_split_to_array(lower(reference || ' ' || description), '[^a-z0-9]+'));

-- A GIN index's pending list (fastupdate) is read by every search until
-- VACUUM merges it: up to 4 MB, about 200 pages at 1,000,000 payments.
-- A shop writes a few payments a minute; searches should not pay for
-- that batching.
ALTER INDEX payments_words SET (fastupdate = off);
DO $$
BEGIN
	IF to_regclass('payments_text') IS NOT NULL THEN
		ALTER INDEX payments_text SET (fastupdate = off);
		PERFORM gin_clean_pending_list(to_regclass('payments_text'));
	END IF;
END $$;
