package listen

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Whole responses: a response a handler asks for (OneWrite) reaches the
// connection in one write(2), however net/http cuts it.
//
// net/http buffers a connection's output in 4 KiB: the status line and
// headers go into that buffer first, then the body. A response of more
// than 4,096 bytes with its headers therefore leaves in two writes or
// more: the full buffer, then the rest when the response ends. On
// loopback or a LAN each write is a TCP segment of its own, the kernel's
// send path and the peer's wake-up twice over. The checkout page is about
// 3.3 KB and its headers 0.85 KB: once the page grew past the buffer's
// edge, every page cost a second write(2), some 7 µs of the app's CPU a
// page in the load harness (e2e/load/README.md), while a benchmark
// through httptest, which has no connection, saw nothing.
//
// So the plain-HTTP listener's connections are wholeConns. A handler
// calls OneWrite; from then until the response is done the connection
// keeps what net/http writes, and writes it in one go when the response
// is over: when net/http clears the write deadline after the response,
// when the connection goes idle (Server.ConnState, the documented
// fallback) or is closed, hijacked or half-closed. What the handler
// writes is unchanged, byte for byte; only the number of write(2) calls
// is. A response that grows past maxWhole is written on as it comes
// (what was kept goes first), so a large answer is not held in memory.
// A handler that streams must not call OneWrite: what it flushes is kept
// until the response ends (or maxWhole). With TLS on (Start's other
// modes) nothing is wrapped and OneWrite does nothing: TLS records and
// HTTP/2 frames are their own buffering.

// maxWhole is the most a response keeps back for its one write.
const maxWhole = 64 << 10

// wholeKey is the request context's key of its connection's wholeConn.
type wholeKey struct{}

// OneWrite asks that the response to r reach the connection in one write
// (at most maxWhole bytes are kept back). Call it before writing any of
// the response. It does nothing where r's connection is not one of
// ServePlain's (TLS, tests through httptest).
func OneWrite(r *http.Request) {
	if c, ok := r.Context().Value(wholeKey{}).(*wholeConn); ok {
		c.hold()
	}
}

// ServePlain serves srv on ln as Start does with TLS off: every
// connection a wholeConn, whose kept response leaves at the latest when
// it goes idle. It sets srv's ConnContext and ConnState (calling any
// ConnContext and ConnState srv already had).
func ServePlain(srv *http.Server, ln net.Listener) error {
	prevCtx, prevState := srv.ConnContext, srv.ConnState
	srv.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if prevCtx != nil {
			ctx = prevCtx(ctx, c)
		}
		if w, ok := c.(*wholeConn); ok {
			ctx = context.WithValue(ctx, wholeKey{}, w)
		}
		return ctx
	}
	srv.ConnState = func(c net.Conn, st http.ConnState) {
		if w, ok := c.(*wholeConn); ok && st != http.StateNew && st != http.StateActive {
			w.release() // idle (the response is done), hijacked or closed
		}
		if prevState != nil {
			prevState(c, st)
		}
	}
	return srv.Serve(wholeListener{ln})
}

type wholeListener struct{ net.Listener }

func (l wholeListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &wholeConn{Conn: c}, nil
}

// wholeConn is a connection that can keep a response back for one write.
// Only the connection's serving goroutine writes and holds; Close may
// come from another (Server.Close), and writes what is kept first.
type wholeConn struct {
	net.Conn
	holding atomic.Bool // a response is being kept back; read without mu on every Write
	mu      sync.Mutex  // guards kept
	kept    *[]byte     // from wholeBufs while holding
}

var wholeBufs = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

func (c *wholeConn) hold() {
	c.mu.Lock()
	if c.kept == nil {
		c.kept = wholeBufs.Get().(*[]byte)
	}
	c.holding.Store(true)
	c.mu.Unlock()
}

// take ends holding and returns what was kept (nil when nothing). The
// caller writes it and gives it back with give.
func (c *wholeConn) take() *[]byte {
	c.mu.Lock()
	b := c.kept
	c.kept = nil
	c.holding.Store(false)
	c.mu.Unlock()
	return b
}

func (c *wholeConn) give(b *[]byte) {
	if cap(*b) <= maxWhole {
		*b = (*b)[:0]
		wholeBufs.Put(b)
	}
}

// flush writes what was kept, if anything, and ends holding.
func (c *wholeConn) flush() error {
	b := c.take()
	if b == nil {
		return nil
	}
	defer c.give(b)
	if len(*b) == 0 {
		return nil
	}
	_, err := c.Conn.Write(*b)
	return err
}

// release ends a response: what was kept leaves in one write. An error is
// the connection's: net/http finds it closed on its next read.
func (c *wholeConn) release() {
	if c.holding.Load() {
		_ = c.flush()
	}
}

func (c *wholeConn) Write(p []byte) (int, error) {
	if c.holding.Load() {
		c.mu.Lock()
		if c.kept != nil && len(*c.kept)+len(p) <= maxWhole {
			*c.kept = append(*c.kept, p...)
			c.mu.Unlock()
			return len(p), nil
		}
		c.mu.Unlock()
		// Too much to keep: what was kept goes first, then p, and the
		// rest of this response as it comes.
		if err := c.flush(); err != nil {
			return 0, err
		}
	}
	return c.Conn.Write(p)
}

// ReadFrom keeps net/http's sendfile path (response.ReadFrom looks for an
// io.ReaderFrom on the connection): what was kept goes first.
func (c *wholeConn) ReadFrom(r io.Reader) (int64, error) {
	if err := c.flush(); err != nil {
		return 0, err
	}
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

// SetWriteDeadline and SetDeadline write what was kept first, under the
// deadline it was written for. net/http clears the write deadline as soon
// as a response is finished, before the connection is marked idle, so
// that is where a kept response leaves: before Server.Shutdown can see
// the connection idle and close it (ConnState then finds nothing kept).
func (c *wholeConn) SetWriteDeadline(t time.Time) error {
	c.release()
	return c.Conn.SetWriteDeadline(t)
}

func (c *wholeConn) SetDeadline(t time.Time) error {
	c.release()
	return c.Conn.SetDeadline(t)
}

// CloseWrite keeps net/http's half-close before a reset (closeWriteAndWait).
func (c *wholeConn) CloseWrite() error {
	if err := c.flush(); err != nil {
		return err
	}
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

func (c *wholeConn) Close() error {
	_ = c.flush()
	return c.Conn.Close()
}
