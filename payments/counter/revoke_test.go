package counter_test

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/counter"
)

// hookStore is a counter store that runs beforeAdd as a sale is about to
// be recorded: after the charge's request checked its device and made
// the payment, before AddSale.
type hookStore struct {
	counter.Store
	beforeAdd func()
}

func (h hookStore) AddSale(ctx context.Context, s counter.Sale) (counter.Sale, error) {
	if h.beforeAdd != nil {
		h.beforeAdd()
	}
	return h.Store.AddSale(ctx, s)
}

// TestRevokeDuringCharge: the owner revokes the device while a charge
// from it is under way, the device checked (unlocked, not revoked) and
// its payment made, but its sale not yet recorded, so that Revoke lists
// the device's sales without it. The charge is refused as revoked, its
// payment is canceled with the revoke's words before any QR is shown, and
// nothing of it is left for a shopper to pay. Each of the revoke's own
// cancels says the till was revoked too.
func TestRevokeDuringCharge(t *testing.T) {
	_, env := newCounter(t)
	ctx := t.Context()
	hs := &hookStore{Store: env.Store}
	c, err := counter.NewService(hs, accounts.NewHasher(1), env.Store, env.Svc, env.Clock.Now, rand.Reader,
		counter.Options{Currency: "NZD", Location: time.FixedZone("NZDT", 13*3600)})
	if err != nil {
		t.Fatal(err)
	}
	a := mustCashier(t, env)
	d, _ := mustDevice(t, c)
	if err := c.SetPIN(ctx, a.ID, "2580"); err != nil {
		t.Fatal(err)
	}
	d, _, err = c.Unlock(ctx, d.ID, a.ID, "2580")
	if err != nil {
		t.Fatal(err)
	}
	// An open sale of the device before the revoke.
	before, err := c.ChargeQR(ctx, counter.ChargeInput{Device: d, Key: "revoke-race-key-000001", Amount: "4.00",
		Method: payments.MethodWeChat, ClientIP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}

	var rev counter.Revocation
	hs.beforeAdd = func() {
		hs.beforeAdd = nil
		if rev, err = c.Revoke(ctx, d.ID); err != nil {
			t.Errorf("Revoke = %v", err)
		}
	}
	st, err := c.ChargeQR(ctx, counter.ChargeInput{Device: d, Key: "revoke-race-key-000002", Amount: "12.50",
		Method: payments.MethodWeChat, ClientIP: "192.0.2.1"})
	if !errors.Is(err, counter.ErrRevoked) {
		t.Errorf("the charge revoked under way = %+v, %v; want ErrRevoked", st.Payment, err)
	}
	if st.Attempt.QRCodeURL != "" {
		t.Errorf("the charge revoked under way showed a QR: %s", st.Attempt.QRCodeURL)
	}
	if len(rev.Canceled) != 1 || rev.Canceled[0].ID != before.Payment.ID {
		t.Errorf("the revoke canceled %v, want the sale made before it, %s", rev.Canceled, before.Payment.ID)
	}
	page, err := env.Svc.List(ctx, payments.ListInput{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Payments) != 2 {
		t.Fatalf("%d payments, want 2 (the sale before, the charge under way)", len(page.Payments))
	}
	for _, p := range page.Payments {
		if p.Status != payments.StatusCanceled {
			t.Errorf("payment %s (%s) after the revoke is %s, want canceled: a shopper could pay a sale no till can see",
				p.ID, p.Reference, p.Status)
			continue
		}
		evs, err := env.Svc.Events(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		last, _ := payments.EventMessage(evs[len(evs)-1])
		if last.Code != payments.MsgCanceledDeviceRevoked {
			t.Errorf("payment %s's cancel says %q (%s), want %s", p.ID, last.Code, evs[len(evs)-1].Detail, payments.MsgCanceledDeviceRevoked)
		}
		if by, err := env.Svc.CanceledBy(ctx, p.ID); err != nil || by != payments.CanceledByMerchant {
			t.Errorf("payment %s canceled by %q, %v; want the merchant (the owner revoked the till)", p.ID, by, err)
		}
	}
}
