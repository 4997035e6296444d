-- 019_text_index_batched: the full-text indexes (007's payments_text,
-- 018's payments_words) take a batch's new payments in one statement
-- each, just before its commit, instead of one trigger row at a time.
--
-- FTS5 writes its pending terms to disk as a new segment whenever SQLite
-- opens a statement savepoint in a transaction that has written to the
-- table, which every later write statement of a group-committed batch
-- does (an insert with triggers or constraints may abort halfway). With
-- the insert triggers each payment of a batch became a segment of its
-- own in both indexes, merged again and again: 21% of the app's CPU in a
-- profile of handlers.BenchmarkCreate, creation 146 to 209 µs of CPU per
-- payment in e2e/load. Now the insert trigger only notes the new rowid
-- in payments_unindexed, an ordinary table, and indexText (text.go)
-- moves what is noted into both indexes in the same transaction: one
-- segment per batch, the index complete at every commit as before.
--
-- The delete and update triggers stay (the app neither deletes payments
-- nor changes their text, but the indexes must follow if it ever does),
-- and leave a payment still waiting in payments_unindexed to indexText:
-- FTS5 must not be told to delete what it was never given. Each is one
-- trigger, its statements in this order: SQLite does not promise an
-- order between two triggers on the same event.
CREATE TABLE payments_unindexed (id INTEGER PRIMARY KEY); -- a rowid of payments
DROP TRIGGER payments_text_insert;
DROP TRIGGER payments_words_insert;
DROP TRIGGER payments_text_delete;
DROP TRIGGER payments_words_delete;
DROP TRIGGER payments_text_update;
DROP TRIGGER payments_words_update;
CREATE TRIGGER payments_unindexed_insert AFTER INSERT ON payments BEGIN
	INSERT INTO payments_unindexed (id) VALUES (new.rowid);
END;
CREATE TRIGGER payments_text_delete AFTER DELETE ON payments BEGIN
	INSERT INTO payments_text (payments_text, rowid, reference, description) SELECT 'delete', old.rowid, old.reference, old.description
		WHERE NOT EXISTS (SELECT 1 FROM payments_unindexed WHERE id = old.rowid);
	INSERT INTO payments_words (payments_words, rowid, reference, description) SELECT 'delete', old.rowid, old.reference, old.description
		WHERE NOT EXISTS (SELECT 1 FROM payments_unindexed WHERE id = old.rowid);
	DELETE FROM payments_unindexed WHERE id = old.rowid;
END;
CREATE TRIGGER payments_text_update AFTER UPDATE OF reference, description ON payments
	WHEN (old.reference IS NOT new.reference OR old.description IS NOT new.description)
	AND NOT EXISTS (SELECT 1 FROM payments_unindexed WHERE id = old.rowid) BEGIN
	INSERT INTO payments_text (payments_text, rowid, reference, description) VALUES ('delete', old.rowid, old.reference, old.description);
	INSERT INTO payments_text (rowid, reference, description) VALUES (new.rowid, new.reference, new.description);
	INSERT INTO payments_words (payments_words, rowid, reference, description) VALUES ('delete', old.rowid, old.reference, old.description);
	INSERT INTO payments_words (rowid, reference, description) VALUES (new.rowid, new.reference, new.description);
END;
