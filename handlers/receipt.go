package handlers

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/counter"
	"github.com/latipay-hpp/hpp/payments/receipts"
	"github.com/latipay-hpp/hpp/views"
)

// Receipts: the print page for 58 and 80 mm receipt printers, and the
// e-receipt page its QR opens (/receipt/<token>, package receipts). A
// receipt states only what the shopper may see: the shop, its tax number,
// the amount with Latipay's yuan figure and rate, the wallet, Latipay's
// order id, the cashier when known and the time; never our payment id.

// ReceiptPath is the e-receipt page of token.
func ReceiptPath(token string) string { return "/receipt/" + token }

// receiptWidths are the receipt printers' paper widths, in mm; the first
// is the default.
var receiptWidths = []int{80, 58}

// receiptQRScale is the QR's pixels per module on paper: the print
// stylesheet sets its size in mm, and a printer's 203 dpi resolves about
// 8 dots a millimetre, so 4 pixels a module stay sharp when scaled.
const receiptQRScale = 4

// hasReceipt reports whether p was paid, so that it has a receipt (a
// refunded one too: the receipt then says how much came back).
func hasReceipt(p payments.Payment) bool {
	switch p.Status {
	case payments.StatusPaid, payments.StatusPartiallyRefunded, payments.StatusRefunded:
		return true
	}
	return false
}

// shopTime is a time as the shop's receipts and lists state it, in the
// shop's time zone (shopZone): this is the one place that decides.
func (s *Server) shopTime(t time.Time) (iso, text string) {
	u := t.In(s.shopZone())
	return u.Format(time.RFC3339), u.Format("2006-01-02 15:04 MST")
}

// receiptLines are p's facts as a receipt states them: refunded is what
// its succeeded refunds returned.
func (s *Server) receiptLines(ctx context.Context, p payments.Payment, cashier string) (views.ReceiptLines, error) {
	t, err := s.svc.RefundTotals(ctx, p)
	if err != nil {
		return views.ReceiptLines{}, err
	}
	r := views.ReceiptLines{TaxNumber: s.opts.TaxNumber, Amount: money(p.Amount, p.Currency), AmountCNY: p.AmountCNY,
		Rate: p.CurrencyRate, Method: string(p.Method), OrderID: p.LatipayOrderID, Cashier: cashier,
		Refunded: money(t.Succeeded, p.Currency)}
	if !p.PaidAt.IsZero() {
		r.Time, r.TimeText = s.shopTime(p.PaidAt)
	}
	if p.PaidLate {
		r.Late = "time"
		if from, err := s.svc.PaidLateFrom(ctx, p); err == nil && (from == payments.StatusCanceled || from == payments.StatusFailed) {
			r.Late = string(from)
		}
	}
	return r, nil
}

// renderReceiptPrint renders p's receipt for printing on the width the
// request asks for (?width=58 or 80), with the QR of its e-receipt link;
// base is the print page's own path, back the screen-only way back and
// backID its words ("" for "Back to the payment").
func (s *Server) renderReceiptPrint(c *gin.Context, p payments.Payment, cashier, base, back, backID string) {
	if !hasReceipt(p) {
		s.renderNoReceipt(c)
		return
	}
	width := receiptWidths[0]
	if w := c.Query("width"); w != "" {
		width = 0
		for _, x := range receiptWidths {
			if w == strconv.Itoa(x) {
				width = x
			}
		}
		if width == 0 {
			s.respondError(c, errBadRequest)
			return
		}
	}
	lines, err := s.receiptLines(c.Request.Context(), p, cashier)
	if err != nil {
		s.respondError(c, err)
		return
	}
	v := views.ReceiptPrint{Page: s.page(s.localizer(c).T("receipt.print.title"), false), Width: width,
		Lines: lines, BackURL: s.langPath(c, back), BackID: backID}
	v.CSS, v.JS = s.assets.Path("css/receipt.css"), s.assets.Path("js/receipt.js")
	for _, x := range receiptWidths {
		v.Widths = append(v.Widths, views.ReceiptWidth{MM: x, URL: s.langPath(c, base+"?width="+strconv.Itoa(x)), Current: x == width})
	}
	if s.opts.Receipts != nil {
		tok, err := s.opts.Receipts.Token(c.Request.Context(), p.ID)
		if err != nil {
			s.respondError(c, err)
			return
		}
		v.EReceiptURL = s.origin + ReceiptPath(tok)
		png, err := qrPNG(v.EReceiptURL, receiptQRScale)
		if err != nil {
			s.respondError(c, err)
			return
		}
		v.QR = "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)
	}
	s.render(c, http.StatusOK, views.ReceiptPrintPage(v))
}

