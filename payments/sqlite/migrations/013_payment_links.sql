-- 013_payment_links: payment links the owner stores in the back office
-- (payments.Link), including the shop's static counter QR. A use is
-- counted with one conditional UPDATE, so uses never pass max_uses.
CREATE TABLE payment_links (
	id           TEXT    PRIMARY KEY,
	source       TEXT    NOT NULL CHECK (source IN ('link', 'static_qr')),
	amount       INTEGER NOT NULL CHECK (amount >= 0),     -- 0: open amount
	min_amount   INTEGER NOT NULL CHECK (min_amount >= 0),
	max_amount   INTEGER NOT NULL CHECK (max_amount >= 0),
	currency     TEXT    NOT NULL,
	desc_en      TEXT    NOT NULL,
	desc_zh_hans TEXT    NOT NULL,
	desc_zh_hant TEXT    NOT NULL,
	expires_at   INTEGER,                                   -- NULL: never
	max_uses     INTEGER NOT NULL CHECK (max_uses >= 0),    -- 0: no limit
	uses         INTEGER NOT NULL CHECK (uses >= 0),
	active       INTEGER NOT NULL,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL
);
CREATE INDEX payment_links_newest ON payment_links (created_at DESC, id DESC);

-- One row per counted use, keyed by the shopper's form key, so a
-- repeated submission of the same form (a double tap) counts once.
CREATE TABLE payment_link_uses (
	link_id TEXT    NOT NULL REFERENCES payment_links (id),
	key     TEXT    NOT NULL,
	at      INTEGER NOT NULL,
	PRIMARY KEY (link_id, key)
);
