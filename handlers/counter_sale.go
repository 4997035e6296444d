package handlers

import (
	"errors"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/counter"
	"github.com/latipay-hpp/hpp/views"
)

// counterSale is a sale's state as the counter's script reads it, from
// a charge's answer and from GET /counter/sales/:id when it resyncs.
type counterSale struct {
	ID         string `json:"id"`
	Status     string `json:"status"`
	Version    int64  `json:"version"`
	Amount     string `json:"amount"` // "12.50"
	Currency   string `json:"currency"`
	AmountText string `json:"amount_text"` // in the page's language, "NZ$12.50"
	Method     string `json:"method,omitempty"`
	AmountCNY  string `json:"amount_cny,omitempty"` // Latipay's estimate
	// AmountCNYText is AmountCNY in the page's language, as every page
	// writes yuan: "CN¥ 12,345.60", "￥ 12,345.60" (views.YuanIn).
	AmountCNYText string `json:"amount_cny_text,omitempty"`
	Rate          string `json:"rate,omitempty"` // Latipay's CNY rate: the keypad's next estimate
	QR            string `json:"qr,omitempty"`   // our QR image of the current attempt
	ExpiresIn     int    `json:"expires_in"`     // seconds left to pay
	Token         string `json:"token"`          // the sale's websocket token
	// PayCodeRefused: Latipay refused the last pay code scanned and the
	// sale is still open, nothing charged: another code, a QR or a
	// cancel goes on it (payments.PayCodeRefused).
	PayCodeRefused bool `json:"pay_code_refused,omitempty"`
	// AwaitingLatipay: the sale is closed here unpaid (canceled, expired,
	// failed) but Latipay has not yet confirmed every attempt of it final,
	// as when a cancel could not reach Latipay: the shopper may still
	// pay it. The script keeps asking and says "do not charge again yet".
	AwaitingLatipay bool `json:"awaiting_latipay,omitempty"`
	// PaidAfterCancel: the sale was canceled, then paid at Latipay all
	// the same (payments.MsgPaidAfterCancel): not to be charged again,
	// refunded if the shopper paid twice.
	PaidAfterCancel bool `json:"paid_after_cancel,omitempty"`
	// PaidLate: the sale was paid at Latipay after it had closed here
	// (canceled, expired or failed): not to be charged again, refunded if
	// the shopper paid twice. PaidLateAfter is what it was when the paid
	// reached it ("canceled", "expired", "failed"), "" when not known.
	PaidLate      bool   `json:"paid_late,omitempty"`
	PaidLateAfter string `json:"paid_late_after,omitempty"`
}

// saleJSON fills counterSale for payment p. A sale begun by pay code
// shows a QR once it was switched to one.
func (s *Server) saleJSON(c *gin.Context, p payments.Payment, qr bool) counterSale {
	out := counterSale{ID: p.ID, Status: string(p.Status), Version: p.Version, Amount: payments.FormatAmount(p.Amount, p.Currency),
		Currency: string(p.Currency), Method: string(p.Method), AmountCNY: p.AmountCNY, Rate: p.CurrencyRate,
		AmountText: views.MoneyIn(s.chooseLang(c), views.Money{Minor: p.Amount, Currency: string(p.Currency), Exponent: p.Currency.Exponent()}),
		ExpiresIn:  max(0, int(p.ExpiresAt.Sub(s.opts.Now()).Seconds())),
		Token:      string(s.tokens.appendToken(nil, p.ID, s.opts.Now()))}
	if p.AmountCNY != "" {
		out.AmountCNYText = views.YuanIn(s.chooseLang(c), p.AmountCNY)
	}
	current := payments.Attempt{Kind: payments.KindOnline}
	if p.Source == payments.SourceCounterScan && (p.Status == payments.StatusCreated || p.Status == payments.StatusPending) {
		as, err := s.svc.Attempts(c.Request.Context(), p.ID)
		if err != nil {
			as = nil // unread: no QR, not said refused; the next push reads it again
			current.Kind = payments.KindBarcode
		}
		for _, a := range as {
			if a.Reference == p.LatipayReference {
				current = a
			}
		}
		out.PayCodeRefused = payments.PayCodeRefused(p, as)
	}
	switch {
	case p.Status == payments.StatusCanceled || p.Status == payments.StatusExpired || p.Status == payments.StatusFailed:
		as, err := s.svc.Attempts(c.Request.Context(), p.ID)
		// Unread: not confirmed, so the script asks again.
		out.AwaitingLatipay = err != nil || slices.ContainsFunc(as, func(a payments.Attempt) bool { return a.Status.Live() })
	case p.PaidLate && (p.Status == payments.StatusPaid || p.Status == payments.StatusPartiallyRefunded || p.Status == payments.StatusRefunded):
		evs, err := s.svc.Events(c.Request.Context(), p.ID)
		// Unread: said paid after a cancel, the louder of the two.
		out.PaidAfterCancel = err != nil || slices.ContainsFunc(evs, func(e payments.Event) bool { return e.Type == "payment."+string(payments.StatusCanceled) })
		out.PaidLate = true
		// What it was when the paid arrived: the last paid event's from.
		for i := len(evs) - 1; i >= 0; i-- {
			if evs[i].Type == "payment."+string(payments.StatusPaid) {
				out.PaidLateAfter = string(evs[i].From)
				break
			}
		}
	}
	if qr && p.Status == payments.StatusPending && current.Kind == payments.KindOnline &&
		(p.Source == payments.SourceCounterQR || p.Source == payments.SourceCounterScan) {
		out.QR = "/checkout/" + p.ID + "/qr.png"
	}
	return out
}

