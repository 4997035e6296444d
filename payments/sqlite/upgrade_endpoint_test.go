package sqlite

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/webhook"
)

// receivedIDs serves a webhook endpoint that answers 204 and records the
// id of each event it receives.
func receivedIDs(t *testing.T) (url string, got func() []string) {
	var mu sync.Mutex
	var ids []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev struct{ ID string }
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Errorf("webhook body %q: %v", body, err)
		}
		mu.Lock()
		ids = append(ids, ev.ID)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Sorted(slices.Values(ids))
	}
}

// TestUpgradeSendsTheBacklog: a database of the version before 040 that
// had an endpoint and events it had not sent yet (no delivery at all:
// say the endpoint was added minutes before the upgrade), upgraded,
// sends them, as that version would have: the events of the last 72
// hours not yet delivered. One older than that is not sent, as it was
// not before; events of types never sent stay unsent.
func TestUpgradeSendsTheBacklog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hpp.db")
	db := mustOpen(t, path)
	start := testNow() // the first start of the new version
	var want []string
	for i, age := range []time.Duration{2 * time.Hour, 30 * time.Hour, 71 * time.Hour, 80 * time.Hour} {
		at := start.Add(-age)
		np := benchPayment(i + 1)
		np.CreatedAt, np.UpdatedAt, np.ExpiresAt = at, at, at.Add(15*time.Minute)
		p, _, err := db.CreatePayment(t.Context(), np, payments.Event{Type: "payment.created", To: payments.StatusCreated, CreatedAt: at},
			payments.Idempotency{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Update(t.Context(), p.ID, func(tx *payments.Tx) error {
			tx.Payment.Status, tx.Payment.Version = payments.StatusCanceled, tx.Payment.Version+1
			tx.AddEvent(payments.Event{Type: "payment.canceled", From: payments.StatusCreated, To: payments.StatusCanceled,
				CreatedAt: at.Add(time.Minute)})
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if age < 72*time.Hour {
			want = append(want, fmt.Sprintf("evt_%s_2", strings.TrimPrefix(p.ID, "pay_")))
		}
	}
	// As the version before 040 left it.
	if _, err := db.writer.Exec(`DROP TABLE webhook_endpoint; DROP INDEX counter_sales_account;
		DELETE FROM schema_migrations WHERE name IN ('040_webhook_endpoint.sql', '042_upgrade_endpoint_cashier.sql')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = mustOpen(t, path) // the upgrade: 040, then 042

	url, got := receivedIDs(t)
	w, err := webhook.New(db, webhook.Options{URL: url, Secrets: []string{"whsec_upgrade_0123456789abcdef0123"},
		Now: func() time.Time { return start }, Rand: rand.Reader, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := w.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(want)
	if !slices.Equal(got(), want) {
		t.Errorf("after the upgrade the endpoint received %v; want the backlog of the last 72 hours, %v", got(), want)
	}
	since, err := db.WebhookEndpointSince(t.Context(), payments.OutboxQuery{Now: start.Add(time.Hour)})
	if oldest := start.Add(-71 * time.Hour).Add(time.Minute); err != nil || !since.Equal(oldest) {
		t.Errorf("the endpoint's time after the upgrade is %v, %v; want the oldest event sent, %v", since, err, oldest)
	}
}

// TestNewDatabaseEndpointFromItsStart: on a database made by this
// version, 042 marks nothing: an endpoint gets only the events recorded
// from when the first worker with it started.
func TestNewDatabaseEndpointFromItsStart(t *testing.T) {
	db := mustOpen(t, filepath.Join(t.TempDir(), "hpp.db"))
	start := testNow()
	at := start.Add(-time.Hour)
	np := benchPayment(1)
	np.CreatedAt, np.UpdatedAt, np.ExpiresAt = at, at, at.Add(15*time.Minute)
	if _, _, err := db.CreatePayment(t.Context(), np, payments.Event{Type: "payment.pending", To: payments.StatusPending, CreatedAt: at},
		payments.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	since, err := db.WebhookEndpointSince(t.Context(), payments.OutboxQuery{Types: webhook.Types(), Since: start.Add(-72 * time.Hour), Now: start})
	if err != nil || !since.Equal(start) {
		t.Errorf("WebhookEndpointSince on a new database = %v, %v; want its first worker's start %v", since, err, start)
	}
}
