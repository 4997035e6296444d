-- 050_bookkeeper_role: a third role, bookkeeper, who reads the books
-- (payments, reports, exports, the audit log) and changes nothing.
-- accounts.role's CHECK named only owner and cashier; SQLite cannot
-- change a column's CHECK, so the table is rebuilt with every column,
-- row and index as it was. Sessions, one-time links, PINs and trusted
-- devices reference accounts (ON DELETE CASCADE): dropping the old table
-- with foreign keys on would delete them all, so this migration runs
-- with foreign keys off and checks every reference before it commits
-- (the marker line below; migrate.go).
-- hpp: foreign keys off

CREATE TABLE accounts_new (
	id                TEXT    PRIMARY KEY,
	email             TEXT    NOT NULL UNIQUE,
	name              TEXT    NOT NULL,
	role              TEXT    NOT NULL CHECK (role IN ('owner', 'cashier', 'bookkeeper')),
	password_hash     TEXT    NOT NULL,
	totp_secret       TEXT    NOT NULL,
	totp_last_step    INTEGER NOT NULL,
	recovery          TEXT    NOT NULL, -- hashes of unused recovery codes, space-separated
	failed_signins    INTEGER NOT NULL,
	locked_until      INTEGER,
	created_at        INTEGER NOT NULL,
	updated_at        INTEGER NOT NULL,
	totp_pending      TEXT    NOT NULL DEFAULT '',
	access_changed_at INTEGER,
	devices_voided_at INTEGER
);

INSERT INTO accounts_new (id, email, name, role, password_hash, totp_secret, totp_last_step, recovery,
	failed_signins, locked_until, created_at, updated_at, totp_pending, access_changed_at, devices_voided_at)
	SELECT id, email, name, role, password_hash, totp_secret, totp_last_step, recovery,
	failed_signins, locked_until, created_at, updated_at, totp_pending, access_changed_at, devices_voided_at
	FROM accounts;

DROP TABLE accounts;

ALTER TABLE accounts_new RENAME TO accounts;
