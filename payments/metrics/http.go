package metrics

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"
)

// outcomeKey carries a callback's *atomic.Bool "unknown" mark from
// Callbacks to the store decorator (store.RecordOrphan) through the
// request's context.
type outcomeKey struct{}

// markUnknown records, on a callback being counted, that it named a
// reference no attempt has.
func markUnknown(ctx context.Context) {
	if b, ok := ctx.Value(outcomeKey{}).(*atomic.Bool); ok {
		b.Store(true)
	}
}

// Callbacks wraps the app's handler so that POSTs to path (Latipay's
// callback endpoint) are counted by outcome, read from the status the
// handler answered with, and timed. A callback acknowledged without
// matching any attempt (kept as an orphan: the payment is not in this
// database, as after a restore) is counted as "unknown", not "accepted".
func (m *Metrics) Callbacks(path string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != path {
			next.ServeHTTP(w, r)
			return
		}
		began := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		unknown := new(atomic.Bool)
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), outcomeKey{}, unknown)))
		m.callbackTime.Observe(time.Since(began).Seconds())
		outcome := callbackOutcome(sw.status)
		if outcome == "accepted" && unknown.Load() {
			outcome = "unknown"
		}
		m.callbacks.WithLabelValues(outcome).Inc()
	})
}

// callbackOutcome maps the callback handler's answers (handlers/callback.go).
func callbackOutcome(status int) string {
	switch {
	case status == http.StatusOK:
		return "accepted"
	case status == http.StatusUnauthorized:
		return "bad_signature"
	case status == http.StatusTooManyRequests:
		return "limited"
	case status >= 400 && status < 500:
		return "malformed"
	}
	return "error"
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Flush passes flushes on (the callback handler flushes "sent").
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
