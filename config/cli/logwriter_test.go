package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// writes records every write it is given, as the log's file would see
// them.
type writes struct {
	mu     sync.Mutex
	writes []string
}

func (w *writes) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = append(w.writes, string(p))
	return len(p), nil
}

func (w *writes) snapshot() (n int, all string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.writes), strings.Join(w.writes, "")
}

// msgs is the msg of each JSON line of s, in order.
func msgs(t *testing.T, s string) []string {
	t.Helper()
	var out []string
	for line := range strings.Lines(s) {
		var rec struct{ Msg string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q is not one JSON object: %v", line, err)
		}
		out = append(out, rec.Msg)
	}
	return out
}

// Access lines wait and leave together; any other line goes out at once,
// after the access lines logged before it, in the same write.
func TestAccessLinesLeaveInBatches(t *testing.T) {
	w := &writes{}
	log, access, flush := NewLogs(w, 0)
	defer flush()
	for i := range 500 {
		access.Info(fmt.Sprintf("request %d", i))
	}
	log.Warn("after the requests")
	n, all := w.snapshot()
	got := msgs(t, all)
	if len(got) != 501 || got[0] != "request 0" || got[499] != "request 499" || got[500] != "after the requests" {
		t.Fatalf("lines written: %d, first %q, last %q; want the 500 requests in order, then the warning", len(got), got[0], got[len(got)-1])
	}
	if n > 3 {
		t.Errorf("501 lines took %d writes: the access lines were not gathered", n)
	}
	// A warning alone is written before Warn returns, with nothing queued.
	log.Warn("alone")
	if n2, all := w.snapshot(); n2 != n+1 || !strings.Contains(all, `"msg":"alone"`) {
		t.Errorf("a warning with nothing queued: %d writes (want %d), log %q", n2, n+1, all)
	}
}

// An access line left alone is written without anything else logged.
func TestAccessLineAloneIsWritten(t *testing.T) {
	w := &writes{}
	_, access, flush := NewLogs(w, 0)
	defer flush()
	access.Info("request")
	for end := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, all := w.snapshot(); strings.Contains(all, `"msg":"request"`) {
			break
		}
		if time.Now().After(end) {
			t.Fatal("a lone access line was never written")
		}
	}
	access.Info("second")
	for end := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, all := w.snapshot(); strings.Contains(all, `"msg":"second"`) {
			break
		}
		if time.Now().After(end) {
			t.Fatal("a second lone access line was never written")
		}
	}
}

// flush (run's deferred call) writes what waits, and lines after it go
// out at once.
func TestFlushWritesWaitingAccessLines(t *testing.T) {
	w := &writes{}
	_, access, flush := NewLogs(w, 0)
	access.Info("waiting")
	flush()
	if _, all := w.snapshot(); !strings.Contains(all, `"msg":"waiting"`) {
		t.Fatalf("after flush the log holds %q", all)
	}
	access.Info("late")
	if _, all := w.snapshot(); !strings.Contains(all, `"msg":"late"`) {
		t.Fatalf("an access line after flush was not written at once: %q", all)
	}
	flush() // twice is harmless
}

// Many goroutines logging both kinds of line: every line arrives whole,
// once, and each goroutine's lines in the order it logged them; past the
// buffer's size the logging goroutine writes the batch itself.
func TestAccessLogConcurrent(t *testing.T) {
	w := &writes{}
	log, access, flush := NewLogs(w, 0)
	const goroutines, each = 8, 2000
	pad := strings.Repeat("x", 200)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				if i%100 == 99 {
					log.Warn(fmt.Sprintf("g%d %d", g, i))
				} else {
					access.Info(fmt.Sprintf("g%d %d", g, i), "pad", pad)
				}
			}
		})
	}
	wg.Wait()
	flush()
	_, all := w.snapshot()
	next := make([]int, goroutines)
	for _, m := range msgs(t, all) {
		var g, i int
		if _, err := fmt.Sscanf(m, "g%d %d", &g, &i); err != nil || g < 0 || g >= goroutines {
			t.Fatalf("line %q", m)
		}
		if i != next[g] {
			t.Fatalf("goroutine %d: line %d after line %d", g, i, next[g]-1)
		}
		next[g]++
	}
	for g, n := range next {
		if n != each {
			t.Errorf("goroutine %d: %d of %d lines written", g, n, each)
		}
	}
	if bytes.Count([]byte(all), []byte("\n")) != goroutines*each {
		t.Errorf("%d lines, want %d", bytes.Count([]byte(all), []byte("\n")), goroutines*each)
	}
}

// BenchmarkAccessLine logs one access line (the attributes requestLog
// gives it) to a file, as the app's stderr may be: "at-once" as every
// line was written before (NewLogger), "batched" through NewLogs'
// access logger. Run with -cpu 1,2: with two goroutines the at-once
// lines also wait on each other's write.
func BenchmarkAccessLine(b *testing.B) {
	for _, name := range []string{"at-once", "batched"} {
		b.Run(name, func(b *testing.B) {
			f, err := os.Create(filepath.Join(b.TempDir(), "log"))
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			log := NewLogger(f, 0)
			flush := func() {}
			if name == "batched" {
				_, log, flush = NewLogs(f, 0)
			}
			ctx, h := context.Background(), log.Handler()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					r := slog.NewRecord(time.Now(), slog.LevelInfo, "request", 0)
					r.AddAttrs(slog.String("request_id", "0123456789abcdef"), slog.String("method", "GET"),
						slog.String("path", "/checkout/:id"), slog.Int("status", 200),
						slog.Int64("duration_ms", 0), slog.String("client", "127.0.0.1"))
					_ = h.Handle(ctx, r)
				}
			})
			b.StopTimer()
			flush()
		})
	}
}
