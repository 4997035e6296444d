package metrics

import (
	"net/http"
	"time"
)

// Callbacks wraps the app's handler so that POSTs to path (Latipay's
// callback endpoint) are counted by outcome, read from the status the
// handler answered with, and timed.
func (m *Metrics) Callbacks(path string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != path {
			next.ServeHTTP(w, r)
			return
		}
		began := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		m.callbackTime.Observe(time.Since(began).Seconds())
		m.callbacks.WithLabelValues(callbackOutcome(sw.status)).Inc()
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
