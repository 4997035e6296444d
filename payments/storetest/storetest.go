// Package storetest is the contract every payments.Store implementation
// must pass, so the SQLite, PostgreSQL and in-memory stores behave alike:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) payments.Store { return newTestDB(t) })
//	}
//
// The suite changes payments only through Store.Update and the exported
// payments.Tx mutators, as the service does. Notifications are read back
// only when the store also has a Notifications(ctx, reference) method; the
// other checks never depend on it.
//
// It owns the behaviour both engines promise, and the fixtures that
// measure them: the benchmarks' seeding and bodies (bench.go: BenchList,
// BenchReports, run by each engine's *_bench_test.go) and the growth
// rows the load harness seeds (growth.go, used by e2e/load).
//
// It imports payments, go-cmp and the standard library only, never an
// engine: the engines' tests import it. Where to change what:
// the list of checks is Run's table (storetest.go) and the back office's
// figures RunReports (report.go); a check lives in the file of its
// concern: create.go, update.go, claim.go (the reconciler's due
// attempts), notify.go, expired.go, refund.go, outbox.go (the webhook
// outbox and ListPayments, ListText), bulk.go; shared fixtures and
// must-helpers are storetest.go and must.go. A new Store method gets its
// checks here first; then both stores implement it.
package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/latipay-hpp/hpp/payments"
)

// Run runs the contract against stores made by newStore, which must return
// a new, empty store for every call and clean it up through t.
func Run(t *testing.T, newStore func(t *testing.T) payments.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s payments.Store)
	}{
		{"CreatePayment/RoundTrip", testCreateRoundTrip},
		{"CreatePayment/Idempotent", testCreateIdempotent},
		{"CreatePayment/DuplicateID", testCreateDuplicateID},
		{"CreatePayment/Concurrent", testCreateConcurrent},
		{"CreatePayments/Bulk", testCreatePayments},
		{"NotFound", testNotFound},
		{"Update/FnError", testUpdateFnError},
		{"Update/NoChange", testUpdateNoChange},
		{"Update/Changes", testUpdateChanges},
		{"Update/Attempts", testUpdateAttempts},
		{"Update/Events", testUpdateEvents},
		{"EventsOfType", testEventsOfType},
		{"Update/Notifications", testUpdateNotifications},
		{"Update/Concurrent", testUpdateConcurrent},
		{"RecordOrphan", testRecordOrphan},
		{"PaidOrphans", testPaidOrphans},
		{"FindPaidOrphans", testFindPaidOrphans},
		{"ClaimDueAttempts/Due", testClaimDue},
		{"ClaimDueAttempts/Limit", testClaimLimit},
		{"ClaimDueAttempts/Concurrent", testClaimConcurrent},
		{"ExpiredPayments", testExpired},
		{"Refunds/RoundTrip", testRefundsRoundTrip},
		{"Refunds/Serialized", testRefundsSerialized},
		{"ClaimDueRefunds", testClaimDueRefunds},
		{"Refunds/Misstated", testMisstatedRefunds},
		{"Refunds/Payment", testRefundPayment},
		{"Refunds/CorrectStatuses", testCorrectRefundStatuses},
		{"ListPayments", testListPayments},
		{"ListPayments/Filters", testListFilters},
		{"ListPayments/Text", testListText},
		{"Outbox/Order", testOutboxOrder},
		{"Outbox/Since", testOutboxSince},
		{"Outbox/Concurrent", testOutboxConcurrent},
		{"Outbox/Deliveries", testDeliveries},
		{"Outbox/EndpointSince", testEndpointSince},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newStore(t)) })
	}
}

// base is the suite's fixed instant: millisecond precision (the least a
// store must keep) in a zone other than UTC (stores return UTC).
func base() time.Time {
	return time.Date(2025, 3, 14, 9, 26, 53, 589_000_000, time.FixedZone("NZDT", 13*60*60))
}

// paymentID and reference make well-formed identifiers from n.
func paymentID(n int) string { return fmt.Sprintf("pay_%026d", n) }
func reference(n int) string { return fmt.Sprintf("%026d", n) }

// newPayment returns a payment with every field set.
func newPayment(n int) payments.Payment {
	t := base()
	return payments.Payment{
		ID: paymentID(n), Reference: fmt.Sprintf("order-%d", n), Amount: 1250 + int64(n),
		Currency: payments.NZD, Description: "Flat white ☕ — 咖啡 'x' \"y\"",
		Method: payments.MethodWeChat, Status: payments.StatusCreated, Source: "api",
		ReturnURL: "https://shop.example/return?o=1&x=%20", CancelURL: "https://shop.example/cart",
		LatipayReference: reference(n), LatipayOrderID: "2025031400012345", Attempts: 2,
		AmountCNY: "58.42", CurrencyRate: "4.673600", Refunded: 100, PaidLate: true,
		NeedsReview: true, Version: 1,
		CreatedAt: t, UpdatedAt: t.Add(time.Second), ExpiresAt: t.Add(15 * time.Minute),
		PaidAt: t.Add(2 * time.Second),
	}
}

// newAttempt returns an attempt of payment id with every field set.
func newAttempt(id string, n int, created time.Time) payments.Attempt {
	return payments.Attempt{
		Reference: reference(n), PaymentID: id, Method: payments.MethodAlipay, Hosted: true,
		Status: payments.AttemptPending, OrderID: fmt.Sprintf("order-at-latipay-%d", n),
		QRCodeURL: "https://qr.example/pay?id=" + reference(n), AmountCNY: "58.42", Rate: "4.6736",
		CreatedAt: created, NextCheckAt: created.Add(30 * time.Second), Checks: 3,
	}
}

// createdEvent is the event CreatePayment stores with p.
func createdEvent(p payments.Payment) payments.Event {
	return payments.Event{PaymentID: p.ID, Type: "payment.created", To: payments.StatusCreated,
		Detail: "12.50 NZD", Data: `{"amount":1250,"note":"☕ \"x\""}`, CreatedAt: p.CreatedAt}
}

// newNotification returns a notification about reference(n) with every field set.
func newNotification(n int, status string) payments.Notification {
	return payments.Notification{Reference: reference(n), Digest: fmt.Sprintf("digest-%d-%s", n, status),
		Status: status, Body: "merchant_reference=" + reference(n) + "&status=" + status + "&signature=ab12",
		Result: "applied", At: base().Add(time.Duration(len(status)) * time.Second)}
}

// notificationLister is the optional read-back of recorded notifications.
type notificationLister interface {
	Notifications(ctx context.Context, reference string) ([]payments.Notification, error)
}

// mustNotifications returns the notifications for ref, or ok == false when
// the store cannot list them.
func mustNotifications(t testing.TB, s payments.Store, ref string) (ns []payments.Notification, ok bool) {
	t.Helper()
	l, ok := s.(notificationLister)
	if !ok {
		t.Logf("%T has no Notifications(ctx, reference) method; not reading notifications back", s)
		return nil, false
	}
	ns, err := l.Notifications(t.Context(), ref)
	if err != nil {
		t.Fatalf("Notifications(%q): %v", ref, err)
	}
	return ns, true
}

// diff reports a difference between got and want; times compare with Equal.
func diff(t testing.TB, what string, got, want any) {
	t.Helper()
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}
