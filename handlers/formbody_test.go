package handlers_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/latipay-hpp/hpp/handlers"
)

// countingBody is an endless "a=aaaa..." body that counts what was read.
type countingBody struct {
	read atomic.Int64
	max  int64 // 0: endless
}

func (b *countingBody) Read(p []byte) (int, error) {
	if b.max > 0 && b.read.Load() >= b.max {
		return 0, io.EOF
	}
	n := len(p)
	if b.max > 0 {
		n = int(min(int64(n), b.max-b.read.Load()))
	}
	for i := range n {
		p[i] = 'a'
	}
	if b.read.Load() == 0 && n >= 2 {
		p[1] = '='
	}
	b.read.Add(int64(n))
	return n, nil
}

// formPostExempt are the POST routes whose bodies are not forms read by
// formBody: the API's JSON (decodeAPIBody), Latipay's callback and CSP
// reports (each capped by its handler) and the sandbox's simulator.
func formPostExempt(path string) bool {
	return strings.HasPrefix(path, "/api/") || path == handlers.CallbackPath || path == handlers.CSPReportPath ||
		strings.HasPrefix(path, "/sandbox/latipay/")
}

// TestFormPostsCapBody walks every POST route of the real router (the
// back office, counter, display, links and sandbox all on) and sends
// each form route a body far over its cap: announced by Content-Length,
// it is answered 413 before a byte is read; sent chunked, 413 after at
// most the cap is read; multipart, 415 unread. The answer says what
// happened, as a page or, for the scripts' routes, as JSON.
func TestFormPostsCapBody(t *testing.T) {
	a := newAdminApp(t)
	walked := 0
	for _, r := range handlers.Routes(a.h) {
		if r.Method != http.MethodPost || formPostExempt(r.Path) {
			continue
		}
		walked++
		path := r.Path
		for _, seg := range strings.Split(r.Path, "/") {
			if strings.HasPrefix(seg, ":") {
				path = strings.Replace(path, seg, "x1", 1)
			}
		}
		send := func(ct string, body *countingBody, length int64) *httptest.ResponseRecorder {
			req := httptest.NewRequest(http.MethodPost, a.AppURL+path, body)
			req.ContentLength = length
			req.Header.Set("Content-Type", ct)
			req.Header.Set("User-Agent", desktopUA)
			w := httptest.NewRecorder()
			a.h.ServeHTTP(w, req)
			return w
		}
		const form = "application/x-www-form-urlencoded"
		says := func(what string, w *httptest.ResponseRecorder, code int) {
			t.Helper()
			if w.Code != code {
				t.Errorf("POST %s %s = %d, want %d", r.Path, what, w.Code, code)
				return
			}
			if code == http.StatusRequestEntityTooLarge && !strings.Contains(w.Body.String(), "larger than this form takes") {
				t.Errorf("POST %s %s: the answer does not say the form is too large: %.300s", r.Path, what, w.Body)
			}
		}

		announced := &countingBody{}
		says("with Content-Length 64 MiB", send(form, announced, 64<<20), http.StatusRequestEntityTooLarge)
		if n := announced.read.Load(); n != 0 {
			t.Errorf("POST %s: %d bytes of the announced 64 MiB body read before the answer, want 0", r.Path, n)
		}
		chunked := &countingBody{max: 4 << 20}
		says("chunked 4 MiB", send(form, chunked, -1), http.StatusRequestEntityTooLarge)
		if n := chunked.read.Load(); n > 64<<10 {
			t.Errorf("POST %s: %d bytes of a chunked 4 MiB body read before the answer, want at most the cap", r.Path, n)
		}
		multi := &countingBody{max: 1 << 10}
		says("multipart", send("multipart/form-data; boundary=x", multi, 1<<10), http.StatusUnsupportedMediaType)
		if n := multi.read.Load(); n != 0 {
			t.Errorf("POST %s: %d bytes of a multipart body read, want 0", r.Path, n)
		}
	}
	t.Logf("walked %d form POST routes", walked)
	if walked < 30 {
		t.Fatalf("walked %d form POST routes; route listing is broken", walked)
	}
}

// TestFormCapsFitLargestInputs: each cap takes its form's largest real
// input, every character outside ASCII (3 bytes of UTF-8, 9 encoded):
// changing a password of 1023 bytes, three times; a link's three
// 200-character descriptions; a counter note of 100 characters.
func TestFormCapsFitLargestInputs(t *testing.T) {
	a := newAdminApp(t)
	pw := strings.Repeat("码", 341)
	desc := strings.Repeat("咖", 200)
	for path, v := range map[string]url.Values{
		"/admin/password": {"current": {pw}, "password": {pw}, "confirm": {pw}},
		"/admin/links": {"kind": {"link"}, "currency": {"NZD"}, "amount": {"12.50"}, "desc_en": {desc},
			"desc_zh_hans": {desc}, "desc_zh_hant": {desc}, "expires": {"2030-01-01"}, "max_uses": {"10"}},
		handlers.CounterChargePath: {"key": {strings.Repeat("k", 64)}, "amount": {"12.50"}, "note": {strings.Repeat("咖", 100)}, "method": {"wechat"}},
	} {
		w := a.do(t, http.MethodPost, path, strings.NewReader(v.Encode()), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
		if w.Code == http.StatusRequestEntityTooLarge {
			t.Errorf("POST %s with its largest input (%d bytes) = 413, want the form read", path, len(v.Encode()))
		}
	}
}
