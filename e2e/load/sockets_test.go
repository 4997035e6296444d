package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// TestSplitSockets: every socket is dealt, no helper holds more than its
// share, and the shares differ by at most one.
func TestSplitSockets(t *testing.T) {
	for _, n := range []int{1, 4999, 5000, 5001, 19000, 19001} {
		parts := splitSockets(n, socketsPerHelper)
		sum, lo, hi := 0, n, 0
		for _, p := range parts {
			sum += p
			lo, hi = min(lo, p), max(hi, p)
		}
		if sum != n || hi > socketsPerHelper || hi-lo > 1 || len(parts) != (n+socketsPerHelper-1)/socketsPerHelper {
			t.Errorf("splitSockets(%d) = %v", n, parts)
		}
	}
	if a, b := srcAddr(0), srcAddr(1); a == b || a == "127.0.0.1" {
		t.Errorf("source addresses %s, %s: want distinct ones other than the app's", a, b)
	}
}

// TestServeSockets: the helper dials every URL from its source address,
// reports them open, then reports each socket's paid with its index.
func TestServeSockets(t *testing.T) {
	up := websocket.Upgrader{}
	release := make(chan struct{})
	froms := make(chan string, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		froms <- strings.Split(r.RemoteAddr, ":")[0]
		c.WriteJSON(map[string]string{"status": "pending"})
		<-release
		if r.URL.Query().Get("pay") == "yes" {
			c.WriteJSON(map[string]string{"status": "paid"})
		}
		c.ReadMessage()
	}))
	defer srv.Close()
	ws := "ws" + strings.TrimPrefix(srv.URL, "http")
	in := strings.NewReader(ws + "/?pay=no\n" + ws + "/?pay=yes\n" + ws + "/?pay=yes\n.\n")
	pr, pw := io.Pipe()
	out := &paymentstest.SyncBuffer{}
	done := make(chan error, 1)
	go func() { done <- serveSockets(io.MultiReader(in, pr), out, srcAddr(3), 2) }()
	waitLine(t, out, "open 3 0")
	for range 3 {
		if f := <-froms; f != srcAddr(3) {
			t.Errorf("dialled from %s, want %s", f, srcAddr(3))
		}
	}
	close(release)
	waitLine(t, out, "paid 1 ")
	waitLine(t, out, "paid 2 ")
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "paid 0 ") {
		t.Errorf("socket 0 reported paid:\n%s", out)
	}
}

// waitLine waits for a line starting with prefix (a broken helper never
// writes it; the deadline only ends such a test).
func waitLine(t *testing.T, out fmt.Stringer, prefix string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, l := range strings.Split(out.String(), "\n") {
			if strings.HasPrefix(l, prefix) {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no line %q in:\n%s", prefix, out)
}
