-- 010_accounts: the back office's accounts, their sessions, the first
-- run's setup token and the append-only audit log (package
-- payments/accounts). Secrets are never stored in clear: passwords as
-- argon2id hashes, session ids and setup tokens as their SHA-256.
CREATE TABLE accounts (
	id             TEXT    PRIMARY KEY,
	email          TEXT    NOT NULL UNIQUE,
	name           TEXT    NOT NULL,
	role           TEXT    NOT NULL CHECK (role IN ('owner', 'cashier')),
	password_hash  TEXT    NOT NULL,
	totp_secret    TEXT    NOT NULL,
	totp_last_step INTEGER NOT NULL,
	recovery       TEXT    NOT NULL, -- hashes of unused recovery codes, space-separated
	failed_signins INTEGER NOT NULL,
	locked_until   INTEGER,
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL
);

CREATE TABLE admin_sessions (
	id_hash    TEXT    PRIMARY KEY,
	account_id TEXT    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	address    TEXT    NOT NULL,
	device     TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	seen_at    INTEGER NOT NULL,
	reauth_at  INTEGER
);
CREATE INDEX admin_sessions_account ON admin_sessions (account_id);

CREATE TABLE setup_tokens (
	hash       TEXT    PRIMARY KEY,
	expires_at INTEGER NOT NULL
);

CREATE TABLE audit_log (
	seq          INTEGER PRIMARY KEY AUTOINCREMENT,
	at           INTEGER NOT NULL,
	account_id   TEXT    NOT NULL,
	email        TEXT    NOT NULL,
	address      TEXT    NOT NULL,
	device       TEXT    NOT NULL,
	action       TEXT    NOT NULL,
	target       TEXT    NOT NULL,
	before_state TEXT    NOT NULL,
	after_state  TEXT    NOT NULL
);
CREATE INDEX audit_log_target ON audit_log (target, seq);

-- Append-only: no row of the audit log is ever changed or removed.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
