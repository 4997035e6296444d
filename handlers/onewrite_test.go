package handlers_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/handlers/listen"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
)

// writeCounter counts the writes that reach its connections: with a
// TCP connection underneath, each is one write(2).
type writeCounter struct {
	net.Listener
	writes atomic.Int64
}

func (l *writeCounter) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countedConn{Conn: c, n: &l.writes}, nil
}

type countedConn struct {
	net.Conn
	n *atomic.Int64
}

func (c *countedConn) Write(p []byte) (int, error) {
	c.n.Add(1)
	return c.Conn.Write(p)
}

// TestCheckoutPageOneWrite: the checkout page, asked for as the load
// harness asks (a desktop browser's User-Agent, no Accept-Language, no
// Accept-Encoding: the page goes out plain), reaches the connection in one
// write(2) per response, through the plain-HTTP listener the app runs
// behind a proxy. The page and its headers are more than net/http's 4 KiB
// connection buffer, which cut each answer in two writes: a second
// write(2), TCP segment and wake-up of the client per page, some 7 µs of
// the app's CPU a page that no benchmark through httptest saw. The chooser
// (the harness's page) and a QR page (larger still) are both checked, over
// one keep-alive connection, each from the page cache after the first.
func TestCheckoutPageOneWrite(t *testing.T) {
	app := handlers.NewTestApp(t, handlers.TestAppOptions{GinMode: gin.ReleaseMode,
		Edit: func(_ *paymentstest.Env, o *handlers.Options) { o.Sandbox, o.Limits = nil, handlers.Limits{Off: true} }})
	chooser := app.Env.MustCreate(t, paymentstest.Input("one-write-1"))
	qr := app.Env.MustCreate(t, paymentstest.Input("one-write-2"))
	app.Env.MustStart(t, qr.ID, payments.MethodWeChat, payments.DeviceDesktop)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	counted := &writeCounter{Listener: ln}
	srv := &http.Server{Handler: app.H, ReadHeaderTimeout: 5 * time.Second}
	go listen.ServePlain(srv, counted)
	t.Cleanup(func() { srv.Close() })

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Minute))
	host := mustURL(t, app.Env.AppURL).Host
	br := bufio.NewReader(conn)
	for _, p := range []struct{ name, id string }{{"chooser", chooser.ID}, {"QR", qr.ID}} {
		for i := range 5 {
			before := counted.writes.Load()
			// The harness's request, byte for byte but for the host and path.
			if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n\r\n",
				handlers.CheckoutPath(p.id), host, desktopUA); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "" {
				t.Fatalf("%s page: %d, Content-Encoding %q, %v", p.name, resp.StatusCode, resp.Header.Get("Content-Encoding"), err)
			}
			size := len(body) + headerBytes(resp)
			if size <= 4096 {
				t.Fatalf("%s page: %d bytes with its headers, within net/http's 4 KiB buffer: this test needs a larger page", p.name, size)
			}
			// Each write is counted before it is made, so once the whole
			// response is read every write of it has been counted.
			if n := counted.writes.Load() - before; n != 1 {
				t.Errorf("%s page, request %d: %d bytes with its headers reached the connection in %d writes, want 1", p.name, i+1, size, n)
			}
		}
	}
}

// headerBytes is the size of resp's status line and headers as sent.
func headerBytes(resp *http.Response) int {
	n := len("HTTP/1.1 200 OK\r\n\r\n")
	for k, vs := range resp.Header {
		for _, v := range vs {
			n += len(k) + len(": ") + len(v) + len("\r\n")
		}
	}
	return n
}

func mustURL(t testing.TB, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// BenchmarkCheckoutPageOverTCP serves the checkout page (the chooser, as
// the load harness asks for it) over one keep-alive loopback connection,
// client and server in this process: "net-http" as http.Server.Serve
// alone writes it (what the listener did before), "one-write" through
// listen.ServePlain. cpu-µs/op and syscw/op are the whole process's, the
// client's one read and one write per request included. Run with -count
// to alternate the two.
func BenchmarkCheckoutPageOverTCP(b *testing.B) {
	for _, c := range []struct {
		name  string
		serve func(*http.Server, net.Listener) error
	}{{"net-http", (*http.Server).Serve}, {"one-write", listen.ServePlain}} {
		b.Run(c.name, func(b *testing.B) {
			app := handlers.NewTestApp(b, handlers.TestAppOptions{GinMode: gin.ReleaseMode,
				Edit: func(_ *paymentstest.Env, o *handlers.Options) { o.Sandbox, o.Limits = nil, handlers.Limits{Off: true} }})
			p := app.Env.MustCreate(b, paymentstest.Input("bench-tcp"))
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			srv := &http.Server{Handler: app.H, ReadHeaderTimeout: 5 * time.Second}
			go c.serve(srv, ln)
			defer srv.Close()
			conn, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			req := []byte(fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n\r\n",
				handlers.CheckoutPath(p.ID), mustURL(b, app.Env.AppURL).Host, desktopUA))
			br := bufio.NewReaderSize(conn, 16<<10)
			get := func() {
				if _, err := conn.Write(req); err != nil {
					b.Fatal(err)
				}
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					b.Fatal(err)
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					b.Fatalf("GET: %d, %v", resp.StatusCode, err)
				}
			}
			get() // the page cache's entry
			b.ReportAllocs()
			stop := benchCPU(b)
			defer stop()
			for b.Loop() {
				get()
			}
		})
	}
}
