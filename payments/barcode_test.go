package payments_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// Sandbox pay codes (package latipaysim, barcode.go): the last two digits
// choose what the shopper's wallet does.
const (
	codePaid     = "134588558514585062"  // WeChat Pay, paid at once
	codeAlipay   = "2812345678901234567" // Alipay, paid at once
	codePassword = "134588558514585011"  // the shopper must type a password
	codeGivesUp  = "134588558514585012"  // ... and gives up
	codeRefused  = "134588558514585013"  // refused by Latipay
	codeLate     = "134588558514585014"  // paid after the counter stopped asking
)

func TestParsePayCode(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want payments.Method
		says string // in the error
	}{
		{"134588558514585062", payments.MethodWeChat, ""},
		{"104588558514585062", payments.MethodWeChat, ""},
		{"154588558514585062", payments.MethodWeChat, ""},
		{" 134588558514585062\r\n", payments.MethodWeChat, ""}, // a scanner's Enter
		{"\t2812345678901234\n", payments.MethodAlipay, ""},
		{"2512345678901234", payments.MethodAlipay, ""},         // 16 digits
		{"301234567890123456789012", payments.MethodAlipay, ""}, // 24 digits
		{"", "", "empty"},
		{"   ", "", "empty"},
		{"1345 8855 8514 5850 62", "", "digits only"},
		{"13458855851458506x", "", "digits only"},
		{"１３４５８８５５８５１４５８５０６２", "", "digits only"}, // full-width digits
		{"1", "", "16 to 24 digits"},
		{"13458855851458506", "", "WeChat Pay code"},
		{"1345885585145850622", "", "those have 18 digits and this one has 19"},
		{"251234567890123", "", "Alipay code"},
		{"3012345678901234567890123", "", "16 to 24 digits and this one has 25"},
		{"164588558514585062", "", "starts with 16"},
		{"094588558514585062", "", "WeChat Pay codes start with 10 to 15, Alipay codes with 25 to 30"},
		{"3112345678901234", "", "starts with 31"},
	} {
		got, err := payments.ParsePayCode(tc.in)
		if tc.says == "" {
			if err != nil || got != tc.want {
				t.Errorf("ParsePayCode(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
			continue
		}
		if !errors.Is(err, payments.ErrInvalid) || !strings.Contains(err.Error(), tc.says) || got != "" {
			t.Errorf("ParsePayCode(%q) = %q, %v; want ErrInvalid saying %q", tc.in, got, err, tc.says)
		}
	}
}

// TestPayCodeError: the error of a bad code carries what a page needs to
// say it in any language, and reaches the HTTP error funnel as a
// validation problem in English.
func TestPayCodeError(t *testing.T) {
	_, err := payments.ParsePayCode("2512345")
	var pe *payments.PayCodeError
	if !errors.As(err, &pe) || *pe != (payments.PayCodeError{Problem: payments.PayCodeWrongLength,
		Wallet: payments.MethodAlipay, Prefix: "25", Digits: 7}) {
		t.Errorf("ParsePayCode(2512345) = %#v, want a wrong-length Alipay PayCodeError of 7 digits", err)
	}
	var ve *payments.ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 1 || !strings.Contains(ve.Problems[0], "Alipay code") ||
		strings.HasPrefix(ve.Problems[0], "payments:") {
		t.Errorf("as a ValidationError: %#v, want the one problem in words", ve)
	}
	_, err = payments.ParsePayCode("13458855851458506x")
	if !errors.As(err, &pe) || pe.Problem != payments.PayCodeNotDigits || pe.Char != 'x' {
		t.Errorf("ParsePayCode(...x) = %#v, want not-digits naming x", err)
	}
}

// newScanEnv is the real flow (SQLite, the client over HTTP to the
// simulator) with a payment made for the counter's scanner.
func newScanEnv(t *testing.T) (*paymentstest.Env, payments.Payment) {
	t.Helper()
	e := paymentstest.NewEnv(t, paymentstest.Options{})
	in := paymentstest.Input("counter-1")
	in.Source = payments.SourceCounterScan
	return e, e.MustCreate(t, in)
}

// mustScan starts the barcode attempt of payment id with code, failing t
// on an error.
func mustScan(t *testing.T, e *paymentstest.Env, id, code string) payments.Started {
	t.Helper()
	st, err := e.Svc.StartBarcode(t.Context(), id, code)
	if err != nil {
		t.Fatalf("StartBarcode: %v", err)
	}
	return st
}

// wantBarcodeCalls fails t unless exactly want barcode calls reached the
// simulator in all.
func wantBarcodeCalls(t *testing.T, sim *latipaysim.Simulator, want int) {
	t.Helper()
	n := 0
	for _, tx := range sim.Ledger() {
		if tx.Barcode {
			n++
		}
	}
	if n != want {
		t.Errorf("the simulator saw %d barcode calls in all, want %d", n, want)
	}
}

// reconcileAfter moves the clock by d and runs the reconciler once.
func reconcileAfter(t *testing.T, e *paymentstest.Env, d time.Duration) int {
	t.Helper()
	e.Clock.Advance(d)
	n, err := e.Svc.ReconcileDue(context.Background(), 10)
	if err != nil {
		t.Fatalf("ReconcileDue: %v", err)
	}
	return n
}

// TestStartBarcodePaid: a scanned code makes a barcode attempt, records
// Latipay's order id from its answer and leaves the payment pending; the
// reconciler asks 4 s later and the payment is paid, with the order id a
// refund is sent for.
func TestStartBarcodePaid(t *testing.T) {
	e, p := newScanEnv(t)
	st, err := e.Svc.StartBarcode(context.Background(), p.ID, codeAlipay+"\r\n")
	if err != nil {
		t.Fatalf("StartBarcode: %v", err)
	}
	a := st.Attempt
	tx, _ := e.Sim.Transaction(a.Reference)
	if a.Kind != payments.KindBarcode || a.Status != payments.AttemptPending || a.Method != payments.MethodAlipay ||
		a.OrderID == "" || a.OrderID != tx.OrderID || a.PayCodeHash == "" || strings.Contains(a.PayCodeHash, codeAlipay) {
		t.Errorf("attempt = %+v; want a pending Alipay barcode attempt with Latipay's order %s and a hash of the code", a, tx.OrderID)
	}
	if st.Payment.Status != payments.StatusPending || st.Payment.Method != payments.MethodAlipay {
		t.Errorf("payment %s by %s, want pending by alipay", st.Payment.Status, st.Payment.Method)
	}
	if n := reconcileAfter(t, e, 3*time.Second); n != 0 {
		t.Errorf("reconciler asked after 3 s (%d), want the first check at 4 s", n)
	}
	if n := reconcileAfter(t, e, time.Second); n != 1 {
		t.Fatalf("reconciler asked about %d attempts at 4 s, want 1", n)
	}
	got := e.MustGet(t, p.ID)
	if got.Status != payments.StatusPaid || got.LatipayOrderID != tx.OrderID || got.PaidLate {
		t.Errorf("payment = %s, order %q, late %v; want paid, order %s, on time", got.Status, got.LatipayOrderID, got.PaidLate, tx.OrderID)
	}
}

// TestStartBarcodeRepeatedScan: the same code scanned again, even by two
// counters at once or with a scanner's line end, makes one Latipay call
// (counted at the simulator) and returns the same attempt; a different
// code is refused while the first may still be paid, and after the
// payment is paid a repeat still does nothing.
func TestStartBarcodeRepeatedScan(t *testing.T) {
	e, p := newScanEnv(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	refs := make([]string, 6)
	errs := make([]error, 6)
	for i := range refs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code := codePassword
			if i%2 == 1 {
				code = " " + codePassword + "\n"
			}
			st, err := e.Svc.StartBarcode(ctx, p.ID, code)
			refs[i], errs[i] = st.Attempt.Reference, err
		}()
	}
	wg.Wait()
	for i := range refs {
		if errs[i] != nil || refs[i] == "" || refs[i] != refs[0] {
			t.Errorf("scan %d: attempt %q, %v; want attempt %q, nil", i, refs[i], errs[i], refs[0])
		}
	}
	wantBarcodeCalls(t, e.Sim, 1)
	if _, err := e.Svc.StartBarcode(ctx, p.ID, codePaid); !errors.Is(err, payments.ErrPayCodePending) || !errors.Is(err, payments.ErrConflict) {
		t.Errorf("another code while the first is pending: %v, want ErrPayCodePending (ErrConflict)", err)
	}
	if err := e.Sim.Pay(refs[0]); err != nil {
		t.Fatal(err)
	}
	reconcileAfter(t, e, 4*time.Second)
	st, err := e.Svc.StartBarcode(ctx, p.ID, codePassword)
	if err != nil || st.Attempt.Reference != refs[0] || st.Payment.Status != payments.StatusPaid {
		t.Errorf("repeat after paid: %s %s, %v; want the paid attempt %s", st.Payment.Status, st.Attempt.Reference, err, refs[0])
	}
	if _, err := e.Svc.StartBarcode(ctx, p.ID, codePaid); !errors.Is(err, payments.ErrNotPayable) {
		t.Errorf("a new code after paid: %v, want ErrNotPayable", err)
	}
	wantBarcodeCalls(t, e.Sim, 1)
}

