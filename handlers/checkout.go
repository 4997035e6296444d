package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/handlers/listen"
	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/views"
)

// checkoutReader is what rendering a checkout needs.
type checkoutReader interface {
	Get(ctx context.Context, id string) (payments.Payment, error)
	CurrentQR(ctx context.Context, p payments.Payment) (payments.Attempt, bool)
	Methods() []payments.Method
	CanceledBy(ctx context.Context, id string) (payments.Canceler, error)
	Attempts(ctx context.Context, id string) ([]payments.Attempt, error)
	PaidLateFrom(ctx context.Context, p payments.Payment) (payments.Status, error)
	refundTotaler
}

// checkoutStarter also starts attempts.
type checkoutStarter interface {
	checkoutReader
	StartByShopper(ctx context.Context, in payments.StartInput) (payments.Started, error)
	RefreshQR(ctx context.Context, in payments.RefreshInput) (payments.Started, error)
}

// handleCheckoutShow serves GET /checkout/:id. A preselected method starts
// at once on the first visit: the QR on a desktop, the redirect on a phone.
// The answer leaves in one write(2) (listen.OneWrite): the page and its
// headers are more than net/http's 4 KiB connection buffer, which would
// otherwise send them in two.
func (s *Server) handleCheckoutShow(svc checkoutStarter) gin.HandlerFunc {
	return func(c *gin.Context) {
		listen.OneWrite(c.Request)
		p, err := svc.Get(c.Request.Context(), c.Param("id"))
		if err != nil {
			s.respondError(c, err)
			return
		}
		errorID := s.startError(c, p.ID)
		errorArg := failedRequestID(c)
		if p.Method != "" && p.Attempts == 0 && p.Status == payments.StatusCreated && !p.TillSale() && errorID == "" {
			if _, ok := payments.FlowFor(deviceOf(c.Request.UserAgent()), p.Method); ok {
				s.start(c, svc, p.ID, string(p.Method))
				return
			}
		}
		p = s.renewDueQR(c, svc, p)
		if sc, _ := screenFor(p.Status); errorID != "" && (sc == views.ScreenOpen || sc == views.ScreenFailed) {
			vm := s.checkoutVM(c, svc, p, s.localizer(c).T(errorID, errorArg))
			vm.Title = s.errorTitle(c, vm.StateTitle, errorID, errorArg)
			status, full := linkFullErrors[errorID]
			if !full {
				status = http.StatusOK
			}
			vm.LinkTaken = full
			s.render(c, status, views.CheckoutPage(vm))
			return
		}
		if s.renderCheckoutCached(c, svc, p) {
			return
		}
		s.renderCheckout(c, svc, p, "", http.StatusOK)
	}
}

// renewDueQR gives a page loaded without script the fresh QR its script
// would have asked for (POST /refresh): a QR past its refresh time
// (payments.QRRefreshAt) may be one Latipay has let die. It is the same
// domain call, so as bounded (MaxAttempts) and idempotent: a QR not yet
// due, or already replaced, changes nothing. A refresh that fails keeps
// the current QR, as the script's does.
func (s *Server) renewDueQR(c *gin.Context, svc checkoutStarter, p payments.Payment) payments.Payment {
	if p.Status != payments.StatusPending || query(c, "choose") != "" {
		return p
	}
	a, ok := svc.CurrentQR(c.Request.Context(), p)
	if !ok {
		return p
	}
	if at, ok := payments.QRRefreshAt(p, a); !ok || s.opts.Now().Before(at) {
		return p
	}
	st, err := svc.RefreshQR(c.Request.Context(), payments.RefreshInput{
		PaymentID: p.ID, Reference: a.Reference,
		Device: deviceOf(c.Request.UserAgent()), ClientIP: c.ClientIP(), Lang: s.carriedLang(c),
	})
	if err != nil {
		s.log.Info("qr refresh on load failed; the current QR stays", "request_id", requestID(c), "err", err)
	}
	if st.Payment.ID == "" {
		return p
	}
	return st.Payment
}

