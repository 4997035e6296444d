package handlers_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/latipay/latipaysim"
	"github.com/latipay-hpp/hpp/payments/paymentstest"
	"github.com/latipay-hpp/hpp/views"
)

// TestCheckoutStartFailureRedirects: a wallet choice that Latipay refused
// (a wrong signature) or did not answer (a server error) sends the shopper
// back to the checkout page by GET, so a reload does not post again; the
// page's title starts with the error, in the pattern of the forms, and the
// message takes focus. The address names the message by id only: any
// other text in ?error= is not shown.
func TestCheckoutStartFailureRedirects(t *testing.T) {
	a := newTestApp(t)
	c, err := views.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []latipaysim.Faults{{WrongSignature: true}, {ServerError: true}} {
		for _, lang := range views.Languages() {
			p := a.mustCreate(t, createBody)
			a.Sim.SetFaults(f)
			w := a.do(t, "POST", "/checkout/"+p.ID+"/start?lang="+lang, strings.NewReader(url.Values{"method": {"wechat"}}.Encode()),
				http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {a.AppURL}, "User-Agent": {desktopUA}})
			a.Sim.SetFaults(latipaysim.Faults{})
			loc := w.Header().Get("Location")
			u, err := url.Parse(loc)
			if w.Code != http.StatusSeeOther || err != nil || u.Path != "/checkout/"+p.ID || u.Query().Get("lang") != lang {
				t.Fatalf("%+v %s: failed start = %d Location %q, want 303 to the checkout page in its language", f, lang, w.Code, loc)
			}
			id := u.Query().Get("error")
			w = a.do(t, "GET", loc, nil, http.Header{"User-Agent": {desktopUA}})
			if w.Code != http.StatusOK {
				t.Fatalf("%+v %s: GET %s = %d, want 200", f, lang, loc, w.Code)
			}
			doc := mustDoc(t, w)
			l := c.Localizer(lang)
			msg := doc.Find(`[data-testid="error-message"]`)
			if id == "" || strings.TrimSpace(msg.Text()) != l.T(id) {
				t.Errorf("%+v %s: error message %q for ?error=%q, want its text", f, lang, msg.Text(), id)
			}
			if _, ok := msg.Attr("autofocus"); !ok || msg.AttrOr("tabindex", "") != "-1" {
				t.Errorf("%+v %s: the error message does not take focus", f, lang)
			}
			title := doc.Find("title").Text()
			if want, _, _ := strings.Cut(l.T("form.error.title", l.T(id), "\x00"), "\x00"); !strings.HasPrefix(title, want) {
				t.Errorf("%+v %s: title %q, want it to start with the error %q", f, lang, title, want)
			}
			if n := doc.Find(`button[name="method"]`).Length(); n == 0 {
				t.Errorf("%+v %s: the page offers no method to try again", f, lang)
			}
		}
	}
	p := a.mustCreate(t, createBody)
	w := a.do(t, "GET", "/checkout/"+p.ID+"?error="+url.QueryEscape("Call +64 000 to pay"), nil, nil)
	doc := mustDoc(t, w)
	if w.Code != http.StatusOK || doc.Find(`[data-testid="error-message"]`).Length() != 0 || strings.Contains(doc.Text(), "Call +64") {
		t.Errorf("free text in ?error= = %d, shown; want the page without it", w.Code)
	}
}

// brokenStart is a gateway whose Start fails with an error no funnel
// knows: an internal failure of the start, as a bug would make it.
type brokenStart struct{ payments.Gateway }

func (brokenStart) Start(context.Context, payments.StartRequest) (payments.StartResult, error) {
	return payments.StartResult{}, errors.New("start exploded: cause-canary")
}

// TestCheckoutStartInternalErrorQuotesTheRequest: a start that fails
// inside (an error no funnel knows) is logged at ERROR with its cause and
// request id, and the checkout page it redirects to quotes that same
// request id, in each language; no "<no value>" anywhere on the page.
func TestCheckoutStartInternalErrorQuotesTheRequest(t *testing.T) {
	buf := &paymentstest.SyncBuffer{}
	log := slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	app := handlers.NewTestApp(t, handlers.TestAppOptions{Log: log, Env: paymentstest.Options{
		WrapGateway: func(g payments.Gateway) payments.Gateway { return brokenStart{g} }}})
	a := &testApp{Env: app.Env, h: app.H}
	for _, lang := range views.Languages() {
		p := a.mustCreate(t, createBody)
		w := a.do(t, "POST", "/checkout/"+p.ID+"/start?lang="+lang, strings.NewReader(url.Values{"method": {"wechat"}}.Encode()),
			http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {a.AppURL}, "User-Agent": {desktopUA}})
		rid, loc := w.Header().Get("X-Request-Id"), w.Header().Get("Location")
		if w.Code != http.StatusSeeOther || rid == "" {
			t.Fatalf("%s: failed start = %d (request id %q), want 303", lang, w.Code, rid)
		}
		var logged bool
		for l := range strings.SplitSeq(buf.String(), "\n") {
			var e map[string]any
			if json.Unmarshal([]byte(l), &e) == nil && e["level"] == "ERROR" && e["request_id"] == rid &&
				strings.Contains(fmt.Sprint(e["err"]), "cause-canary") {
				logged = true
			}
		}
		if !logged {
			t.Errorf("%s: no ERROR line with the cause and request id %s:\n%s", lang, rid, buf.String())
		}
		w = a.do(t, "GET", loc, nil, http.Header{"User-Agent": {desktopUA}})
		body := w.Body.String()
		doc := mustDoc(t, w)
		if msg := doc.Find(`[data-testid="error-message"]`).Text(); w.Code != http.StatusOK || !strings.Contains(msg, rid) {
			t.Errorf("%s: GET %s = %d, message %q, want it to quote the request id %s", lang, loc, w.Code, msg, rid)
		}
		if strings.Contains(body, "no value") {
			t.Errorf("%s: the page holds a hole: %q", lang, doc.Find("title").Text())
		}
	}
	// Another id in the address is not shown: only 16 hex digits are.
	p := a.mustCreate(t, createBody)
	w := a.do(t, "GET", "/checkout/"+p.ID+"?error=error.internal&request="+url.QueryEscape("call +64 000"), nil, nil)
	if body := w.Body.String(); strings.Contains(body, "+64") || strings.Contains(body, "no value") {
		t.Errorf("?request= with free text is shown or leaves a hole")
	}
}

