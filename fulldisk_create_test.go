package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// TestRunCreateOnFullDisk: through the running app on SQLite, on a disk
// that fills up, a payment creation (the API's, and the back office's
// new payment link) is answered 503 with Retry-After and the API's error
// shape, code storage_unavailable and a message saying what to do, not a
// 500 with "something went wrong"; and nothing of it was written: the
// payment the refused request would have made is nowhere, its
// Idempotency-Key is free (sent again once space is freed, it creates
// the payment, not a replay), and no link was added.
func TestRunCreateOnFullDisk(t *testing.T) {
	const ownerPW = "a long enough owner password"
	disk := mountTmpfs(t, "8m")
	key := strings.Repeat("c", 32)
	base := startApp(t, filepath.Join(disk, "hpp.db"), ownerPW, map[string]string{"HPP_API_KEY": key})
	owner := newBrowser(t, base, "198.51.100.30")
	if status, _ := owner.signIn(ownerPW); status != http.StatusSeeOther {
		t.Fatalf("sign-in = %d", status)
	}
	api := func(method, path, idem, body string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if idem != "" {
			req.Header.Set("Idempotency-Key", idem)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	create := func(ref string) (*http.Response, string) {
		t.Helper()
		return api(http.MethodPost, "/api/v1/payments", "key-"+ref, `{"amount":"12.50","currency":"NZD","reference":"`+ref+
			`","description":"`+strings.Repeat("d", 200)+`","return_url":"http://127.0.0.1:8999/"}`)
	}
	checkRefused := func(what string, resp *http.Response) {
		t.Helper()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("%s on the full disk = %d, want 503", what, resp.StatusCode)
		}
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 {
			t.Errorf("%s on the full disk: Retry-After %q, want whole seconds", what, resp.Header.Get("Retry-After"))
		}
	}
	if resp, body := create("FULL-0"); resp.StatusCode != http.StatusCreated {
		t.Fatalf("create = %d %s", resp.StatusCode, body)
	}

	filler := filepath.Join(disk, "filler")
	fillDisk(t, filler)
	var resp *http.Response
	var body, ref string
	for i := 1; i <= 5000; i++ {
		ref = "FULL-" + strconv.Itoa(i)
		if resp, body = create(ref); resp.StatusCode != http.StatusCreated {
			break
		}
	}
	if resp.StatusCode == http.StatusCreated {
		t.Fatal("5000 payments created on a full disk")
	}
	t.Logf("the create that failed: %d %s", resp.StatusCode, body)
	checkRefused("POST /api/v1/payments", resp)
	var e struct {
		Error struct{ Code, Message, RequestID string }
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Code != "storage_unavailable" ||
		!strings.Contains(e.Error.Message, "disk is full or failing") || !strings.Contains(e.Error.Message, "Nothing was recorded") {
		t.Errorf("the refused create's body = %s (%v), want the error shape, code storage_unavailable, saying why and what to do", body, err)
	}
	if strings.Contains(body, disk) || strings.Contains(body, "SQLITE") {
		t.Errorf("the refused create's body names the file or the engine's error: %s", body)
	}

	// A link is a smaller write, which may still fit where a payment did
	// not: new links until one is refused.
	var page, desc string
	for i := 0; i < 500; i++ {
		desc = "Deposit " + strconv.Itoa(i) + " " + strings.Repeat("d", 150)
		if resp, page = owner.do(http.MethodPost, "/admin/links", url.Values{"kind": {"link"}, "currency": {"NZD"},
			"amount": {"12.50"}, "desc_en": {desc}}); resp.StatusCode != http.StatusSeeOther {
			break
		}
	}
	checkRefused("a new payment link", resp)
	if doc, err := goquery.NewDocumentFromReader(strings.NewReader(page)); err != nil ||
		!strings.Contains(doc.Find("main").Text(), "storage is full or failing") {
		t.Errorf("the back office's page for the refused link does not say why: %q", page)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if _, listed := api(http.MethodGet, "/api/v1/payments?reference="+ref, "", ""); !strings.Contains(listed, `"data":[]`) {
		t.Errorf("the refused create left a payment: %s", listed)
	}
	again, body := create(ref)
	if again.StatusCode != http.StatusCreated || again.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("the refused create sent again once space is freed = %d (Idempotent-Replayed %q) %s; want 201, created now",
			again.StatusCode, again.Header.Get("Idempotent-Replayed"), body)
	}
	if _, listed := api(http.MethodGet, "/api/v1/payments?reference="+ref, "", ""); strings.Count(listed, `"id":"pay_`) != 1 {
		t.Errorf("after the retry the reference has %s; want one payment", listed)
	}
	_, links := owner.do(http.MethodGet, "/admin/links", nil)
	if strings.Contains(links, desc) {
		t.Error("the refused link was stored")
	}
}
