package e2e

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/latipay-hpp/hpp/payments/pgbroker"
	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
)

// multiCatchUpBound is how long the shop-wide sockets on B may take to
// catch up once B is back. The catch-up comes with B's listener's
// reconnect (backoff 0.1 s at first) and its resync, within a second or
// so; this is generous, and longer than the broker's periodic resync
// (10 s), so that a broker that never asks its sockets to catch up fails
// here for that reason, not for an impatient deadline.
const multiCatchUpBound = 20 * time.Second

// TestMultiShopWideCatchUp is pgbroker.TestReconnectCatchUp end to end:
// the three sockets that follow the whole shop are held by B (the display
// paired through B, the counter's own socket and the owner's back-office
// feed), B's doorbells for two payments paid through A are lost, and B's
// sockets still show them once its listener is back: the display the
// paid screen of the device's sale, the counter socket the static-QR
// payment, the feed both entries paid.
//
// A lost doorbell must really be lost. Terminating the listeners and
// paying at once, as TestMultiListenerDropped does, races B's reconnect
// (0.05-0.1 s after the first failure) against A's commit and doorbell:
// when B listens again first, the doorbell reaches it and nothing here
// would depend on the catch-up. So B is stopped (SIGSTOP) while it loses
// its listener and A takes both callbacks (each answered "sent" only
// after A has rung the doorbell); a LISTEN that starts after a NOTIFY
// committed never receives it. Then B continues (SIGCONT): the only way
// its shop-wide sockets can learn of the payments is the store, read when
// the broker's resync calls Hub.CatchUp.
func TestMultiShopWideCatchUp(t *testing.T) {
	db, sim, a, b, till := multiCounterTill(t)

	// The counter's own socket on B. A first static-QR payment, paid
	// through A while everything is connected, shows on it live: the
	// socket follows the shop on B.
	linkURL := till.post(a.URL+"/admin/links", url.Values{"kind": {"static_qr"}, "currency": {"NZD"}, "min": {"1"}, "max": {"500"}}, 200).
		Find(`[data-testid="link-url"]`).Text()
	if linkURL == "" {
		t.Fatal("making the static QR showed no link")
	}
	counterWS := till.dial(b, "/counter/ws")
	warm, warmRef := multiStaticQRStart(t, a, linkURL)
	multiPaidOn(t, sim, a, warmRef, "20260301000029")
	if _, err := multiCounterRead(counterWS, warm, time.Now().Add(multiBound)); err != nil {
		t.Fatalf("counter socket on B, live: %v", err)
	}

	// The owner's feed on B (the till's browser holds the owner's session
	// made on A), and a display paired through B (idle: it follows the
	// shop).
	feedWS := till.dial(b, "/admin/feed?lang=en")
	code := till.post(a.URL+"/counter/displays/code", nil, 200).Find(`[data-testid="display-code"]`).Text()
	if code == "" {
		t.Fatal("the counter shows no display code")
	}
	screen := newMultiBrowser(t)
	screen.post(b.URL+"/counter/display", url.Values{"code": {code}}, 200)
	displayWS := screen.dial(b, "/counter/display/ws")
	multiDisplayWait(t, "B", displayWS, "idle", "")

	// The device's sale on A shows on B's display and in B's feed, live:
	// both follow the shop. A second shopper starts at the static QR.
	sale := till.charge(a, "multi-catchup-000000001")
	multiDisplayWait(t, "B", displayWS, "sale", `data-testid="display-qr"`)
	if err := multiFeedRead(feedWS, map[string]string{sale.ID: "pending"}, time.Now().Add(multiBound)); err != nil {
		t.Fatalf("feed on B, live: %v", err)
	}
	qr, qrRef := multiStaticQRStart(t, a, linkURL)
	saleRef := a.payment(t, sale.ID).LatipayReference

	// B stands still and loses its listener; A's is cut too, as in
	// TestMultiListenerDropped. The old connections must be gone, not
	// just told to go, before anything is paid: a backend still alive
	// could yet pass a doorbell on to B.
	if err := b.signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.signal(syscall.SIGCONT) }) // before runMain's stop, if the test ends early
	cut := pgtest.QueryInt64(t, db, `SELECT (extract(epoch FROM clock_timestamp()) * 1e6)::bigint`)
	if got := pgtest.QueryInt64(t, db, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1 AND datname = current_database()`, pgbroker.ApplicationName); got != 2 {
		t.Fatalf("terminated %d listener connections, want 2 (one per instance)", got)
	}
	multiWait(t, 10*time.Second, "the cut listener connections to end", func() bool {
		return pgtest.QueryInt64(t, db, `SELECT count(*) FROM pg_stat_activity
			WHERE application_name = $1 AND datname = current_database() AND backend_start < to_timestamp($2 / 1e6)`,
			pgbroker.ApplicationName, cut) == 0
	})

	// Both are paid through A, whose callback answers once it has rung
	// the doorbell: B, stopped, cannot be listening.
	multiPaidOn(t, sim, a, saleRef, "20260301000039")
	multiPaidOn(t, sim, a, qrRef, "20260301000049")
	for _, id := range []string{sale.ID, qr} {
		if st := a.payment(t, id).Status; st != "paid" {
			t.Fatalf("%s on A: status %q after its callback, want paid", id, st)
		}
	}
	if n := pgtest.QueryInt64(t, db, `SELECT count(*) FROM pg_stat_activity
		WHERE application_name = $1 AND datname = current_database() AND backend_start < to_timestamp($2 / 1e6)`,
		pgbroker.ApplicationName, cut); n != 0 {
		t.Fatalf("%d listener connections from before the cut are back", n)
	}

	// B continues. Its three sockets are read side by side, so that each
	// one's result is reported.
	if err := b.signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	deadline := start.Add(multiCatchUpBound)
	var wg sync.WaitGroup
	wg.Go(func() {
		say, err := multiDisplayRead(displayWS, "result", `data-testid="display-paid"`, deadline)
		switch {
		case err != nil:
			t.Errorf("display on B after its lost doorbell: %v", err)
		case say != "微信收款 12.50 纽币":
			t.Errorf("display on B announces %q", say)
		default:
			t.Logf("display on B: the sale's tick %v after B continued", time.Since(start))
		}
	})
	wg.Go(func() {
		m, err := multiCounterRead(counterWS, qr, deadline)
		switch {
		case err != nil:
			t.Errorf("counter socket on B after its lost doorbell: %v", err)
		case m.Status != "paid" || m.Amount != "12.50" || !strings.Contains(m.Notice, "固定收款码"):
			t.Errorf("counter socket on B sent %+v", m)
		default:
			t.Logf("counter socket on B: the static-QR notice %v after B continued", time.Since(start))
		}
	})
	wg.Go(func() {
		if err := multiFeedRead(feedWS, map[string]string{sale.ID: "paid", qr: "paid"}, deadline); err != nil {
			t.Errorf("feed on B after its lost doorbells: %v", err)
		} else {
			t.Logf("feed on B: both paid %v after B continued", time.Since(start))
		}
	})
	wg.Wait()
}

// signal sends sig to the instance (SIGSTOP and SIGCONT: to stand it
// still and let it go on).
func (a *multiApp) signal(sig syscall.Signal) error {
	a.proc.mu.Lock()
	cmd := a.proc.cmd
	a.proc.mu.Unlock()
	if err := cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("%s: %v: %w", a.name, sig, err)
	}
	return nil
}

// multiCounterMessage is what the counter's socket sends of a static-QR
// payment.
type multiCounterMessage struct{ ID, Status, Amount, Notice string }

// multiCounterRead reads the counter's socket until it sends payment id,
// or deadline passes.
func multiCounterRead(c *websocket.Conn, id string, deadline time.Time) (multiCounterMessage, error) {
	_ = c.SetReadDeadline(deadline)
	for {
		var m multiCounterMessage
		if err := c.ReadJSON(&m); err != nil {
			return m, fmt.Errorf("waiting for %s: %w", id, err)
		}
		if m.ID == id {
			return m, nil
		}
	}
}

// multiFeedRead reads a back-office feed socket until it has sent each
// payment of want (id -> status) in that status, or deadline passes.
func multiFeedRead(c *websocket.Conn, want map[string]string, deadline time.Time) error {
	_ = c.SetReadDeadline(deadline)
	left := maps.Clone(want)
	for len(left) > 0 {
		var m struct{ ID, Status, HTML string }
		if err := c.ReadJSON(&m); err != nil {
			return fmt.Errorf("waiting for %v: %w", left, err)
		}
		if left[m.ID] == m.Status {
			if !strings.Contains(m.HTML, "12.50") {
				return errors.New("feed entry without its amount: " + m.HTML)
			}
			delete(left, m.ID)
		}
	}
	return nil
}