// TestCheckoutStartErrorIsSigned: a link cannot make a real checkout page
// say that a start failed: ?error= with any of the ids the page knows
// shows nothing, nor does a signature the server made for another
// payment, another message or another request id, nor one past its ten
// minutes. The real failed start's redirect shows its message, in each
// language, without script.
func TestCheckoutStartErrorIsSigned(t *testing.T) {
	a := newTestApp(t)
	c, err := views.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	message := func(path string) string {
		t.Helper()
		w := a.do(t, "GET", path, nil, http.Header{"User-Agent": {desktopUA}})
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s = %d", path, w.Code)
		}
		return strings.TrimSpace(mustDoc(t, w).Find(`[data-testid="error-message"]`).Text())
	}
	other := a.mustCreate(t, createBody)
	for _, id := range []string{"error.invalid", "error.toomany", "error.unavailable", "error.unreached", "error.internal",
		"error.tillsale", "error.methodoff", "links.state.msg.busy", "error.switchwait"} {
		if got := message("/checkout/" + other.ID + "?error=" + id); got != "" {
			t.Errorf("?error=%s says %q: a link made the checkout say a start failed", id, got)
		}
	}
	for _, lang := range views.Languages() {
		p := a.mustCreate(t, createBody)
		a.Sim.SetFaults(latipaysim.Faults{ServerError: true})
		w := a.do(t, "POST", "/checkout/"+p.ID+"/start?lang="+lang, strings.NewReader(url.Values{"method": {"wechat"}}.Encode()),
			http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {a.AppURL}, "User-Agent": {desktopUA}})
		a.Sim.SetFaults(latipaysim.Faults{})
		loc := w.Header().Get("Location")
		u, err := url.Parse(loc)
		if w.Code != http.StatusSeeOther || err != nil || u.Query().Get("error") == "" {
			t.Fatalf("%s: failed start = %d to %q", lang, w.Code, loc)
		}
		id := u.Query().Get("error")
		if got, want := message(loc), c.Localizer(lang).T(id); got != want {
			t.Errorf("%s: after the failed start the page says %q, want %q", lang, got, want)
		}
		if got := message(loc); got == "" {
			t.Errorf("%s: reloaded at once, the page no longer says why the start failed", lang)
		}
		// The same signature elsewhere, or over other words, says nothing.
		q := u.Query()
		moved := "/checkout/" + other.ID + "?" + q.Encode()
		q.Set("error", "error.switchwait")
		reworded := u.Path + "?" + q.Encode()
		q = u.Query()
		q.Set("request", "0123456789abcdef")
		requoted := u.Path + "?" + q.Encode()
		for name, path := range map[string]string{"another payment": moved, "another message": reworded, "another request id": requoted} {
			if got := message(path); got != "" {
				t.Errorf("%s: the signature on %s says %q", lang, name, got)
			}
		}
	}
	p := a.mustCreate(t, createBody)
	a.Sim.SetFaults(latipaysim.Faults{ServerError: true})
	w := a.do(t, "POST", "/checkout/"+p.ID+"/start", strings.NewReader(url.Values{"method": {"wechat"}}.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {a.AppURL}, "User-Agent": {desktopUA}})
	a.Sim.SetFaults(latipaysim.Faults{})
	loc := w.Header().Get("Location")
	a.Clock.Advance(11 * time.Minute)
	doc := mustDoc(t, a.do(t, "GET", loc, nil, http.Header{"User-Agent": {desktopUA}}))
	if doc.Find(`button[name="method"]`).Length() == 0 {
		t.Fatalf("11 minutes on, the payment no longer offers a wallet: the check below would prove nothing")
	}
	if got := doc.Find(`[data-testid="error-message"]`).Text(); got != "" {
		t.Errorf("11 minutes on, the failed start's address still says %q", got)
	}
}
