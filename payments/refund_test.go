package payments_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// newPaid returns an env and a payment of 12.50 NZD paid through the
// simulator.
func newPaid(t *testing.T) (*paymentstest.Env, payments.Payment) {
	t.Helper()
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	p, st := env.MustStartQR(t, "ORDER-REFUND")
	if err := env.Sim.Pay(st.Attempt.Reference); err != nil {
		t.Fatalf("Pay: %v", err)
	}
	return env, env.WaitStatus(t, p.ID, payments.StatusPaid)
}

func refund(env *paymentstest.Env, id, amount, key string) (payments.Refund, bool, error) {
	return env.Svc.Refund(context.Background(), payments.RefundInput{PaymentID: id, Amount: amount, Key: key, Reason: "customer asked"})
}

// refundAll refunds everything left of payment id.
func refundAll(env *paymentstest.Env, id, key string) (payments.Refund, bool, error) {
	return env.Svc.Refund(context.Background(), payments.RefundInput{PaymentID: id, All: true, Key: key, Reason: "customer asked"})
}

func TestRefundFull(t *testing.T) {
	env, p := newPaid(t)
	r, replayed, err := refundAll(env, p.ID, "")
	if err != nil || replayed || r.Status != payments.RefundSucceeded || r.Amount != 1250 || r.Currency != payments.NZD {
		t.Fatalf("Refund(all) = %+v, %v, %v; want 12.50 NZD succeeded", r, replayed, err)
	}
	got := env.MustGet(t, p.ID)
	if got.Status != payments.StatusRefunded || got.Refunded != 1250 {
		t.Errorf("payment = %s, refunded %d; want refunded 1250", got.Status, got.Refunded)
	}
	evs := env.MustEvents(t, p.ID)
	for _, typ := range []string{"refund.requested", "refund.succeeded", "payment.refunded"} {
		if paymentstest.CountEvents(evs, typ) != 1 {
			t.Errorf("events have %d %s, want 1", paymentstest.CountEvents(evs, typ), typ)
		}
	}
	if _, _, err := refund(env, p.ID, "0.01", ""); !errors.Is(err, payments.ErrRefundTooLarge) {
		t.Errorf("Refund after a full refund = %v, want ErrRefundTooLarge", err)
	}
}

func TestRefundPartial(t *testing.T) {
	env, p := newPaid(t)
	if r, _, err := refund(env, p.ID, "5.00", ""); err != nil || r.Amount != 500 {
		t.Fatalf("Refund(5.00) = %+v, %v", r, err)
	}
	if got := env.MustGet(t, p.ID); got.Status != payments.StatusPartiallyRefunded || got.Refunded != 500 {
		t.Errorf("after 5.00: %s, refunded %d; want partially_refunded 500", got.Status, got.Refunded)
	}
	if _, _, err := refund(env, p.ID, "7.51", ""); !errors.Is(err, payments.ErrRefundTooLarge) {
		t.Errorf("Refund(7.51) of 7.50 left = %v, want ErrRefundTooLarge", err)
	}
	if r, _, err := refundAll(env, p.ID, ""); err != nil || r.Amount != 750 {
		t.Fatalf("Refund(rest) = %+v, %v; want 7.50", r, err)
	}
	if got := env.MustGet(t, p.ID); got.Status != payments.StatusRefunded || got.Refunded != 1250 {
		t.Errorf("after the rest: %s, refunded %d; want refunded 1250", got.Status, got.Refunded)
	}
}

func TestRefundRefused(t *testing.T) {
	env, p := newPaid(t)
	for _, amount := range []string{"12.51", "100.00"} {
		if _, _, err := refund(env, p.ID, amount, ""); !errors.Is(err, payments.ErrRefundTooLarge) {
			t.Errorf("Refund(%s) of 12.50 = %v, want ErrRefundTooLarge", amount, err)
		}
	}
	// "" is no amount, never everything: that takes All.
	for _, amount := range []string{"", "0", "-1.00", "1.001", "abc"} {
		if _, _, err := refund(env, p.ID, amount, ""); !errors.Is(err, payments.ErrInvalid) {
			t.Errorf("Refund(%q) = %v, want ErrInvalid", amount, err)
		}
	}
	if got := env.MustGet(t, p.ID); got.Status != payments.StatusPaid || got.Refunded != 0 {
		t.Errorf("payment = %s, refunded %d; want untouched", got.Status, got.Refunded)
	}
	if _, _, err := env.Svc.Refund(t.Context(), payments.RefundInput{PaymentID: p.ID, Amount: "1.00", All: true}); !errors.Is(err, payments.ErrInvalid) {
		t.Errorf("Refund(1.00 and all) = %v, want ErrInvalid", err)
	}
	unpaid := env.MustCreate(t, paymentstest.Input("ORDER-UNPAID"))
	var np *payments.NotPaidError
	if _, _, err := refundAll(env, unpaid.ID, ""); !errors.Is(err, payments.ErrNotRefundable) || !errors.As(err, &np) || np.Status != payments.StatusCreated {
		t.Errorf("Refund(unpaid) = %v, want a NotPaidError (ErrNotRefundable) saying created", err)
	}
	if _, _, err := refundAll(env, "pay_nope", ""); !errors.Is(err, payments.ErrNotFound) {
		t.Errorf("Refund(unknown) = %v, want ErrNotFound", err)
	}
}

