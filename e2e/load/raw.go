package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"os"
	"strconv"
	"sync"
	"time"
)

// rawTransport is the harness's HTTP/1.1 client transport: it writes the
// request and reads the whole response on the caller's goroutine, over a
// pool of keep-alive connections. Go's http.Transport runs a reader and a
// writer goroutine per connection and hands every request and response
// between three goroutines through channels; at a few thousand requests
// a second on two CPUs those wake-ups were most of the 70 to 85 µs of
// client CPU a callback cost, CPU the app under test then lacked. Here a
// request is one write(2) and, usually, one read(2).
//
// It speaks only what the harness needs: plain http, requests with their
// whole body in memory (sent with Content-Length), responses delimited by
// Content-Length, chunked encoding or the end of the connection. Every
// request, the ceiling's included, goes through it, so the HTTP ceiling
// and the app are measured with the same client.
type rawTransport struct {
	// maxIdle is how many idle connections are kept per host.
	maxIdle int
	// idleFor is how long an idle connection may be reused: it must stay
	// under the app's idle timeout (see clientIdle).
	idleFor time.Duration
	// timeout bounds one request, from the write to the response's end.
	timeout time.Duration

	mu   sync.Mutex
	idle map[string][]*rawConn
}

// rawConn is one connection and its buffers, reused from request to request.
type rawConn struct {
	nc   net.Conn
	br   *bufio.Reader
	host string
	wbuf []byte
	body []byte
	used time.Time
}

// rawBody is a response's body, already read; closing it gives the
// connection back to the pool.
type rawBody struct {
	bytes.Reader
	t    *rawTransport
	c    *rawConn
	once sync.Once
}

func (b *rawBody) Close() error {
	b.once.Do(func() {
		if b.c != nil {
			b.t.put(b.c)
		}
	})
	return nil
}

// errRawProtocol marks a response the transport cannot parse.
var errRawProtocol = errors.New("raw transport: malformed response")

func (t *rawTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "http" {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("raw transport: %s: only http:// is supported", req.URL.Redacted())
	}
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	host := req.URL.Host
	if req.URL.Port() == "" {
		host = net.JoinHostPort(req.URL.Hostname(), "80")
	}
	c, err := t.get(req.Context(), host)
	if err != nil {
		return nil, err
	}
	ctx := req.Context()
	deadline := time.Now().Add(t.timeout)
	byCtx := false
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline, byCtx = d, true
	}
	resp, keep, err := c.roundTrip(req, body, deadline)
	if err != nil {
		c.nc.Close()
		if byCtx && errors.Is(err, os.ErrDeadlineExceeded) {
			// The context's deadline: report it as the context's error,
			// as net/http does, once the context says so too (its timer
			// may fire a moment after the socket's). A caller that stops
			// at the deadline (drive) must not count this as a failure.
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return nil, err
	}
	b := &rawBody{t: t}
	b.Reset(c.body)
	if keep {
		b.c = c
	} else {
		c.nc.Close()
	}
	resp.Body = b
	return resp, nil
}

// get takes an idle connection to host, or dials one.
func (t *rawTransport) get(ctx context.Context, host string) (*rawConn, error) {
	now := time.Now()
	t.mu.Lock()
	for list := t.idle[host]; len(list) > 0; list = t.idle[host] {
		c := list[len(list)-1]
		t.idle[host] = list[:len(list)-1]
		if now.Sub(c.used) < t.idleFor {
			t.mu.Unlock()
			return c, nil
		}
		c.nc.Close() // idle too long: the server may be closing it
	}
	t.mu.Unlock()
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, err
	}
	return &rawConn{nc: nc, br: bufio.NewReaderSize(nc, 16<<10), host: host}, nil
}

// put gives c back to the pool, or closes it when the pool is full.
func (t *rawTransport) put(c *rawConn) {
	c.used = time.Now()
	t.mu.Lock()
	if t.idle == nil {
		t.idle = map[string][]*rawConn{}
	}
	if len(t.idle[c.host]) < t.maxIdle {
		t.idle[c.host] = append(t.idle[c.host], c)
		c = nil
	}
	t.mu.Unlock()
	if c != nil {
		c.nc.Close()
	}
}

// CloseIdleConnections closes the pool's connections (http.Client calls it).
func (t *rawTransport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = nil
	t.mu.Unlock()
	for _, list := range idle {
		for _, c := range list {
			c.nc.Close()
		}
	}
}