// renderNoReceipt says that the payment has no receipt because it is not
// paid: the request was fine, so the page is a 200 that says so.
func (s *Server) renderNoReceipt(c *gin.Context) {
	s.render(c, http.StatusOK, views.EReceiptPage(views.EReceipt{Page: s.page(s.localizer(c).T("receipt.none.title"), false)}))
}

// handleReceiptPrint serves GET /admin/payments/:id/receipt[?width=58|80]:
// an owner prints (or reprints) a paid payment's receipt.
func (s *Server) handleReceiptPrint() gin.HandlerFunc {
	return func(c *gin.Context) {
		p, err := s.svc.Get(c.Request.Context(), c.Param("id"))
		if err != nil {
			s.respondError(c, err)
			return
		}
		cashier := ""
		if s.opts.Counter != nil {
			if sale, err := s.opts.Counter.Store().Sale(c.Request.Context(), p.ID); err == nil {
				cashier = s.receiptCashier(c.Request.Context(), sale.AccountID)
			}
		}
		s.renderReceiptPrint(c, p, cashier, PaymentsPath+"/"+p.ID+"/receipt", PaymentsPath+"/"+p.ID, "")
	}
}

// handleEReceiptShow serves GET /receipt/:token: the shopper's e-receipt,
// in their language. A token that was never issued is an unknown page;
// the token resolves to its own payment and to nothing else.
func (s *Server) handleEReceiptShow(svc interface {
	Get(ctx context.Context, id string) (payments.Payment, error)
}) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("X-Robots-Tag", "noindex, nofollow")
		id, err := s.opts.Receipts.Payment(c.Request.Context(), c.Param("token"))
		if errors.Is(err, receipts.ErrNotFound) {
			s.respondError(c, errNoPage)
			return
		}
		if err != nil {
			s.respondError(c, err)
			return
		}
		p, err := svc.Get(c.Request.Context(), id)
		if errors.Is(err, payments.ErrNotFound) {
			s.respondError(c, errNoPage)
			return
		}
		if err != nil {
			s.respondError(c, err)
			return
		}
		if !hasReceipt(p) {
			s.renderNoReceipt(c)
			return
		}
		lines, err := s.receiptLines(c.Request.Context(), p, "")
		if err != nil {
			s.respondError(c, err)
			return
		}
		v := views.EReceipt{Page: s.page(s.localizer(c).T("receipt.page.title", s.opts.MerchantName), false), Paid: true, Lines: lines}
		s.render(c, http.StatusOK, views.EReceiptPage(v))
	}
}

// handleCounterReceipt serves GET /counter/sales/:id/receipt[?width=]:
// the counter device prints or reprints one of its own paid sales, with
// the cashier who made it, or a paid static-QR payment of today (the
// shopper who paid at the poster may want a receipt too; no cashier is
// named). Another device's sale, or anything else, is an unknown page.
func (s *Server) handleCounterReceipt() gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		p, sale, err := s.opts.Counter.CheckSale(ctx, device(c), c.Param("id"))
		if errors.Is(err, counter.ErrNotFound) {
			p, err = s.opts.Counter.StaticQRPayment(ctx, c.Param("id"))
		}
		if errors.Is(err, counter.ErrNotFound) {
			s.respondError(c, errNoPage)
			return
		}
		if err != nil {
			s.respondError(c, err)
			return
		}
		s.renderReceiptPrint(c, p, s.receiptCashier(ctx, sale.AccountID), CounterSalePath(p.ID)+"/receipt", CounterSalesPath, "receipt.back.sales")
	}
}

// receiptCashier is how a receipt names the cashier of a counter sale:
// their name as the owner entered it, never their email; "" when none.
// A cashier removed since is named as they were when removed: the
// receipt is the shopper's, so it says nothing of the removal.
func (s *Server) receiptCashier(ctx context.Context, accountID string) string {
	store := s.opts.Accounts.Store()
	if a, err := store.Account(ctx, accountID); err == nil {
		return payments.CleanText(a.Name)
	}
	if r, err := store.RemovedAccount(ctx, accountID); err == nil {
		return payments.CleanText(r.Name)
	}
	return ""
}
