-- 045_devices_voided: when an account's trusted devices were last voided
-- (its sessions ended everywhere, its password changed or was reset, its
-- access was reset). Unlike access_changed_at a new role leaves it: the
-- person stays signed in, and so does the browser's device. Until now
-- both moved together, so it starts as access_changed_at.
ALTER TABLE accounts ADD COLUMN devices_voided_at INTEGER;
UPDATE accounts SET devices_voided_at = access_changed_at;