// TestStartBarcodePassword: while the shopper types a password the
// attempt is pending, checked every 4 s, with no error recorded; when the
// shopper gives up the payment fails and another code may be scanned.
func TestStartBarcodePassword(t *testing.T) {
	e, p := newScanEnv(t)
	ctx := context.Background()
	st := mustScan(t, e, p.ID, codeGivesUp)
	for i := range 5 {
		if n := reconcileAfter(t, e, 4*time.Second); n != 1 {
			t.Fatalf("check %d: reconciler asked about %d attempts, want 1", i+1, n)
		}
	}
	if got := e.MustGet(t, p.ID); got.Status != payments.StatusPending {
		t.Errorf("while the shopper types: %s, want pending", got.Status)
	}
	evs := e.MustEvents(t, p.ID)
	if n := paymentstest.CountEvents(evs, "attempt.error") + paymentstest.CountEvents(evs, "anomaly"); n != 0 {
		t.Errorf("%d error events while pending, want none: %+v", n, evs)
	}
	if err := e.Sim.Fail(st.Attempt.Reference); err != nil {
		t.Fatal(err)
	}
	reconcileAfter(t, e, 4*time.Second)
	if got := e.MustGet(t, p.ID); got.Status != payments.StatusFailed {
		t.Fatalf("after the shopper gave up: %s, want failed", got.Status)
	}
	st2, err := e.Svc.StartBarcode(ctx, p.ID, codePaid)
	if err != nil || st2.Attempt.Reference == st.Attempt.Reference {
		t.Fatalf("another code after a failure: %+v, %v; want a new attempt", st2.Attempt, err)
	}
	reconcileAfter(t, e, 4*time.Second)
	if got := e.MustGet(t, p.ID); got.Status != payments.StatusPaid || got.LatipayReference != st2.Attempt.Reference {
		t.Errorf("after the second code: %s by %s, want paid by %s", got.Status, got.LatipayReference, st2.Attempt.Reference)
	}
}

