//go:build shortsessions

package accounts

import "time"

// A test build's session limits (the shortsessions tag, for e2e's browser
// test of the warning before a session ends): the same rules in seconds.
// WarnBefore keeps the 20 seconds WCAG 2.2.1 asks for to answer.
const (
	IdleTimeout     = 60 * time.Second
	AbsoluteTimeout = 150 * time.Second
	WarnBefore      = 30 * time.Second
	touchEvery      = time.Second
)
