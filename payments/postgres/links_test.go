package postgres

import (
	"fmt"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
)

// TestMigrateLinkUses: a schema as 022 left it holds a 3-use link that
// counted every checkout: one whose payment expired, one paid, one still
// open, and one whose payment was never made, two days ago. 023 ties each
// use to its payment, gives back the places of the expired payment and of
// the one never made, and counts the paid one: the link has a place free
// again, and the open payment's expiry gives its place back too.
func TestMigrateLinkUses(t *testing.T) {
	u := pgtest.Schema(t)
	db := mustOpen(t, u)
	pgtest.Exec(t, u, `DROP INDEX payment_link_uses_payment;
		ALTER TABLE payment_link_uses DROP COLUMN payment_id, DROP COLUMN state;
		ALTER TABLE payment_links DROP COLUMN paid_uses;
		DELETE FROM schema_migrations WHERE version = 23`)
	const link = "0000000000000000000000link"
	ctx := t.Context()
	pgtest.Exec(t, u, `INSERT INTO payment_links (id, source, amount, min_amount, max_amount, currency, desc_en, desc_zh_hans,
		desc_zh_hant, expires_at, max_uses, uses, active, created_at, updated_at)
		VALUES ($1, 'link', 1250, 0, 0, 'NZD', 'Deposit', '', '', NULL, 3, 4, true, $2, $2)`, link, testNow())
	var open string
	for i, st := range []payments.Status{payments.StatusExpired, payments.StatusPaid, payments.StatusPending, ""} {
		key := fmt.Sprintf("key%d:1250", i)
		if st == "" { // never made: counted two days ago
			pgtest.Exec(t, u, `INSERT INTO payment_link_uses (link_id, key, at) VALUES ($1, $2, now() - interval '2 days')`, link, key)
			continue
		}
		now := testNow()
		p := payments.Payment{ID: fmt.Sprintf("pay_%026d", i), Reference: fmt.Sprintf("order-%d", i), Amount: 1250,
			Currency: payments.NZD, Status: st, Source: payments.SourceLink, Version: 1,
			CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(15 * time.Minute)}
		if _, _, err := db.CreatePayment(ctx, p, payments.Event{Type: "payment.created", To: st, CreatedAt: now},
			payments.Idempotency{Key: "link:" + link + ":" + key, Hash: "h"}); err != nil {
			t.Fatal(err)
		}
		pgtest.Exec(t, u, `INSERT INTO payment_link_uses (link_id, key, at) VALUES ($1, $2, $3)`, link, key, now)
		if st == payments.StatusPending {
			open = p.ID
		}
	}
	db.Close()

	db = mustOpen(t, u) // applies 023
	l, err := db.Link(ctx, link)
	if err != nil || l.Uses != 2 || l.Paid != 1 {
		t.Fatalf("link after 023: uses %d, paid %d, %v; want 2 (paid and open), 1", l.Uses, l.Paid, err)
	}
	if _, used, _, err := db.UseLink(ctx, link, "new:1250", testNow()); err != nil || !used {
		t.Errorf("a new shopper after 023: used %v, %v; want the free place", used, err)
	}
	if _, err := db.Update(ctx, open, func(tx *payments.Tx) error {
		tx.Payment.Status = payments.StatusExpired
		tx.SetLinkUse(payments.LinkUseRelease)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if l, err := db.Link(ctx, link); err != nil || l.Uses != 2 || l.Paid != 1 {
		t.Errorf("link after the open payment expired: uses %d, paid %d, %v; want 2, 1", l.Uses, l.Paid, err)
	}
}
