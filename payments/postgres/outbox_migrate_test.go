package postgres

import (
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
)

// TestMigrateWebhookEndpoint: 043 on a database that has delivered
// webhooks keeps sending its events as before (no time limit besides the
// retry window); on one that never had an endpoint, the first worker
// with one records its time, and its answer stays.
func TestMigrateWebhookEndpoint(t *testing.T) {
	for _, delivered := range []bool{true, false} {
		u := pgtest.Schema(t)
		db := mustOpen(t, u)
		now := testNow()
		p := payments.Payment{ID: "pay_00000000000000000000000001", Reference: "order-1", Amount: 1250,
			Currency: payments.NZD, Status: payments.StatusCreated, Version: 1,
			CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(15 * time.Minute)}
		if _, _, err := db.CreatePayment(t.Context(), p, payments.Event{Type: "payment.created", To: payments.StatusCreated, CreatedAt: now},
			payments.Idempotency{}); err != nil {
			t.Fatal(err)
		}
		if delivered {
			if err := db.RecordDelivery(t.Context(), payments.Delivery{ID: "whd_1", PaymentID: p.ID, Seq: 1, EventType: "payment.created",
				Attempt: 1, At: now, State: payments.DeliveryDelivered}); err != nil {
				t.Fatal(err)
			}
		}
		pgtest.Exec(t, u, `DROP TABLE webhook_endpoint; DELETE FROM schema_migrations WHERE version = 43`)
		db.Close()
		db = mustOpen(t, u) // applies 043
		later := now.Add(time.Hour).Truncate(time.Microsecond)
		got, err := db.WebhookEndpointSince(t.Context(), payments.OutboxQuery{Now: later})
		want := later
		if delivered {
			want = time.Time{}
		}
		if err != nil || !got.Equal(want) {
			t.Errorf("delivered before 043 %v: WebhookEndpointSince = %v, %v; want %v", delivered, got, err, want)
		}
		if again, err := db.WebhookEndpointSince(t.Context(), payments.OutboxQuery{Now: later.Add(time.Hour)}); err != nil || !again.Equal(want) {
			t.Errorf("delivered before 043 %v: asked again = %v, %v; want %v", delivered, again, err, want)
		}
	}
}
