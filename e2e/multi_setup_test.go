package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// multiSetupLink is the first-run setup link instance a printed.
func (a *multiApp) multiSetupLink(t *testing.T) *url.URL {
	t.Helper()
	line := (&app{proc: a.proc}).printed(t, "first run: create the owner account at ", "")
	link, _, _ := strings.Cut(line, " ")
	u, err := url.Parse(link)
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("%s: printed setup link %q has no token", a.name, link)
	}
	return u
}

// multiSetupPage opens the setup page of token on a and reports its status,
// whether it has the form, and its error message.
func (a *multiApp) multiSetupPage(t *testing.T, token string) (int, bool, string) {
	t.Helper()
	resp, body := get(t, a.client, a.URL+"/admin/setup?lang=en&token="+url.QueryEscape(token), multiDesktopUA)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, doc.Find(`[data-testid="setup-form"]`).Length() == 1,
		strings.TrimSpace(doc.Find(`[data-testid="form-error"]`).Text())
}

// TestMultiSetupLinks: two live instances start on one empty database
// with no owner and each prints its own setup link. Both links open the
// form on either instance; the owner's two submissions at once, one per
// link and instance, make exactly one owner; after that both links say so
// on opening, with no form to fill in.
func TestMultiSetupLinks(t *testing.T) {
	_, _, a, b := multiPair(t)
	links := []*url.URL{a.multiSetupLink(t), b.multiSetupLink(t)}
	toks := []string{links[0].Query().Get("token"), links[1].Query().Get("token")}
	if toks[0] == toks[1] {
		t.Fatal("both instances printed the same token")
	}
	for _, inst := range []*multiApp{a, b} {
		for i, tok := range toks {
			if code, form, msg := inst.multiSetupPage(t, tok); code != http.StatusOK || !form {
				t.Errorf("%s: the setup link of instance %d = %d, form %v, %q; want 200 with the form", inst.name, i, code, form, msg)
			}
		}
	}
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i, inst := range []*multiApp{b, a} { // each link submitted on the other instance
		wg.Go(func() {
			form := url.Values{"token": {toks[i]}, "email": {"owner@kiwitea.example"}, "password": {"green tea every morning"}}
			req, _ := http.NewRequest(http.MethodPost, inst.URL+"/admin/setup?lang=en", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", inst.URL)
			resp, err := inst.client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes[i] = resp.StatusCode
		})
	}
	wg.Wait()
	if !(codes[0] == http.StatusSeeOther && codes[1] == http.StatusConflict || codes[0] == http.StatusConflict && codes[1] == http.StatusSeeOther) {
		t.Fatalf("two setups at once, one per link = %v; want one 303 (the owner made) and one 409", codes)
	}
	for _, inst := range []*multiApp{a, b} {
		for i, tok := range toks {
			code, form, msg := inst.multiSetupPage(t, tok)
			if code != http.StatusConflict || form || !strings.Contains(msg, "already has an owner") {
				t.Errorf("%s: the setup link of instance %d once the owner exists = %d, form %v, %q; want 409 saying so, no form", inst.name, i, code, form, msg)
			}
		}
	}
}
