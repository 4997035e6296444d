package main

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/handlers/listen"
)

// TestDriveRateCountsStalls: one stall of every worker must show in the
// latency of the operations scheduled behind it (no coordinated
// omission), and the offered count is what runs.
func TestDriveRateCountsStalls(t *testing.T) {
	var calls atomic.Int64
	s := driveRate(context.Background(), 4, 400, time.Second, func(ctx context.Context, i int) error {
		calls.Add(1)
		if i == 100 { // about 250 ms into the run
			time.Sleep(300 * time.Millisecond)
		}
		return nil
	})
	if s.N != 400 || calls.Load() != 400 || s.Errors != 0 {
		t.Fatalf("ran %d (calls %d, errors %d), want 400", s.N, calls.Load(), s.Errors)
	}
	// The stalled operation is timed from when it was due.
	if p := pct(s.Lat, 100); p < 250*time.Millisecond {
		t.Fatalf("max latency %v, want the 300 ms stall counted", p)
	}
}

// TestDriveRateAllBusy: when every worker stalls, the operations due in
// the meantime are timed from when they were due.
func TestDriveRateAllBusy(t *testing.T) {
	s := driveRate(context.Background(), 2, 200, 500*time.Millisecond, func(ctx context.Context, i int) error {
		if i < 2 {
			time.Sleep(200 * time.Millisecond)
		}
		return nil
	})
	if s.N != 100 {
		t.Fatalf("ran %d, want 100", s.N)
	}
	late := 0
	for _, l := range s.Lat {
		if l >= 100*time.Millisecond {
			late++
		}
	}
	// Operations 2..~40 were due during the 200 ms both workers slept.
	if late < 20 {
		t.Fatalf("%d operations counted late, want the ones due during the stall (about 40)", late)
	}
}

// TestClientRetiresIdleFirst: the harness's client must drop an idle
// connection before the app's server may close it (listen.IdleTimeout),
// or a POST reusing it races the close and fails with EOF (see
// clientIdle).
func TestClientRetiresIdleFirst(t *testing.T) {
	tr, ok := newClient(4).Transport.(*rawTransport)
	if !ok {
		t.Fatalf("transport %T", newClient(4).Transport)
	}
	if tr.idleFor <= 0 || tr.idleFor >= listen.IdleTimeout {
		t.Fatalf("client keeps idle connections %v, want > 0 and < the app's %v", tr.idleFor, listen.IdleTimeout)
	}
}
