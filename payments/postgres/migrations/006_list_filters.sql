-- 006_list_filters: the back office's payments list, newest first, with
-- filters by status, channel and method, and a search by Latipay's order
-- id. The list orders by created_at DESC NULLS LAST, id DESC (created_at
-- may be NULL here), an order payments_created (ascending) cannot give
-- without sorting every row; these indexes hold it exactly, so the first
-- page and a filtered page read only their own rows however many payments
-- there are. Currency has no index of its own: a shop takes one or two,
-- so the newest-first walk finds a page at once.
CREATE INDEX payments_list ON payments (created_at DESC NULLS LAST, id DESC);
CREATE INDEX payments_status_list ON payments (status, created_at DESC NULLS LAST, id DESC);
CREATE INDEX payments_source_list ON payments (source, created_at DESC NULLS LAST, id DESC);
CREATE INDEX payments_method_list ON payments (method, created_at DESC NULLS LAST, id DESC);
CREATE INDEX payments_order_id ON payments (latipay_order_id) WHERE latipay_order_id <> '';

-- The search box's free text (reference or description contains it,
-- ILIKE): a trigram index serves it when the pg_trgm extension (shipped
-- with PostgreSQL, "trusted" since 13) can be installed; without it the
-- search reads every payment (2 s at 1,000,000 on a loaded machine) and
-- still answers right. The extension goes to public, shared by every
-- schema of the database.
DO $$
BEGIN
	CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
EXCEPTION WHEN insufficient_privilege OR undefined_file OR unique_violation OR duplicate_object THEN
	RAISE NOTICE 'pg_trgm is not available: the free-text search reads every payment';
END $$;
DO $$
DECLARE
	ns text := (SELECT quote_ident(n.nspname) FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
		WHERE e.extname = 'pg_trgm');
BEGIN
	IF ns IS NOT NULL THEN
		EXECUTE format('CREATE INDEX payments_text ON payments USING gin (reference %1$s.gin_trgm_ops, description %1$s.gin_trgm_ops)', ns);
	END IF;
END $$;
