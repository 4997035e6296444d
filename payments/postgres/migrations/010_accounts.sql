-- 010_accounts: the back office's accounts, their sessions, the first
-- run's setup token and the append-only audit log (package
-- payments/accounts). Secrets are never stored in clear: passwords as
-- argon2id hashes, session ids and setup tokens as their SHA-256.
CREATE TABLE accounts (
	id             text        PRIMARY KEY,
	email          text        NOT NULL UNIQUE,
	name           text        NOT NULL,
	role           text        NOT NULL CHECK (role IN ('owner', 'cashier')),
	password_hash  text        NOT NULL,
	totp_secret    text        NOT NULL,
	totp_last_step bigint      NOT NULL,
	recovery       text[]      NOT NULL, -- hashes of unused recovery codes
	failed_signins integer     NOT NULL,
	locked_until   timestamptz,
	created_at     timestamptz NOT NULL,
	updated_at     timestamptz NOT NULL
);

CREATE TABLE admin_sessions (
	id_hash    text        PRIMARY KEY,
	account_id text        NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	address    text        NOT NULL,
	device     text        NOT NULL,
	created_at timestamptz NOT NULL,
	seen_at    timestamptz NOT NULL,
	reauth_at  timestamptz
);
CREATE INDEX admin_sessions_account ON admin_sessions (account_id);

CREATE TABLE setup_tokens (
	hash       text        PRIMARY KEY,
	expires_at timestamptz NOT NULL
);

CREATE TABLE audit_log (
	seq          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at           timestamptz NOT NULL,
	account_id   text        NOT NULL,
	email        text        NOT NULL,
	address      text        NOT NULL,
	device       text        NOT NULL,
	action       text        NOT NULL,
	target       text        NOT NULL,
	before_state text        NOT NULL,
	after_state  text        NOT NULL
);
CREATE INDEX audit_log_target ON audit_log (target, seq);

-- Append-only: no row of the audit log is ever changed or removed.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
	FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
