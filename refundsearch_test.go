package main

import (
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/hub"
	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
	"github.com/latipay-hpp/hpp/payments/storage"
)

// TestBackOfficeFindsPaymentByRefundID: on SQLite and PostgreSQL, with
// metrics off and on, through the running app (run's wiring, the real
// router): an owner who pastes a refund's id (rf_…) into the back
// office's search, as it stands or in capitals with the spaces and quotes
// of a copied cell, finds the one payment the refund belongs to. Only the
// store's RefundFinder knows a refund's id: a wrapper of the store
// between the engine and the payment service that hid it (run wraps it
// for the metrics, and in a failpoints build) would leave the search
// empty, a text search of references and descriptions.
func TestBackOfficeFindsPaymentByRefundID(t *testing.T) {
	const ownerPW = "a long enough owner password"
	engines := []struct {
		name     string
		database func(t *testing.T) string
	}{
		{"SQLite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "hpp.db") }},
		{"PostgreSQL", func(t *testing.T) string { return pgtest.Schema(t) }},
	}
	for _, e := range engines {
		for _, metrics := range []bool{false, true} {
			name := e.name + "/metrics=off"
			if metrics {
				name = e.name + "/metrics=on"
			}
			t.Run(name, func(t *testing.T) {
				database := e.database(t)
				paid, other := seedRefunds(t, database)
				extra := map[string]string{}
				if metrics {
					extra["HPP_METRICS_ADDR"] = freeAddr(t)
				}
				base := startApp(t, database, ownerPW, extra)
				owner := newBrowser(t, base, "198.51.100.20")
				if status, _ := owner.signIn(ownerPW); status != http.StatusSeeOther {
					t.Fatalf("sign-in = %d", status)
				}
				for _, q := range []string{paid.refund, " \"" + strings.ToUpper(paid.refund) + "\", ", other.refund} {
					want := paid.payment
					if q == other.refund {
						want = other.payment
					}
					resp, body := owner.do(http.MethodGet, "/admin/payments?"+url.Values{"q": {q}}.Encode(), nil)
					if resp.StatusCode != http.StatusOK {
						t.Fatalf("search %q = %d", q, resp.StatusCode)
					}
					doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
					if err != nil {
						t.Fatal(err)
					}
					var found []string
					doc.Find(`[data-testid="payment-row"]`).Each(func(_ int, s *goquery.Selection) {
						id, _ := s.Attr("data-id")
						found = append(found, id)
					})
					if len(found) != 1 || found[0] != want {
						t.Errorf("search %q lists %v, want the refund's payment %s alone", q, found, want)
					}
				}
			})
		}
	}
}

// seeded is a payment and the id of one of its refunds.
type seeded struct{ payment, refund string }

// seedRefunds stores two paid payments with a refund each in database,
// through the engine's store, before the app opens it in sandbox mode
// (SQLite's file is one instance's at a time).
func seedRefunds(t *testing.T, database string) (a, b seeded) {
	t.Helper()
	h := hub.New()
	defer h.Close()
	st, err := storage.Open(t.Context(), database, "HPP_DATABASE", h, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// The sandbox's own mark, as its first start writes it: the app
	// then takes the payments for the sandbox's, not a live shop's.
	if _, err := st.Store.SandboxSetting(t.Context(), "HPP_SANDBOX_SINCE", time.Now().UTC().Format(time.RFC3339)); err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Microsecond)
	out := make([]seeded, 2)
	for i := range out {
		n := i + 1
		p := payments.Payment{ID: "pay_0000000000000000000000000" + string(rune('0'+n)), Reference: "ORDER-" + string(rune('0'+n)),
			Amount: 1250, Currency: payments.NZD, Description: "Flat white", Method: payments.MethodWeChat,
			Status: payments.StatusCreated, Source: "api", ReturnURL: "https://shop.example/thanks", Version: 1,
			CreatedAt: at, UpdatedAt: at, ExpiresAt: at.Add(15 * time.Minute)}
		if _, _, err := st.Store.CreatePayment(t.Context(), p, payments.Event{PaymentID: p.ID, Type: "payment.created",
			To: payments.StatusCreated, CreatedAt: at}, payments.Idempotency{}); err != nil {
			t.Fatal(err)
		}
		r := payments.Refund{ID: "rf_4k2m8q1v9x7s3d5f0h6j2n4p8" + string(rune('0'+n)), PaymentID: p.ID, Amount: 250,
			Currency: payments.NZD, Status: payments.RefundSucceeded, CreatedAt: at.Add(time.Minute), UpdatedAt: at.Add(time.Minute)}
		if _, err := st.Store.Update(t.Context(), p.ID, func(tx *payments.Tx) error {
			tx.Payment.Status, tx.Payment.PaidAt, tx.Payment.Refunded = payments.StatusPaid, at.Add(time.Second), 250
			tx.PutRefund(r)
			tx.Touch()
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		out[i] = seeded{p.ID, r.ID}
	}
	return out[0], out[1]
}

// freeAddr is a loopback address nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
