package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// The push scenario's sockets are opened by helper processes (this
// program re-executed with HPP_LOAD_HELPER=sockets), not by the harness
// itself: a process may hold at most 20,000 open files here (a hard limit
// that cannot be raised), and one source address has about 28,000
// ephemeral ports towards one listening port (ip_local_port_range
// 32768-60999). Each helper holds at most socketsPerHelper sockets and
// dials from a loopback source address of its own, 127.0.0.2 upwards
// (the app listens on 127.0.0.1; all of 127/8 is local on Linux).
//
// The protocol, one line each way:
//
//	parent -> helper: one socket URL per line, then "."
//	helper -> parent: "open <n> <errors> <first error>" once every socket
//	                  is dialled and has read its first (not paid) message,
//	                  then "paid <index> <unix ns>" as each sees paid
//
// The helper ends when its standard input closes.

// socketsPerHelper bounds the sockets of one helper process.
const socketsPerHelper = 5000

// srcAddr is the loopback source address of helper i.
func srcAddr(i int) string { return fmt.Sprintf("127.0.0.%d", 2+i%250) }

// splitSockets deals n sockets to helpers of at most per each, as evenly
// as possible, and returns each helper's count.
func splitSockets(n, per int) []int {
	if n <= 0 {
		return nil
	}
	k := (n + per - 1) / per
	out := make([]int, k)
	for i := range out {
		out[i] = n / k
		if i < n%k {
			out[i]++
		}
	}
	return out
}

// serveSockets is the helper: it dials every URL read from in from the
// source address src with conns workers, and reports to out.
func serveSockets(in io.Reader, out io.Writer, src string, conns int) error {
	var urls []string
	sc := bufio.NewScanner(in)
	for sc.Scan() && sc.Text() != "." {
		urls = append(urls, sc.Text())
	}
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 512, WriteBufferSize: 512,
		NetDialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}).DialContext}
	socks := make([]*websocket.Conn, len(urls))
	s := drive(context.Background(), conns, 5*time.Minute, func(ctx context.Context, i int) error {
		if i >= len(urls) {
			return errNoWork
		}
		conn, resp, err := d.DialContext(ctx, urls[i], nil)
		if err != nil {
			if resp != nil {
				return fmt.Errorf("dial: HTTP %d: %w", resp.StatusCode, err)
			}
			return fmt.Errorf("dial: %w", err)
		}
		// The first message is the current state; it must not be paid yet.
		var m struct{ Status string }
		if err := conn.ReadJSON(&m); err != nil || m.Status == "paid" {
			conn.Close()
			return fmt.Errorf("first message %q: %v", m.Status, err)
		}
		socks[i] = conn
		return nil
	})
	var mu sync.Mutex
	w := bufio.NewWriter(out)
	fmt.Fprintf(w, "open %d %d %s\n", s.N, s.Errors, strings.ReplaceAll(s.FirstErr, "\n", " "))
	w.Flush()
	var pending atomic.Int64
	for i, conn := range socks {
		if conn == nil {
			continue
		}
		pending.Add(1)
		go func() {
			defer pending.Add(-1)
			for {
				var m struct{ Status string }
				if err := conn.ReadJSON(&m); err != nil {
					return
				}
				if m.Status == "paid" {
					at := time.Now().UnixNano()
					mu.Lock()
					fmt.Fprintf(w, "paid %d %d\n", i, at)
					mu.Unlock()
					return
				}
			}
		}()
	}
	// Flush the paid lines every 10 ms until stdin closes.
	closed := make(chan struct{})
	go func() {
		io.Copy(io.Discard, in)
		close(closed)
	}()
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			mu.Lock()
			err := w.Flush()
			mu.Unlock()
			if err != nil {
				return err
			}
		case <-closed:
			for _, c := range socks {
				if c != nil {
					c.Close()
				}
			}
			mu.Lock()
			defer mu.Unlock()
			return w.Flush()
		}
	}
}

