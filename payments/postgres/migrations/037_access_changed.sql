-- 037_access_changed: when an account's way in last changed (its sessions
-- ended everywhere, its password or role changed, its access was reset).
-- A counter device the person unlocked before then is locked, and a
-- sign-in waiting for its two-step code from before then is refused.
-- NULL for an account whose access never changed.
ALTER TABLE accounts ADD COLUMN access_changed_at timestamptz;