// roundTrip sends req with body and reads the response, its body into
// c.body. keep reports whether the connection may carry another request.
func (c *rawConn) roundTrip(req *http.Request, body []byte, deadline time.Time) (*http.Response, bool, error) {
	if err := c.nc.SetDeadline(deadline); err != nil {
		return nil, false, err
	}
	w := c.wbuf[:0]
	w = append(w, req.Method...)
	w = append(w, ' ')
	w = append(w, req.URL.RequestURI()...)
	w = append(w, " HTTP/1.1\r\nHost: "...)
	if req.Host != "" {
		w = append(w, req.Host...)
	} else {
		w = append(w, req.URL.Host...)
	}
	w = append(w, "\r\n"...)
	for k, vs := range req.Header {
		for _, v := range vs {
			w = append(w, k...)
			w = append(w, ": "...)
			w = append(w, v...)
			w = append(w, "\r\n"...)
		}
	}
	if req.Header.Get("User-Agent") == "" {
		w = append(w, "User-Agent: Go-http-client/1.1\r\n"...) // what net/http sends
	}
	if body != nil || req.Method == http.MethodPost || req.Method == http.MethodPut || req.Method == http.MethodPatch {
		w = append(w, "Content-Length: "...)
		w = strconv.AppendInt(w, int64(len(body)), 10)
		w = append(w, "\r\n"...)
	}
	w = append(w, "\r\n"...)
	w = append(w, body...)
	c.wbuf = w
	if _, err := c.nc.Write(w); err != nil {
		return nil, false, err
	}
	return c.readResponse(req)
}

// readResponse parses the status line and headers, then reads the body.
func (c *rawConn) readResponse(req *http.Request) (*http.Response, bool, error) {
	line, err := c.line()
	if err != nil {
		return nil, false, err
	}
	// "HTTP/1.1 200 OK"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return nil, false, fmt.Errorf("%w: status line %q", errRawProtocol, line)
	}
	code, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return nil, false, fmt.Errorf("%w: status line %q", errRawProtocol, line)
	}
	resp := &http.Response{
		Status: string(bytes.TrimSpace(line[9:])), StatusCode: code,
		Proto: string(line[:8]), ProtoMajor: 1, ProtoMinor: int(line[7] - '0'),
		Header: http.Header{}, Request: req, ContentLength: -1,
	}
	keep := resp.ProtoMinor >= 1
	chunked := false
	for {
		line, err := c.line()
		if err != nil {
			return nil, false, err
		}
		if len(line) == 0 {
			break
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return nil, false, fmt.Errorf("%w: header %q", errRawProtocol, line)
		}
		key := textproto.CanonicalMIMEHeaderKey(string(bytes.TrimSpace(k)))
		val := string(bytes.TrimSpace(v))
		resp.Header[key] = append(resp.Header[key], val)
		switch key {
		case "Content-Length":
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil || n < 0 {
				return nil, false, fmt.Errorf("%w: Content-Length %q", errRawProtocol, val)
			}
			resp.ContentLength = n
		case "Transfer-Encoding":
			chunked = val == "chunked"
			if !chunked {
				return nil, false, fmt.Errorf("%w: Transfer-Encoding %q", errRawProtocol, val)
			}
		case "Connection":
			if textproto.TrimString(val) == "close" {
				keep = false
			}
		}
	}
	c.body = c.body[:0]
	switch {
	case req.Method == http.MethodHead || code/100 == 1 || code == http.StatusNoContent || code == http.StatusNotModified:
	case chunked:
		resp.ContentLength = -1
		if err := c.chunked(); err != nil {
			return nil, false, err
		}
	case resp.ContentLength >= 0:
		c.body = grow(c.body, int(resp.ContentLength))
		if _, err := io.ReadFull(c.br, c.body); err != nil {
			return nil, false, err
		}
	default: // delimited by the end of the connection
		b, err := io.ReadAll(c.br)
		if err != nil {
			return nil, false, err
		}
		c.body, keep = append(c.body, b...), false
	}
	return resp, keep, nil
}

// chunked reads a chunked body into c.body, trailers skipped.
func (c *rawConn) chunked() error {
	for {
		line, err := c.line()
		if err != nil {
			return err
		}
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i]
		}
		n, err := strconv.ParseInt(string(bytes.TrimSpace(line)), 16, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("%w: chunk size %q", errRawProtocol, line)
		}
		if n == 0 {
			for { // trailers, up to the empty line
				line, err := c.line()
				if err != nil {
					return err
				}
				if len(line) == 0 {
					return nil
				}
			}
		}
		at := len(c.body)
		c.body = grow(c.body, at+int(n))
		if _, err := io.ReadFull(c.br, c.body[at:]); err != nil {
			return err
		}
		// A read that fails here (the server closed the connection, the
		// deadline passed) is that failure, not a malformed response: the
		// caller tells a deadline from a broken answer by it.
		crlf, err := c.line()
		if err != nil {
			return fmt.Errorf("raw transport: reading the end of a chunk: %w", err)
		}
		if len(crlf) != 0 {
			return fmt.Errorf("%w: no CRLF after a chunk", errRawProtocol)
		}
	}
}

// line reads one line without its CRLF; it is valid until the next read.
func (c *rawConn) line() ([]byte, error) {
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, fmt.Errorf("%w: line longer than %d bytes", errRawProtocol, c.br.Size())
		}
		return nil, err
	}
	return bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r")), nil
}

// grow returns b resized to n bytes, reusing its array when it can.
func grow(b []byte, n int) []byte {
	if cap(b) >= n {
		return b[:n]
	}
	nb := make([]byte, n, max(n, 2*cap(b)))
	copy(nb, b)
	return nb
}
