package sqlite

import "context"

// The full-text indexes take new payments a batch at a time (migration
// 019): the insert trigger notes each new rowid in payments_unindexed,
// and every transaction that inserts payments (the group-commit writer's
// batch, CreatePayments) calls indexText just before it commits, so the
// indexes hold every committed payment, as with a trigger, but FTS5
// writes one segment per batch instead of one per payment.
const (
	indexTextTrigrams = `INSERT INTO payments_text (rowid, reference, description)
		SELECT p.rowid, p.reference, p.description FROM payments_unindexed u JOIN payments p ON p.rowid = u.id`
	indexTextWords = `INSERT INTO payments_words (rowid, reference, description)
		SELECT p.rowid, p.reference, p.description FROM payments_unindexed u JOIN payments p ON p.rowid = u.id`
	clearUnindexed = `DELETE FROM payments_unindexed`
)

// indexText moves the payments noted in payments_unindexed into both
// full-text indexes, in the caller's transaction.
func indexText(ctx context.Context, tx cached) error {
	for _, q := range []string{indexTextTrigrams, indexTextWords, clearUnindexed} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return wrap("index text", err)
		}
	}
	return nil
}
