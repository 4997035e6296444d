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

// TestAPIOversizedBodyAnsweredAfterUpload: a client that writes a whole
// 3 MB body before reading anything (no Expect header, as Python's
// urllib does) reads the API's JSON 400, every time, instead of a reset
// connection: the server reads the rest of the body before it answers.
// Once with Content-Length, once chunked.
func TestAPIOversizedBodyAnsweredAfterUpload(t *testing.T) {
	a := newTestApp(t)
	u, _ := url.Parse(a.AppURL)
	body := `{"description":"` + strings.Repeat("x", 3<<20) + `"}`
	for i := range 2 {
		chunked := i%2 == 1
		conn, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		// A small send buffer: the body cannot sit in the kernel's
		// buffers while the server has already answered and closed.
		_ = conn.(*net.TCPConn).SetWriteBuffer(4 << 10)
		_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
		head := fmt.Sprintf("POST /api/v1/payments HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n",
			u.Host, testAPIKey)
		var req string
		if chunked {
			req = head + "Transfer-Encoding: chunked\r\n\r\n" + fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(body), body)
		} else {
			req = head + fmt.Sprintf("Content-Length: %d\r\n\r\n", len(body)) + body
		}
		if _, err := io.WriteString(conn, req); err != nil {
			t.Fatalf("try %d (chunked %v): writing the body: %v", i, chunked, err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("try %d (chunked %v): no answer after the upload: %v", i, chunked, err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(got), `"invalid_request"`) ||
			!strings.Contains(string(got), "at most 64 KiB") {
			t.Errorf("try %d (chunked %v): answer = %d %s, want the JSON 400 saying at most 64 KiB", i, chunked, resp.StatusCode, got)
		}
	}
}

// TestAPIUnauthorizedBodyAnsweredAfterUpload: a request without a valid
// API key that writes a whole 3 MB body before reading anything reads the
// API's JSON 401, every time, instead of a reset connection: the body is
// read (bounded, as for a body too large) before the answer. Once with
// Content-Length, once chunked, once with a wrong key.
func TestAPIUnauthorizedBodyAnsweredAfterUpload(t *testing.T) {
	a := newTestApp(t)
	u, _ := url.Parse(a.AppURL)
	body := `{"description":"` + strings.Repeat("x", 3<<20) + `"}`
	for i, auth := range []string{"", "", "Authorization: Bearer not-the-key\r\n"} {
		chunked := i == 1
		conn, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		// A small send buffer: the body cannot sit in the kernel's
		// buffers while the server has already answered and closed.
		_ = conn.(*net.TCPConn).SetWriteBuffer(4 << 10)
		_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
		head := fmt.Sprintf("POST /api/v1/payments HTTP/1.1\r\nHost: %s\r\n%sContent-Type: application/json\r\n", u.Host, auth)
		var req string
		if chunked {
			req = head + "Transfer-Encoding: chunked\r\n\r\n" + fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(body), body)
		} else {
			req = head + fmt.Sprintf("Content-Length: %d\r\n\r\n", len(body)) + body
		}
		if _, err := io.WriteString(conn, req); err != nil {
			t.Fatalf("try %d (chunked %v): writing the body: %v", i, chunked, err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("try %d (chunked %v): no answer after the upload: %v", i, chunked, err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(got), `"unauthorized"`) {
			t.Errorf("try %d (chunked %v): answer = %d %s, want the JSON 401", i, chunked, resp.StatusCode, got)
		}
	}
}