// TestBarcodeLateSuccessReconciled: the shopper's success arrives after
// the counter's 45 s of asking every 4 s (the simulator pays ...14 at 60
// s); the reconciler goes on at its usual cadence and still ends the
// payment paid, not paid late: nothing closed it meanwhile.
func TestBarcodeLateSuccessReconciled(t *testing.T) {
	e := paymentstest.NewEnv(t, paymentstest.Options{SimOnClock: true})
	in := paymentstest.Input("counter-late")
	in.Source = payments.SourceCounterScan
	p := e.MustCreate(t, in)
	st, err := e.Svc.StartBarcode(context.Background(), p.ID, codeLate)
	if err != nil {
		t.Fatalf("StartBarcode: %v", err)
	}
	for i := range 11 { // 4 s apart: 44 s
		if n := reconcileAfter(t, e, 4*time.Second); n != 1 {
			t.Fatalf("fast check %d: asked about %d attempts, want 1", i+1, n)
		}
	}
	if n := reconcileAfter(t, e, 4*time.Second); n != 0 {
		t.Errorf("after 45 s the reconciler still asks every 4 s")
	}
	a, err := e.Store.Attempt(context.Background(), st.Attempt.Reference)
	if err != nil || a.Status != payments.AttemptPending || a.NextCheckAt.IsZero() {
		t.Fatalf("after the counter stopped asking: %+v, %v; want pending with a next check", a, err)
	}
	if got := e.MustGet(t, p.ID); got.Status != payments.StatusPending {
		t.Fatalf("after 48 s: %s, want pending (the success comes at 60 s)", got.Status)
	}
	if n := reconcileAfter(t, e, 26*time.Second); n != 1 { // 74 s: the usual 30 s after the last fast check
		t.Fatalf("at the usual cadence: asked about %d attempts, want 1", n)
	}
	got := e.MustGet(t, p.ID)
	if got.Status != payments.StatusPaid || got.LatipayReference != st.Attempt.Reference || got.PaidLate {
		t.Errorf("payment = %s by %s (late %v), want paid by %s", got.Status, got.LatipayReference, got.PaidLate, st.Attempt.Reference)
	}
}