// failedRequestID is the request id a checkout page quotes for
// ?error=error.internal: ?request=, the id of the start that failed (16
// lower-case hex digits, as requestLog makes them, so the address cannot
// make the page say anything else), else this request's own.
func failedRequestID(c *gin.Context) string {
	if v := query(c, "request"); len(v) == 16 && strings.Trim(v, "0123456789abcdef") == "" {
		return v
	}
	return requestID(c)
}

// startErrors are the messages of a failed start that the checkout page
// shows after its redirect (?error=, an id from this list only, and only
// as signed by the redirect: startErrorPath).
var startErrors = []string{"error.invalid", "error.toomany", "error.unavailable", "error.unreached",
	"error.internal", "error.tillsale", "error.methodoff", "links.state.msg.busy", "error.switchwait",
	"links.state.msg.taken", "links.state.msg.usedup"}

// linkFullErrors are the start errors saying that the payment's link has
// no place for it (payments.ErrLinkUsedUp and its kinds): the page shows
// them with no method to choose, as trying again would be refused the
// same way, and answers with their status (409 while the place may come
// back, 410 once the link is used up).
var linkFullErrors = map[string]int{"links.state.msg.taken": http.StatusConflict,
	"links.state.msg.busy": http.StatusConflict, "links.state.msg.usedup": http.StatusGone}

// handleCheckoutPanel serves GET /checkout/:id/panel, the live part of the
// page that the script swaps in when the status changes.
func (s *Server) handleCheckoutPanel(svc checkoutReader) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, err := svc.Get(c.Request.Context(), c.Param("id"))
		if err != nil {
			s.respondError(c, err)
			return
		}
		s.render(c, http.StatusOK, views.CheckoutPanel(s.checkoutVM(c, svc, p, "")))
	}
}

// handleCheckoutStart serves POST /checkout/:id/start: the shopper chose a
// method.
func (s *Server) handleCheckoutStart(svc checkoutStarter) gin.HandlerFunc {
	return func(c *gin.Context) {
		s.start(c, svc, c.Param("id"), c.PostForm("method"))
	}
}

// start begins an attempt and sends the shopper where it leads. A counter
// sale is refused (payments.ErrTillSale): its wallet is the cashier's. A
// start that failed (Latipay refused or did not answer, no method chosen)
// goes back to the checkout page with the error's id in ?error=, signed
// (startErrorPath), where the title starts with it and the message takes
// focus.
func (s *Server) start(c *gin.Context, svc checkoutStarter, id, method string) {
	st, err := svc.StartByShopper(c.Request.Context(), payments.StartInput{
		PaymentID: id, Method: method, Device: deviceOf(c.Request.UserAgent()), ClientIP: c.ClientIP(),
		Lang: s.carriedLang(c),
	})
	switch {
	case err == nil && st.RedirectURL != "":
		c.Redirect(http.StatusSeeOther, st.RedirectURL)
	case err == nil || errors.Is(err, payments.ErrNotPayable):
		c.Redirect(http.StatusSeeOther, s.withEmbed(c, s.langPath(c, CheckoutPath(id))))
	case st.Payment.ID != "" && errors.Is(err, payments.ErrLinkUsedUp):
		// The failed payment's place went to another checkout
		// (ErrLinkTaken), or the link is used up: trying again here
		// would be refused the same way, so the page, by GET (a reload
		// does not post again), offers no method (linkFullErrors).
		f, _ := classify(err)
		c.Redirect(http.StatusSeeOther, s.withEmbed(c, s.langPath(c, s.startErrorPath(id, f.messageID, ""))))
	case st.Payment.ID != "":
		// As the error funnel classifies it, Retry-After included: a
		// full disk or the database out of reach answers 503 here too.
		f, known := s.failureOf(c, err)
		if errors.Is(context.Cause(c.Request.Context()), ErrStopping) {
			// Cut short by the graceful stop: Latipay may have the
			// attempt, and the status checker asks it about it later.
			s.log.Warn("checkout start cut short: the server is stopping; the status checker will ask Latipay about the attempt",
				"request_id", requestID(c), "payment_id", id, "err", err)
			known, f.messageID = true, "error.unavailable"
		}
		if !known {
			// Said once, with the cause, as the error funnel says it:
			// the page shows only the request id to quote.
			s.logUnknown(c, err)
		}
		if slices.Contains(startErrors, f.messageID) {
			// Back to the page by GET, so that a reload does not post
			// again and the address is the checkout's own. An internal
			// error carries this request's id, the one the log line
			// names, for the page to show.
			request := ""
			if f.messageID == "error.internal" {
				request = requestID(c)
			}
			to := s.startErrorPath(id, f.messageID, request)
			c.Redirect(http.StatusSeeOther, s.withEmbed(c, s.langPath(c, to)))
			return
		}
		s.renderCheckout(c, svc, st.Payment, s.localizer(c).T(f.messageID, requestID(c)), f.status)
	default:
		s.respondError(c, err)
	}
}

