package postgres

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
	"github.com/latipay-hpp/hpp/payments/webhook"
)

// TestUpgradeSendsTheBacklog: a database of the version before 043 that
// had an endpoint and events it had not sent yet (no delivery at all:
// say the endpoint was added minutes before the upgrade), upgraded,
// sends them, as that version would have: the events of the last 72
// hours not yet delivered. One older than that is not sent, as it was
// not before.
func TestUpgradeSendsTheBacklog(t *testing.T) {
	u := pgtest.Schema(t)
	db := mustOpen(t, u)
	start := testNow() // the first start of the new version
	var want []string
	for i, age := range []time.Duration{2 * time.Hour, 30 * time.Hour, 71 * time.Hour, 80 * time.Hour} {
		at := start.Add(-age)
		p := payments.Payment{ID: fmt.Sprintf("pay_%026d", i+1), Reference: fmt.Sprintf("order-%d", i+1), Amount: 1250,
			Currency: payments.NZD, Status: payments.StatusCreated, Version: 1,
			CreatedAt: at, UpdatedAt: at, ExpiresAt: at.Add(15 * time.Minute)}
		if _, _, err := db.CreatePayment(t.Context(), p, payments.Event{Type: "payment.created", To: payments.StatusCreated, CreatedAt: at},
			payments.Idempotency{}); err != nil {
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
	// As the version before 043 left it.
	pgtest.Exec(t, u, `DROP TABLE webhook_endpoint; DROP INDEX counter_sales_account;
		DELETE FROM schema_migrations WHERE version IN (43, 45)`)
	db.Close()
	db = mustOpen(t, u) // the upgrade: 043, then 045

	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev struct{ ID string }
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Errorf("webhook body %q: %v", body, err)
		}
		mu.Lock()
		got = append(got, ev.ID)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	w, err := webhook.New(db, webhook.Options{URL: srv.URL, Secrets: []string{"whsec_upgrade_0123456789abcdef0123"},
		Now: func() time.Time { return start }, Rand: rand.Reader, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := w.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	slices.Sort(got)
	mu.Unlock()
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("after the upgrade the endpoint received %v; want the backlog of the last 72 hours, %v", got, want)
	}
	since, err := db.WebhookEndpointSince(t.Context(), payments.OutboxQuery{Now: start.Add(time.Hour)})
	if oldest := start.Add(-71 * time.Hour).Add(time.Minute); err != nil || !since.Equal(oldest) {
		t.Errorf("the endpoint's time after the upgrade is %v, %v; want the oldest event sent, %v", since, err, oldest)
	}
}
