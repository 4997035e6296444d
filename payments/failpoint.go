package payments

// Failpoint names on the notification path (test plan H3 and 55), in the
// order a callback passes them. A build with the failpoints tag can stop
// the process at each one (FailpointsFromEnv); tests may block there to
// force an interleaving (Options.Failpoint).
const (
	// FailpointNotifyVerified: the signature checked, nothing read or
	// written yet.
	FailpointNotifyVerified = "notify.verified"
	// FailpointNotifyBeforeCommit: the state change and the inbox row are
	// recorded in the transaction, which has not committed. (The store
	// writes both in one transaction, so a crash between its statements is
	// the same as a crash here.)
	FailpointNotifyBeforeCommit = "notify.before-commit"
	// FailpointNotifyCommitted: committed, the page's event not yet
	// published.
	FailpointNotifyCommitted = "notify.committed"
	// FailpointNotifyBeforeSent: the service returned nil, the handler has
	// not answered "sent" (handlers/callback.go).
	FailpointNotifyBeforeSent = "notify.before-sent"
	// FailpointNotifyAfterSent: "sent" flushed to Latipay
	// (handlers/callback.go).
	FailpointNotifyAfterSent = "notify.after-sent"
)

// Failpoint runs the failpoint hook of Options, if any, at the named step.
// Production builds leave the hook nil, so this does nothing.
func (s *Service) Failpoint(name string) {
	if s.opts.Failpoint != nil {
		s.opts.Failpoint(name)
	}
}
