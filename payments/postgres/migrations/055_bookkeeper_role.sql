-- 055_bookkeeper_role: a third role, bookkeeper, who reads the books
-- (payments, reports, exports, the audit log) and changes nothing.
ALTER TABLE accounts DROP CONSTRAINT accounts_role_check;
ALTER TABLE accounts ADD CONSTRAINT accounts_role_check CHECK (role IN ('owner', 'cashier', 'bookkeeper'));