// handleCheckoutReturn serves GET /checkout/:id/return, where Latipay sends
// the shopper back. It shows the server's truth, never the redirect's claim.
func (s *Server) handleCheckoutReturn(svc interface {
	checkoutReader
	HandleReturn(ctx context.Context, id string, q url.Values) (payments.Payment, error)
}) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, err := svc.HandleReturn(c.Request.Context(), c.Param("id"), c.Request.URL.Query())
		if err != nil {
			s.respondError(c, err)
			return
		}
		s.renderCheckout(c, svc, p, "", http.StatusOK)
	}
}

// handleStatusShow serves GET /checkout/:id/status, the JSON the page polls
// while its socket is down.
func (s *Server) handleStatusShow(svc checkoutReader) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, err := svc.Get(c.Request.Context(), c.Param("id"))
		if err != nil {
			c.Set("api", true) // the page reads JSON here, errors included
			s.respondError(c, err)
			return
		}
		c.JSON(http.StatusOK, statusJSON(p))
	}
}

// statusMessage is what the status endpoint and the socket send.
type statusMessage struct {
	Status  string `json:"status"`
	Version int64  `json:"version"`
}

func statusJSON(p payments.Payment) statusMessage {
	return statusMessage{Status: string(p.Status), Version: p.Version}
}

func (s *Server) renderCheckout(c *gin.Context, svc checkoutReader, p payments.Payment, msg string, status int) {
	s.render(c, status, views.CheckoutPage(s.checkoutVM(c, svc, p, msg)))
}