func TestRefundIdempotent(t *testing.T) {
	env, p := newPaid(t)
	first, replayed, err := refund(env, p.ID, "5.00", "key-1")
	if err != nil || replayed {
		t.Fatalf("first Refund = %+v, %v, %v", first, replayed, err)
	}
	again, replayed, err := refund(env, p.ID, "5.00", "key-1")
	if err != nil || !replayed || again.ID != first.ID || again.Status != payments.RefundSucceeded {
		t.Errorf("repeated Refund = %+v, %v, %v; want %s replayed", again, replayed, err, first.ID)
	}
	if got := env.MustGet(t, p.ID); got.Refunded != 500 {
		t.Errorf("refunded %d after a repeat, want 500", got.Refunded)
	}
	if _, _, err := refund(env, p.ID, "6.00", "key-1"); !errors.Is(err, payments.ErrIdempotencyReuse) {
		t.Errorf("Refund with the key and another amount = %v, want ErrIdempotencyReuse", err)
	}
	if r, _, err := refund(env, p.ID, "5.00", "key-2"); err != nil || r.ID == first.ID {
		t.Errorf("Refund with another key = %+v, %v; want a new refund", r, err)
	}
}

// TestRefundUnknownOutcome: Latipay refunds but its answer is lost; the
// refund stays pending with its amount held, and the repeat with the same
// key asks Latipay again under the same reference (562: already done)
// and records success, never refunding twice.
func TestRefundUnknownOutcome(t *testing.T) {
	env, p := newPaid(t)
	env.Sim.SetFaults(latipaysim.Faults{MalformedJSON: true})
	r, _, err := refund(env, p.ID, "5.00", "key-lost")
	if err != nil || r.Status != payments.RefundPending {
		t.Fatalf("Refund with a lost answer = %+v, %v; want pending, no error", r, err)
	}
	if _, _, err := refund(env, p.ID, "7.51", ""); !errors.Is(err, payments.ErrRefundTooLarge) {
		t.Errorf("a pending refund's amount is not held: %v", err)
	}
	env.Sim.SetFaults(latipaysim.Faults{})
	again, replayed, err := refund(env, p.ID, "5.00", "key-lost")
	if err != nil || !replayed || again.ID != r.ID || again.Status != payments.RefundSucceeded {
		t.Fatalf("repeat = %+v, %v, %v; want %s succeeded", again, replayed, err, r.ID)
	}
	if got := env.MustGet(t, p.ID); got.Status != payments.StatusPartiallyRefunded || got.Refunded != 500 {
		t.Errorf("payment = %s, refunded %d; want partially_refunded 500", got.Status, got.Refunded)
	}
}

// TestRefundGatewayCodes: each of Latipay's refund codes comes back as a
// RefundError naming the code, the held amount is released, and a repeat
// with the same key gives the same answer without asking Latipay again.
func TestRefundGatewayCodes(t *testing.T) {
	env, p := newPaid(t)
	for _, code := range []int{550, 551, 556, 558, 559, 1, 206} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			env.Sim.SetFaults(latipaysim.Faults{RefundCode: code})
			key := fmt.Sprint("key-", code)
			r, _, err := refund(env, p.ID, "5.00", key)
			var re *payments.RefundError
			if !errors.As(err, &re) || re.Code != code || !errors.Is(err, payments.ErrRefundRejected) || r.Status != payments.RefundFailed {
				t.Fatalf("Refund = %+v, %v; want a RefundError with code %d", r, err, code)
			}
			if want := fmt.Sprintf("code %d: ", code); len(re.Message) <= len(want) || re.Message[:len(want)] != want {
				t.Errorf("message %q, want it to start %q and explain", re.Message, want)
			}
			env.Sim.SetFaults(latipaysim.Faults{})
			if _, replayed, err := refund(env, p.ID, "5.00", key); !errors.As(err, &re) || re.Code != code || !replayed {
				t.Errorf("repeat = %v, %v; want the same refusal replayed", err, replayed)
			}
			if got := env.MustGet(t, p.ID); got.Status != payments.StatusPaid || got.Refunded != 0 {
				t.Errorf("payment = %s, refunded %d; want paid, 0", got.Status, got.Refunded)
			}
		})
	}
}