// handleCounterCharge serves POST /counter/charge: the keypad's WeChat
// Pay QR and Alipay QR buttons. The same key again (a double tap, a
// reload, a retry after a lost answer) answers the same sale; with another
// method it switches the wallet.
func (s *Server) handleCounterCharge() gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, d := c.Request.Context(), device(c)
		// The wallet the sale had before, if the key is a sale already:
		// a switch is audited with who made it (any cashier unlocked on
		// the device may switch a sale made on it).
		var was payments.Method
		if sale, err := s.opts.Counter.Store().SaleByKey(ctx, d.ID, c.PostForm("key")); err == nil {
			if p, err := s.svc.Get(ctx, sale.PaymentID); err == nil {
				was = p.Method
			}
		}
		st, err := s.opts.Counter.ChargeQR(ctx, counter.ChargeInput{Device: d,
			Key: c.PostForm("key"), Amount: c.PostForm("amount"), Note: c.PostForm("note"),
			Method: payments.Method(c.PostForm("method")), ClientIP: c.ClientIP(), Lang: s.chooseLang(c)})
		if err != nil {
			s.respondError(c, err)
			return
		}
		if was != "" && st.Payment.Method != was {
			_ = s.opts.Accounts.Record(ctx, s.counterActor(c, d), "counter.switch", st.Payment.ID, string(was), string(st.Payment.Method))
		}
		c.JSON(http.StatusOK, s.saleJSON(c, st.Payment, true))
	}
}

// handleCounterSaleShow serves GET /counter/sales/:id: a sale of this
// device, for the script to resync after a reload or a lost connection.
func (s *Server) handleCounterSaleShow() gin.HandlerFunc {
	return func(c *gin.Context) {
		p, _, err := s.opts.Counter.CheckSale(c.Request.Context(), device(c), c.Param("id"))
		if err != nil {
			s.respondError(c, err)
			return
		}
		c.JSON(http.StatusOK, s.saleJSON(c, p, true))
	}
}

// handleCounterSaleCancel serves POST /counter/sales/:id/cancel: a
// cashier unlocked on the device cancels an unpaid sale made on it, theirs
// or one a cashier before them left (a shared till), audited with who did
// it. The script asks for JSON, and gets its errors as JSON in the till's
// language (counterJSONAsked); the sales page's form is sent back to the
// list.
func (s *Server) handleCounterSaleCancel() gin.HandlerFunc {
	return func(c *gin.Context) {
		d := device(c)
		p, _, err := s.opts.Counter.CancelSale(c.Request.Context(), d, c.Param("id"))
		if err != nil {
			s.respondError(c, err)
			return
		}
		_ = s.opts.Accounts.Record(c.Request.Context(), s.counterActor(c, d), "counter.cancel", p.ID, "", string(p.Status))
		if c.GetHeader("Accept") == "application/json" {
			c.JSON(http.StatusOK, s.saleJSON(c, p, false))
			return
		}
		c.Redirect(http.StatusSeeOther, s.langPath(c, CounterSalesPath))
	}
}

// counterActor is who acts at device d for the audit log: the cashier
// unlocked on it, on that device, from the request's address.
func (s *Server) counterActor(c *gin.Context, d counter.Device) accounts.Actor {
	a := accounts.Actor{AccountID: d.CashierID, Address: c.ClientIP(), Device: d.Name}
	if who, err := s.opts.Counter.Cashier(c.Request.Context(), d); err == nil {
		a.Email = who.Email
	}
	return a
}

