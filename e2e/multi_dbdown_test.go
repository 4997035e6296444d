package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/payments/postgres/pgtest"
)

// multiGate stands between an instance and the test's PostgreSQL, so the
// test can take the database away from it as a stop of the server does
// (pg_ctlcluster stop -m fast): the sessions are ended (SQLSTATE 57P01)
// and new connections are refused. Only this test's database is touched.
type multiGate struct {
	t             *testing.T
	db            string // the database's own URL
	addr          string // where the instance connects
	network, onto string // where the gate forwards
	mu            sync.Mutex
	ln            net.Listener
	conns         []net.Conn
}

func multiNewGate(t *testing.T, db string) *multiGate {
	t.Helper()
	u, err := url.Parse(db)
	if err != nil {
		t.Fatal(err)
	}
	g := &multiGate{t: t, db: db, network: "tcp", onto: u.Host}
	if dir := u.Query().Get("host"); strings.HasPrefix(dir, "/") { // a unix socket's folder
		port := u.Query().Get("port")
		if port == "" {
			port = "5432"
		}
		g.network, g.onto = "unix", filepath.Join(dir, ".s.PGSQL."+port)
	}
	g.addr = freeAddr(t)
	g.up()
	t.Cleanup(func() { g.close() })
	return g
}

// url is the database's URL through the gate.
func (g *multiGate) url() string {
	u, _ := url.Parse(g.db)
	q := u.Query()
	q.Del("host")
	q.Del("port")
	u.RawQuery, u.Host = q.Encode(), g.addr
	return u.String()
}

// up accepts connections again.
func (g *multiGate) up() {
	g.t.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the port was just closed; it is free again in moments
		if ln, err = net.Listen("tcp", g.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		g.t.Fatal(err)
	}
	g.mu.Lock()
	g.ln = ln
	g.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial(g.network, g.onto)
			if err != nil {
				c.Close()
				continue
			}
			g.mu.Lock()
			g.conns = append(g.conns, c, s)
			g.mu.Unlock()
			go func() { _, _ = io.Copy(s, c); s.Close() }()
			go func() { _, _ = io.Copy(c, s); c.Close() }()
		}
	}()
}

// down ends the database's sessions as a fast shutdown does (each gets
// FATAL 57P01) and refuses new connections until up.
func (g *multiGate) down() {
	g.t.Helper()
	g.mu.Lock()
	g.ln.Close()
	g.mu.Unlock()
	pgtest.Exec(g.t, g.db, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`)
	time.Sleep(100 * time.Millisecond) // the FATAL message reaches the instance
	g.close()
}

func (g *multiGate) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.ln.Close()
	for _, c := range g.conns {
		c.Close()
	}
	g.conns = nil
}

// TestMultiDatabaseDown: while PostgreSQL is down, an instance answers
// 503 with Retry-After, never a 500: the API with its error shape and the
// code database_unavailable, a shopper's page with words in their
// language. Once the database is back, the same request (the same
// Idempotency-Key) succeeds.
func TestMultiDatabaseDown(t *testing.T) {
	db := pgtest.Database(t)
	sim := multiNewSim(t, "A")
	gate := multiNewGate(t, db)
	a := multiStart(t, mainBinary(t, ""), "A", gate.url(), sim.urls["A"])
	p := a.pay(t)

	create := func() *http.Response {
		body, _ := json.Marshal(map[string]any{"amount": "3.20", "currency": "NZD", "reference": "DOWN-1",
			"return_url": "https://shop.example/thanks"})
		req, _ := http.NewRequest(http.MethodPost, a.URL+"/api/v1/payments", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+multiAPIKey)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "down-1")
		resp, err := a.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	gate.down()
	resp := create()
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	_ = json.Unmarshal(b, &e)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || e.Error.Code != "database_unavailable" {
		t.Errorf("create with the database down = %d, Retry-After %q: %s; want 503 database_unavailable with Retry-After",
			resp.StatusCode, resp.Header.Get("Retry-After"), b)
	}
	for lang, want := range map[string]string{"en": "try again in a few seconds", "zh-Hans": "请几秒后再试", "zh-Hant": "請幾秒後再試"} {
		resp, body := get(t, a.client, a.URL+"/checkout/pay_00000000000000000000000000?lang="+lang, multiDesktopUA)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), want) {
			t.Errorf("a checkout page (%s) with the database down = %d, Retry-After %q, saying %q: want 503 with Retry-After saying %q",
				lang, resp.StatusCode, resp.Header.Get("Retry-After"), pageText(body), want)
		}
	}
	if logs := a.output(); strings.Contains(logs, `"level":"ERROR","msg":"request failed"`) {
		t.Errorf("the outage was logged as an internal error:\n%s", logs)
	}

	gate.up()
	multiWait(t, 15*time.Second, "the create to succeed once the database is back", func() bool {
		resp := create()
		resp.Body.Close()
		return resp.StatusCode == http.StatusCreated
	})
	if got := a.payment(t, p.ID); got.ID != p.ID {
		t.Errorf("the payment made before the outage = %+v", got)
	}
}

// pageText is a page's text without its markup, shortened, for messages.
func pageText(b []byte) string {
	s := string(b)
	if i := strings.Index(s, "<main"); i >= 0 {
		s = s[i:]
	}
	if len(s) > 600 {
		s = s[:600]
	}
	return s
}
