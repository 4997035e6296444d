package latipaysim

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Barcode behaviours. The pay code the cashier scans (or types) chooses
// what the shopper's wallet does, by its last two digits, and so does a
// large amount, as WeChat asks for a password above 3,000 yuan:
//
//	...11   the shopper must enter a password: pending, then paid after
//	        Options.BarcodePasswordDelay (default 10 s)
//	...12   the shopper must enter a password and gives up: pending, then
//	        failed after BarcodePasswordDelay
//	...13   the code is refused: code 207 "pay_code is invalid or expired",
//	        and no transaction is made
//	...14   a late success: pending until Options.BarcodeLateDelay (default
//	        60 s), longer than a counter waits, then paid
//	other   paid at once; but an amount worth 3,000 yuan or more (at
//	        Options.CNYRate) asks for a password first, as ...11 does
//
// A pending barcode transaction can also be completed at any time with the
// controls (Pay, Fail, POST /simulate). Barcode transactions have no
// callback_url, so no callback is sent for them: their result is read by
// query, as Latipay's documentation says.
const (
	codePassword     = "11"
	codePasswordFail = "12"
	codeRefused      = "13"
	codeLate         = "14"

	defaultPasswordDelay = 10 * time.Second
	defaultLateDelay     = 60 * time.Second
	// passwordAboveCNY is WeChat's threshold for a password, in fen.
	passwordAboveCNY = 3000_00
)

// barcodeResponse is the success body of POST /barcode.
type barcodeResponse struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	OrderID string `json:"order_id"`
}

// handleBarcode serves POST /barcode. JSON: user_id, wallet_id, amount,
// merchant_reference, pay_code, signature (sorted-parameters over all the
// others). Codes:
//
//	204 a field is missing or empty
//	205 unknown user_id
//	206 wrong signature
//	450 wallet_id is not one of the user's wallets
//	207 bad amount, a pay code that is not WeChat Pay's or Alipay's, a
//	    refused code (...13), or merchant_reference reused
//	304 the code's wallet (wechat or alipay) is not enabled for the merchant
//
// Success is {"code":0,"message":"SUCCESS","order_id":"..."}; the result
// is read by query.
func (s *Simulator) handleBarcode(w http.ResponseWriter, r *http.Request) {
	p, err := readParams(w, r)
	if err != nil {
		writeCode(w, 207, "")
		return
	}
	if missing(p, "user_id", "wallet_id", "amount", "merchant_reference", "pay_code", "signature") != "" {
		writeCode(w, 204, "")
		return
	}
	m := s.merchants[p["user_id"]]
	if m == nil {
		writeCode(w, 205, "")
		return
	}
	if !validSignature(p["signature"], m.APIKey, sortedMessage(p)+m.APIKey) {
		writeCode(w, 206, "")
		return
	}
	currency, ok := m.Wallets[p["wallet_id"]]
	if !ok {
		writeCode(w, 450, "")
		return
	}
	cents, ok := parseAmount(p["amount"])
	if !ok || cents <= 0 {
		writeCode(w, 207, "amount is wrong")
		return
	}
	code := p["pay_code"]
	method := payCodeMethod(code)
	switch {
	case method == "":
		writeCode(w, 207, "pay_code is wrong")
		return
	case !slices.Contains(m.Methods, method):
		writeCode(w, 304, "")
		return
	case strings.HasSuffix(code, codeRefused):
		writeCode(w, 207, "pay_code is invalid or expired")
		return
	}
	t := &txn{
		Transaction: Transaction{
			MerchantReference: p["merchant_reference"], UserID: m.UserID, WalletID: p["wallet_id"],
			Currency: currency, Amount: formatCents(cents), PaymentMethod: method,
			Status: statusPending, Barcode: true,
		},
		merchant: m, cents: cents, refunds: map[string]bool{},
	}
	switch err := s.insertBarcode(r.Context(), t, s.barcodeOutcome(code, cents, currency)); {
	case errors.Is(err, errRefUsed):
		writeCode(w, 207, "merchant_reference already used")
		return
	case err != nil:
		s.ledgerFailed(w, err)
		return
	}
	writeJSON(w, http.StatusOK, barcodeResponse{Message: "SUCCESS", OrderID: t.OrderID})
}

// outcome is what becomes of a barcode transaction: status at after.
type outcome struct {
	status string
	after  time.Duration // 0: at once
}

// barcodeOutcome picks the behaviour for a pay code and amount.
func (s *Simulator) barcodeOutcome(code string, cents int64, currency string) outcome {
	switch {
	case strings.HasSuffix(code, codePassword):
		return outcome{statusPaid, s.passwordDelay}
	case strings.HasSuffix(code, codePasswordFail):
		return outcome{statusFailed, s.passwordDelay}
	case strings.HasSuffix(code, codeLate):
		return outcome{statusPaid, s.lateDelay}
	case s.cnyCents(cents, currency) >= passwordAboveCNY:
		return outcome{statusPaid, s.passwordDelay}
	}
	return outcome{statusPaid, 0}
}

// insertBarcode adds t to the ledger with its outcome; errRefUsed means
// the merchant reference is taken.
func (s *Simulator) insertBarcode(ctx context.Context, t *txn, o outcome) error {
	// The ledger finds every entry by nonce too, so a barcode one has one.
	return s.add(ctx, t, func(t *txn, now time.Time) error {
		if o.after == 0 {
			t.setStatus(o.status, now)
		} else {
			t.settleAt, t.settleTo = now.Add(o.after), o.status
		}
		return nil
	})
}

// due reports whether t is a barcode transaction whose shopper has, by
// now, typed the password (or given up, or paid late).
func (s *Simulator) due(t *txn) bool {
	return t.Barcode && t.Status == statusPending && !t.settleAt.IsZero() && !s.now().Before(t.settleAt)
}

// settleDue completes t if it is due and reports whether it did. Only
// change calls it, so the outcome is written where t is stored.
func (s *Simulator) settleDue(t *txn) bool {
	if !s.due(t) {
		return false
	}
	t.setStatus(t.settleTo, t.settleAt)
	return true
}

// settleWait is how long from now a blocking query of t should wait for
// its scheduled outcome, or 0 when it has none.
func (s *Simulator) settleWait(t *txn) time.Duration {
	if !t.Barcode || t.Status != statusPending || t.settleAt.IsZero() {
		return 0
	}
	return max(t.settleAt.Sub(s.now()), time.Millisecond)
}

// payCodeMethod is the wallet a pay code belongs to: wechat for 18 digits
// starting 10 to 15, alipay for 16 to 24 digits starting 25 to 30, or ""
// (package latipay, Endpoints).
func payCodeMethod(code string) string {
	for _, r := range code {
		if r < '0' || r > '9' {
			return ""
		}
	}
	if len(code) < 2 {
		return ""
	}
	switch p := code[:2]; {
	case p >= "10" && p <= "15" && len(code) == 18:
		return "wechat"
	case p >= "25" && p <= "30" && len(code) >= 16 && len(code) <= 24:
		return "alipay"
	}
	return ""
}
