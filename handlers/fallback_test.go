package handlers_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestAPIUnknownRouteAnswersJSON: under /api/v1 an unknown path is a 404
// and a method no route takes a 405 with Allow, both in the API's error
// shape, with or without a key; outside the API they stay pages.
func TestAPIUnknownRouteAnswersJSON(t *testing.T) {
	a := newTestApp(t)
	for _, c := range []struct {
		method, path string
		key          bool
		status       int
		code, allow  string
	}{
		{"GET", "/api/v1/nonexistent", true, http.StatusNotFound, "not_found", ""},
		{"GET", "/api/v1/nonexistent", false, http.StatusNotFound, "not_found", ""},
		{"GET", "/api/v1", true, http.StatusNotFound, "not_found", ""},
		{"POST", "/api/v1/payments/pay_x/nope", true, http.StatusNotFound, "not_found", ""},
		{"DELETE", "/api/v1/payments", true, http.StatusMethodNotAllowed, "method_not_allowed", "GET, POST"},
		{"PUT", "/api/v1/payments/pay_x", false, http.StatusMethodNotAllowed, "method_not_allowed", "GET"},
	} {
		var w = a.do(t, c.method, c.path, nil, nil)
		if c.key {
			w = a.api(t, c.method, c.path, "", nil)
		}
		if w.Code != c.status || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
			t.Errorf("%s %s (key %v) = %d %s, want %d JSON", c.method, c.path, c.key, w.Code, w.Header().Get("Content-Type"), c.status)
			continue
		}
		checkErrorShape(t, w, c.code)
		if got := w.Header().Get("Allow"); !sameMethods(got, c.allow) {
			t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, got, c.allow)
		}
		if got := w.Header().Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s %s: Cache-Control %q, want the API's no-store", c.method, c.path, got)
		}
	}
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/nonexistent", http.StatusNotFound},
		{"GET", "/api/v10/payments", http.StatusNotFound},
		{"DELETE", "/healthz", http.StatusMethodNotAllowed},
	} {
		w := a.do(t, c.method, c.path, nil, nil)
		if w.Code != c.status || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
			t.Errorf("%s %s = %d %s, want %d as a page", c.method, c.path, w.Code, w.Header().Get("Content-Type"), c.status)
		}
	}
}

// sameMethods compares two Allow values as sets.
func sameMethods(a, b string) bool {
	set := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, x := range strings.Split(s, ",") {
			if x = strings.TrimSpace(x); x != "" {
				m[x] = true
			}
		}
		return m
	}
	x, y := set(a), set(b)
	if len(x) != len(y) {
		return false
	}
	for k := range x {
		if !y[k] {
			return false
		}
	}
	return true
}
