-- 035_removed_accounts: an account removed from the back office leaves
-- its name behind, so the sales it made still say who made them (the
-- reports, the payment list and page, the till's sales list, receipts).
-- Nothing signs in with a row here: it holds no password, no session and
-- no email uniqueness, so the address can be invited again. Accounts
-- removed before this migration are recovered from the audit log, which
-- kept their email (their name was not recorded then).
CREATE TABLE removed_accounts (
	id         text        PRIMARY KEY,
	email      text        NOT NULL,
	name       text        NOT NULL,
	role       text        NOT NULL,
	removed_at timestamptz NOT NULL
);

INSERT INTO removed_accounts (id, email, name, role, removed_at)
SELECT target, split_part(before_state, ' ', 1), '', split_part(before_state, ' ', 2), at
FROM audit_log
WHERE action = 'account.remove' AND target NOT IN (SELECT id FROM accounts)
ON CONFLICT (id) DO NOTHING;
