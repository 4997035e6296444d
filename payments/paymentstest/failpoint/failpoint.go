// Package failpoint stops the notification path at named steps, for the
// tests that crash the process there (e2e TestFailpointCrashMatrix) or
// pause it to force an interleaving (payments TestRace*). It owns the
// step names and two decorators, so that no production interface
// carries a hook: Store wraps a payments.Store, Handler wraps the app's
// http.Handler. A binary gets them only when built with -tags failpoints
// (WrapStore and WrapApp, failpoint_on.go); otherwise they change
// nothing.
//
// It may import payments and the standard library only, not testing: the
// failpoints build links it into the binary. Where to change what: the
// step names, and where each fires (Store's methods, Handler), are
// failpoint.go; what the binary installs with and without the tag,
// failpoint_on.go and failpoint_off.go.
package failpoint

import (
	"context"
	"net/http"

	"github.com/latipay-hpp/hpp/payments"
)

// The steps of a Latipay callback, in the order it passes them.
const (
	// NotifyVerified: the signature checked, nothing read or written yet
	// (the store's first call, NotificationTarget or NotificationSeen).
	NotifyVerified = "notify.verified"
	// NotifyBeforeCommit: the state change and the inbox row are recorded
	// in the transaction, which has not committed. (The store writes both
	// in one transaction, so a crash between its statements is the same
	// as a crash here.)
	NotifyBeforeCommit = "notify.before-commit"
	// NotifyCommitted: committed, the page's event not yet published.
	NotifyCommitted = "notify.committed"
	// NotifyBeforeSent: the service returned nil, the handler has not
	// answered "sent".
	NotifyBeforeSent = "notify.before-sent"
	// NotifyAfterSent: "sent" flushed to Latipay.
	NotifyAfterSent = "notify.after-sent"
)

// Store is a payments.Store that runs Hook at the store-side steps of a
// callback: NotifyVerified as the service first asks whether the
// notification was seen, NotifyBeforeCommit when an update has recorded a
// notification and is about to commit, NotifyCommitted when it has.
type Store struct {
	payments.Store
	Hook func(name string)
}

// NotificationSeen runs NotifyVerified, then asks the store.
func (s Store) NotificationSeen(ctx context.Context, reference, digest string) (bool, error) {
	s.Hook(NotifyVerified)
	return s.Store.NotificationSeen(ctx, reference, digest)
}

// Wrap is Store{store, hook} with the optional interfaces of store the
// service asks for (payments.Decorate): when store answers the duplicate
// check and finds the payment in one read (payments.NotificationTargeter)
// the service takes that path, and hook runs NotifyVerified there too.
func Wrap(store payments.Store, hook func(name string)) payments.Store {
	s := Store{Store: store, Hook: hook}
	if nt, ok := store.(payments.NotificationTargeter); ok {
		return payments.Decorate(targetStore{s, nt}, store)
	}
	return payments.Decorate(s, store)
}

// targetStore is a Store whose store has the one-read check.
type targetStore struct {
	Store
	nt payments.NotificationTargeter
}

// NotificationTarget runs NotifyVerified, then asks the store.
func (s targetStore) NotificationTarget(ctx context.Context, reference, digest string) (bool, string, error) {
	s.Hook(NotifyVerified)
	return s.nt.NotificationTarget(ctx, reference, digest)
}

// Update runs NotifyBeforeCommit at the end of a transaction that records
// a notification, and NotifyCommitted after it commits.
func (s Store) Update(ctx context.Context, paymentID string, fn func(tx *payments.Tx) error) (payments.Payment, error) {
	noted := false
	p, err := s.Store.Update(ctx, paymentID, func(tx *payments.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if noted = len(tx.NewNotifications()) > 0; noted {
			s.Hook(NotifyBeforeCommit)
		}
		return nil
	})
	if err == nil && noted {
		s.Hook(NotifyCommitted)
	}
	return p, err
}

// Handler runs hook around a successful answer to POST path (Latipay's
// callback): NotifyBeforeSent before the 200 is written, NotifyAfterSent
// once the handler has returned and the answer is flushed.
func Handler(h http.Handler, path string, hook func(name string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != path {
			h.ServeHTTP(w, r)
			return
		}
		sw := &sentWriter{ResponseWriter: w, hook: hook}
		h.ServeHTTP(sw, r)
		if sw.status == http.StatusOK {
			sw.Flush()
			hook(NotifyAfterSent)
		}
	})
}

// sentWriter runs NotifyBeforeSent before a 200's header is written.
type sentWriter struct {
	http.ResponseWriter
	hook   func(string)
	status int
}

func (w *sentWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
		if code == http.StatusOK {
			w.hook(NotifyBeforeSent)
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *sentWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *sentWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *sentWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
