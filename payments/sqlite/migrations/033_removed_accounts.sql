-- 033_removed_accounts: an account removed from the back office leaves
-- its name behind, so the sales it made still say who made them (the
-- reports, the payment list and page, the till's sales list, receipts).
-- Nothing signs in with a row here: it holds no password, no session and
-- no email uniqueness, so the address can be invited again. Accounts
-- removed before this migration are recovered from the audit log, which
-- kept their email (their name was not recorded then).
CREATE TABLE removed_accounts (
	id         TEXT    PRIMARY KEY,
	email      TEXT    NOT NULL,
	name       TEXT    NOT NULL,
	role       TEXT    NOT NULL,
	removed_at INTEGER NOT NULL
);

INSERT OR IGNORE INTO removed_accounts (id, email, name, role, removed_at)
SELECT target,
	CASE WHEN instr(before_state, ' ') > 0 THEN substr(before_state, 1, instr(before_state, ' ') - 1) ELSE before_state END,
	'',
	CASE WHEN instr(before_state, ' ') > 0 THEN substr(before_state, instr(before_state, ' ') + 1) ELSE '' END,
	at
FROM audit_log
WHERE action = 'account.remove' AND target NOT IN (SELECT id FROM accounts)
ORDER BY seq;
