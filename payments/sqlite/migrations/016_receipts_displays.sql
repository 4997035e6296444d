-- 016_receipts_displays: e-receipt tokens (package payments/receipts) and
-- the shopper-facing displays paired with counter devices (package
-- payments/displays). Tokens and codes are kept only as their SHA-256.
CREATE TABLE receipt_tokens (
	token_hash TEXT    PRIMARY KEY,
	payment_id TEXT    NOT NULL,
	created_at INTEGER NOT NULL
);

CREATE TABLE display_pairings (
	code_hash  TEXT    PRIMARY KEY,
	device_id  TEXT    NOT NULL UNIQUE, -- one live code per device
	expires_at INTEGER NOT NULL
);

CREATE TABLE displays (
	id         TEXT    PRIMARY KEY,
	device_id  TEXT    NOT NULL,
	token_hash TEXT    NOT NULL UNIQUE,
	created_at INTEGER NOT NULL,
	revoked_at INTEGER
);
CREATE INDEX displays_device ON displays (device_id);
