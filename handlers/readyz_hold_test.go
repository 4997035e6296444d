package handlers

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// failedAt is a store whose last write failed at a set time.
type failedAt time.Time

func (f failedAt) LastWriteFailure() (payments.WriteFailure, bool) {
	return payments.WriteFailure{At: time.Time(f), Reason: "SQLite: the disk is full (SQLITE_FULL)"}, true
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
		if tc.want == http.StatusServiceUnavailable && !strings.Contains(rec.Body.String(), "disk is full") {
			t.Errorf("readyz %v after a failed write says %q, want the reason", tc.ago, rec.Body.String())
		}
	}
}