// socketHelper is the parent's end of one helper process.
type socketHelper struct {
	p      *proc
	stdin  io.WriteCloser
	lines  chan string
	offset int // index of its first socket among all
}

// openSockets starts helpers numbered from first, gives each its URLs
// (urls[i] is the URL of socket base+i) and waits until every socket is
// open. It returns the helpers, the open count and the dial errors.
func (h *harness) openSockets(ctx context.Context, urls []string, first, base int) ([]*socketHelper, int, int, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, 0, 0, "", err
	}
	var helpers []*socketHelper
	off := 0
	for j, n := range splitSockets(len(urls), socketsPerHelper) {
		i := first + j
		lines := make(chan string, n+16)
		bin, args := pinned(h.clientCPUs, self, nil)
		p, stdin, err := startWithStdin(h.dir, fmt.Sprintf("sockets-%d", i), bin, args, map[string]string{
			helperEnv: "sockets", "HPP_LOAD_SRC": srcAddr(i), "HPP_LOAD_CONNS": strconv.Itoa(h.conns)}, lines)
		if err != nil {
			return helpers, 0, 0, "", err
		}
		helpers = append(helpers, &socketHelper{p: p, stdin: stdin, lines: lines, offset: base + off})
		bw := bufio.NewWriter(stdin)
		for _, u := range urls[off : off+n] {
			fmt.Fprintln(bw, u)
		}
		fmt.Fprintln(bw, ".")
		if err := bw.Flush(); err != nil {
			return helpers, 0, 0, "", err
		}
		off += n
	}
	open, errs, firstErr := 0, 0, ""
	for _, sh := range helpers {
		select {
		case l := <-sh.lines:
			f := strings.SplitN(l, " ", 4)
			if len(f) < 3 || f[0] != "open" {
				return helpers, 0, 0, "", fmt.Errorf("%s said %q", sh.p.name, l)
			}
			n, _ := strconv.Atoi(f[1])
			e, _ := strconv.Atoi(f[2])
			open, errs = open+n, errs+e
			if firstErr == "" && len(f) == 4 {
				firstErr = f[3]
			}
		case <-sh.p.done:
			return helpers, 0, 0, "", fmt.Errorf("%s exited (see its .stderr file)", sh.p.name)
		case <-ctx.Done():
			return helpers, 0, 0, "", ctx.Err()
		}
	}
	return helpers, open, errs, firstErr, nil
}

// collectPaid reads "paid" lines into paid (unix ns by socket index)
// until want sockets have reported or the deadline passes.
func collectPaid(helpers []*socketHelper, paid []int64, want int, deadline time.Time) int {
	got := 0
	merged := make(chan [2]int64, 1024)
	stop := make(chan struct{})
	defer close(stop)
	for _, sh := range helpers {
		go func() {
			for {
				select {
				case l, ok := <-sh.lines:
					if !ok {
						return
					}
					f := strings.Fields(l)
					if len(f) != 3 || f[0] != "paid" {
						continue
					}
					i, err1 := strconv.Atoi(f[1])
					at, err2 := strconv.ParseInt(f[2], 10, 64)
					if err1 != nil || err2 != nil {
						continue
					}
					select {
					case merged <- [2]int64{int64(sh.offset + i), at}:
					case <-stop:
						return
					}
				case <-stop:
					return
				}
			}
		}()
	}
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	for got < want {
		select {
		case m := <-merged:
			if m[0] >= 0 && int(m[0]) < len(paid) && paid[m[0]] == 0 {
				paid[m[0]] = m[1]
				got++
			}
		case <-t.C:
			return got
		}
	}
	return got
}

// stopSockets closes the helpers' standard input and waits for them.
func stopSockets(helpers []*socketHelper) {
	for _, sh := range helpers {
		sh.stdin.Close()
	}
	for _, sh := range helpers {
		select {
		case <-sh.p.done:
		case <-time.After(10 * time.Second):
			sh.p.stop()
		}
	}
}
