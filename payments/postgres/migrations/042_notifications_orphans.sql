-- 042_notifications_orphans: the back office's own index of the signed
-- notifications that matched no attempt (result 'orphan': Latipay reports
-- money for a payment this shop does not know, as after a restore). The
-- home page lists them on every view; without it each view would read
-- every callback ever recorded. Orphans are rare, so the index is small.
CREATE INDEX notifications_orphans ON notifications (id) WHERE result = 'orphan';
