-- 007_list_filters: the back office's payments list filters by status,
-- channel and method, newest first, and finds a payment by Latipay's
-- order id. Each filter has an index in (filter, created_at, id) order, so
-- a filtered page reads only its own rows however many payments there are
-- (the unfiltered list has payments_created, the reference search
-- payments_reference). Currency has no index of its own: a shop takes one
-- or two, so the newest-first walk over payments_created finds a page at
-- once.
CREATE INDEX payments_status_created ON payments (status, created_at, id);
CREATE INDEX payments_source_created ON payments (source, created_at, id);
CREATE INDEX payments_method_created ON payments (method, created_at, id);
CREATE INDEX payments_order_id ON payments (latipay_order_id) WHERE latipay_order_id <> '';

-- The search box's free text (the reference or the description contains
-- it) through a trigram full-text index, kept by triggers: without it a
-- search for one order at 1,000,000 payments read every row (19 s on a
-- loaded machine). It holds no text of its own (content=payments), only
-- the index. Searches shorter than three characters still scan.
CREATE VIRTUAL TABLE payments_text USING fts5(reference, description, content='payments', tokenize='trigram');
INSERT INTO payments_text (rowid, reference, description) SELECT rowid, reference, description FROM payments;
CREATE TRIGGER payments_text_insert AFTER INSERT ON payments BEGIN
	INSERT INTO payments_text (rowid, reference, description) VALUES (new.rowid, new.reference, new.description);
END;
CREATE TRIGGER payments_text_delete AFTER DELETE ON payments BEGIN
	INSERT INTO payments_text (payments_text, rowid, reference, description) VALUES ('delete', old.rowid, old.reference, old.description);
END;
CREATE TRIGGER payments_text_update AFTER UPDATE OF reference, description ON payments
	WHEN old.reference IS NOT new.reference OR old.description IS NOT new.description BEGIN
	INSERT INTO payments_text (payments_text, rowid, reference, description) VALUES ('delete', old.rowid, old.reference, old.description);
	INSERT INTO payments_text (rowid, reference, description) VALUES (new.rowid, new.reference, new.description);
END;
