//go:build !shortsessions

package accounts

import "time"

// A back-office session's limits. A test build (the shortsessions tag,
// limits_short.go) has them in seconds, so that a browser test can watch
// a session warned of, kept and ended; a shipped build never has that
// tag (e2e TestShippedBuildTags).
const (
	IdleTimeout     = 30 * time.Minute // a session unused this long ends
	AbsoluteTimeout = 12 * time.Hour   // a session this old ends however used
	// WarnBefore is how long before its end a back-office page warns
	// that the session is ending (static/js/admin.js): time to read the
	// warning and press "Stay signed in", well above the 20 seconds WCAG
	// 2.2.1 (Timing Adjustable) asks for.
	WarnBefore = 2 * time.Minute
	// touchEvery spares a write per request: SeenAt moves at most this
	// often, so a session may end up to this much less than IdleTimeout
	// after its person's last request (Left counts from SeenAt, as
	// Authenticate does).
	touchEvery = time.Minute
)