// TestStartBarcodeRefused: a code Latipay refuses is an error in the
// cashier's words; nothing is pending and the sale takes another code.
func TestStartBarcodeRefused(t *testing.T) {
	e, p := newScanEnv(t)
	ctx := context.Background()
	st, err := e.Svc.StartBarcode(ctx, p.ID, codeRefused)
	var ge *payments.GatewayError
	if !errors.As(err, &ge) || !strings.Contains(ge.Message, "ask the shopper to refresh it") {
		t.Fatalf("StartBarcode(refused) = %v, want a GatewayError telling the cashier what to do", err)
	}
	if st.Attempt.Status != payments.AttemptError || !st.Attempt.NextCheckAt.IsZero() || st.Payment.Status != payments.StatusCreated {
		t.Errorf("after a refusal: attempt %s (next check %v), payment %s; want error, none, created",
			st.Attempt.Status, st.Attempt.NextCheckAt, st.Payment.Status)
	}
	for _, ev := range e.MustEvents(t, p.ID) {
		if strings.Contains(ev.Detail, codeRefused) {
			t.Errorf("event %s keeps the pay code: %q", ev.Type, ev.Detail)
		}
	}
	if _, err := e.Svc.StartBarcode(ctx, p.ID, codePaid); err != nil {
		t.Errorf("another code after a refusal: %v", err)
	}
}

// TestStartBarcodeUnknownOutcome: when Latipay's answer is lost the scan
// is not an error and not a failure: the attempt stays initiated, the
// payment pending, and the reconciler finds the payment Latipay made.
func TestStartBarcodeUnknownOutcome(t *testing.T) {
	e, p := newScanEnv(t)
	e.Sim.SetFaults(latipaysim.Faults{MalformedJSON: true}) // made, answer cut short
	st, err := e.Svc.StartBarcode(context.Background(), p.ID, codePaid)
	if err != nil {
		t.Fatalf("StartBarcode with the answer lost: %v, want nil (outcome unknown)", err)
	}
	if st.Attempt.Status != payments.AttemptInitiated || st.Payment.Status != payments.StatusPending {
		t.Errorf("attempt %s, payment %s; want initiated, pending", st.Attempt.Status, st.Payment.Status)
	}
	e.Sim.SetFaults(latipaysim.Faults{})
	reconcileAfter(t, e, 4*time.Second)
	got := e.MustGet(t, p.ID)
	tx, _ := e.Sim.Transaction(st.Attempt.Reference)
	if got.Status != payments.StatusPaid || got.LatipayOrderID != tx.OrderID {
		t.Errorf("after the reconciler: %s, order %q; want paid, order %s", got.Status, got.LatipayOrderID, tx.OrderID)
	}
}

// TestStartBarcodeBadInput: a malformed code, a payment not made for
// scanning and an unknown payment are refused before Latipay is called.
func TestStartBarcodeBadInput(t *testing.T) {
	e, p := newScanEnv(t)
	ctx := context.Background()
	if _, err := e.Svc.StartBarcode(ctx, p.ID, "1345885585"); !errors.Is(err, payments.ErrInvalid) || !strings.Contains(err.Error(), "WeChat Pay code") {
		t.Errorf("short code: %v, want ErrInvalid naming WeChat Pay", err)
	}
	online := e.MustCreate(t, paymentstest.Input("online-1"))
	var ve *payments.ValidationError
	if _, err := e.Svc.StartBarcode(ctx, online.ID, codePaid); !errors.As(err, &ve) || !strings.Contains(ve.Problems[0], "not made for scanning") {
		t.Errorf("online payment: %v, want a ValidationError saying it was not made for scanning", err)
	}
	if _, err := e.Svc.StartBarcode(ctx, "pay_00000000000000000000000000", codePaid); !errors.Is(err, payments.ErrNotFound) {
		t.Errorf("unknown payment: %v, want ErrNotFound", err)
	}
	wantBarcodeCalls(t, e.Sim, 0)
}

// TestCancelBarcode: canceling a sale whose shopper is still typing a
// password cancels the order at Latipay through its cancel endpoint.
func TestCancelBarcode(t *testing.T) {
	e, p := newScanEnv(t)
	ctx := context.Background()
	st := mustScan(t, e, p.ID, codePassword)
	if got, err := e.Svc.Cancel(ctx, p.ID); err != nil || got.Status != payments.StatusCanceled {
		t.Fatalf("Cancel = %s, %v; want canceled", got.Status, err)
	}
	// Latipay canceled it and its query said so: the cancel closed the
	// attempt itself, and nothing is left for the reconciler.
	if n := reconcileAfter(t, e, 0); n != 0 {
		t.Fatalf("after the cancel the reconciler asked about %d attempts, want none", n)
	}
	tx, _ := e.Sim.Transaction(st.Attempt.Reference)
	a, _ := e.Store.Attempt(ctx, st.Attempt.Reference)
	if tx.Status != "canceled" || a.Status != payments.AttemptCanceled {
		t.Errorf("Latipay holds %s, attempt %s; want both canceled", tx.Status, a.Status)
	}
	if got := e.MustGet(t, p.ID); got.Status != payments.StatusCanceled {
		t.Errorf("payment %s, want canceled", got.Status)
	}
}
