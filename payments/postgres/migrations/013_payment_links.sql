-- 013_payment_links: payment links the owner stores in the back office
-- (payments.Link), including the shop's static counter QR. A use is
-- counted with one conditional UPDATE, so uses never pass max_uses.
CREATE TABLE payment_links (
	id           text        PRIMARY KEY,
	source       text        NOT NULL CHECK (source IN ('link', 'static_qr')),
	amount       bigint      NOT NULL CHECK (amount >= 0),  -- 0: open amount
	min_amount   bigint      NOT NULL CHECK (min_amount >= 0),
	max_amount   bigint      NOT NULL CHECK (max_amount >= 0),
	currency     text        NOT NULL,
	desc_en      text        NOT NULL,
	desc_zh_hans text        NOT NULL,
	desc_zh_hant text        NOT NULL,
	expires_at   timestamptz,                               -- NULL: never
	max_uses     integer     NOT NULL CHECK (max_uses >= 0), -- 0: no limit
	uses         integer     NOT NULL CHECK (uses >= 0),
	active       boolean     NOT NULL,
	created_at   timestamptz NOT NULL,
	updated_at   timestamptz NOT NULL
);
CREATE INDEX payment_links_newest ON payment_links (created_at DESC, id DESC);

-- One row per counted use, keyed by the shopper's form key, so a
-- repeated submission of the same form (a double tap) counts once.
CREATE TABLE payment_link_uses (
	link_id text        NOT NULL REFERENCES payment_links (id),
	key     text        NOT NULL,
	at      timestamptz NOT NULL,
	PRIMARY KEY (link_id, key)
);
