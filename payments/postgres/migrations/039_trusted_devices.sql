-- 039_trusted_devices: the browsers that have signed in to an account
-- (device cookies). A wrong password or code sent with a trusted
-- device's cookie counts against that device, not the account, so a
-- stranger's failures never lock the person out of their own browser.
-- The cookie's token is kept as its SHA-256 only; a device goes with its
-- account.
CREATE TABLE trusted_devices (
	hash           text        PRIMARY KEY,
	account_id     text        NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	created_at     timestamptz NOT NULL,
	seen_at        timestamptz NOT NULL,
	failed_signins integer     NOT NULL DEFAULT 0,
	locked_until   timestamptz
);
CREATE INDEX trusted_devices_account ON trusted_devices (account_id, seen_at);
