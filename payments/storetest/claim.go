package storetest

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// lease is how long a claim keeps other claimers off an attempt.
const lease = 2 * time.Minute

// mustClaim claims and returns the attempts sorted by Reference.
func mustClaim(t testing.TB, s payments.Store, now time.Time, limit int) []payments.Attempt {
	t.Helper()
	as, err := s.ClaimDueAttempts(t.Context(), now, lease, limit)
	if err != nil {
		t.Fatalf("ClaimDueAttempts: %v", err)
	}
	for _, a := range as {
		checkUTC(t, "ClaimDueAttempts", a.CreatedAt, a.NextCheckAt)
	}
	slices.SortFunc(as, func(a, b payments.Attempt) int { return strings.Compare(a.Reference, b.Reference) })
	return as
}

// putAttempts stores attempts for payment id in one Update.
func putAttempts(t testing.TB, s payments.Store, id string, as ...payments.Attempt) {
	t.Helper()
	mustUpdate(t, s, id, func(tx *payments.Tx) {
		for _, a := range as {
			tx.PutAttempt(a)
		}
	})
}

// testClaimDue: only live attempts with a due, non-zero NextCheckAt are
// claimed, and paid ones without Latipay's order id (their one query for
// it); a claim holds them for the lease.
func testClaimDue(t *testing.T, s payments.Store) {
	now := base().Add(time.Hour)
	p := mustCreate(t, s, newPayment(1))
	at := func(n int, st payments.AttemptStatus, next time.Time) payments.Attempt {
		a := newAttempt(p.ID, n, base())
		a.Status, a.NextCheckAt = st, next
		return a
	}
	initiated := at(1, payments.AttemptInitiated, now.Add(-time.Minute))
	initiated.Kind, initiated.PayCodeHash = payments.KindBarcode, "5f0c2b1e9a7d4c3b8e6f1a2d0c9b8a7e" // a claim returns them too
	pending := at(2, payments.AttemptPending, now)
	future := at(3, payments.AttemptPending, now.Add(time.Millisecond))
	unscheduled := at(4, payments.AttemptPending, time.Time{})
	var final []payments.Attempt
	for i, st := range []payments.AttemptStatus{payments.AttemptPaid, payments.AttemptFailed,
		payments.AttemptCanceled, payments.AttemptError} {
		final = append(final, at(5+i, st, now.Add(-time.Hour)))
	}
	// Paid by a callback, which does not vouch for the order id: due once.
	paidNoOrder := at(9, payments.AttemptPaid, now.Add(-time.Second))
	paidNoOrder.OrderID = ""
	paidUnscheduled := at(10, payments.AttemptPaid, time.Time{})
	paidUnscheduled.OrderID = ""
	final = append(final, paidUnscheduled)
	putAttempts(t, s, p.ID, append([]payments.Attempt{initiated, pending, future, unscheduled, paidNoOrder}, final...)...)

	claimed := func(as ...payments.Attempt) []payments.Attempt {
		var out []payments.Attempt
		for _, a := range as {
			a.NextCheckAt = now.Add(lease)
			out = append(out, a)
		}
		return out
	}
	diff(t, "first claim", mustClaim(t, s, now, 10), claimed(initiated, pending, paidNoOrder))
	diff(t, "Attempt after a claim", mustAttempt(t, s, pending.Reference), claimed(pending)[0])
	for _, a := range append([]payments.Attempt{future, unscheduled}, final...) {
		diff(t, "unclaimed Attempt", mustAttempt(t, s, a.Reference), a)
	}
	if got := mustClaim(t, s, now, 10); len(got) != 0 {
		t.Errorf("second claim at the same time = %v, want none", got)
	}
	later := mustClaim(t, s, now.Add(lease), 10)
	if len(later) != 4 || later[0].Reference != initiated.Reference ||
		later[1].Reference != pending.Reference || later[2].Reference != future.Reference || later[3].Reference != paidNoOrder.Reference {
		t.Errorf("claim after the lease = %v, want the three claimed before and the future one", later)
	}
}

// testClaimLimit: at most limit attempts per claim, the earliest due first.
func testClaimLimit(t *testing.T, s payments.Store) {
	now := base().Add(time.Hour)
	p := mustCreate(t, s, newPayment(1))
	// Due order differs from reference order either way: 3, 1, 5, 2, 4.
	var as []payments.Attempt
	for k, n := range []int{3, 1, 5, 2, 4} {
		a := newAttempt(p.ID, n, base())
		a.NextCheckAt = now.Add(-time.Duration(5-k) * time.Minute)
		as = append(as, a)
	}
	putAttempts(t, s, p.ID, as...)
	refs := func(as []payments.Attempt) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.Reference)
		}
		return out
	}
	diff(t, "claim 1", refs(mustClaim(t, s, now, 2)), []string{reference(1), reference(3)})
	diff(t, "claim 2", refs(mustClaim(t, s, now, 2)), []string{reference(2), reference(5)})
	diff(t, "claim 3", refs(mustClaim(t, s, now, 2)), []string{reference(4)})
	diff(t, "claim 4", refs(mustClaim(t, s, now, 2)), []string(nil))
}

// testClaimConcurrent: 10 claimers draining 100 due attempts never take
// the same attempt twice.
func testClaimConcurrent(t *testing.T, s payments.Store) {
	const nPayments, perPayment, claimers = 10, 10, 10
	now := base().Add(time.Hour)
	for i := range nPayments {
		p := mustCreate(t, s, newPayment(i+1))
		var as []payments.Attempt
		for j := range perPayment {
			a := newAttempt(p.ID, i*perPayment+j+1, base())
			a.NextCheckAt = now.Add(-time.Duration(j) * time.Second)
			as = append(as, a)
		}
		putAttempts(t, s, p.ID, as...)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		count = map[string]int{}
	)
	// Each claimer stops when nothing is due; the bound on rounds only ends
	// the test when a store keeps handing out claimed attempts.
	const rounds = nPayments * perPayment
	for range claimers {
		wg.Go(func() {
			for range rounds {
				as, err := s.ClaimDueAttempts(t.Context(), now, lease, 7)
				if err != nil {
					t.Errorf("ClaimDueAttempts: %v", err)
					return
				}
				if len(as) == 0 {
					return
				}
				mu.Lock()
				for _, a := range as {
					count[a.Reference]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(count) != nPayments*perPayment {
		t.Errorf("claimed %d distinct attempts, want %d", len(count), nPayments*perPayment)
	}
	for ref, n := range count {
		if n != 1 {
			t.Errorf("attempt %s claimed %d times, want once", ref, n)
		}
	}
}
