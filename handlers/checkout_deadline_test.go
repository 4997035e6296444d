package handlers_test

import (
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
	"github.com/latipay-hpp/hpp/views"
)

// TestCheckoutDeadlineDate: without script the page states the deadline
// as a time in the shop's zone; on another day than today there, the date
// comes with it, in the shopper's language, so a day-long payment does
// not read as due now.
func TestCheckoutDeadlineDate(t *testing.T) {
	nz, err := time.LoadLocation("Pacific/Auckland")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	app := handlers.NewTestApp(t, handlers.TestAppOptions{Edit: func(_ *paymentstest.Env, o *handlers.Options) { o.Location = nz }})
	a := &testApp{Env: app.Env, h: app.H}
	// The clock reads 2026-03-01 01:00 UTC: 14:00 NZDT on 1 March.
	today := a.mustCreate(t, createBody)
	tomorrow := a.mustCreate(t, strings.Replace(createBody, `{`, `{"expires_in":86400,`, 1))
	for _, tc := range []struct {
		lang, today, tomorrow string
	}{
		{views.LangEnglish, "14:15 NZDT", "2 Mar 14:00 NZDT"},
		{views.LangSimplifiedChinese, "14:15 NZDT", "3月2日 14:00 NZDT"},
		{views.LangTraditionalChinese, "14:15 NZDT", "3月2日 14:00 NZDT"},
	} {
		for id, want := range map[string]string{today.ID: tc.today, tomorrow.ID: tc.tomorrow} {
			doc := mustDoc(t, a.do(t, "GET", "/checkout/"+id+"?lang="+tc.lang, nil, nil))
			if got := strings.TrimSpace(testid(doc, "countdown").Text()); got != want {
				t.Errorf("%s: deadline %q, want %q", tc.lang, got, want)
			}
		}
	}
}

// TestCheckoutLoadRenewsDueQR: the page loaded without script (or checked
// again with "Check the payment status") after the QR's refresh time shows
// a fresh QR, as the script's refresh would have, not the one Latipay may
// have let die; loaded again, it keeps that fresh one.
func TestCheckoutLoadRenewsDueQR(t *testing.T) {
	a := newTestApp(t)
	p, old := a.mustStartedQR(t)
	ref := func() string {
		t.Helper()
		r, _ := testid(a.page(t, p.ID), "qr-block").Attr("data-reference")
		return r
	}
	if got := ref(); got != old {
		t.Fatalf("QR before its refresh time = %q, want %q", got, old)
	}
	a.Clock.Advance(payments.QRLifetime)
	fresh := ref()
	if fresh == "" || fresh == old {
		t.Fatalf("QR loaded past its refresh time = %q, want a fresh one (old %q)", fresh, old)
	}
	if again := ref(); again != fresh {
		t.Errorf("QR loaded again = %q, want the fresh %q kept", again, fresh)
	}
}
