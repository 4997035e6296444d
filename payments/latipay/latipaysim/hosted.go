package latipaysim

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"
)

// payPage is the simulated Latipay-hosted page. It has no scripts and no
// styles so it renders under Content-Security-Policy default-src 'none'.
var payPage = template.Must(template.New("pay").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Latipay simulator</title>
</head>
<body>
<main data-testid="sim-page">
<h1>Latipay simulator</h1>
{{if .NotFound}}<p data-testid="sim-not-found">This payment link is unknown or has expired.</p>
{{else}}<p>Simulated payment page. No money moves.</p>
<dl>
<dt>Merchant reference</dt><dd data-testid="sim-reference">{{.T.MerchantReference}}</dd>
<dt>Product</dt><dd data-testid="sim-product">{{.T.ProductName}}</dd>
<dt>Amount</dt><dd data-testid="sim-amount">{{.T.Amount}}</dd>
<dt>Currency</dt><dd data-testid="sim-currency">{{.T.Currency}}</dd>
<dt>Payment method</dt><dd data-testid="sim-method">{{.T.PaymentMethod}}</dd>
<dt>Status</dt><dd data-testid="sim-status">{{.T.Status}}</dd>
</dl>
{{if eq .T.Status "pending"}}<form method="post" action="{{.Action}}"><button type="submit" name="action" value="pay" data-testid="sim-pay">Pay</button></form>
<form method="post" action="{{.Action}}"><button type="submit" name="action" value="fail" data-testid="sim-fail">Fail</button></form>
{{else if .T.ReturnURL}}<form method="post" action="{{.Action}}"><button type="submit" name="action" value="return" data-testid="sim-return">Return to merchant</button></form>
{{end}}{{end}}</main>
</body>
</html>
`))

// pageData feeds payPage.
type pageData struct {
	NotFound bool
	T        Transaction
	Action   string // path the forms post to
}

// writePage renders payPage with headers fit for a payment page.
func writePage(w http.ResponseWriter, status int, d pageData) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; base-uri 'none'")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer") // keep the nonce out of Referer
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = payPage.Execute(w, d)
}

// lookupNonce returns a snapshot of the transaction with nonce n.
func (s *Simulator) lookupNonce(n string) (Transaction, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.st.byNonce[n]
	if !ok {
		return Transaction{}, false
	}
	return t.snapshot(), true
}

// handlePayPage serves GET /pay/{nonce}: the hosted page. It may be
// reloaded; once the transaction is final it offers only the way back.
func (s *Simulator) handlePayPage(w http.ResponseWriter, r *http.Request) {
	nonce := r.PathValue("nonce")
	t, ok := s.lookupNonce(nonce)
	if !ok {
		writePage(w, http.StatusNotFound, pageData{NotFound: true})
		return
	}
	writePage(w, http.StatusOK, pageData{T: t, Action: s.prefix + "/pay/" + nonce})
}

// handlePayAction serves POST /pay/{nonce}: action=pay or action=fail
// completes a pending transaction (sending its callback); then the browser
// is sent to return_url with the signed result (package latipay, Notifications and return redirects).
func (s *Simulator) handlePayAction(w http.ResponseWriter, r *http.Request) {
	nonce := r.PathValue("nonce")
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	action := r.PostFormValue("action")
	t, ok := s.lookupNonce(nonce)
	if !ok {
		writePage(w, http.StatusNotFound, pageData{NotFound: true})
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
		t, _ = s.lookupNonce(nonce)
	case "return":
	default:
		http.Error(w, "action must be pay or fail", http.StatusBadRequest)
		return
	}
	if t.ReturnURL == "" || t.Status == statusPending {
		writePage(w, http.StatusOK, pageData{T: t, Action: s.prefix + "/pay/" + nonce})
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
