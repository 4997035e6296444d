package handlers_test

import (
	"net/http"
	"testing"
	"time"
)

// TestPageDateHeader: a page carries its own Date header (formatted once a
// second, not by net/http per response), in HTTP's format, of the second
// it was answered in, from the page cache as from a fresh render, and the
// next second's page the next second's date.
func TestPageDateHeader(t *testing.T) {
	app := newTestApp(t)
	p := app.mustCreate(t, createBody)
	var last time.Time
	for i := range 3 {
		before := time.Now().Truncate(time.Second)
		w := app.do(t, "GET", "/checkout/"+p.ID, nil, nil)
		after := time.Now()
		if w.Code != http.StatusOK {
			t.Fatalf("GET = %d", w.Code)
		}
		raw := w.Header().Values("Date")
		if len(raw) != 1 {
			t.Fatalf("page %d: Date headers %q, want one", i+1, raw)
		}
		d, err := time.Parse(http.TimeFormat, raw[0])
		if err != nil || d.Before(before) || d.After(after) {
			t.Fatalf("page %d: Date %q (%v) is not of the second it was answered in (%v to %v)", i+1, raw[0], err, before, after)
		}
		if i > 0 && !d.After(last) {
			t.Errorf("page %d: Date %q, not after the previous page's %v a second earlier", i+1, raw[0], last)
		}
		last = d
		time.Sleep(1100 * time.Millisecond)
	}
}
