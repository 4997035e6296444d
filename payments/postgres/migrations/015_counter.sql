-- 015_counter: the shop counter (package payments/counter): paired
-- devices, pending pairing codes, cashiers' PINs and the side record of
-- each counter sale (which device, which cashier). Secrets are never
-- stored in clear: the device credential and pairing codes as their
-- SHA-256, PINs as argon2id hashes.
CREATE TABLE counter_devices (
	id             text        PRIMARY KEY,
	name           text        NOT NULL,
	token_hash     text        NOT NULL UNIQUE,
	created_at     timestamptz NOT NULL,
	seen_at        timestamptz NOT NULL,
	revoked_at     timestamptz,
	cashier_id     text        NOT NULL,
	unlocked_at    timestamptz,
	result_seconds integer     NOT NULL
);

CREATE TABLE counter_pairings (
	hash       text        PRIMARY KEY,
	name       text        NOT NULL,
	expires_at timestamptz NOT NULL
);

CREATE TABLE counter_pins (
	account_id text        PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
	hash       text        NOT NULL,
	failures   integer     NOT NULL,
	locked     boolean     NOT NULL,
	updated_at timestamptz NOT NULL
);

CREATE TABLE counter_sales (
	payment_id text        PRIMARY KEY,
	device_id  text        NOT NULL REFERENCES counter_devices (id),
	account_id text        NOT NULL,
	key        text        NOT NULL,
	created_at timestamptz NOT NULL,
	UNIQUE (device_id, key)
);
CREATE INDEX counter_sales_device ON counter_sales (device_id, created_at);
