-- 015_counter: the shop counter (package payments/counter): paired
-- devices, pending pairing codes, cashiers' PINs and the side record of
-- each counter sale (which device, which cashier). Secrets are never
-- stored in clear: the device credential and pairing codes as their
-- SHA-256, PINs as argon2id hashes.
CREATE TABLE counter_devices (
	id             TEXT    PRIMARY KEY,
	name           TEXT    NOT NULL,
	token_hash     TEXT    NOT NULL UNIQUE,
	created_at     INTEGER NOT NULL,
	seen_at        INTEGER NOT NULL,
	revoked_at     INTEGER,
	cashier_id     TEXT    NOT NULL,
	unlocked_at    INTEGER,
	result_seconds INTEGER NOT NULL
);

CREATE TABLE counter_pairings (
	hash       TEXT    PRIMARY KEY,
	name       TEXT    NOT NULL,
	expires_at INTEGER NOT NULL
);

CREATE TABLE counter_pins (
	account_id TEXT    PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
	hash       TEXT    NOT NULL,
	failures   INTEGER NOT NULL,
	locked     INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);

CREATE TABLE counter_sales (
	payment_id TEXT    PRIMARY KEY,
	device_id  TEXT    NOT NULL REFERENCES counter_devices (id),
	account_id TEXT    NOT NULL,
	key        TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	UNIQUE (device_id, key)
);
CREATE INDEX counter_sales_device ON counter_sales (device_id, created_at);
