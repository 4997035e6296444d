package handlers_test

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

// TestAPIOversizedBodyAnsweredBeforeUpload: a client that announces a
// 5 MB body with "Expect: 100-continue" gets the API's 400 at once, with
// its JSON error, instead of "100 Continue" (after which the server would
// read 64 KiB, answer, and reset the connection under the rest of the
// upload, so the client never saw the error).
func TestAPIOversizedBodyAnsweredBeforeUpload(t *testing.T) {
	a := newTestApp(t)
	u, _ := url.Parse(a.AppURL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/payments HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n"+
		"Content-Length: 5000000\r\nExpect: 100-continue\r\n\r\n", u.Host, testAPIKey)
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer before the upload: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "at most 64 KiB") {
		t.Errorf("answer = %d %s, want 400 saying at most 64 KiB", resp.StatusCode, body)
	}
}
