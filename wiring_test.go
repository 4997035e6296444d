package main

import (
	"errors"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/latipay-hpp/hpp/config"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/hub"
	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
	"github.com/latipay-hpp/hpp/payments/storage"
)

// TestServiceStoreKeepsOptional: the stores run hands the payment
// service and the webhook worker (serviceStores), with metrics off and
// on, have every optional interface the service asks its store for that
// the engine's store has: the callback's duplicate check and payment in
// one read (payments.NotificationTargeter; without it each callback makes
// two reads, two round trips on PostgreSQL) and the search by a refund's
// id (payments.RefundFinder; without it the back office cannot find a
// payment by a pasted refund id). Both engines have both, and the one
// read answers through the wired store.
func TestServiceStoreKeepsOptional(t *testing.T) {
	optional := []struct {
		name string
		has  func(payments.Store) bool
	}{
		{"NotificationTargeter", func(s payments.Store) bool { _, ok := s.(payments.NotificationTargeter); return ok }},
		{"RefundFinder", func(s payments.Store) bool { _, ok := s.(payments.RefundFinder); return ok }},
	}
	engines := []struct {
		name     string
		database func(t *testing.T) string
	}{
		{"SQLite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "hpp.db") }},
		{"PostgreSQL", func(t *testing.T) string { return pgtest.Schema(t) }},
	}
	for _, e := range engines {
		for _, metricsAddr := range []string{"", "127.0.0.1:0"} {
			t.Run(e.name+"/metrics="+metricsAddr, func(t *testing.T) {
				h := hub.New()
				defer h.Close()
				st, err := storage.Open(t.Context(), e.database(t), "HPP_DATABASE", h, slog.New(slog.DiscardHandler))
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				p := &parts{store: st, hub: h}
				ps, svc := serviceStores(config.Config{Server: config.Server{MetricsAddr: metricsAddr}}, p, func(string) string { return "" })
				if (p.metrics != nil) != (metricsAddr != "") {
					t.Fatalf("metrics = %v with HPP_METRICS_ADDR %q", p.metrics, metricsAddr)
				}
				for _, o := range optional {
					if !o.has(st.Store) {
						t.Errorf("the %s store is not a %s", e.name, o.name)
						continue
					}
					if !o.has(ps) {
						t.Errorf("the webhook worker's store hides %s", o.name)
					}
					if !o.has(svc) {
						t.Errorf("the payment service's store hides %s", o.name)
					}
				}
				nt, ok := svc.(payments.NotificationTargeter)
				if !ok {
					return
				}
				seen, id, err := nt.NotificationTarget(t.Context(), "HPPNOSUCHREF", "digest")
				if err != nil || seen || id != "" {
					t.Errorf("NotificationTarget(unknown) = %v, %q, %v; want false, \"\", nil", seen, id, err)
				}
				rf, ok := svc.(payments.RefundFinder)
				if !ok {
					return
				}
				if _, err := rf.RefundPayment(t.Context(), "rf_missing"); !errors.Is(err, payments.ErrNotFound) {
					t.Errorf("RefundPayment(missing) error = %v, want ErrNotFound", err)
				}
			})
		}
	}
}
