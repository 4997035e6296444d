//go:build !shortsessions

package counter

import "time"

// How long an unlock lasts. A test build (the shortsessions tag,
// limits_short.go) has it in seconds, so that a browser test can watch
// the till warn and lock; a shipped build never has that tag (e2e
// TestShippedBuildTags).
const (
	// UnlockFor: an unlocked device locks itself after a shift, however
	// used (a till has no idle end: it may wait long between sales).
	UnlockFor = 12 * time.Hour
	// LockWarnBefore is how long before UnlockFor ends the keypad warns
	// that the till is about to lock (static/js/counter.js): time to
	// finish the sale at hand, and to lock and unlock again between
	// sales to go on without a break.
	LockWarnBefore = 10 * time.Minute
)
