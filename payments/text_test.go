package payments_test

import (
	"context"
	"errors"
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
