package postgres

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
	"github.com/latipay-hpp/hpp/payments/storetest"
)

// TestExpiredPaymentsReadsOnlyDue: the expiry sweep, which every instance
// runs every few seconds, reads the payments that are due, not every
// open one. 5,000 open payments whose window has not ended or that never
// expire (1,667 failed counter sales) and three that are due, with the
// planner's statistics taken before the open ones came: the sweep reads
// a few index pages and the due rows' heap pages (15 buffers; reading the
// failed counter sales through payments_status_expires took 140 with
// 3,000 of them, before payments_failed_expires). Asked as one "expires_at IS NULL OR expires_at <= now"
// condition it read every open payment (195 buffers here). A count of
// buffers does not depend on the machine's speed.
func TestExpiredPaymentsReadsOnlyDue(t *testing.T) {
	db := mustOpen(t, pgtest.Schema(t))
	now := testNow()
	var ps []payments.NewPayment
	var due []string
	for i := range 5003 {
		np := storetest.GrowthRow(i, now)
		p := &np.Payment
		p.Status, p.PaidAt, p.LatipayOrderID, p.Refunded = payments.StatusCreated, time.Time{}, "", 0
		p.ExpiresAt = now.Add(time.Hour + time.Duration(i)*time.Second)
		if i%3 == 2 && i%2000 != 1 { // a failed counter sale: it never expires (payments.Expirable)
			p.Status, p.Source, p.ExpiresAt = payments.StatusFailed, payments.SourceCounterScan, now.Add(-time.Hour-time.Duration(i)*time.Second)
		}
		if i%2000 == 1 { // three of them, any status still open
			p.Status, p.ExpiresAt = []payments.Status{payments.StatusCreated, payments.StatusPending, payments.StatusFailed}[i/2000], now.Add(-time.Duration(i)*time.Second)
			due = append(due, p.ID)
		}
		np.Attempts = nil
		np.Event = payments.Event{Type: "payment.created", To: p.Status, CreatedAt: p.CreatedAt}
		ps = append(ps, np)
	}
	// The planner's statistics are those of a shop's settled history,
	// where open payments are a few: autovacuum's ANALYZE follows a
	// tenth of the table changing, and the open ones come and go faster.
	var settled []payments.NewPayment
	for i := range 20000 {
		settled = append(settled, storetest.GrowthRow(10000+i, now))
	}
	if err := db.CreatePayments(t.Context(), settled); err != nil {
		t.Fatal(err)
	}
	if _, err := db.pool.Exec(t.Context(), "ANALYZE payments"); err != nil {
		t.Fatal(err)
	}
	if err := db.CreatePayments(t.Context(), ps); err != nil {
		t.Fatal(err)
	}
	got, err := db.ExpiredPayments(t.Context(), now, 100)
	if err != nil {
		t.Fatal(err)
	}
	// Earliest first: the due ones were made with later i further back.
	want := []string{due[2], due[1], due[0]}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("ExpiredPayments = %v, want %v", got, want)
	}

	var plan []struct {
		Plan struct {
			Hit  int `json:"Shared Hit Blocks"`
			Read int `json:"Shared Read Blocks"`
		} `json:"Plan"`
	}
	var out []byte
	err = db.pool.QueryRow(t.Context(), "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) "+expiredPayments,
		string(payments.StatusCreated), string(payments.StatusPending), ts(now), 100).Scan(&out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &plan); err != nil || len(plan) != 1 {
		t.Fatalf("EXPLAIN: %v %s", err, out)
	}
	n := plan[0].Plan.Hit + plan[0].Plan.Read
	if n > 60 {
		t.Errorf("the expiry sweep read %d buffers for 3 due payments among 5,003 open ones; want at most 60 (one index range per status and branch):\n%s", n, out)
	}
}
