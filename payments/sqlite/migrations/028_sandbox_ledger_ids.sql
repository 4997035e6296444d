-- 028_sandbox_ledger_ids: sandbox mode only. The simulated Latipay reads
-- its ledger from sandbox_ledger at every call, and finds a transaction by
-- its order id (refunds) and nonce (its hosted page) as well as by its
-- merchant reference, so both get a column of their own, filled in from
-- the JSON body for the entries already there.
ALTER TABLE sandbox_ledger ADD COLUMN order_id TEXT;
ALTER TABLE sandbox_ledger ADD COLUMN nonce TEXT;
UPDATE sandbox_ledger SET order_id = json_extract(CAST(body AS TEXT), '$.order_id'),
	nonce = json_extract(CAST(body AS TEXT), '$.nonce');
CREATE UNIQUE INDEX sandbox_ledger_order_id ON sandbox_ledger (order_id);
CREATE UNIQUE INDEX sandbox_ledger_nonce ON sandbox_ledger (nonce);
