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