// checkoutVM shapes a payment for the checkout page.
func (s *Server) checkoutVM(c *gin.Context, svc checkoutReader, p payments.Payment, msg string) views.Checkout {
	title, ok := s.checkoutTitles[s.chooseLang(c)]
	if !ok {
		title = s.localizer(c).T("checkout.title", s.opts.MerchantName)
	}
	base := CheckoutPath(p.ID)
	vm := views.Checkout{
		Page: s.page(title, true),
		ID:   p.ID, Amount: money(p.Amount, p.Currency),
		AmountCNY: p.AmountCNY, Rate: p.CurrencyRate, Description: p.Description, Reference: p.Reference,
		Status: string(p.Status), Version: p.Version, PaidLate: p.PaidLate, Error: msg,
		StartURL: base + "/start", ChooseURL: base + "?choose=1",
		ExpiresAt: p.ExpiresAt.UTC().Format(time.RFC3339), ExpiresText: s.deadlineText(c, p.ExpiresAt),
		CheckURL:  s.withEmbed(c, s.langPath(c, base)),
		StatusURL: base + "/status", PanelURL: base + "/panel",
		SocketURL: s.socketURL(base, p.ID),
	}
	screen, ok := screenFor(p.Status)
	if !ok {
		s.log.Error("checkout: a status has no screen", "status", string(p.Status), "payment_id", p.ID)
	}
	vm.Screen = screen
	if screen == views.ScreenCanceled {
		// Unknown (or unreadable) stays "": the page says only that it was canceled.
		by, _ := svc.CanceledBy(c.Request.Context(), p.ID)
		vm.CanceledBy = string(by)
	}
	if screen == views.ScreenCanceled || screen == views.ScreenExpired {
		// "Nothing was charged" only once Latipay has made every attempt
		// final unpaid: a cancel it did not answer, or an expiry whose
		// attempts the reconciler has yet to cancel there, leaves one
		// live, which the shopper may still pay (paid late). Unread, the
		// page hedges.
		as, err := svc.Attempts(c.Request.Context(), p.ID)
		vm.Unconfirmed = err != nil || slices.ContainsFunc(as, func(a payments.Attempt) bool { return a.Status.Live() })
	}
	if screen == views.ScreenPaid || screen == views.ScreenRefunded {
		vm.Receipt = views.Receipt{Method: string(p.Method), OrderID: p.LatipayOrderID}
		if p.PaidLate {
			// Unreadable, the note says only "after the time limit".
			from, _ := svc.PaidLateFrom(c.Request.Context(), p)
			vm.PaidLateAfter = string(from)
		}
		if !p.PaidAt.IsZero() {
			// The shop's time, as its receipt states it.
			vm.Receipt.PaidAt, vm.Receipt.PaidAtText = s.shopTime(p.PaidAt)
		}
		// What has left (succeeded refunds); unreadable, the page just
		// leaves the amount out.
		if t, err := svc.RefundTotals(c.Request.Context(), p); err == nil {
			vm.Refunded = money(t.Succeeded, p.Currency)
		}
	}
	if p.CancelURL != "" && !p.TillSale() && (screen == views.ScreenOpen || screen == views.ScreenFailed) {
		vm.CancelURL = base + "/cancel"
	}
	// BackURL is set by embedCheckout.
	device := deviceOf(c.Request.UserAgent())
	offered := payments.MethodsFor(device, svc.Methods())
	vm.Methods = make([]views.Method, 0, len(offered))
	for _, m := range offered {
		f, _ := payments.FlowFor(device, m)
		vm.Methods = append(vm.Methods, views.Method{Value: string(m), Hosted: f.Hosted, Mark: s.markPath(m)})
	}
	if a, ok := svc.CurrentQR(c.Request.Context(), p); ok && query(c, "choose") == "" {
		vm.QR = &views.QR{ImageURL: CheckoutPath(p.ID) + "/qr.png?ref=" + a.Reference, Method: string(a.Method), Reference: a.Reference,
			Mark: s.markPath(a.Method)}
		if n, scale, err := qrGeometry(a.QRCodeURL); err == nil {
			vm.QR.Modules, vm.QR.Size, vm.QR.Box = n, n*scale, qrBox
			vm.QR.SrcSet = fmt.Sprintf("%[1]s&scale=%[2]d 2x, %[1]s&scale=%[3]d 3x", vm.QR.ImageURL, 2*scale, 3*scale)
		}
		if s.opts.Sandbox != nil {
			vm.QR.SimulateURL, vm.QR.ReturnTo = SandboxPath+"/simulate", CheckoutPath(p.ID)
		}
		s.qrExtras(c, &vm, p, a)
	}
	s.localizeCheckout(c, &vm, svc.Methods())
	s.embedCheckout(c, &vm, p)
	// The title says the state, so that a shopper's tab, history and
	// screen reader tell paid from waiting; checkout.js sets it again
	// from the panel's data-title on a live change.
	loc := s.localizer(c)
	state := loc.T("title.status." + string(p.Status))
	if vm.QR != nil && screen == views.ScreenOpen {
		state = loc.T("title.status.qr", loc.T("method."+vm.QR.Method))
	}
	vm.StateTitle = loc.T("title.state", state, title)
	vm.Title = vm.StateTitle
	return vm
}

