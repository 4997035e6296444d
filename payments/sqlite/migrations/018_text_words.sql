-- 018_text_words: the search box's free text at 1,000,000 payments.
--
-- The trigram index (007) answers "order 123457:" by intersecting the
-- lists of every trigram of the text, and "ord", "rde", "der" are in
-- every payment that says "Order …" (9 to 22 ms p50 at 1,000,000). A
-- whole word of the text (letters and digits with something else on both
-- sides, here "123457") must also be a whole word of a matching payment
-- (payments.SearchWords), so this index of each payment's words (the
-- ascii tokenizer: runs of ASCII letters and digits, case folded, and of
-- any other character beyond ASCII) finds the few candidates at once;
-- ListPayments checks the text itself on each. Kept by triggers, holding
-- no text of its own (content=payments).
CREATE VIRTUAL TABLE payments_words USING fts5(reference, description, content='payments', tokenize='ascii');
INSERT INTO payments_words (rowid, reference, description) SELECT rowid, reference, description FROM payments;
CREATE TRIGGER payments_words_insert AFTER INSERT ON payments BEGIN
	INSERT INTO payments_words (rowid, reference, description) VALUES (new.rowid, new.reference, new.description);
END;
CREATE TRIGGER payments_words_delete AFTER DELETE ON payments BEGIN
	INSERT INTO payments_words (payments_words, rowid, reference, description) VALUES ('delete', old.rowid, old.reference, old.description);
END;
CREATE TRIGGER payments_words_update AFTER UPDATE OF reference, description ON payments
	WHEN old.reference IS NOT new.reference OR old.description IS NOT new.description BEGIN
	INSERT INTO payments_words (payments_words, rowid, reference, description) VALUES ('delete', old.rowid, old.reference, old.description);
	INSERT INTO payments_words (rowid, reference, description) VALUES (new.rowid, new.reference, new.description);
END;
