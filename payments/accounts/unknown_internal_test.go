package accounts

import (
	"fmt"
	"testing"
	"time"
)

// TestUnknownEmailsBounded: however many emails are tried, the table
// holds at most maxUnknown, and a lock still running outlives the
// evictions of emails that are not locked.
func TestUnknownEmailsBounded(t *testing.T) {
	var u unknownEmails
	now := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	held := unknownKey("held@shop.example", "held@shop.example")
	for range MaxFailures {
		u.fail(held, now)
	}
	for i := range 3 * maxUnknown {
		u.fail(unknownKey(fmt.Sprintf("n%d@shop.example", i), ""), now)
		if len(u.m) > maxUnknown {
			t.Fatalf("after %d emails the table holds %d, over %d", i+1, len(u.m), maxUnknown)
		}
	}
	if !u.locked(held, now.Add(LockFor-time.Second)) {
		t.Error("a running lock was evicted")
	}
}
