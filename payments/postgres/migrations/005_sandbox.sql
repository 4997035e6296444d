-- 005_sandbox: sandbox mode only (and attempts.client, below). The in-process Latipay simulator's
-- ledger, one row per transaction (its merchant_reference and a JSON body
-- the simulator reads back), so a payment made before a crash can be
-- queried and refunded after it; and sandbox settings such as the demo
-- merchant API key generated on first start, so it stays the same while
-- the database does. Live mode never writes here.
CREATE TABLE sandbox_ledger (
	key  text PRIMARY KEY,
	body bytea NOT NULL
);

CREATE TABLE sandbox_settings (
	name  text PRIMARY KEY,
	value text NOT NULL
);

-- Who started each attempt (a hash of the shopper's address), so the
-- per-payment attempt limit is counted per client too.
ALTER TABLE attempts ADD COLUMN client text NOT NULL DEFAULT '';
