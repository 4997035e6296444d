-- 003_notifications_key: notifications keyed by (reference, digest) in one
-- index, instead of a unique index on digest and another on reference.
-- Every callback inserts a notification; each index is one more random
-- page to write to the WAL and checkpoint, and the load harness's
-- profiles showed those pages growing with the table. The digest hashes
-- the reference with the other verified fields, so (reference, digest) is
-- unique exactly when digest is. Lookups by reference use the index's
-- prefix. The table is rebuilt (SQLite cannot drop a column's UNIQUE);
-- ids, and with them the order notifications were recorded in, are kept.

CREATE TABLE notifications_new (
	id         INTEGER PRIMARY KEY,
	digest     TEXT    NOT NULL,
	reference  TEXT    NOT NULL,
	status     TEXT    NOT NULL DEFAULT '',
	body       TEXT    NOT NULL DEFAULT '',
	result     TEXT    NOT NULL DEFAULT '',
	at         INTEGER,
	payment_id TEXT    REFERENCES payments (id)
);

INSERT INTO notifications_new (id, digest, reference, status, body, result, at, payment_id)
	SELECT id, digest, reference, status, body, result, at, payment_id FROM notifications;

DROP TABLE notifications;

ALTER TABLE notifications_new RENAME TO notifications;

CREATE UNIQUE INDEX notifications_reference_digest ON notifications (reference, digest);
