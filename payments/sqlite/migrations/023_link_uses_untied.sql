-- 023_link_uses_untied: the held uses with no payment tied to them, by
-- the time they were counted, for the sweep that settles those no
-- payment's end will (payments.Links.SweepUses). Only checkouts being
-- made this instant and those few are in it.
CREATE INDEX payment_link_uses_untied ON payment_link_uses (at) WHERE payment_id IS NULL AND state = 'held';
