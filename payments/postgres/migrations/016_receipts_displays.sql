-- 016_receipts_displays: e-receipt tokens (package payments/receipts) and
-- the shopper-facing displays paired with counter devices (package
-- payments/displays). Tokens and codes are kept only as their SHA-256.
CREATE TABLE receipt_tokens (
	token_hash text        PRIMARY KEY,
	payment_id text        NOT NULL,
	created_at timestamptz NOT NULL
);

CREATE TABLE display_pairings (
	code_hash  text        PRIMARY KEY,
	device_id  text        NOT NULL UNIQUE, -- one live code per device
	expires_at timestamptz NOT NULL
);

CREATE TABLE displays (
	id         text        PRIMARY KEY,
	device_id  text        NOT NULL,
	token_hash text        NOT NULL UNIQUE,
	created_at timestamptz NOT NULL,
	revoked_at timestamptz
);
CREATE INDEX displays_device ON displays (device_id);