// TestRefund562IsDone: Latipay answers 562 "refund request already done"
// to a repeat of the same order, reference and amount. Each refund's
// reference is its own id, so 562 means this very refund was made on a
// try whose answer was lost: it is recorded as succeeded, not refused.
func TestRefund562IsDone(t *testing.T) {
	env, p := newPaid(t)
	env.Sim.SetFaults(latipaysim.Faults{RefundCode: 562})
	r, _, err := refund(env, p.ID, "5.00", "")
	if err != nil || r.Status != payments.RefundSucceeded {
		t.Fatalf("Refund answered 562 = %+v, %v; want succeeded", r, err)
	}
	if got := env.MustGet(t, p.ID); got.Status != payments.StatusPartiallyRefunded || got.Refunded != 500 {
		t.Errorf("payment = %s, refunded %d; want partially_refunded 500", got.Status, got.Refunded)
	}
}

func TestCancel(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	p, st := env.MustStartQR(t, "ORDER-CANCEL")
	got, err := env.Svc.Cancel(context.Background(), p.ID)
	if err != nil || got.Status != payments.StatusCanceled {
		t.Fatalf("Cancel = %s, %v; want canceled", got.Status, err)
	}
	if a, err := env.Store.Attempt(context.Background(), st.Attempt.Reference); err != nil || a.NextCheckAt.After(env.Clock.Now()) {
		t.Errorf("live attempt %+v, %v; want it due now for the reconciler to cancel", a, err)
	}
	again, err := env.Svc.Cancel(context.Background(), p.ID)
	if err != nil || again.Version != got.Version {
		t.Errorf("second Cancel = v%d, %v; want a no-op", again.Version, err)
	}
	if by, err := env.Svc.CanceledBy(context.Background(), p.ID); err != nil || by != payments.CanceledByMerchant {
		t.Errorf("CanceledBy after Cancel = %q, %v; want the merchant", by, err)
	}
	// The shopper's cancel says so; a second cancel by anyone keeps the first.
	in := paymentstest.Input("ORDER-CANCEL-2")
	in.CancelURL = "https://shop.example.com/cart"
	s := env.MustCreate(t, in)
	if _, err := env.Svc.CancelByShopper(context.Background(), s.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Svc.Cancel(context.Background(), s.ID); err != nil {
		t.Fatal(err)
	}
	if by, err := env.Svc.CanceledBy(context.Background(), s.ID); err != nil || by != payments.CanceledByShopper {
		t.Errorf("CanceledBy after CancelByShopper = %q, %v; want the shopper", by, err)
	}
	open := env.MustCreate(t, paymentstest.Input("ORDER-OPEN"))
	if by, err := env.Svc.CanceledBy(context.Background(), open.ID); err != nil || by != "" {
		t.Errorf("CanceledBy(open payment) = %q, %v; want none", by, err)
	}
	env2, q := newPaid(t)
	if _, err := env2.Svc.Cancel(context.Background(), q.ID); !errors.Is(err, payments.ErrNotCancelable) {
		t.Errorf("Cancel(paid) = %v, want ErrNotCancelable", err)
	}
}

func TestList(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	var ids []string
	for i := range 5 {
		p := env.MustCreate(t, paymentstest.Input(fmt.Sprint("ORDER-", i%2)))
		ids = append([]string{p.ID}, ids...) // newest first
		env.Clock.Advance(time.Second)
	}
	var got []string
	cursor := ""
	for range 5 {
		page, err := env.Svc.List(context.Background(), payments.ListInput{Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		for _, p := range page.Payments {
			got = append(got, p.ID)
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(ids) {
		t.Errorf("paged = %v, want %v", got, ids)
	}
	page, err := env.Svc.List(context.Background(), payments.ListInput{Reference: "ORDER-1", Status: "created"})
	if err != nil || len(page.Payments) != 2 || page.Next != "" {
		t.Errorf("List(ORDER-1) = %d payments, next %q, %v; want 2, no next", len(page.Payments), page.Next, err)
	}
	for _, in := range []payments.ListInput{{Status: "nope"}, {Limit: 101}, {Limit: -1}, {Cursor: "x"}, {Cursor: "MTIz"}} {
		if _, err := env.Svc.List(context.Background(), in); !errors.Is(err, payments.ErrInvalid) {
			t.Errorf("List(%+v) = %v, want ErrInvalid", in, err)
		}
	}
}

// TestForgedOrderIDNeverRefunded: in the Latipay-hosted flow the shopper's
// browser receives, in the return redirect, a signature over the same five
// fields as the callback. A shopper who posts those fields to the callback
// before Latipay does, with the order id of someone else's payment, must
// not choose the order a later refund is sent for: the order id comes from
// Latipay itself, and the refund leaves for the shopper's own order.
func TestForgedOrderIDNeverRefunded(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	ctx := context.Background()

	// Someone else's payment, paid through our own QR: its order id is in
	// Latipay's signed QR data.
	other := env.MustCreate(t, paymentstest.Input("ORDER-OTHER"))
	ost := env.MustStart(t, other.ID, payments.MethodWeChat, payments.DeviceDesktop)
	if err := env.Sim.Pay(ost.Attempt.Reference); err != nil {
		t.Fatal(err)
	}
	other = env.WaitStatus(t, other.ID, payments.StatusPaid)
	otherTx, _ := env.Sim.Transaction(ost.Attempt.Reference)

	// The shopper's own payment, Alipay on a phone: Latipay's page.
	mine := env.MustCreate(t, paymentstest.Input("ORDER-MINE"))
	st := env.MustStart(t, mine.ID, payments.MethodAlipay, payments.DevicePhone)
	if !st.Attempt.Hosted {
		t.Fatalf("attempt %+v is not hosted", st.Attempt)
	}
	env.Sim.SetFaults(latipaysim.Faults{DropCallbacks: true}) // the shopper is faster than Latipay
	if err := env.Sim.Pay(st.Attempt.Reference); err != nil {
		t.Fatal(err)
	}
	forged := paymentstest.Notification(st.Attempt.Reference, "alipay", "paid", "NZD", "12.50")
	forged.Set("order_id", otherTx.OrderID)
	if err := env.Svc.HandleNotification(ctx, forged); err != nil {
		t.Fatalf("HandleNotification(signed fields, forged order_id) = %v", err)
	}
	got := env.WaitStatus(t, mine.ID, payments.StatusPaid)
	if got.LatipayOrderID == otherTx.OrderID {
		t.Fatalf("stored the order id %s the shopper chose", got.LatipayOrderID)
	}
	for _, a := range mustAttempts(t, env, mine.ID) {
		if a.OrderID == otherTx.OrderID {
			t.Fatalf("attempt %s stored the order id the shopper chose", a.Reference)
		}
	}

	if _, _, err := refund(env, mine.ID, "1.00", ""); err != nil {
		t.Fatalf("Refund: %v", err)
	}
	mineTx, _ := env.Sim.Transaction(st.Attempt.Reference)
	if otherTx, _ = env.Sim.Transaction(ost.Attempt.Reference); otherTx.Refunded != "0.00" {
		t.Errorf("Latipay refunded %s of the other payment's order", otherTx.Refunded)
	}
	if mineTx.Refunded != "1.00" {
		t.Errorf("Latipay refunded %s of the shopper's own order, want 1.00", mineTx.Refunded)
	}
	if got = env.MustGet(t, mine.ID); got.LatipayOrderID != mineTx.OrderID {
		t.Errorf("stored order id %q, want Latipay's %q (from its query answer)", got.LatipayOrderID, mineTx.OrderID)
	}
}

func mustAttempts(t *testing.T, env *paymentstest.Env, id string) []payments.Attempt {
	t.Helper()
	as, err := env.Svc.Attempts(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return as
}

// TestRefundNeedsLatipaysOrderID: a payment marked paid here whose order
// Latipay does not report as paid (its query says pending) gets no order
// id, so its refund is never sent: it fails at once, nothing is held, and
// Latipay's ledger shows no refund.
func TestRefundNeedsLatipaysOrderID(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	p := env.MustCreate(t, paymentstest.Input("ORDER-HOSTED"))
	st := env.MustStart(t, p.ID, payments.MethodAlipay, payments.DevicePhone)
	form := paymentstest.Notification(st.Attempt.Reference, "alipay", "paid", "NZD", "12.50")
	if err := env.Svc.HandleNotification(context.Background(), form); err != nil {
		t.Fatal(err)
	}
	env.WaitStatus(t, p.ID, payments.StatusPaid)
	r, _, err := refund(env, p.ID, "1.00", "")
	if !errors.Is(err, payments.ErrNotRefundable) || r.Status != payments.RefundFailed {
		t.Fatalf("Refund = %+v, %v; want failed, ErrNotRefundable", r, err)
	}
	if got := env.MustGet(t, p.ID); got.Refunded != 0 || got.LatipayOrderID != "" {
		t.Errorf("payment refunded %d, order id %q; want 0, none", got.Refunded, got.LatipayOrderID)
	}
	if tx, _ := env.Sim.Transaction(st.Attempt.Reference); tx.Refunded != "0.00" {
		t.Errorf("Latipay refunded %s", tx.Refunded)
	}
}
