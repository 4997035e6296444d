package payments_test

import (
	"bytes"
	"encoding/base32"
	"errors"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
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

// Attempt references begin with the time too, so they sort in the order
// the attempts were started (new rows append to the attempts' reference
// index and the notifications' key), and keep 128 random bits.
func TestReferencesSortByCreation(t *testing.T) {
	env := paymentstest.NewEnv(t, paymentstest.Options{})
	var refs []string
	for i := range 12 {
		_, st := env.MustStartQR(t, "ORDER-REF-"+string(rune('A'+i)))
		ref := st.Attempt.Reference
		if !payments.ValidReference(ref) || len(ref) != 7+26 {
			t.Fatalf("reference %q: want 7 characters of time and 26 random", ref)
		}
		if a, err := env.Store.Attempt(t.Context(), ref); err != nil || a.Reference != ref {
			t.Fatalf("Attempt(%s) = %+v, %v", ref, a, err)
		}
		refs = append(refs, ref)
		env.Clock.Advance(time.Second)
	}
	if !slices.IsSorted(refs) {
		t.Errorf("references started a second apart are not in creation order: %q", refs)
	}
	// Two attempts of the same second share the time and differ after it.
	_, a := env.MustStartQR(t, "ORDER-REF-SAME-1")
	_, b := env.MustStartQR(t, "ORDER-REF-SAME-2")
	if x, y := a.Attempt.Reference, b.Attempt.Reference; x[:7] != y[:7] || x == y || x[:7] <= refs[len(refs)-1][:7] {
		t.Errorf("references %q and %q of one second, after %q: want the same, later time and different random parts", x, y, refs[len(refs)-1])
	}
}

// References made before they began with the time (26 random characters)
// stay valid: a callback for such an attempt pays its payment, and a
// return naming one asks Latipay about it, even when a newer attempt is
// the payment's latest.
func TestReferencesOldGrammar(t *testing.T) {
	for ref, want := range map[string]bool{
		"0123456789ABCDEFGHJKMNPQRS":         true,  // 26: made before the time prefix
		"1KTV3M20123456789ABCDEFGHJKMNPQRS":  true,  // 7 of time, then 26
		"0123456789ABCDEFGHJKMNPQRS0":        false, // 27
		"0123456789ABCDEFGHJKMNPQRS012345":   false, // 32
		"0123456789ABCDEFGHJKMNPQRS0123456":  true,
		"0123456789ABCDEFGHJKMNPQRS01234567": false, // 34
		"0123456789ABCDEFGHJKMNPQRI":         false,
		"0123456789abcdefghjkmnpqrs":         false,
	} {
		if got := payments.ValidReference(ref); got != want {
			t.Errorf("ValidReference(%q) = %v, want %v", ref, got, want)
		}
	}
	env := paymentstest.NewEnv(t, paymentstest.Options{})

	// A callback for an old attempt.
	id, paid := env.MustPending(t, "ORDER-OLD-REF-1", "0123456789ABCDEFGHJKMNPQRS")
	if got := env.PostCallback(t, paid); got != "200 sent" {
		t.Fatalf("callback for an old reference = %q, want 200 sent", got)
	}
	if got := env.MustGet(t, id); got.Status != payments.StatusPaid {
		t.Errorf("payment paid by an old reference's callback: %s, want paid", got.Status)
	}

	// A return from an old attempt, made at Latipay before the upgrade,
	// after the shopper started a new one.
	const old = "ABCDEFGHJKMNPQRS0123456789"
	p := env.MustCreate(t, paymentstest.Input("ORDER-OLD-REF-2"))
	res, err := env.Gateway.Start(t.Context(), payments.StartRequest{Reference: old, Method: payments.MethodAlipay,
		Amount: p.Amount, Currency: p.Currency, Description: p.Description,
		ReturnURL: env.AppURL + "/checkout/" + p.ID + "/return", CallbackURL: env.AppURL + paymentstest.CallbackPath,
		BackURL: env.AppURL + "/checkout/" + p.ID, ClientIP: "203.0.113.7", Hosted: true})
	if err != nil {
		t.Fatal(err)
	}
	now := env.Clock.Now()
	if _, err := env.Store.Update(t.Context(), p.ID, func(tx *payments.Tx) error {
		tx.Payment.Status, tx.Payment.LatipayReference, tx.Payment.Attempts = payments.StatusPending, old, 1
		tx.PutAttempt(payments.Attempt{Reference: old, PaymentID: p.ID, Method: payments.MethodAlipay, Hosted: true,
			OrderID: res.OrderID, Status: payments.AttemptPending, CreatedAt: now, NextCheckAt: now.Add(30 * time.Second)})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// The shopper paid the old attempt just before choosing another
	// wallet: the start asks Latipay about the old reference first, finds
	// it paid and makes no new attempt.
	env.Sim.SetFaults(latipaysim.Faults{DropCallbacks: true})
	if err := env.Sim.Pay(old); err != nil {
		t.Fatal(err)
	}
	st, err := env.Svc.Start(t.Context(), payments.StartInput{PaymentID: p.ID, Method: "wechat", Device: payments.DeviceDesktop, ClientIP: "203.0.113.7"})
	if !errors.Is(err, payments.ErrPaidBeforeReplace) || st.Payment.Status != payments.StatusPaid || st.Payment.LatipayReference != old {
		t.Fatalf("Start after the old reference was paid = %s by %s, %v; want paid by %s, ErrPaidBeforeReplace",
			st.Payment.Status, st.Payment.LatipayReference, err, old)
	}
	got, err := env.Svc.HandleReturn(t.Context(), p.ID, paymentstest.Notification(old, "alipay", "paid", "NZD", "12.50"))
	if err != nil || got.Status != payments.StatusPaid {
		t.Errorf("HandleReturn naming the old reference = %s, %v; want paid (from its query)", got.Status, err)
	}
}

// ValidPaymentID and ValidReference accept exactly the grammar these
// expressions state (they are hand-written loops, the page checks its id
// on every request): every string near the grammar, and random strings
// over an alphabet that mixes its letters with the excluded ones, other
// cases, a newline and a multi-byte letter, get the expression's answer.
func TestValidIDsMatchTheGrammar(t *testing.T) {
	idRE := regexp.MustCompile(`^pay_(?:[0-9a-hjkmnp-tv-z]{7})?[0-9a-hjkmnp-tv-z]{26}$`)
	refRE := regexp.MustCompile(`^(?:[0-9A-HJKMNP-TV-Z]{7})?[0-9A-HJKMNP-TV-Z]{26}$`)
	check := func(s string) {
		t.Helper()
		if got, want := payments.ValidPaymentID(s), idRE.MatchString(s); got != want {
			t.Fatalf("ValidPaymentID(%q) = %v, the grammar says %v", s, got, want)
		}
		if got, want := payments.ValidReference(s), refRE.MatchString(s); got != want {
			t.Fatalf("ValidReference(%q) = %v, the grammar says %v", s, got, want)
		}
	}
	const lower, upper = "0123456789abcdefghjkmnpqrstvwxyz", "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	pool := []string{lower, upper, lower + "ilou", upper + "ILOU_-\n ", lower + upper + "é"}
	rng := rand.New(rand.NewPCG(1, 2))
	valid := 0
	for range 200000 {
		chars := []rune(pool[rng.IntN(len(pool))])
		n := []int{25, 26, 27, 32, 33, 34}[rng.IntN(6)]
		if rng.IntN(8) == 0 {
			n = rng.IntN(40)
		}
		var b strings.Builder
		if rng.IntN(2) == 0 {
			b.WriteString([]string{"pay_", "PAY_", "pay", "pay__"}[rng.IntN(4)])
		}
		for range n {
			b.WriteRune(chars[rng.IntN(len(chars))])
		}
		s := b.String()
		check(s)
		check(s + "\n")
		if payments.ValidPaymentID(s) || payments.ValidReference(s) {
			valid++
		}
	}
	if valid < 1000 {
		t.Fatalf("only %d of the random strings were valid ids or references: the test reaches too little of the grammar", valid)
	}
	for _, s := range []string{"", "pay_", "pay_" + strings.Repeat("0", 26), strings.Repeat("Z", 33),
		strings.Repeat("z", 33), "pay_" + strings.Repeat("Z", 26), "pay_" + strings.Repeat("0", 26) + "\x00"} {
		check(s)
	}
}
