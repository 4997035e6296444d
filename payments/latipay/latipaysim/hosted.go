package latipaysim

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/text/language"
)

// payPage is the simulated Latipay-hosted page, in the shopper's language
// (pageTexts) and styled like the product's checkout: one inline
// stylesheet allowed by its hash (payStyleHash), no scripts, so it
// renders under a Content-Security-Policy that allows nothing else.
var payPage = template.Must(template.New("pay").Parse(`<!doctype html>
<html lang="{{.L.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{.L.Title}}</title>
<style>` + payStyle + `</style>
</head>
<body>
<p class="note" role="note">{{.L.Note}}</p>
<main data-testid="sim-page">
<h1>{{.L.Title}}</h1>
{{if .NotFound}}<p data-testid="sim-not-found">{{.L.NotFound}}</p>
{{else}}<p class="amount" data-testid="sim-amount-line"><span data-testid="sim-currency">{{.T.Currency}}</span> <strong data-testid="sim-amount">{{.T.Amount}}</strong></p>
<dl>
<div><dt>{{.L.Product}}</dt><dd data-testid="sim-product">{{.T.ProductName}}</dd></div>
<div><dt>{{.L.Reference}}</dt><dd data-testid="sim-reference">{{.T.MerchantReference}}</dd></div>
<div><dt>{{.L.Method}}</dt><dd data-testid="sim-method">{{.T.PaymentMethod}}</dd></div>
<div><dt>{{.L.Status}}</dt><dd data-testid="sim-status">{{.T.Status}}</dd></div>
</dl>
{{if eq .T.Status "pending"}}<form method="post" action="{{.Action}}"><button class="pay" type="submit" name="action" value="pay" data-testid="sim-pay">{{.L.Pay}}</button></form>
<form method="post" action="{{.Action}}"><button class="fail" type="submit" name="action" value="fail" data-testid="sim-fail">{{.L.Fail}}</button></form>
{{else if .T.ReturnURL}}<form method="post" action="{{.Action}}"><button class="pay" type="submit" name="action" value="return" data-testid="sim-return">{{.L.Return}}</button></form>
{{end}}{{end}}</main>
</body>
</html>
`))

// payStyle is the page's stylesheet: the checkout's card, type and
// colours (static/css/app.css), with buttons at least 56 px tall.
const payStyle = `:root{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC",sans-serif;color:#1b1f23;background:#f3f4f6;line-height:1.5}` +
	`*{box-sizing:border-box}body{margin:0}` +
	`.note{background:#fff3bf;color:#5c3c00;padding:.5rem 1rem;text-align:center;font-size:.9rem;margin:0}` +
	`main{max-width:28rem;margin:0 auto;padding:1rem;background:#fff;min-height:100vh}` +
	`@media (min-width:40rem){main{margin:2rem auto;min-height:0;border-radius:.75rem;box-shadow:0 1px 4px rgba(0,0,0,.12);padding:1.5rem}}` +
	`h1{font-size:1.2rem;margin:0 0 .5rem}.amount strong{font-size:1.6rem}` +
	`dl div{display:flex;justify-content:space-between;gap:1rem;border-bottom:1px solid #eef2f7;padding:.25rem 0}` +
	`dt{color:#57606a;font-size:.9rem}dd{margin:0;font-weight:600;text-align:end;overflow-wrap:anywhere}` +
	`button{display:block;width:100%;min-height:56px;margin:.75rem 0;border:0;border-radius:.5rem;font:inherit;font-size:1.15rem;font-weight:600;cursor:pointer;color:#fff}` +
	`.pay{background:#0b6e4f}.fail{background:#a4161a}button:focus-visible{outline:3px solid #1f6feb;outline-offset:2px}`

// payStyleHash is payStyle's CSP source expression.
var payStyleHash = func() string {
	h := sha256.Sum256([]byte(payStyle))
	return "'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'"
}()

// pageText is the page's words in one language.
type pageText struct {
	Lang, Title, Note, NotFound, Product, Reference, Method, Status, Pay, Fail, Return string
}

// pageTexts holds the page in the checkout's three languages.
var pageTexts = map[string]pageText{
	"en": {"en", "Latipay simulator", "Sandbox: simulated payment page. No money moves.",
		"This payment link is unknown or has expired.", "Product", "Merchant reference", "Payment method", "Status",
		"Pay", "Fail", "Return to merchant"},
	"zh-Hans": {"zh-Hans", "Latipay 模拟器", "沙盒：模拟付款页面，不会产生真实扣款。",
		"此付款链接不存在或已过期。", "商品", "商户订单号", "付款方式", "状态",
		"付款", "付款失败", "返回商户"},
	"zh-Hant": {"zh-Hant", "Latipay 模擬器", "沙盒：模擬付款頁面，不會產生真實扣款。",
		"此付款連結不存在或已過期。", "商品", "商戶訂單編號", "付款方式", "狀態",
		"付款", "付款失敗", "返回商戶"},
}

