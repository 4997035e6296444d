package views

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

func mustCatalog(t *testing.T) *Catalog {
	t.Helper()
	c, err := NewCatalog()
	if err != nil {
		t.Fatalf("NewCatalog: %v", err)
	}
	return c
}

var placeholder = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)

// renderDoc renders comp with ctx and parses the HTML.
func renderDoc(t *testing.T, ctx context.Context, where string, comp templ.Component) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := comp.Render(ctx, &buf); err != nil {
		t.Fatalf("%s: render: %v", where, err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

var han = regexp.MustCompile(`\p{Han}`)

// checkLocalised fails t for a page rendered in tag whose text shows a
// raw message id (one of ids with any of prefixes; all when none is given)
// or a template hole, or, in Chinese, whose chinese text has no Han
// character.
func checkLocalised(t *testing.T, where, tag, text, chinese string, ids []string, prefixes ...string) {
	t.Helper()
	for _, id := range ids {
		ours := len(prefixes) == 0
		for _, p := range prefixes {
			ours = ours || strings.HasPrefix(id, p)
		}
		if ours && strings.Contains(text, id) {
			t.Errorf("%s: raw message id %q", where, id)
		}
	}
	if strings.Contains(text, "{{") || strings.Contains(text, "<no value>") {
		t.Errorf("%s: a template placeholder leaked: %q", where, text)
	}
	if tag != LangEnglish && !han.MatchString(chinese) {
		t.Errorf("%s: no Chinese in %q", where, chinese)
	}
}

// TestCataloguesComplete fails on any message missing, empty or extra in
// any language, and on a translation using a placeholder English does not.
func TestCataloguesComplete(t *testing.T) {
	c := mustCatalog(t)
	en := c.IDs(LangEnglish)
	if len(en) < 50 {
		t.Fatalf("English catalogue has %d messages; the parse lost some", len(en))
	}
	for _, tag := range Languages()[1:] {
		got := c.IDs(tag)
		for _, id := range en {
			if !slices.Contains(got, id) {
				t.Errorf("%s: message %q is missing", tag, id)
			}
		}
		for _, id := range got {
			if !slices.Contains(en, id) {
				t.Errorf("%s: message %q is not in the English source catalogue", tag, id)
			}
		}
	}
	for _, tag := range Languages() {
		for _, id := range c.IDs(tag) {
			src, _ := c.Source(tag, id)
			if strings.TrimSpace(src) == "" {
				t.Errorf("%s: message %q is empty", tag, id)
			}
			enSrc, _ := c.Source(LangEnglish, id)
			for _, m := range placeholder.FindAllStringSubmatch(src, -1) {
				if !strings.Contains(enSrc, "{{.") || !placeholder.MatchString(enSrc) || !strings.Contains(enSrc, "."+m[1]+"}}") {
					t.Errorf("%s: message %q uses {{.%s}}, which the English message does not", tag, id, m[1])
				}
			}
		}
	}
}

// TestCommerceWords pins the hand-chosen shopping terms.
func TestCommerceWords(t *testing.T) {
	c := mustCatalog(t)
	for _, tc := range []struct{ tag, id, want string }{
		{LangSimplifiedChinese, "status.paid", "支付成功"},
		{LangSimplifiedChinese, "checkout.order", "订单"},
		{LangSimplifiedChinese, "method.wechat", "微信支付"},
		{LangSimplifiedChinese, "method.alipay", "支付宝"},
		{LangSimplifiedChinese, "checkout.choose", "付款"},
		{LangTraditionalChinese, "status.paid", "付款成功"},
		{LangTraditionalChinese, "checkout.order", "訂單"},
		{LangTraditionalChinese, "method.wechat", "微信支付"},
		{LangTraditionalChinese, "method.alipay", "支付寶"},
		{LangEnglish, "status.paid", "Payment successful"},
	} {
		if got := c.Localizer(tc.tag).T(tc.id); !strings.Contains(got, tc.want) {
			t.Errorf("%s %s = %q, want it to contain %q", tc.tag, tc.id, got, tc.want)
		}
	}
	for _, bad := range []string{"发票", "账单", "台語", "英文"} {
		for _, tag := range Languages() {
			for _, id := range c.IDs(tag) {
				if src, _ := c.Source(tag, id); strings.Contains(src, bad) {
					t.Errorf("%s %s uses %q (wrong word for an order)", tag, id, bad)
				}
			}
		}
	}
	if got := c.Localizer(LangSimplifiedChinese).T("checkout.cny", "￥ 56.25", "1 NZD = 4.50 CNY"); got != "约 ￥ 56.25（汇率：1 NZD = 4.50 CNY）" {
		t.Errorf("zh-Hans checkout.cny = %q", got)
	}
	if got := c.Localizer(LangEnglish).T("checkout.title", "Kiwi Shop"); got != "Pay Kiwi Shop" {
		t.Errorf("en checkout.title = %q, want %q", got, "Pay Kiwi Shop")
	}
	if got := c.Localizer("fr").Lang(); got != LangEnglish {
		t.Errorf("Localizer(fr).Lang() = %q, want en", got)
	}
	if got := c.Localizer(LangEnglish).T("no.such.id"); got != "no.such.id" {
		t.Errorf("unknown id = %q, want the id back", got)
	}
}

// TestTillWord: each Chinese catalogue calls the till one thing, the word
// its own pages use (counter.title): the audit log said 解锁柜台 beside
// 锁定了收银台, and the links pages 柜台 for the QR code kept there.
func TestTillWord(t *testing.T) {
	c := mustCatalog(t)
	for tag, other := range map[string][]string{LangSimplifiedChinese: {"柜台"}, LangTraditionalChinese: {"櫃檯", "櫃台"}} {
		till := c.Localizer(tag).T("counter.title")
		for _, id := range c.IDs(tag) {
			src, _ := c.Source(tag, id)
			for _, w := range other {
				if strings.Contains(src, w) {
					t.Errorf("%s %s says %q for the till, where its pages say %q: %q", tag, id, w, till, src)
				}
			}
		}
		for _, id := range []string{"audit.action.counter.unlock", "audit.action.counter.lock", "audit.action.counter.pair", "links.kind.static_qr"} {
			if src, _ := c.Source(tag, id); !strings.Contains(src, till) {
				t.Errorf("%s %s = %q, want the till's word %q", tag, id, src, till)
			}
		}
	}
}

// usedID finds message ids written as literals in templates and handlers.
var usedID = regexp.MustCompile(`(?:\bt\(ctx, |\.T\()"([a-z_]+(?:\.[a-z_]+)+)"`)

// TestEveryUsedIDExists catches a typo'd id in a template or handler, and
// ids built at run time from statuses and methods.
func TestEveryUsedIDExists(t *testing.T) {
	c := mustCatalog(t)
	en := c.IDs(LangEnglish)
	files, _ := filepath.Glob("*.templ")
	more, _ := filepath.Glob("../handlers/*.go")
	for _, f := range append(files, more...) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range usedID.FindAllStringSubmatch(string(b), -1) {
			if !slices.Contains(en, m[1]) {
				t.Errorf("%s uses message %q, which en.toml lacks", f, m[1])
			}
		}
	}
	var dynamic []string
	for _, s := range allStatuses {
		dynamic = append(dynamic, "status."+s, "state."+s)
	}
	for _, m := range []string{"wechat", "alipay", "upi_upop"} {
		dynamic = append(dynamic, "method."+m)
	}
	dynamic = append(dynamic, "qr.scan.wechat", "qr.scan.alipay")
	// The back office's lists (admin_payments.templ, handlers/admin_*.go).
	for _, ch := range []string{"api", "link", "counter_qr", "counter_scan", "static_qr"} {
		dynamic = append(dynamic, "adminlist.channel."+ch)
	}
	for _, c := range []string{"NZD", "AUD", "CNY"} {
		dynamic = append(dynamic, "adminlist.currency."+c)
	}
	for _, k := range []string{"event", "refund", "attempt", "query", "callback", "webhook", "admin"} {
		dynamic = append(dynamic, "adminlist.kind."+k)
	}
	for _, st := range []string{"delivered", "retrying", "failed", "superseded", "given_up"} {
		dynamic = append(dynamic, "adminlist.state."+st)
	}
	for _, code := range []string{"550", "551", "556", "558", "559", "562"} {
		dynamic = append(dynamic, "adminlist.refund.code."+code)
	}
	// A payment's timeline (handlers' auditText and deliveryError).
	for _, a := range []string{"refund", "refund.succeeded", "refund.pending", "cancel", "requery", "webhook.redeliver"} {
		dynamic = append(dynamic, "timeline.audit."+a)
	}
	// The audit log (handlers' auditLabel and auditDetail).
	for _, p := range []string{"unreachable", "bad_key", "unknown_user", "not_users", "other"} {
		dynamic = append(dynamic, "audit.wallet."+p)
	}
	for _, k := range []string{"read_payment", "read_refunds", "read_refund", "encode", "bad_url"} {
		dynamic = append(dynamic, "timeline.delivery."+k)
	}
	for _, id := range dynamic {
		if !slices.Contains(en, id) {
			t.Errorf("en.toml lacks %q, which pages build at run time", id)
		}
	}
}

var allStatuses = []string{"created", "pending", "paid", "failed", "expired", "canceled", "refunded", "partially_refunded"}

// screenOf is the screen handlers give each status (handlers' screenFor).
var screenOf = map[string]Screen{"created": ScreenOpen, "pending": ScreenOpen, "paid": ScreenPaid, "failed": ScreenFailed,
	"expired": ScreenExpired, "canceled": ScreenCanceled, "refunded": ScreenRefunded, "partially_refunded": ScreenRefunded}

// pages is every page the shopper can see, in every state.
func pages() map[string]templ.Component {
	page := Page{Title: "Pay Kiwi Shop", MerchantName: "Kiwi Shop", Sandbox: true, CSS: "/static/x/css/app.css",
		JS: "/static/x/js/checkout.js", LogoURL: "/brand/logo"}
	base := Checkout{Page: page, ID: "pay_x", Amount: Money{Minor: 1250, Currency: "NZD", Exponent: 2}, AmountCNY: "58.06", Rate: "4.64490",
		Description: "Two coffees", Reference: "ORDER-1", Version: 3, StartURL: "/checkout/pay_x/start",
		ChooseURL: "/checkout/pay_x?choose=1", ExpiresAt: "2026-03-01T01:15:00Z", ExpiresText: "01:15",
		BackURL: "https://shop.example.com/done", StatusURL: "/s", PanelURL: "/p", SocketURL: "/w",
		Methods:   []Method{{Value: "wechat", Mark: "/w.svg"}, {Value: "alipay", Hosted: true, Mark: "/a.svg"}, {Value: "upi_upop", Hosted: true}},
		CancelURL: "/checkout/pay_x/cancel", Refunded: Money{Minor: 500, Currency: "NZD", Exponent: 2},
		Receipt: Receipt{Method: "wechat", PaidAt: "2026-03-01T01:05:00Z", PaidAtText: "2026-03-01 01:05 UTC", OrderID: "2026030100001"}}
	with := func(f func(c *Checkout)) Checkout {
		c := base
		f(&c)
		c.Screen = screenOf[c.Status]
		return c
	}
	qr := func(samePhone bool) *QR {
		return &QR{ImageURL: "/checkout/pay_x/qr.png", Method: "wechat", Reference: "REF", Mark: "/w.svg", Size: 259, Modules: 37, SimulateURL: "/sim", ReturnTo: "/checkout/pay_x",
			RefreshAt: "2026-03-01T01:04:30Z", RefreshURL: "/checkout/pay_x/refresh", SamePhone: samePhone,
			DownloadURL: "/checkout/pay_x/qr.png", OpenURL: "https://pay.example.com/checkout/pay_x",
			StepImages: [3]string{"/a.svg", "/b.svg", "/c.svg"}}
	}
	out := map[string]templ.Component{
		"home":               HomePage(Home{Page: page, DemoURL: "/sandbox/demo"}),
		"checkout-created":   CheckoutPage(with(func(c *Checkout) { c.Status = "created" })),
		"checkout-in-wechat": CheckoutPage(with(func(c *Checkout) { c.Status = "created"; c.AlipayElsewhere = true })),
		"checkout-in-alipay": CheckoutPage(with(func(c *Checkout) { c.Status = "created"; c.WeChatElsewhere = true })),
		"checkout-pay-here": CheckoutPage(with(func(c *Checkout) {
			c.Status = "pending"
			c.QR = qr(false)
			c.QR.PayHere = true
			c.QR.InWallet = "wechat"
		})),
		"checkout-switch-here": CheckoutPage(with(func(c *Checkout) {
			c.Status, c.QR = "pending", qr(false)
			c.QR.Method, c.QR.InWallet, c.QR.Elsewhere, c.QR.SwitchHere = "alipay", "wechat", true, true
		})),
		"checkout-elsewhere": CheckoutPage(with(func(c *Checkout) {
			c.Status, c.QR = "pending", qr(false)
			c.QR.InWallet, c.QR.Elsewhere = "alipay", true
		})),
		"checkout-pending-qr":  CheckoutPage(with(func(c *Checkout) { c.Status = "pending"; c.QR = qr(false) })),
		"checkout-same-phone":  CheckoutPage(with(func(c *Checkout) { c.Status = "pending"; c.QR = qr(true) })),
		"checkout-pending-qr2": CheckoutPanel(with(func(c *Checkout) { c.Status = "pending"; c.QR = qr(true) })),
		"checkout-paid-late":   CheckoutPage(with(func(c *Checkout) { c.Status = "paid"; c.PaidLate = true })),
		"checkout-failed-msg":  CheckoutPage(with(func(c *Checkout) { c.Status = "failed"; c.Error = "x" })),
	}
	for _, s := range allStatuses {
		out["checkout-"+s] = CheckoutPage(with(func(c *Checkout) { c.Status = s }))
	}
	for _, id := range []string{"error.notfound", "error.badlink", "error.expiredlink", "error.conflict", "error.unavailable",
		"error.notpayable", "error.invalid", "error.toomany", "error.ratelimited"} {
		out["error-"+id] = ErrorPage(Error{Page: page, Status: 404, MessageID: id, BackURL: "https://shop.example.com"})
	}
	out["error-nopage"] = ErrorPage(Error{Page: page, Status: 404, MessageID: "error.nopage", BackURL: "https://shop.example.com/"})
	out["error-internal"] = ErrorPage(Error{Page: page, Status: 500, MessageID: "error.internal", Arg: "abc123"})
	admin := Admin{Page: page, Email: "owner@shop.example", Role: "owner", SignOutURL: "/admin/signout",
		Nav: []NavLink{{URL: "/admin/", LabelID: "admin.home.title"}, {URL: "/admin/payments", LabelID: "admin.payments.title", Current: true}}}
	out["admin-signin"] = SignInPage(SignIn{Page: page, Action: "/admin/signin", Next: "/admin/", Session: SessionLimits{IdleMinutes: 30, Hours: 12}})
	for _, id := range []string{"admin.signin.bad", "admin.signin.locked", "admin.signin.busy", "admin.signin.ended"} {
		out["admin-signin-"+id] = SignInPage(SignIn{Page: page, Action: "/admin/signin", ErrorID: id})
	}
	out["admin-setup"] = SetupPage(Setup{Page: page, Action: "/admin/setup", Token: "t"})
	for _, id := range []string{"admin.setup.badtoken", "admin.setup.expired", "admin.setup.bademail", "admin.setup.badpassword", "admin.setup.done",
		"admin.password.long", "admin.password.blank", "admin.password.repeated", "admin.password.common"} {
		out["admin-setup-"+id] = SetupPage(Setup{Page: page, Action: "/admin/setup", ErrorID: id})
	}
	out["admin-home-owner"] = AdminHomePage(AdminHome{Admin: admin, PaymentsURL: "/admin/payments"})
	cashier := admin
	cashier.Role = "cashier"
	out["admin-home-cashier"] = AdminHomePage(AdminHome{Admin: cashier})
	out["admin-home-figures"] = AdminHomePage(AdminHome{Admin: admin, PaymentsURL: "/admin/payments", Figures: homeFiguresSample()})
	out["admin-home-empty"] = AdminHomePage(AdminHome{Admin: admin, PaymentsURL: "/admin/payments", Figures: &HomeFigures{Zone: "UTC", TodayText: "2026-03-01"}})
	out["admin-reports"] = AdminReportsPage(reportsSample(admin, ""))
	out["admin-reports-bad"] = AdminReportsPage(reportsSample(admin, "report.bad.long"))
	rows := []PaymentRow{{ID: "pay_1", Time: "2026-03-01 10:00 UTC", Amount: "12.50", Currency: "NZD", AmountCNY: "58.42", Status: "paid", Method: "wechat",
		Channel: "counter_qr", Reference: "ORDER-1", OrderID: "2026030100001", Refunded: "0.00"}}
	list := PaymentList{Admin: admin, Action: "/admin/payments", Statuses: allStatuses, Methods: []string{"wechat", "alipay", "upi_upop"},
		Channels: []string{"api", "link", "counter_qr", "counter_scan", "static_qr"}, Currencies: []string{"NZD", "AUD", "CNY"}, Zone: "UTC"}
	full := list
	full.Status, full.Method, full.Channel, full.Currency, full.From, full.To, full.Query = "paid", "wechat", "link", "NZD", "2026-03-01", "2026-03-02", "tea"
	full.Rows, full.NextURL = rows, "/admin/payments?cursor=x"
	full.ExportCSV, full.ExportJSON = "/admin/payments/export.csv?status=paid", "/admin/payments/export.json?status=paid"
	out["admin-payments"] = PaymentListPage(full)
	for _, id := range []string{"adminlist.bad.searchlong", "adminlist.bad.cursor", "adminlist.bad.status", "adminlist.bad.method", "adminlist.bad.channel", "adminlist.bad.currency",
		"adminlist.bad.date", "adminlist.bad.range", "adminlist.bad.search"} {
		bad := list
		bad.ErrorID = id
		out["admin-payments-"+id] = PaymentListPage(bad)
	}
	var tl []TimelineItem
	for _, k := range []string{"event", "refund", "attempt", "query", "callback", "webhook", "admin"} {
		tl = append(tl, TimelineItem{Time: "2026-03-01 10:00:00 UTC", Kind: k, WhoID: "adminlist.who.latipay", What: "payment.paid", Detail: "paid"})
	}
	tl = append(tl, TimelineItem{Kind: "webhook", WhoID: "adminlist.who.endpoint", What: "payment.paid", RedeliverURL: "/r"},
		TimelineItem{Kind: "admin", Who: "owner@shop.example", What: "refund"}, TimelineItem{Kind: "event", WhoID: "adminlist.who.system"},
		TimelineItem{Kind: "attempt", WhoID: "adminlist.who.shopper"})
	detail := PaymentDetail{Admin: admin, Row: rows[0], Description: "Two coffees", Timeline: tl, RequeryURL: "/admin/payments/pay_1/requery",
		RefundURL: "/admin/payments/pay_1/refund", Refundable: "12.50", NeedPW: true, IdemKey: "k", NoticeID: "admin.refund.done"}
	for _, id := range []string{"adminlist.requery.done", "adminlist.webhook.redelivered"} {
		d := detail
		d.NoticeID = id
		out["admin-detail-"+id] = PaymentDetailPage(d)
	}
	for _, code := range []string{"550", "551", "556", "558", "559", "562"} {
		d := detail
		d.ErrorID, d.NoticeID = "adminlist.refund.code."+code, ""
		out["admin-detail-refund-"+code] = PaymentDetailPage(d)
	}
	drow := DeliveryRow{ID: "whd_1", Time: "2026-03-01 10:00:00 UTC", PaymentID: "pay_1", PaymentURL: "/admin/payments/pay_1", EventType: "payment.paid",
		Attempt: 2, Redelivery: true, StatusCode: 500, Error: "timeout", Duration: "1.2s", State: "retrying", NextAt: "2026-03-01 10:01:00 UTC", URL: "/admin/webhooks/whd_1"}
	states := []string{"delivered", "retrying", "failed"}
	out["admin-webhooks"] = WebhookListPage(WebhookList{Admin: admin, Action: "/admin/webhooks", State: "retrying", States: states, Rows: []DeliveryRow{drow},
		NextURL: "/admin/webhooks?cursor=x", Enabled: true})
	out["admin-webhooks-off"] = WebhookListPage(WebhookList{Admin: admin, Action: "/admin/webhooks", States: states, ErrorID: "adminlist.bad.state"})
	out["admin-webhook"] = WebhookDetailPage(WebhookDetail{Admin: admin, Delivery: drow, Tries: []DeliveryRow{drow}, RedeliverURL: "/r",
		NoticeID: "adminlist.webhook.redelivered"})
	out["admin-webhook-off"] = WebhookDetailPage(WebhookDetail{Admin: admin, Delivery: drow, ErrorID: "adminlist.webhooks.off"})
	out["admin-detail"] = PaymentDetailPage(detail)
	for _, id := range []string{"admin.refund.toolarge", "admin.refund.bad", "admin.refund.notrefundable", "admin.refund.unavailable", "admin.refund.pw", "admin.cancel.not", "admin.cancel.paid", "admin.cancel.done"} {
		d := detail
		d.ErrorID, d.NoticeID, d.RefundURL, d.CancelURL = id, "", "", "/admin/payments/pay_1/cancel"
		out["admin-detail-"+id] = PaymentDetailPage(d)
	}
	rejected := detail
	rejected.ErrorID, rejected.ErrorArg = "admin.refund.rejected", "code 556"
	out["admin-detail-rejected"] = PaymentDetailPage(rejected)
	authPages(out, page, admin)
	out["error-forbidden"] = ErrorPage(Error{Page: page, Status: 403, MessageID: "error.forbidden"})
	return out
}

// TestEveryPageInEveryLanguage renders each page in each language: the
// <html lang> is right, no message id and no template hole leaks, and the
// Chinese pages are mostly Chinese.
func TestEveryPageInEveryLanguage(t *testing.T) {
	c := mustCatalog(t)
	var ids []string
	for _, id := range c.IDs(LangEnglish) {
		if strings.Contains(id, ".") {
			ids = append(ids, id)
		}
	}
	for name, comp := range pages() {
		for _, tag := range Languages() {
			ctx := WithLocalizer(context.Background(), c.Localizer(tag))
			ctx = WithLangLinks(ctx, []LangLink{{Tag: "en", Name: "English", URL: "/?lang=en"}, {Tag: tag, Name: LanguageName(tag), URL: "/?lang=" + tag, Current: true}})
			doc := renderDoc(t, ctx, name+"/"+tag, comp)
			if !strings.HasPrefix(name, "checkout-pending-qr2") {
				if got, _ := doc.Find("html").Attr("lang"); got != tag {
					t.Errorf("%s/%s: <html lang=%q>, want %q", name, tag, got, tag)
				}
			}
			text := doc.Text()
			doc.Find("[alt],[aria-label],[title],[data-copied]").Each(func(_ int, s *goquery.Selection) {
				for _, a := range []string{"alt", "aria-label", "title", "data-copied"} {
					v, _ := s.Attr(a)
					text += " " + v
				}
			})
			checkLocalised(t, name+"/"+tag, tag, text, doc.Find("#panel, section.panel, section.status").Text(), ids)
		}
	}
}

// TestFallbackEnglish is a component rendered with no Localizer.
func TestFallbackEnglish(t *testing.T) {
	var buf bytes.Buffer
	if err := HomePage(Home{Page: Page{MerchantName: "Kiwi"}}).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "Latipay hosted payment page") || !strings.Contains(buf.String(), `lang="en"`) {
		t.Errorf("fallback page = %s", buf.String())
	}
}

// TestAreaCataloguesLoad guards the split catalogues: an area's own file
// (admin.<tag>.toml) is read for its language only, beside <tag>.toml.
func TestAreaCataloguesLoad(t *testing.T) {
	for _, tag := range Languages() {
		files := catalogueFiles(tag)
		want := map[string]bool{"locales/" + tag + ".toml": false, "locales/admin." + tag + ".toml": false}
		for _, f := range files {
			if _, ok := want[f]; ok {
				want[f] = true
			} else if !strings.HasSuffix(f, "."+tag+".toml") {
				t.Errorf("%s: catalogue of another language read: %s", tag, f)
			}
		}
		for f, seen := range want {
			if !seen {
				t.Errorf("%s: %s not read (got %v)", tag, f, files)
			}
		}
	}
	c, err := NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Localizer(LangSimplifiedChinese).T("admin.nav"); got != "后台" {
		t.Errorf("admin.nav in zh-Hans = %q, want 后台", got)
	}
}
