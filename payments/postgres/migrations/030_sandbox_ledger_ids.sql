-- 030_sandbox_ledger_ids: sandbox mode only. The simulated Latipay reads
-- its ledger from sandbox_ledger at every call (instances sharing the
-- database share one simulated Latipay), and finds a transaction by its
-- order id (refunds) and nonce (its hosted page) as well as by its
-- merchant reference, so both get a column of their own, filled in from
-- the JSON body for the entries already there.
ALTER TABLE sandbox_ledger ADD COLUMN order_id text, ADD COLUMN nonce text;
UPDATE sandbox_ledger SET order_id = convert_from(body, 'UTF8')::jsonb ->> 'order_id',
	nonce = convert_from(body, 'UTF8')::jsonb ->> 'nonce';
CREATE UNIQUE INDEX sandbox_ledger_order_id ON sandbox_ledger (order_id);
CREATE UNIQUE INDEX sandbox_ledger_nonce ON sandbox_ledger (nonce);
