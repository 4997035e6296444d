package latipaysim

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// getPage fetches the hosted page and returns status, headers and body.
func getPage(t *testing.T, c *http.Client, u string) (int, http.Header, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// pressButton posts action to the hosted page and returns the redirect target.
func pressButton(t *testing.T, srv interface{ Client() *http.Client }, pageURL, action string) *http.Response {
	t.Helper()
	c := *srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.PostForm(pageURL, url.Values{"action": {action}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestHostedPage(t *testing.T) {
	_, srv := newTestSim(t, nil)
	m := mustCreate(t, srv, "page-1", "alipay", nil)
	pageURL := m["host_url"].(string) + "/" + m["nonce"].(string)
	for range 2 { // reloading while pending is fine
		status, h, body := getPage(t, srv.Client(), pageURL)
		if status != http.StatusOK {
			t.Fatalf("GET page: HTTP %d", status)
		}
		if got := h.Get("Content-Security-Policy"); !strings.Contains(got, "default-src 'none'") {
			t.Errorf("CSP = %q", got)
		}
		for _, want := range []string{`data-testid="sim-pay"`, `data-testid="sim-fail"`, "page-1", "12.50", "NZD",
			"alipay", "Pinot Noir, Otago &amp; more", `action="/pay/` + m["nonce"].(string) + `"`} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		for _, bad := range []string{"<script", "style=", "onclick"} {
			if strings.Contains(body, bad) {
				t.Errorf("page contains %q, which a strict CSP blocks", bad)
			}
		}
		if strings.Count(body, "<style>") != 1 || !strings.Contains(h.Get("Content-Security-Policy"), "style-src 'sha256-") {
			t.Errorf("want one inline stylesheet allowed by its hash in the CSP (%q)", h.Get("Content-Security-Policy"))
		}
	}
}

func TestHostedPayRedirect(t *testing.T) {
	rc := newReceiver(t, nil)
	sim, srv := newTestSim(t, nil)
	m := mustCreate(t, srv, "page-pay", "alipay", func(p map[string]string) { p["callback_url"] = rc.srv.URL })
	pageURL := m["host_url"].(string) + "/" + m["nonce"].(string)
	resp := pressButton(t, srv, pageURL, "pay")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST pay: HTTP %d, want 303", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := loc.Scheme+"://"+loc.Host+loc.Path, "https://shop.example/return"; got != want {
		t.Errorf("redirect to %q, want %q", got, want)
	}
	q := loc.Query()
	tx, _ := sim.Transaction("page-pay")
	want := map[string]string{"key": "abc", "merchant_reference": "page-pay", "payment_method": "alipay",
		"status": "paid", "currency": "NZD", "amount": "12.50", "order_id": tx.OrderID,
		"signature": hmacHex(testKey, "page-pay"+"alipay"+"paid"+"NZD"+"12.50")}
	for k, v := range want {
		if got := q.Get(k); got != v {
			t.Errorf("redirect query %s = %q, want %q", k, got, v)
		}
	}
	if !strings.Contains(loc.RawQuery, "key=abc&merchant_reference=") {
		t.Errorf("query %q: want the existing query kept and ours appended with &", loc.RawQuery)
	}
	if tx.Status != "paid" || tx.PaidAt.IsZero() {
		t.Errorf("ledger after pay = %+v", tx)
	}
	if f := rc.next(t); f.Get("status") != "paid" {
		t.Errorf("callback status = %q, want paid", f.Get("status"))
	}
	// Final already: pressing again just redirects, with the same result.
	again := pressButton(t, srv, pageURL, "fail")
	if again.Header.Get("Location") != resp.Header.Get("Location") {
		t.Errorf("second press redirect %q, want %q", again.Header.Get("Location"), resp.Header.Get("Location"))
	}
	if _, _, body := getPage(t, srv.Client(), pageURL); strings.Contains(body, "sim-pay") || !strings.Contains(body, "sim-return") {
		t.Errorf("final page should offer only the return button")
	}
}

func TestHostedFail(t *testing.T) {
	_, srv := newTestSim(t, nil)
	for _, tt := range []struct{ method, status string }{{"wechat", "cancel_or_fail"}, {"alipay", "failed"}} {
		m := mustCreate(t, srv, "fail-"+tt.method, tt.method, func(p map[string]string) {
			p["return_url"] = "https://shop.example/r#frag"
		})
		resp := pressButton(t, srv, m["host_url"].(string)+"/"+m["nonce"].(string), "fail")
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if loc.Fragment != "frag" || loc.Path != "/r" {
			t.Errorf("%s: redirect %q, want path /r and fragment kept", tt.method, loc)
		}
		q := loc.Query()
		if q.Get("status") != tt.status {
			t.Errorf("%s: status = %q, want %q", tt.method, q.Get("status"), tt.status)
		}
		ref := "fail-" + tt.method
		if want := hmacHex(testKey, ref+tt.method+tt.status+"NZD12.50"); q.Get("signature") != want {
			t.Errorf("%s: signature = %q, want %q", tt.method, q.Get("signature"), want)
		}
	}
}

func TestHostedErrors(t *testing.T) {
	_, srv := newTestSim(t, nil)
	if status, _, body := getPage(t, srv.Client(), srv.URL+"/pay/unknown"); status != http.StatusNotFound ||
		!strings.Contains(body, "sim-not-found") {
		t.Errorf("unknown nonce: HTTP %d", status)
	}
	if resp := pressButton(t, srv, srv.URL+"/pay/unknown", "pay"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("POST unknown nonce: HTTP %d, want 404", resp.StatusCode)
	}
	m := mustCreate(t, srv, "bad-action", "alipay", nil)
	if resp := pressButton(t, srv, m["host_url"].(string)+"/"+m["nonce"].(string), "steal"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad action: HTTP %d, want 400", resp.StatusCode)
	}
	// Merchant-hosted without return_url: the page shows the result instead.
	m = mustCreate(t, srv, "no-return", "wechat", func(p map[string]string) { p["host_type"], p["return_url"] = "1", "" })
	if resp := pressButton(t, srv, srv.URL+"/pay/"+m["nonce"].(string), "pay"); resp.StatusCode != http.StatusOK {
		t.Errorf("pay without return_url: HTTP %d, want 200", resp.StatusCode)
	}
}

func TestRoutingErrors(t *testing.T) {
	_, srv := newTestSim(t, nil)
	for _, tt := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/nope", 404},
		{"GET", "/v2/transaction", 405},
		{"DELETE", "/pay/x", 405},
		{"GET", "/refund", 405},
		{"PUT", "/cancel", 405},
		{"GET", "/simulate", 405},
	} {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s: HTTP %d, want %d", tt.method, tt.path, resp.StatusCode, tt.want)
		}
	}
}

// TestHostedPageLanguages: the page speaks the shopper's language from
// Accept-Language, in the checkout's three, and each has every text.
func TestHostedPageLanguages(t *testing.T) {
	_, srv := newTestSim(t, nil)
	m := mustCreate(t, srv, "page-lang", "alipay", nil)
	pageURL := m["host_url"].(string) + "/" + m["nonce"].(string)
	for accept, want := range map[string][2]string{"zh-CN,zh;q=0.9": {"zh-Hans", "付款失败"},
		"zh-TW": {"zh-Hant", "付款失敗"}, "zh-HK": {"zh-Hant", "付款失敗"}, "fr-FR": {"en", ">Fail<"}, "": {"en", ">Pay<"}} {
		req, _ := http.NewRequest(http.MethodGet, pageURL, nil)
		req.Header.Set("Accept-Language", accept)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), `<html lang="`+want[0]+`">`) || !strings.Contains(string(b), want[1]) {
			t.Errorf("Accept-Language %q: want lang %s and %q in the page", accept, want[0], want[1])
		}
	}
	for tag, p := range pageTexts {
		for i, s := range []string{p.Lang, p.Title, p.Note, p.NotFound, p.Product, p.Reference, p.Method, p.Status, p.Pay, p.Fail, p.Return} {
			if s == "" {
				t.Errorf("%s: text %d is empty", tag, i)
			}
		}
	}
}
