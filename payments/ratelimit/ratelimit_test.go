package ratelimit

import (
	"runtime"
	"strconv"
	"testing"
	"time"
)

func TestMemoryLimiter(t *testing.T) {
	l := NewMemory(Rate{Limit: 2, Per: time.Second, Burst: 3})
	t0 := time.Unix(1_700_000_000, 0)
	for i := range 3 {
		if ok, _ := l.Allow("a", t0); !ok {
			t.Fatalf("request %d within the burst refused", i+1)
		}
	}
	ok, wait := l.Allow("a", t0)
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("4th request = %v, retry after %v; want refused, 500ms", ok, wait)
	}
	if ok, _ := l.Allow("b", t0); !ok {
		t.Fatal("another key shares the bucket")
	}
	if ok, _ := l.Allow("a", t0.Add(500*time.Millisecond)); !ok {
		t.Fatal("not refilled after 500ms at 2/s")
	}
	if ok, _ := l.Allow("a", t0.Add(500*time.Millisecond)); ok {
		t.Fatal("refilled more than one token")
	}
	// Long idle: never more than the burst.
	later := t0.Add(time.Hour)
	for i := range 3 {
		if ok, _ := l.Allow("a", later); !ok {
			t.Fatalf("after idling, request %d refused", i+1)
		}
	}
	if ok, _ := l.Allow("a", later); ok {
		t.Fatal("bucket grew beyond its burst")
	}
}

// TestWithDefaults: zero or invalid rates and caps take the defaults,
// set ones are kept, and a nil NewLimiter becomes NewMemory.
func TestWithDefaults(t *testing.T) {
	set := Rate{Limit: 7, Per: time.Minute, Burst: 9}
	got := Limits{Pages: set, Status: Rate{Limit: 5}, SocketsPerIP: 4}.WithDefaults()
	d := Defaults()
	if got.Pages != set {
		t.Errorf("Pages = %+v, want the set %+v", got.Pages, set)
	}
	if got.Status != d.Status {
		t.Errorf("Status with no period = %+v, want the default %+v", got.Status, d.Status)
	}
	if got.API != d.API || got.CSPReports != d.CSPReports {
		t.Errorf("API, CSPReports = %+v, %+v, want the defaults", got.API, got.CSPReports)
	}
	if got.SocketsPerIP != 4 || got.SocketsPerPayment != d.SocketsPerPayment {
		t.Errorf("socket caps = %d, %d, want 4, %d", got.SocketsPerIP, got.SocketsPerPayment, d.SocketsPerPayment)
	}
	if got.NewLimiter == nil {
		t.Fatal("NewLimiter is nil")
	}
}

// TestCounter: a key holds at most max slots, released slots are free
// again, and keys do not share slots.
func TestCounter(t *testing.T) {
	c := NewCounter()
	if !c.Acquire("a", 2) || !c.Acquire("a", 2) {
		t.Fatal("two slots of two refused")
	}
	if c.Acquire("a", 2) {
		t.Fatal("third slot of two granted")
	}
	if !c.Acquire("b", 2) {
		t.Fatal("another key shares the slots")
	}
	c.Release("a")
	if !c.Acquire("a", 2) {
		t.Fatal("released slot not free again")
	}
}

// TestMemoryLimiterBounded: 300,000 distinct addresses (42 MB to 186 MB of
// buckets, never given back, before the bound) leave at most maxBuckets
// keys, and the map is rebuilt small once they have refilled.
func TestMemoryLimiterBounded(t *testing.T) {
	l := NewMemory(Rate{Limit: 60, Per: time.Minute, Burst: 120}).(*memoryLimiter)
	t0 := time.Unix(1_700_000_000, 0)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range 300_000 {
		key := "ip:10." + strconv.Itoa(i>>16) + "." + strconv.Itoa(i>>8&255) + "." + strconv.Itoa(i&255)
		if ok, _ := l.Allow(key, t0); !ok {
			t.Fatalf("first request of %s refused", key)
		}
	}
	// The address that keeps calling keeps its bucket while others come.
	l.mu.Lock()
	n := len(l.buckets)
	l.mu.Unlock()
	if n > maxBuckets {
		t.Errorf("%d buckets after 300,000 addresses, want at most %d", n, maxBuckets)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	t.Logf("heap grew by %.1f MB for 300,000 addresses", float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20))
	// Two minutes on every bucket has refilled: the next call sweeps them
	// and the map is rebuilt.
	l.Allow("ip:192.0.2.1", t0.Add(2*time.Minute))
	l.mu.Lock()
	n, peak := len(l.buckets), l.peak
	l.mu.Unlock()
	if n != 1 || peak != 1 {
		t.Errorf("after refilling: %d buckets, peak %d; want 1 and 1", n, peak)
	}
}
