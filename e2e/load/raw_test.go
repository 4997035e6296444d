package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// rawServer is a real net/http server counting the connections it accepts.
func rawServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

func get(t *testing.T, c *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// TestRawTransportBodies: bodies delimited by Content-Length and by
// chunks arrive whole, a POST's body and headers reach the server as
// net/http would send them, and one connection carries every request.
func TestRawTransportBodies(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 3000) // 48,000 bytes: chunked
	srv, conns := rawServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/small":
			w.Header().Set("X-Answer", "42")
			io.WriteString(w, "ok")
		case "/big":
			for i := 0; i < len(big); i += 1000 {
				io.WriteString(w, big[i:i+1000])
				w.(http.Flusher).Flush()
			}
		case "/echo":
			b, _ := io.ReadAll(r.Body)
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, r.Method+" "+r.URL.RequestURI()+" "+r.Host+" "+r.Header.Get("Content-Type")+" "+
				r.UserAgent()+" "+r.Header.Get("Content-Length")+" "+string(b))
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		}
	})
	c := newClient(4)
	for range 5 {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/small", nil)
		resp, body := get(t, c, req)
		if resp.StatusCode != 200 || body != "ok" || resp.Header.Get("X-Answer") != "42" || resp.ContentLength != 2 {
			t.Fatalf("/small: %d %q %v", resp.StatusCode, body, resp.Header)
		}
		req, _ = http.NewRequest(http.MethodGet, srv.URL+"/big", nil)
		if resp, body = get(t, c, req); resp.StatusCode != 200 || body != big {
			t.Fatalf("/big: %d, %d bytes, want %d", resp.StatusCode, len(body), len(big))
		}
		req, _ = http.NewRequest(http.MethodPost, srv.URL+"/echo?a=1", strings.NewReader("x=y&z=1"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		want := "POST /echo?a=1 " + strings.TrimPrefix(srv.URL, "http://") + " application/x-www-form-urlencoded Go-http-client/1.1 7 x=y&z=1"
		if resp, body = get(t, c, req); resp.StatusCode != http.StatusCreated || body != want {
			t.Fatalf("/echo: %d %q, want %q", resp.StatusCode, body, want)
		}
		req, _ = http.NewRequest(http.MethodGet, srv.URL+"/empty", nil)
		if resp, body = get(t, c, req); resp.StatusCode != http.StatusNoContent || body != "" {
			t.Fatalf("/empty: %d %q", resp.StatusCode, body)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections for 20 sequential requests, want 1 kept alive", n)
	}
}

// TestRawTransportConnections: a response that closes its connection, and
// a connection idle longer than the transport allows, are not reused; a
// context's deadline bounds a request.
func TestRawTransportConnections(t *testing.T) {
	srv, conns := rawServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/close":
			w.Header().Set("Connection", "close")
		case "/slow":
			select {
			case <-r.Context().Done(): // the client gave up and closed
			case <-time.After(2 * time.Second):
			}
		}
		io.WriteString(w, "ok")
	})
	c := newClient(4)
	for range 3 {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/close", nil)
		if resp, body := get(t, c, req); resp.StatusCode != 200 || body != "ok" {
			t.Fatalf("/close: %d %q", resp.StatusCode, body)
		}
	}
	if n := conns.Load(); n != 3 {
		t.Fatalf("%d connections for 3 requests answered Connection: close, want 3", n)
	}

	c.Transport.(*rawTransport).idleFor = time.Nanosecond
	for range 3 {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/", nil)
		get(t, c, req)
	}
	if n := conns.Load(); n != 6 {
		t.Fatalf("%d connections after 3 more with idle connections expired, want 6", n)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/slow", nil)
	t0 := time.Now()
	_, err := c.Do(req)
	if !errors.Is(err, context.DeadlineExceeded) || ctx.Err() == nil {
		t.Fatalf("slow request with a 50 ms deadline: %v (context: %v), want the context's deadline", err, ctx.Err())
	}
	if time.Since(t0) >= 2*time.Second {
		t.Fatalf("the deadline did not end the request")
	}
}

// TestRawTransportMalformed: what is not an HTTP/1.x response is an error,
// not a response.
func TestRawTransportMalformed(t *testing.T) {
	for _, answer := range []string{
		"hello\r\n\r\n",
		"HTTP/1.1 2x0 OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
	} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 4096)
			c.Read(buf)
			io.WriteString(c, answer)
			c.Close()
		}()
		resp, err := newClient(1).Get("http://" + ln.Addr().String() + "/")
		ln.Close()
		if err == nil {
			resp.Body.Close()
			t.Fatalf("answer %q: HTTP %d, want an error", answer, resp.StatusCode)
		}
	}
}

// TestRawTransportChunkCut: a chunked answer cut off after a chunk (the
// server closed the connection) is reported as the cut, not as a
// malformed response, so that a load run's first error says which it was.
func TestRawTransportChunkCut(t *testing.T) {
	for _, tc := range []struct {
		answer    string
		malformed bool
	}{
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello", false},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXY\r\n0\r\n\r\n", true},
	} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 4096)
			c.Read(buf)
			io.WriteString(c, tc.answer)
			c.Close()
		}()
		resp, err := newClient(1).Get("http://" + ln.Addr().String() + "/")
		ln.Close()
		if err == nil {
			resp.Body.Close()
			t.Fatalf("answer %q: HTTP %d, want an error", tc.answer, resp.StatusCode)
		}
		if got := errors.Is(err, errRawProtocol); got != tc.malformed {
			t.Errorf("answer %q: %v; malformed %v, want %v", tc.answer, err, got, tc.malformed)
		}
		if !tc.malformed && !errors.Is(err, io.EOF) {
			t.Errorf("answer %q: %v, want the connection's end (io.EOF) in it", tc.answer, err)
		}
	}
}
