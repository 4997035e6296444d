package handlers

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/metrics"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// writeFailingMetric scrapes hpp_store_write_failing from the metrics of
// the store h at the clock now, as run wires them.
func writeFailingMetric(t *testing.T, h payments.WriteHealth, now func() time.Time) string {
	t.Helper()
	m := metrics.New(now, func() int { return 0 })
	m.WriteHealth(h)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for line := range strings.SplitSeq(rec.Body.String(), "\n") {
		if v, ok := strings.CutPrefix(line, "hpp_store_write_failing "); ok {
			return v
		}
	}
	t.Fatalf("no hpp_store_write_failing in %s", rec.Body)
	return ""
}

// checkMetricAgrees: the metric hpp_store_write_failing says 1 exactly
// when /readyz answered 503 for the write failure, by the same clock.
func checkMetricAgrees(t *testing.T, what string, h payments.WriteHealth, now func() time.Time, readyz int) {
	t.Helper()
	want := "0"
	if readyz == http.StatusServiceUnavailable {
		want = "1"
	}
	if got := writeFailingMetric(t, h, now); got != want {
		t.Errorf("%s: hpp_store_write_failing = %s while /readyz answers %d; want %s", what, got, readyz, want)
	}
}

// failedAt is a store whose last write failed at a set time.
type failedAt time.Time

func (f failedAt) LastWriteFailure() (payments.WriteFailure, bool) {
	return payments.WriteFailure{At: time.Time(f), Reason: "SQLite: the disk is full (SQLITE_FULL)"}, true
}

func (f failedAt) WriteFailureSeen() (payments.WriteFailure, bool) { return f.LastWriteFailure() }

// committedSince is a store whose write failed at a set time and which
// has committed a write since (LastWriteFailure says none is failing).
type committedSince time.Time

func (committedSince) LastWriteFailure() (payments.WriteFailure, bool) {
	return payments.WriteFailure{}, false
}

func (f committedSince) WriteFailureSeen() (payments.WriteFailure, bool) {
	return failedAt(f).LastWriteFailure()
}

// TestReadyzHoldsAFailureThoughAWriteCommitted: a write that commits after
// a failed one does not make /readyz ready within the hold, as it did
// (readiness read only LastWriteFailure, which a commit clears): on a
// full disk a write that changes rows in place commits while a payment's
// insert, needing another page, still fails, so with mixed traffic the
// instance flipped to ready while payments could not be created. After
// the hold it is ready again.
func TestReadyzHoldsAFailureThoughAWriteCommitted(t *testing.T) {
	for _, tc := range []struct {
		ago  time.Duration
		want int
	}{
		{time.Second, http.StatusServiceUnavailable},
		{WriteFailureHold - time.Second, http.StatusServiceUnavailable},
		{WriteFailureHold + time.Second, http.StatusOK},
	} {
		app := NewTestApp(t, TestAppOptions{Detached: true,
			Edit: func(env *paymentstest.Env, o *Options) {
				o.WriteHealth = committedSince(o.Now().Add(-tc.ago))
			}})
		rec := httptest.NewRecorder()
		app.H.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
		if rec.Code != tc.want {
			t.Errorf("readyz %v after a failed write, one committed since = %d %q, want %d", tc.ago, rec.Code, rec.Body.String(), tc.want)
		}
		// The metric follows the same rule: an alert on it does not
		// clear with each write that commits while readiness holds.
		checkMetricAgrees(t, fmt.Sprintf("%v after a failed write, one committed since", tc.ago),
			committedSince(app.Clock.Now().Add(-tc.ago)), app.Clock.Now, tc.want)
		if tc.want == http.StatusServiceUnavailable && (!strings.Contains(rec.Body.String(), "disk is full") ||
			!strings.Contains(rec.Body.String(), "writes have succeeded since")) {
			t.Errorf("readyz %v after a failed write, one committed since, says %q; want the reason, and that others succeed", tc.ago, rec.Body.String())
		}
	}
}

// TestReadyzHoldsAWriteFailureForAMinute: /readyz answers 503 within a
// minute of a failed write and 200 after it, so that an instance taken out
// of service (and so receiving no writes that could clear the failure)
// comes back once the disk may have been freed.
func TestReadyzHoldsAWriteFailureForAMinute(t *testing.T) {
	for _, tc := range []struct {
		ago  time.Duration
		want int
	}{
		{10 * time.Second, http.StatusServiceUnavailable},
		{WriteFailureHold - time.Second, http.StatusServiceUnavailable},
		{WriteFailureHold + time.Second, http.StatusOK},
		{time.Hour, http.StatusOK},
	} {
		app := NewTestApp(t, TestAppOptions{Detached: true,
			Edit: func(env *paymentstest.Env, o *Options) {
				o.WriteHealth = failedAt(o.Now().Add(-tc.ago))
			}})
		rec := httptest.NewRecorder()
		app.H.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
		if rec.Code != tc.want {
			t.Errorf("readyz %v after a failed write = %d %q, want %d", tc.ago, rec.Code, rec.Body.String(), tc.want)
		}
		checkMetricAgrees(t, fmt.Sprintf("%v after a failed write", tc.ago), failedAt(app.Clock.Now().Add(-tc.ago)), app.Clock.Now, tc.want)
		if tc.want == http.StatusServiceUnavailable && !strings.Contains(rec.Body.String(), "disk is full") {
			t.Errorf("readyz %v after a failed write says %q, want the reason", tc.ago, rec.Body.String())
		}
	}
}
