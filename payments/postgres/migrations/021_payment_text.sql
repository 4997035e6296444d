-- 021_payment_text: the search box's text indexes move off payments.
--
-- A status change is never a HOT update (status is indexed), so every
-- write to a payment added an entry to every index of payments, the two
-- GIN ones (006's trigrams, 018's words) included: each paid callback
-- re-indexed the reference and description it had not changed (one
-- status UPDATE touched 340 buffers with them, 53 without, at 1,000,000
-- payments). The searched text now lives in payment_text, one row per
-- payment, written by the triggers below when a payment is inserted and
-- when an update changes its reference or description (never, today),
-- so a state change writes no text index entry. ListPayments joins it.
--
-- Triggers, not the store's statements: an instance of the previous
-- release still running during an upgrade inserts payments too, and its
-- rows must be searchable. The writes on payments wait for this
-- migration (its first statement locks them out, reads go on), so no
-- payment is missed between the copy and the triggers.
LOCK TABLE payments IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE payment_text (
	payment_id  text PRIMARY KEY,
	reference   text NOT NULL,
	description text NOT NULL
);

-- The function names its table with the schema it was made in, so it
-- writes there whatever the session's search_path.
DO $do$
BEGIN
	EXECUTE format($f$
		CREATE FUNCTION %1$I.payment_text_write() RETURNS trigger LANGUAGE plpgsql AS $b$
		BEGIN
			INSERT INTO %1$I.payment_text (payment_id, reference, description)
			VALUES (NEW.id, NEW.reference, NEW.description)
			ON CONFLICT (payment_id) DO UPDATE SET reference = excluded.reference, description = excluded.description;
			RETURN NULL;
		END $b$$f$, current_schema());
END $do$;

CREATE TRIGGER payments_text_insert AFTER INSERT ON payments
	FOR EACH ROW EXECUTE FUNCTION payment_text_write();
CREATE TRIGGER payments_text_update AFTER UPDATE OF reference, description ON payments
	FOR EACH ROW WHEN (OLD.reference IS DISTINCT FROM NEW.reference OR OLD.description IS DISTINCT FROM NEW.description)
	EXECUTE FUNCTION payment_text_write();

INSERT INTO payment_text (payment_id, reference, description)
	SELECT id, reference, description FROM payments;

-- The same indexes as on payments, with 019's pending list.
CREATE INDEX payment_text_words ON payment_text
	USING gin (regexp_split_to_array(lower(reference || ' ' || description), '[^a-z0-9]+'))
	WITH (fastupdate = on, gin_pending_list_limit = 64);
DO $$
DECLARE
	ns text := (SELECT quote_ident(n.nspname) FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
		WHERE e.extname = 'pg_trgm');
BEGIN
	IF ns IS NOT NULL THEN
		EXECUTE format('CREATE INDEX payment_text_trgm ON payment_text USING gin (reference %1$s.gin_trgm_ops, description %1$s.gin_trgm_ops) WITH (fastupdate = on, gin_pending_list_limit = 64)', ns);
	END IF;
END $$;

DROP INDEX IF EXISTS payments_text;
DROP INDEX payments_words;
ANALYZE payment_text;
