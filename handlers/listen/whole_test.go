package listen

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// countingListener counts the writes that reach its TCP connections: each
// is one write(2).
type countingListener struct {
	net.Listener
	writes atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, n: &l.writes}, nil
}

type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.n.Add(1)
	return c.Conn.Write(p)
}

// serveCounted serves h as Start does with TLS off and returns its
// address and write counter.
func serveCounted(t *testing.T, h http.Handler) (string, *countingListener) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl := &countingListener{Listener: ln}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go ServePlain(srv, cl)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), cl
}

// body is n bytes that show their own order: a misplaced or lost piece
// changes them.
func body(n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "%08d\n", i)
	}
	return b.Bytes()[:n]
}

// get sends GET path on conn and reads the response's body.
func get(t *testing.T, conn net.Conn, br *bufio.Reader, path string) (*http.Response, []byte) {
	t.Helper()
	if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// TestOneWrite: a response asked for whole reaches the connection in one
// write however the handler and net/http cut it, byte for byte as
// written; one not asked for is written as net/http flushes it; one past
// maxWhole is written on as it comes, in order; a response that closes
// the connection is written before the close; a hijacked connection
// writes straight through.
func TestOneWrite(t *testing.T) {
	want := body(10_000)
	large := body(maxWhole + 20_000)
	mux := http.NewServeMux()
	pieces := func(w http.ResponseWriter, b []byte) {
		w.Header().Set("Content-Length", fmt.Sprint(len(b)))
		for len(b) > 0 { // in pieces, as a template writes
			n := min(len(b), 1500)
			w.Write(b[:n])
			b = b[n:]
		}
	}
	mux.HandleFunc("/whole", func(w http.ResponseWriter, r *http.Request) { OneWrite(r); pieces(w, want) })
	mux.HandleFunc("/plain", func(w http.ResponseWriter, r *http.Request) { pieces(w, want) })
	mux.HandleFunc("/large", func(w http.ResponseWriter, r *http.Request) { OneWrite(r); pieces(w, large) })
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, r *http.Request) {
		OneWrite(r)
		w.Write(want[:5000])
		w.(http.Flusher).Flush()
		w.Write(want[5000:])
	})
	mux.HandleFunc("/close", func(w http.ResponseWriter, r *http.Request) {
		OneWrite(r)
		w.Header().Set("Connection", "close")
		pieces(w, want)
	})
	mux.HandleFunc("/hijack", func(w http.ResponseWriter, r *http.Request) {
		OneWrite(r)
		c, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(want), want)
		c.Read(make([]byte, 1)) // the client has read it all: it closes
	})
	addr, cl := serveCounted(t, mux)

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Minute))
	br := bufio.NewReader(conn)
	for _, c := range []struct {
		path       string
		want       []byte
		minW, maxW int64
	}{
		{"/whole", want, 1, 1},
		{"/plain", want, 2, 10}, // the control: net/http alone cuts it
		{"/whole", want, 1, 1},  // again on the same connection
		{"/chunked", want, 1, 1},
		{"/large", large, 2, 100},
		{"/whole", want, 1, 1}, // after a large one, whole again
	} {
		before := cl.writes.Load()
		_, got := get(t, conn, br, c.path)
		n := cl.writes.Load() - before
		if !bytes.Equal(got, c.want) {
			t.Errorf("%s: %d bytes, not the %d written", c.path, len(got), len(c.want))
		}
		if n < c.minW || n > c.maxW {
			t.Errorf("%s: %d writes, want %d to %d", c.path, n, c.minW, c.maxW)
		}
	}

	for _, path := range []string{"/close", "/hijack"} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(time.Minute))
		resp, got := get(t, conn, bufio.NewReader(conn), path)
		if !bytes.Equal(got, want) || !resp.Close {
			t.Errorf("%s: %d bytes (want %d), closing %v", path, len(got), len(want), resp.Close)
		}
		conn.Close()
	}
}
