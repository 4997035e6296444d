package webhook

import (
	"bytes"
	"crypto/rand"
	"log/slog"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments"
)

// TestSchedule: with the default MaxAge a failing event is retried for
// more than a day (three days), waits grow from about 10 s and never
// exceed an hour, and jitter keeps each within [wait/2, wait].
func TestSchedule(t *testing.T) {
	for name, r := range map[string]*bytes.Reader{
		"low jitter":  bytes.NewReader(make([]byte, 1<<16)),
		"high jitter": bytes.NewReader(bytes.Repeat([]byte{0xff}, 1<<16)),
	} {
		t.Run(name, func(t *testing.T) {
			w := &Worker{o: Options{MaxAge: 72 * time.Hour, Rand: r, Log: slog.New(slog.DiscardHandler)}}
			created := time.Unix(1_760_000_000, 0)
			e := payments.Event{CreatedAt: created}
			at := created
			var prev time.Duration
			for attempt := 1; ; attempt++ {
				d := w.retry(payments.Delivery{Attempt: attempt, At: at}, e, 0)
				if d.State == payments.DeliveryFailed {
					if span := at.Sub(created); span < 71*time.Hour {
						t.Errorf("gave up after %s (%d tries), want about 72 h", span, attempt)
					}
					break
				}
				wait := d.NextAt.Sub(at)
				if attempt == 1 && (wait < 5*time.Second || wait > 10*time.Second) {
					t.Errorf("first wait %s, want 5-10 s", wait)
				}
				if wait > time.Hour || wait < prev/2 {
					t.Errorf("try %d waits %s after %s", attempt, wait, prev)
				}
				prev, at = wait, d.NextAt
				if attempt > 500 {
					t.Fatal("never gave up")
				}
			}
		})
	}
}

// TestRetryAfter: a receiver's Retry-After lengthens the wait, up to an hour.
func TestRetryAfter(t *testing.T) {
	w := &Worker{o: Options{MaxAge: 72 * time.Hour, Rand: rand.Reader}}
	at := time.Unix(1_760_000_000, 0)
	e := payments.Event{CreatedAt: at}
	if d := w.retry(payments.Delivery{Attempt: 1, At: at}, e, 10*time.Minute); d.NextAt.Sub(at) != 10*time.Minute {
		t.Errorf("Retry-After 600: next in %s, want 10m", d.NextAt.Sub(at))
	}
	if d := w.retry(payments.Delivery{Attempt: 1, At: at}, e, 5*time.Hour); d.NextAt.Sub(at) != time.Hour {
		t.Errorf("Retry-After 5h: next in %s, want 1h", d.NextAt.Sub(at))
	}
}