// screenFor is the checkout screen of a status. The switch names every
// status (TestScreenForEveryStatus walks payments.Statuses), so a status
// added to the domain without a screen fails that test; at run time it
// falls back to the open screen and is logged.
func screenFor(st payments.Status) (views.Screen, bool) {
	switch st {
	case payments.StatusCreated, payments.StatusPending:
		return views.ScreenOpen, true
	case payments.StatusFailed:
		return views.ScreenFailed, true
	case payments.StatusPaid:
		return views.ScreenPaid, true
	case payments.StatusRefunded, payments.StatusPartiallyRefunded:
		return views.ScreenRefunded, true
	case payments.StatusExpired:
		return views.ScreenExpired, true
	case payments.StatusCanceled:
		return views.ScreenCanceled, true
	}
	return views.ScreenOpen, false
}

// markPath is the vendored brand mark of a wallet (static/img/brand,
// from simple-icons); "" for a method without one.
func (s *Server) markPath(m payments.Method) string {
	switch m {
	case payments.MethodWeChat, payments.MethodAlipay:
		return s.assets.Path("img/brand/" + string(m) + ".svg")
	}
	return ""
}

// money is an amount for the views, which format it per language.
func money(minor int64, c payments.Currency) views.Money {
	return views.Money{Minor: minor, Currency: string(c), Exponent: c.Exponent()}
}

// handleCheckoutCancel serves POST /checkout/:id/cancel: the shopper gave
// up. The payment is canceled as the shopper's cancel (Latipay is asked
// first and its live attempt canceled there, see payments.Service.Cancel)
// and the shopper goes to the merchant's cancel_url through the signed
// back redirect. A payment paid meanwhile, or that Latipay says the
// shopper has paid (payments.ErrAlreadyPaid, its callbacks lost), is not
// canceled: the page shows it paid. Without the merchant's cancel_url the
// shopper may not cancel (payments.ErrShopperMayNotCancel), nor ever a
// counter sale (payments.ErrTillSale): both are a 403 page saying so.
func (s *Server) handleCheckoutCancel(svc interface {
	CancelByShopper(ctx context.Context, id string) (payments.Payment, error)
}) gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.Param("id")
		p, err := svc.CancelByShopper(c.Request.Context(), id)
		switch {
		case errors.Is(err, payments.ErrNotCancelable):
			c.Redirect(http.StatusSeeOther, s.withEmbed(c, s.langPath(c, CheckoutPath(id))))
		case err != nil:
			s.respondError(c, err)
		default:
			c.Redirect(http.StatusSeeOther, BackPath(p.ID))
		}
	}
}

// socketURL is the page's websocket path, base + "/ws?t=<token>", built in
// one buffer, with the token masked for this response (token.go).
func (s *Server) socketURL(base, id string) string {
	const q = "/ws?t="
	b := make([]byte, 0, len(base)+len(q)+100)
	b = append(append(b, base...), q...)
	return string(s.tokens.appendMaskedToken(b, id, s.opts.Now()))
}

// deadlineText is when a payment must be paid by, as the page without
// script states it in the shop's zone: the time of day ("18:43 NZDT"),
// with the date ("8 Dec 18:43 NZDT") when that is not today there.
func (s *Server) deadlineText(c *gin.Context, t time.Time) string {
	zone := s.shopZone()
	u, now := t.In(zone), s.opts.Now().In(zone)
	text := u.Format("15:04 MST")
	if y, m, d := u.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return text
	}
	l := s.localizer(c)
	return l.T("checkout.deadline.dated", u.Day(), l.T(fmt.Sprintf("month.short.%d", u.Month())), text)
}
