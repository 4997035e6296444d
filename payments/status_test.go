package payments

import "testing"

// TestCanTransition checks every (from, to) pair of Statuses against the
// graph documented in status.go and issue 2: created -> pending -> paid |
// failed | expired | canceled; paid -> refunded | partially_refunded; the
// retry edge failed -> pending; late success failed/expired/canceled ->
// paid. The edges are written out here by hand, not read from the map.
func TestCanTransition(t *testing.T) {
	allowed := map[[2]Status]bool{
		{StatusCreated, StatusPending}:  true,
		{StatusCreated, StatusPaid}:     true, // a callback beating our own bookkeeping
		{StatusCreated, StatusFailed}:   true,
		{StatusCreated, StatusExpired}:  true,
		{StatusCreated, StatusCanceled}: true,

		{StatusPending, StatusPaid}:     true,
		{StatusPending, StatusFailed}:   true,
		{StatusPending, StatusExpired}:  true,
		{StatusPending, StatusCanceled}: true,

		{StatusFailed, StatusPending}:  true, // the shopper retries
		{StatusFailed, StatusPaid}:     true, // late success
		{StatusFailed, StatusExpired}:  true,
		{StatusFailed, StatusCanceled}: true,

		{StatusExpired, StatusPaid}:  true, // late success
		{StatusCanceled, StatusPaid}: true, // late success

		{StatusPaid, StatusPartiallyRefunded}:              true,
		{StatusPaid, StatusRefunded}:                       true,
		{StatusPartiallyRefunded, StatusPartiallyRefunded}: true, // another partial refund
		{StatusPartiallyRefunded, StatusRefunded}:          true,
	}
	if got, want := len(Statuses), 8; got != want {
		t.Fatalf("len(Statuses) = %d, want %d: update this table", got, want)
	}
	for _, from := range Statuses {
		for _, to := range Statuses {
			t.Run(string(from)+"->"+string(to), func(t *testing.T) {
				if got, want := CanTransition(from, to), allowed[[2]Status{from, to}]; got != want {
					t.Errorf("CanTransition(%s, %s) = %v, want %v", from, to, got, want)
				}
			})
		}
	}
	for _, s := range Statuses {
		if !s.Valid() {
			t.Errorf("%s.Valid() = false, want true", s)
		}
	}
	if Status("bogus").Valid() {
		t.Error(`Status("bogus").Valid() = true, want false`)
	}
}

// TestNoRegressionFromTerminal checks that nothing leaves a settled state
// except towards more refund, and that terminal states are Final.
func TestNoRegressionFromTerminal(t *testing.T) {
	for _, from := range []Status{StatusPaid, StatusRefunded, StatusPartiallyRefunded} {
		for _, to := range []Status{StatusCreated, StatusPending, StatusFailed, StatusExpired, StatusCanceled, StatusPaid} {
			if CanTransition(from, to) {
				t.Errorf("CanTransition(%s, %s) = true, want false: money received never regresses", from, to)
			}
		}
	}
	final := map[Status]bool{StatusPaid: true, StatusExpired: true, StatusCanceled: true,
		StatusRefunded: true, StatusPartiallyRefunded: true}
	for _, s := range Statuses {
		if got := s.Final(); got != final[s] {
			t.Errorf("%s.Final() = %v, want %v", s, got, final[s])
		}
	}
}
