package sqlite

// Test-only access for the external tests of this package
// (callback_test.go), which wire the real service and its callback
// endpoint through paymentstest.

// SetBeforeCommit makes h run before every group commit with the number
// of writes in the batch that wrote something (a batch of none commits
// nothing, and h does not run); an error from h fails the batch as a failed
// commit does: every write in it gets the error and nothing is kept. Set
// it before the writes it should see.
func SetBeforeCommit(db *DB, h func(n int) error) { db.hooks.beforeCommit = h }

// Waiting is the number of writes handed to the writer goroutine and not
// yet taken by it.
func Waiting(db *DB) int { return int(db.batch.waiting.Load()) }
