-- 036_trusted_devices: the browsers that have signed in to an account
-- (device cookies). A wrong password or code sent with a trusted
-- device's cookie counts against that device, not the account, so a
-- stranger's failures never lock the person out of their own browser.
-- The cookie's token is kept as its SHA-256 only; a device goes with its
-- account.
CREATE TABLE trusted_devices (
	hash           TEXT    PRIMARY KEY,
	account_id     TEXT    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	created_at     INTEGER NOT NULL,
	seen_at        INTEGER NOT NULL,
	failed_signins INTEGER NOT NULL DEFAULT 0,
	locked_until   INTEGER
);
CREATE INDEX trusted_devices_account ON trusted_devices (account_id, seen_at);
