-- 007_list_filters: the back office's payments list filters by status,
-- channel and method, newest first, and finds a payment by Latipay's
-- order id. Each filter has an index in (filter, created_at, id) order, so
-- a filtered page reads only its own rows however many payments there are
-- (the unfiltered list has payments_created, the reference search
-- payments_reference). Currency has no index of its own: a shop takes one
-- or two, so the newest-first walk over payments_created finds a page at
-- once.
CREATE INDEX payments_status_created ON payments (status, created_at, id);
CREATE INDEX payments_source_created ON payments (source, created_at, id);
CREATE INDEX payments_method_created ON payments (method, created_at, id);
CREATE INDEX payments_order_id ON payments (latipay_order_id) WHERE latipay_order_id <> '';
