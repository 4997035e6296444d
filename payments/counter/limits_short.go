//go:build shortsessions

package counter

import "time"

// A test build's unlock (the shortsessions tag, for e2e's browser test of
// the till's warning before it locks): the same rule in seconds.
const (
	UnlockFor      = 90 * time.Second
	LockWarnBefore = 60 * time.Second
)