// pageMatcher picks one of pageTexts' languages from Accept-Language.
var pageMatcher = language.NewMatcher([]language.Tag{language.English, language.SimplifiedChinese, language.TraditionalChinese})

// pageLang is the shopper's language for the page.
func pageLang(r *http.Request) pageText {
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	_, i, _ := pageMatcher.Match(tags...)
	return pageTexts[[]string{"en", "zh-Hans", "zh-Hant"}[i]]
}

// pageData feeds payPage.
type pageData struct {
	NotFound bool
	T        Transaction
	Action   string // path the forms post to
	L        pageText
}

// writePage renders payPage with headers fit for a payment page.
func writePage(w http.ResponseWriter, r *http.Request, status int, d pageData) {
	d.L = pageLang(r)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src "+payStyleHash+"; base-uri 'none'")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer") // keep the nonce out of Referer
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = payPage.Execute(w, d)
}

// lookupNonce returns a snapshot of the transaction with nonce n. A
// ledger that cannot be read is logged and answered as not found.
func (s *Simulator) lookupNonce(ctx context.Context, n string) (Transaction, bool) {
	t, err := s.load(ctx, byNonce, n)
	if err != nil {
		s.log.Error("latipaysim: read the ledger", "err", err)
	}
	if t == nil {
		return Transaction{}, false
	}
	return t.snapshot(), true
}

// handlePayPage serves GET /pay/{nonce}: the hosted page. It may be
// reloaded; once the transaction is final it offers only the way back.
func (s *Simulator) handlePayPage(w http.ResponseWriter, r *http.Request) {
	nonce := r.PathValue("nonce")
	t, ok := s.lookupNonce(r.Context(), nonce)
	if !ok {
		writePage(w, r, http.StatusNotFound, pageData{NotFound: true})
		return
	}
	writePage(w, r, http.StatusOK, pageData{T: t, Action: s.prefix + "/pay/" + nonce})
}

// handlePayAction serves POST /pay/{nonce}: action=pay or action=fail
// completes a pending transaction (sending its callback); then the browser
// is sent to return_url with the signed result (package latipay, Notifications and return redirects).
func (s *Simulator) handlePayAction(w http.ResponseWriter, r *http.Request) {
	nonce := r.PathValue("nonce")
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	action := r.PostFormValue("action")
	t, ok := s.lookupNonce(r.Context(), nonce)
	if !ok {
		writePage(w, r, http.StatusNotFound, pageData{NotFound: true})
		return
	}
	switch action {
	case "pay", "fail":
		status := statusPaid
		if action == "fail" {
			status = statusFailed
		}
		// A transaction that is no longer pending is left as it is: the
		// shopper is simply sent back with its final status.
		_ = s.complete(t.MerchantReference, status)
		t, _ = s.lookupNonce(r.Context(), nonce)
	case "return":
	default:
		http.Error(w, "action must be pay or fail", http.StatusBadRequest)
		return
	}
	if t.ReturnURL == "" || t.Status == statusPending {
		writePage(w, r, http.StatusOK, pageData{T: t, Action: s.prefix + "/pay/" + nonce})
		return
	}
	http.Redirect(w, r, s.returnURL(t), http.StatusSeeOther)
}

// returnURL is t.ReturnURL with the signed result query appended.
// WeChat reports any unsuccessful end as cancel_or_fail.
func (s *Simulator) returnURL(t Transaction) string {
	status := t.Status
	if status != statusPaid && t.PaymentMethod == "wechat" {
		status = "cancel_or_fail"
	}
	m := s.merchants[t.UserID]
	sig := signResult(s.responseKey(m), t.MerchantReference, t.PaymentMethod, status, t.Currency, t.Amount)
	var q strings.Builder
	for _, kv := range [][2]string{
		{"merchant_reference", t.MerchantReference}, {"payment_method", t.PaymentMethod},
		{"status", status}, {"currency", t.Currency}, {"amount", t.Amount},
		{"order_id", t.OrderID}, {"signature", sig},
	} {
		if q.Len() > 0 {
			q.WriteByte('&')
		}
		q.WriteString(kv[0] + "=" + url.QueryEscape(kv[1]))
	}
	base, frag, hasFrag := strings.Cut(t.ReturnURL, "#")
	switch {
	case !strings.Contains(base, "?"):
		base += "?"
	case !strings.HasSuffix(base, "?") && !strings.HasSuffix(base, "&"):
		base += "&"
	}
	out := base + q.String()
	if hasFrag {
		out += "#" + frag
	}
	return out
}
