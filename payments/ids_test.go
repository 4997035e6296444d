package payments_test

import (
	"bytes"
	"encoding/base32"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// Payment ids begin with their creation time, so they sort in creation
// order (new rows append to the id-keyed indexes), and still carry 128
// random bits.
func TestPaymentIDsSortByCreation(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	var ids []string
	for i := range 20 {
		p := env.MustCreate(t, paymentstest.Input("ORDER-ID-"+string(rune('A'+i))))
		if !payments.ValidPaymentID(p.ID) || len(p.ID) != len("pay_")+7+26 {
			t.Fatalf("id %q: want pay_, 7 characters of time and 26 random", p.ID)
		}
		ids = append(ids, p.ID)
		env.Clock.Advance(time.Second)
	}
	if !slices.IsSorted(ids) {
		t.Errorf("ids made a second apart are not in creation order: %q", ids)
	}
	// Two ids of the same second differ in their random part.
	a, err := payments.NewPaymentID(bytes.NewReader(bytes.Repeat([]byte{0}, 16)), env.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	random := []byte("0123456789abcdef")
	b, err := payments.NewPaymentID(bytes.NewReader(random), env.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	enc := base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)
	if want := strings.ToLower(enc.EncodeToString(random)); !strings.HasSuffix(b, want) || a[:11] != b[:11] || a == b {
		t.Errorf("ids %q and %q: want the same time and the 128 bits read (%s) last", a, b, want)
	}
	if _, err := payments.NewPaymentID(bytes.NewReader(random[:15]), env.Clock.Now()); err == nil {
		t.Error("an id from 120 random bits was made")
	}
}

// Ids made before they began with the time stay valid: a stored payment
// with one is read and started as any other.
func TestPaymentIDsOldGrammar(t *testing.T) {
	for id, want := range map[string]bool{
		"pay_0123456789abcdefghjkmnpqrs":        true,  // "pay_" and 26: made before the time prefix
		"pay_1ktv3m20123456789abcdefghjkmnpqrs": true,  // 7 of time, then 26
		"pay_0123456789abcdefghjkmnpqrs0":       false, // 27
		"pay_0123456789abcdefghjkmnpqrs012345":  false, // 32
		"pay_0123456789abcdefghjkmnpqrs0123456": true,
		"pay_0123456789abcdefghjkmnpqrsi":       false,
		"pay_0123456789ABCDEFGHJKMNPQRS":        false,
	} {
		if got := payments.ValidPaymentID(id); got != want {
			t.Errorf("ValidPaymentID(%q) = %v, want %v", id, got, want)
		}
	}
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	now := env.Clock.Now()
	old := payments.Payment{ID: "pay_0123456789abcdefghjkmnpqrs", Reference: "ORDER-OLD", Amount: 1250,
		Currency: payments.NZD, Status: payments.StatusCreated, Version: 1,
		CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(15 * time.Minute)}
	if _, _, err := env.Store.CreatePayment(t.Context(), old, payments.Event{Type: "payment.created",
		To: payments.StatusCreated, CreatedAt: now}, payments.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	if got := env.MustGet(t, old.ID); got.Reference != "ORDER-OLD" {
		t.Errorf("Get(%s) = %+v", old.ID, got)
	}
	env.MustStart(t, old.ID, payments.MethodWeChat, payments.DeviceDesktop)
	if got := env.MustGet(t, old.ID); got.Status != payments.StatusPending {
		t.Errorf("started payment with an old id: status %s, want pending", got.Status)
	}
}
