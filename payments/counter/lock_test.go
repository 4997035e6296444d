package counter_test

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments/accounts"
)

// TestLockShutOut: after a cashier's access changes, the till they
// unlocked answers locked at once, and LockShutOut, run by whatever
// changed the access, locks it and returns it, so the change records the
// lock: also when the till asked something between the change and
// LockShutOut (that request does not take the lock, and its record,
// away), and only once. A till the cashier unlocked again after the
// change, and another cashier's, are left unlocked.
func TestLockShutOut(t *testing.T) {
	c, env := newCounter(t)
	ctx := t.Context()
	acc, err := accounts.NewService(env.Store, accounts.NewHasher(1), env.Clock.Now, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	a := mustCashier(t, env)
	b, err := acc.CreateAccount(ctx, "other@shop.example", "Ana", "another long password", accounts.Cashier, accounts.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{a.ID, b.ID} {
		if err := c.SetPIN(ctx, id, "2580"); err != nil {
			t.Fatal(err)
		}
	}
	d1, tok1 := mustDevice(t, c)
	d2, _ := mustDevice(t, c)
	d3, _ := mustDevice(t, c)
	for _, u := range []struct{ dev, acc string }{{d1.ID, a.ID}, {d2.ID, a.ID}, {d3.ID, b.ID}} {
		if _, _, err := c.Unlock(ctx, u.dev, u.acc, "2580"); err != nil {
			t.Fatal(err)
		}
	}
	env.Clock.Advance(2 * time.Minute) // past touchEvery: the till's request writes its device
	if err := acc.RevokeSessions(ctx, a, a.ID, accounts.Actor{}); err != nil {
		t.Fatal(err)
	}
	// The till asks before the change's LockShutOut: locked for it.
	if d, err := c.Authenticate(ctx, tok1); err != nil || d.CashierID != "" {
		t.Errorf("the till after the change = %q, %v; want locked", d.CashierID, err)
	}
	// The cashier unlocks the second till again after the change.
	env.Clock.Advance(time.Second)
	if _, _, err := c.Unlock(ctx, d2.ID, a.ID, "2580"); err != nil {
		t.Fatal(err)
	}
	locked, err := c.LockShutOut(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(locked) != 1 || locked[0].ID != d1.ID || locked[0].CashierID != a.ID {
		t.Errorf("LockShutOut = %+v; want the first till, as it was (unlocked by %s)", locked, a.ID)
	}
	for _, w := range []struct {
		dev, cashier string
	}{{d1.ID, ""}, {d2.ID, a.ID}, {d3.ID, b.ID}} {
		d, err := env.Store.Device(ctx, w.dev)
		if err != nil || d.CashierID != w.cashier {
			t.Errorf("device %s after = %q, %v; want %q", w.dev, d.CashierID, err, w.cashier)
		}
	}
	if again, err := c.LockShutOut(ctx, a.ID); err != nil || len(again) != 0 {
		t.Errorf("LockShutOut again = %+v, %v; want nothing: each lock is recorded once", again, err)
	}
}
