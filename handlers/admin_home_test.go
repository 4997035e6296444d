package handlers_test

import (
	"encoding/csv"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gorilla/websocket"

	"github.com/latipay-hpp/hpp/handlers"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
)

// inHonolulu makes the shop's zone Pacific/Honolulu: ten hours behind
// UTC, so the test clock's 2026-03-01 01:00 UTC is still 28 February
// there, and a day counted in UTC would show up as the wrong date.
func inHonolulu(t *testing.T) adminAppOptions {
	t.Helper()
	loc, err := time.LoadLocation("Pacific/Honolulu")
	if err != nil {
		t.Fatal(err)
	}
	return adminAppOptions{location: loc}
}

// ownerDoc gets path as the owner and parses it.
func (a *adminApp) ownerDoc(t *testing.T, owner *http.Cookie, path string, want int) *goquery.Document {
	t.Helper()
	w := a.do(t, http.MethodGet, path, nil, withCookie(owner, nil))
	if w.Code != want {
		t.Fatalf("GET %s = %d, want %d: %s", path, w.Code, want, w.Body)
	}
	doc, err := goquery.NewDocumentFromReader(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestAdminHomeFigures: after a payment paid and partly refunded, the
// owner's home shows today's and the week's totals per currency (count,
// gross, refunds, net) for the shop's day, the payment in the live feed,
// and a 30-day chart as an SVG image with a title and description and a
// table of the same figures; a cashier's home shows none of it.
func TestAdminHomeFigures(t *testing.T) {
	a := newAdminApp(t, inHonolulu(t))
	p := a.mustPaid(t) // 12.50 NZD
	if _, _, err := a.Svc.Refund(t.Context(), payments.RefundInput{PaymentID: p.ID, Amount: "2.50", Key: "r1"}); err != nil {
		t.Fatalf("Refund: %v", err)
	}
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	doc := a.ownerDoc(t, owner, "/admin/", http.StatusOK)

	if got := doc.Find(`[data-testid="home-today"] h2`).Text(); !strings.Contains(got, "2026-02-28") {
		t.Errorf("today's heading = %q, want the shop's date 2026-02-28 (Honolulu)", got)
	}
	if got := doc.Find(`[data-testid="home-zone"]`).Text(); !strings.Contains(got, "Pacific/Honolulu") {
		t.Errorf("zone line = %q", got)
	}
	for _, period := range []string{"home-today", "home-week"} {
		row := doc.Find(`[data-testid="` + period + `"] [data-testid="totals-row"][data-currency="NZD"]`)
		got := []string{row.Find(`[data-testid="totals-count"]`).Text(), row.Find(`[data-testid="totals-gross"]`).Text(),
			row.Find(`[data-testid="totals-refunds"]`).Text(), row.Find(`[data-testid="totals-net"]`).Text()}
		if strings.Join(got, " ") != "1 12.50 2.50 10.00" {
			t.Errorf("%s NZD = %v, want 1 12.50 2.50 10.00", period, got)
		}
	}
	if n := doc.Find(`[data-testid="feed-item"][data-id="` + p.ID + `"]`).Length(); n != 1 {
		t.Errorf("feed shows the payment %d times, want 1", n)
	}
	svg := doc.Find(`[data-testid="chart"][data-currency="NZD"] svg`)
	if role, _ := svg.Attr("role"); role != "img" {
		t.Errorf("chart svg role = %q, want img", role)
	}
	labels, _ := svg.Attr("aria-labelledby")
	for _, id := range strings.Fields(labels) {
		if svg.Find("#"+id).Length() != 1 {
			t.Errorf("aria-labelledby names %q, which the svg lacks", id)
		}
	}
	if !strings.Contains(svg.Find("desc").Text(), "2026-02-28") || !strings.Contains(svg.Find("title").First().Text(), "NZD") {
		t.Errorf("chart title/desc = %q / %q", svg.Find("title").First().Text(), svg.Find("desc").Text())
	}
	if n := svg.Find("rect.bar").Length(); n != 1 {
		t.Errorf("chart has %d bars, want 1 (one day with takings)", n)
	}
	if got := doc.Find(`[data-testid="chart-table"] tbody tr`).Text(); !strings.Contains(got, "2026-02-28") || !strings.Contains(got, "10.00") {
		t.Errorf("chart table = %q, want the day with gross and net", got)
	}
	if src, _ := doc.Find("script[data-feed]").Attr("data-feed"); src != handlers.AdminFeedPath {
		t.Errorf("script data-feed = %q, want %s", src, handlers.AdminFeedPath)
	}

	_, cashier := a.signIn(t, "cashier@shop.example", adminPW)
	cdoc := a.ownerDoc(t, cashier, "/admin/", http.StatusOK)
	if cdoc.Find(`[data-testid="home-today"], [data-testid="live-feed"], [data-testid="chart"], script[data-feed]`).Length() != 0 {
		t.Error("the cashier's home shows the shop's figures or feed")
	}
}

// TestAdminHomeAttention: a payment still pending long after its window
// ended is listed as needing attention, linked to its detail page.
func TestAdminHomeAttention(t *testing.T) {
	a := newAdminApp(t)
	p, _ := a.mustStartedQR(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	if n := a.ownerDoc(t, owner, "/admin/", http.StatusOK).Find(`[data-testid="attention-item"]`).Length(); n != 0 {
		t.Fatalf("attention lists %d items before anything is wrong", n)
	}
	// The clock moves on but nothing settles the payment: no reconciler runs here.
	a.Clock.Advance(2 * time.Hour)
	_, owner = a.signIn(t, "owner@shop.example", adminPW)
	doc := a.ownerDoc(t, owner, "/admin/", http.StatusOK)
	item := doc.Find(`[data-testid="attention-item"][data-kind="stuck"]`)
	if href, _ := item.Find("a").Attr("href"); href != "/admin/payments/"+p.ID {
		t.Errorf("stuck item links %q, want the payment's page (attention: %q)", href, doc.Find(`[data-testid="home-attention"]`).Text())
	}
}

// TestAdminReports: the report lists each shop day x currency x method x
// channel in the range with count, gross, refunds and net (a refund on
// the day it was made, so that day's net is negative); a bad range is a
// clear message; the CSV has a byte-order mark, the same rows with the
// negative net left a number, and is written to the audit log.
func TestAdminReports(t *testing.T) {
	a := newAdminApp(t, inHonolulu(t))
	p := a.mustPaid(t) // 28 February, 15:00 in Honolulu
	a.Clock.Advance(24 * time.Hour)
	if _, _, err := a.Svc.Refund(t.Context(), payments.RefundInput{PaymentID: p.ID, Amount: "12.50", Key: "r1"}); err != nil {
		t.Fatalf("Refund: %v", err)
	}
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	doc := a.ownerDoc(t, owner, "/admin/reports?from=2026-02-27&to=2026-03-01", http.StatusOK)
	var got []string
	doc.Find(`[data-testid="report-row"]`).Each(func(_ int, row *goquery.Selection) {
		var cells []string
		row.Find("td").Each(func(_ int, s *goquery.Selection) { cells = append(cells, strings.Join(strings.Fields(s.Text()), " ")) })
		got = append(got, strings.Join(cells, "|"))
	})
	want := []string{"2026-02-28|NZD|12.50|0.00|12.50|1|WeChat Pay|Online|Payments Refunds (CSV)",
		"2026-03-01|NZD|0.00|12.50|-12.50|0|WeChat Pay|Online|Payments Refunds (CSV)"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("report rows =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := a.ownerDoc(t, owner, "/admin/reports?from=2026-03-02&to=2026-03-02", http.StatusOK).Find(`[data-testid="report-row"]`).Length(); n != 0 {
		t.Errorf("2 March (Honolulu) has %d rows, want none", n)
	}
	// Each message says what is wrong, and the date it is about is tied to it.
	for _, c := range []struct{ q, msg, field string }{
		{"from=2026-03-02&to=2026-03-01", "The end date must not be before the start date.", "to"},
		{"from=yesterday", "Write dates as year-month-day", "from"},
		{"to=2026-02-30", "Write dates as year-month-day", "to"},
		{"from=2024-01-01&to=2026-01-01", "a report covers at most 366 days", "from"},
	} {
		q := c.q
		bad := a.ownerDoc(t, owner, "/admin/reports?"+q, http.StatusBadRequest)
		if !strings.Contains(bad.Find(`[data-testid="form-error"]`).Text(), c.msg) {
			t.Errorf("%s: no clear message: %q", q, bad.Find("main").Text())
		}
		if got := bad.Find(`[aria-invalid="true"]`); got.Length() != 1 || got.AttrOr("id", "") != c.field ||
			got.AttrOr("aria-describedby", "") != "form-error" {
			t.Errorf("%s: the invalid fields are %d, the first #%s, want #%s alone, described by the error", q, got.Length(), got.AttrOr("id", ""), c.field)
		}
	}

	href, _ := doc.Find(`[data-testid="report-csv"]`).Attr("href")
	w := a.do(t, http.MethodGet, href, nil, withCookie(owner, nil))
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Body.String(), "\ufeff") || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") {
		t.Fatalf("export = %d %q, body %q", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(w.Body.String(), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || strings.Join(recs[0], "|") != "day (Pacific/Honolulu)|currency|method|channel|count|gross|refunds|net|channel_name|device_id|device|cashier_id|cashier" ||
		strings.Join(recs[1], "|") != "2026-02-28|NZD|wechat|api|1|12.50|0.00|12.50|Online||||" ||
		strings.Join(recs[2], "|") != "2026-03-01|NZD|wechat|api|0|0.00|12.50|-12.50|Online||||" {
		t.Errorf("CSV = %v, want the two days, the negative net a number", recs)
	}
	log, err := a.Store.Audit(t.Context(), accounts.AuditFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range log {
		found = found || (e.Action == "export.report" && e.Email == "owner@shop.example" && strings.Contains(e.After, "from=2026-02-27"))
	}
	if !found {
		t.Errorf("audit log has no export.report by the owner: %+v", log)
	}
}

// dialFeed opens the back office's feed with the owner's cookie.
func (a *adminApp) dialFeed(t *testing.T, cookie *http.Cookie, origin string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	return a.dialWith(t, handlers.AdminFeedPath+"?lang=zh-Hans", socketHeader(cookie, origin))
}

// feedMessage is what the back office's feed sends.
type feedMessage struct {
	ID, Status, HTML string
	Version          int64
}

// socketRefusal is a socket handshake that must be refused: the cookie and
// Origin it is made with and the HTTP status it must get.
type socketRefusal struct {
	cookie *http.Cookie
	origin string
	want   int
}

// wantSocketsRefused dials the socket what names with each case's cookie
// and origin and fails t for each that opens or gets another status.
func wantSocketsRefused(t *testing.T, what string, cases map[string]socketRefusal,
	dial func(t *testing.T, c *http.Cookie, origin string) (*websocket.Conn, *http.Response, error)) {
	t.Helper()
	for name, c := range cases {
		conn, resp, err := dial(t, c.cookie, c.origin)
		if err == nil {
			conn.Close()
			t.Errorf("%s: %s opened", name, what)
			continue
		}
		if resp == nil || resp.StatusCode != c.want {
			t.Errorf("%s: handshake = %v, want HTTP %d", name, resp, c.want)
		}
	}
}

// TestAdminFeed: the owner's feed pushes every payment of the shop as it
// is created and as it changes, each with its entry rendered in the
// page's language; a page of another origin, a missing Origin, no
// session and a cashier's session are all refused the socket.
func TestAdminFeed(t *testing.T) {
	a := newAdminApp(t)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	_, cashier := a.signIn(t, "cashier@shop.example", adminPW)
	wantSocketsRefused(t, "the feed", map[string]socketRefusal{
		"other origin": {owner, "https://evil.example", http.StatusForbidden},
		"no origin":    {owner, "", http.StatusForbidden},
		"no session":   {nil, a.AppURL, http.StatusUnauthorized}, // a socket follows no redirect to sign in
		"cashier":      {cashier, a.AppURL, http.StatusForbidden},
	}, a.dialFeed)

	conn, resp, err := a.dialFeed(t, owner, a.AppURL)
	if err != nil {
		t.Fatalf("dial: %v (%v)", err, resp)
	}
	defer conn.Close()
	read := func() feedMessage {
		t.Helper()
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second)) // stops a broken test from hanging
		var m feedMessage
		if err := conn.ReadJSON(&m); err != nil {
			t.Fatalf("read: %v", err)
		}
		return m
	}
	p := a.mustCreate(t, createBody)
	if m := read(); m.ID != p.ID || m.Status != "created" || !strings.Contains(m.HTML, `data-id="`+p.ID+`"`) {
		t.Errorf("on create: %+v", m)
	}
	st := a.MustStart(t, p.ID, payments.MethodWeChat, payments.DeviceDesktop)
	if err := a.Sim.Pay(st.Attempt.Reference); err != nil {
		t.Fatal(err)
	}
	var last feedMessage
	for last.Status != "paid" {
		last = read()
		if last.ID != p.ID {
			t.Fatalf("feed sent %+v, another payment", last)
		}
	}
	if !strings.Contains(last.HTML, "ORDER-1") || !strings.Contains(last.HTML, "NZD 12.50") || !strings.Contains(last.HTML, "微信支付") {
		t.Errorf("paid entry = %s, want the reference, amount and method in Simplified Chinese", last.HTML)
	}
}

// TestAdminFeedClosesOnRevoke: when the owner ends a session from the
// sessions page, that session's open feed is closed ("session ended",
// policy violation) well before the socket's first keep-alive ping (25 s)
// would have looked; the owner's other session keeps its page.
func TestAdminFeedClosesOnRevoke(t *testing.T) {
	a := newAdminApp(t)
	_, feedSession := a.signIn(t, "owner@shop.example", adminPW)
	_, owner := a.signIn(t, "owner@shop.example", adminPW)
	conn, resp, err := a.dialFeed(t, feedSession, a.AppURL)
	if err != nil {
		t.Fatalf("dial: %v (%v)", err, resp)
	}
	defer conn.Close()
	doc := mustDoc(t, a.do(t, http.MethodGet, "/admin/sessions", nil, withCookie(owner, nil)))
	var other string
	doc.Find(`[data-testid="session-row"]`).Each(func(_ int, s *goquery.Selection) {
		if s.Find(`[data-testid="this-session"]`).Length() == 0 {
			other, _ = s.Find(`input[name="session"]`).Attr("value")
		}
	})
	if other == "" {
		t.Fatal("the sessions page lists no other session to end")
	}
	if w := a.post(t, "/admin/sessions/revoke", url.Values{"session": {other}}, owner); w.Code != http.StatusSeeOther {
		t.Fatalf("revoke = %d", w.Code)
	}
	// A deadline well short of the 25 s ping keeps a broken close from
	// passing; the check itself runs every second.
	_ = conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	_, _, err = conn.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.ClosePolicyViolation || ce.Text != "session ended" {
		t.Fatalf("after the revoke the feed read %v, want closed with 1008 \"session ended\"", err)
	}
	if w := a.do(t, http.MethodGet, "/admin/payments", nil, withCookie(owner, nil)); w.Code != http.StatusOK {
		t.Errorf("the owner's other session = %d, want its page", w.Code)
	}
}
