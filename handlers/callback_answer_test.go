package handlers

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestCallbackAnsweredWhole: Latipay's callback gets its "sent" as one
// answer with its length, not streamed: a flushed answer goes out chunked,
// the header and "sent" in one write and the closing chunk in another, a
// system call and a TCP segment more for every callback. Read from a raw
// connection to the real server, so the framing on the wire is what is
// checked; the first copy and a repeat alike.
func TestCallbackAnsweredWhole(t *testing.T) {
	a := newFloodApp(t, Limits{})
	ref := a.newAttempts(t, 1)[0]
	u, err := url.Parse(a.url)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := signedNotification(secLatipayKey, ref, "wechat", "paid", "NZD", "12.50").Encode()
	r := bufio.NewReader(conn)
	for try := range 2 {
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s",
			CallbackPath, u.Host, len(body), body)
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("try %d: %v", try, err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("try %d: %v", try, err)
		}
		if resp.StatusCode != http.StatusOK || string(b) != "sent" {
			t.Fatalf("try %d: %d %q, want 200 \"sent\"", try, resp.StatusCode, b)
		}
		if resp.ContentLength != int64(len("sent")) || len(resp.TransferEncoding) > 0 {
			t.Errorf("try %d: Content-Length %d, Transfer-Encoding %s; want 4 and none (the answer whole, not streamed)",
				try, resp.ContentLength, strings.Join(resp.TransferEncoding, ", "))
		}
	}
}
