package payments_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// TestReferenceRefusesInvisible: a reference with any bidirectional
// control or invisible format character is refused, and a description
// loses them, so two orders cannot be made to look alike on a receipt or
// in the back office.
func TestReferenceRefusesInvisible(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	for _, r := range []rune{'\u061c', '\u200b', '\u200c', '\u200d', '\u200e', '\u200f', '\u202a', '\u202b',
		'\u202c', '\u202d', '\u202e', '\u2060', '\u2066', '\u2067', '\u2068', '\u2069', '\ufeff', '\u00ad',
		'\u2028', '\u2029', '\u180e', '\u3164', '\U000e0041'} {
		in := paymentstest.Input("ORDER" + string(r) + "1")
		if _, _, err := env.Svc.Create(context.Background(), in, ""); !errors.Is(err, payments.ErrInvalid) {
			t.Errorf("Create(reference with U+%04X) = %v, want ErrInvalid", r, err)
		}
		in = paymentstest.Input("ORDER-OK-" + string('A'+r%26))
		in.Description = "Mug" + string(r) + "s"
		p, _, err := env.Svc.Create(context.Background(), in, "")
		if err != nil || p.Description != "Mugs" {
			t.Errorf("Create(description with U+%04X) = %q, %v, want %q", r, p.Description, err, "Mugs")
		}
	}
	if _, _, err := env.Svc.Create(context.Background(), paymentstest.Input("订单-１"), ""); err != nil {
		t.Errorf("Create(visible non-ASCII reference) = %v, want accepted", err)
	}
}

// TestAttemptsCountedPerClient: someone else holding the checkout URL who
// uses up MaxAttempts does not lock the shopper out; the shopper has
// their own MaxAttempts, and a payment takes at most five clients' worth.
func TestAttemptsCountedPerClient(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{Service: payments.Options{MaxAttempts: 2}})
	ctx := context.Background()
	p := env.MustCreate(t, paymentstest.Input("ORDER-PER-CLIENT"))
	start := func(ip string) error {
		_, err := env.Svc.Start(ctx, payments.StartInput{PaymentID: p.ID, Method: "wechat", Device: payments.DeviceDesktop, Fresh: true, ClientIP: ip})
		return err
	}
	for i := range 2 {
		if err := start("198.51.100.66"); err != nil {
			t.Fatalf("third party's Start #%d: %v", i+1, err)
		}
	}
	if err := start("198.51.100.66"); !errors.Is(err, payments.ErrTooManyAttempts) {
		t.Errorf("third party's third Start = %v, want ErrTooManyAttempts", err)
	}
	if err := start("203.0.113.5"); err != nil {
		t.Errorf("the shopper's Start after a third party used up theirs = %v, want it to go ahead", err)
	}
	for i := range 8 { // four more clients' worth: the payment's ceiling of 5 x 2
		_ = start("192.0.2." + string(rune('1'+i/2)))
	}
	if err := start("192.0.2.200"); !errors.Is(err, payments.ErrTooManyAttempts) {
		t.Errorf("Start past the payment's ceiling = %v, want ErrTooManyAttempts", err)
	}
	as, err := env.Store.Attempts(ctx, p.ID)
	if err != nil || len(as) != 10 || as[0].Client == "" || strings.Contains(as[0].Client, "198.51") {
		t.Errorf("stored attempts = %d, %v; want 10, each with a hashed client", len(as), err)
	}
}
