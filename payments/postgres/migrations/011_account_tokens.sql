-- 011_account_tokens: two-step sign-in's key awaiting confirmation, and
-- the one-time links of an account (an invitation, a reset of access, the
-- second step of a sign-in), kept as the SHA-256 of the token. An
-- account's links go with it.
ALTER TABLE accounts ADD COLUMN totp_pending text NOT NULL DEFAULT '';

CREATE TABLE account_tokens (
	hash       text        PRIMARY KEY,
	account_id text        NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	purpose    text        NOT NULL CHECK (purpose IN ('invite', 'signin')),
	expires_at timestamptz NOT NULL
);
CREATE INDEX account_tokens_account ON account_tokens (account_id, purpose);
CREATE INDEX audit_log_action ON audit_log (action, seq);
CREATE INDEX audit_log_account ON audit_log (account_id, seq);