// handleCounterSalesShow serves GET /counter/sales: today's sales on this
// device with the shop's paid static-QR payments of the day (marked, no
// cancel), and the shift's totals per currency and method of the
// device's own sales. The counter's script adds static-QR payments as
// they are paid (counter_live.go).
func (s *Server) handleCounterSalesShow() gin.HandlerFunc {
	return func(c *gin.Context) {
		d := device(c)
		cashier, err := s.opts.Counter.Cashier(c.Request.Context(), d)
		if err != nil {
			s.respondError(c, err)
			return
		}
		today, err := s.opts.Counter.Today(c.Request.Context(), d)
		if err != nil {
			s.respondError(c, err)
			return
		}
		v := views.CounterSales{Page: s.counterPageVM(c, "counter.sales.title"), DeviceName: payments.CleanText(d.Name), Cashier: personName(cashier.Name, cashier.Email),
			BackURL: s.langPath(c, CounterPath), Paid: today.Paid, LiveURL: s.counterLiveURL()}
		v.CounterCSS = s.assets.Path("css/counter.css")
		names := map[string]string{cashier.ID: personName(cashier.Name, cashier.Email)}
		for _, r := range today.Sales {
			v.Rows = append(v.Rows, s.counterSaleRow(c, d, names, r))
		}
		for _, t := range today.Totals {
			money := func(minor int64) views.Money {
				return views.Money{Minor: minor, Currency: string(t.Currency), Exponent: t.Currency.Exponent()}
			}
			v.Totals = append(v.Totals, views.CounterTotal{Method: string(t.Method), Count: t.Count,
				Amount: money(t.Amount), Refunds: money(t.Refunds), Net: money(t.Net())})
		}
		s.render(c, http.StatusOK, views.CounterSalesPage(v))
	}
}

// cashierName names an account for the sales list, remembering names.
func (s *Server) cashierName(c *gin.Context, names map[string]string, id string) string {
	if n, ok := names[id]; ok {
		return n
	}
	n, _ := s.personByID(c, id) // a name it cannot read is left out
	names[id] = n
	return n
}

// personByID names the account of that id as the back office shows who
// did something: its name, else its email; an account removed since by
// the name it had then, marked removed in the page's language; "" when
// there is no trace of it.
func (s *Server) personByID(c *gin.Context, id string) (string, error) {
	ctx := c.Request.Context()
	store := s.opts.Accounts.Store()
	a, err := store.Account(ctx, id)
	if err == nil {
		return personName(a.Name, a.Email), nil
	}
	if !errors.Is(err, accounts.ErrNotFound) {
		return "", err
	}
	r, err := store.RemovedAccount(ctx, id)
	if errors.Is(err, accounts.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return s.localizer(c).T("account.removed.name", personName(r.Name, r.Email)), nil
}

// personName is how the counter names a person: their name, else email.
func personName(name, email string) string {
	if name = payments.CleanText(name); name != "" {
		return name
	}
	return email
}

// handleCounterScan serves POST /counter/scan: the pay code the cashier
// scanned (a keyboard-wedge scanner types its digits and Enter, or the
// camera reads it). The answer is usually pending: the result comes from
// Latipay's queries, pushed over the sale's socket.
func (s *Server) handleCounterScan() gin.HandlerFunc {
	return func(c *gin.Context) {
		st, err := s.opts.Counter.ChargeScan(c.Request.Context(), counter.ChargeInput{Device: device(c),
			Key: c.PostForm("key"), Amount: c.PostForm("amount"), Note: c.PostForm("note"),
			ClientIP: c.ClientIP(), Lang: s.chooseLang(c)}, c.PostForm("code"))
		if errors.Is(err, payments.ErrGatewayRejected) && st.Payment.ID != "" {
			// Latipay refused the shopper's code: nothing was charged and
			// the sale stays open for another code, a QR or a cancel.
			// The cashier reads Latipay's reason; the script keeps the sale.
			// Latipay's own words (English) are also given apart, for
			// the script to mark them as English in a Chinese page.
			msg, words := s.localizer(c).T("counter.error.refusednext"), ""
			var ge *payments.GatewayError
			if errors.As(err, &ge) && ge.Message != "" {
				loc := s.localizer(c)
				msg = loc.T("counter.error.refusedwhy", refusalText(loc, ge.Code, ge.Reason, ge.Message))
				words = latipayWords(loc, ge.Code, ge.Reason, ge.Message)
			}
			body := gin.H{"code": "pay_code_refused", "message": msg, "sale": s.saleJSON(c, st.Payment, false)}
			if words != "" {
				body["latipay"] = words
			}
			c.AbortWithStatusJSON(http.StatusUnprocessableEntity, gin.H{"error": body})
			return
		}
		if err != nil {
			s.respondError(c, err)
			return
		}
		c.JSON(http.StatusOK, s.saleJSON(c, st.Payment, false))
	}
}
