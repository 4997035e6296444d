package handlers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"time"

	"github.com/a-h/templ"
	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/counter"
	"github.com/latipay-hpp/hpp/payments/displays"
	"github.com/latipay-hpp/hpp/views"
)

// The display facing the shopper (/counter/display): a second screen
// paired with one counter device (package displays). It shows "we accept
// WeChat Pay and Alipay" while idle, then the amount and the QR of the
// device's sale, then the tick, each step pushed over its socket
// (handleDisplaySocket in ws.go) as the payment changes, on whichever
// instance the change happened: the socket follows the shop-wide hub feed,
// which the PostgreSQL broker fills from every instance. What it shows is
// always read back from the store, never taken from the counter's page.

// DisplayPath is the display's page: the pairing form until paired.
const DisplayPath = "/counter/display"

// DisplaySocketPath is the display's socket.
const DisplaySocketPath = "/counter/display/ws"

// displayHold is how long a result stays on the display when the device
// has no setting of its own.
const displayHold = 8 * time.Second

// displayLookback is how old a device's last sale may be and still be
// shown: a counter sale's payment window is shorter.
const displayLookback = 15 * time.Minute

// displayQRBox is the display's QR size in CSS pixels: a tablet facing the
// shopper has room for a larger code than a phone's checkout.
const displayQRBox = 420

// displayCookieAge is how long the display's browser keeps its credential
// (Chromium caps cookies at 400 days); revoking it is what ends it.
const displayCookieAge = 400 * 24 * time.Hour

// displayCookie is the display credential's cookie: __Host- on https.
func (s *Server) displayCookie() string {
	if s.opts.PublicURL.Scheme == "https" {
		return "__Host-hpp-display"
	}
	return "hpp-display"
}

// displayOf is the request's display and its device, both still working;
// displays.ErrNotFound when the browser holds no working credential (none,
// unknown, revoked, or its device revoked).
func (s *Server) displayOf(ctx context.Context, token string) (displays.Display, counter.Device, error) {
	d, err := s.opts.Displays.Authenticate(ctx, token)
	if err != nil {
		return displays.Display{}, counter.Device{}, err
	}
	dev, err := s.opts.Counter.Store().Device(ctx, d.DeviceID)
	if errors.Is(err, counter.ErrNotFound) || err == nil && dev.Revoked() {
		return displays.Display{}, counter.Device{}, displays.ErrNotFound
	}
	return d, dev, err
}

// displayToken is the credential the request's cookie carries, or "".
func (s *Server) displayToken(c *gin.Context) string {
	ck, err := c.Request.Cookie(s.displayCookie())
	if err != nil {
		return ""
	}
	return ck.Value
}

// handleDisplayShow serves GET /counter/display: the display, or the
// pairing form while this browser holds no working credential.
func (s *Server) handleDisplayShow() gin.HandlerFunc {
	return func(c *gin.Context) {
		tok := s.displayToken(c)
		_, _, err := s.displayOf(c.Request.Context(), tok)
		if errors.Is(err, displays.ErrNotFound) {
			errID := ""
			if tok != "" {
				errID = "display.pair.revoked"
			}
			s.renderDisplayPair(c, http.StatusOK, errID)
			return
		}
		if err != nil {
			s.respondError(c, err)
			return
		}
		v := views.Display{Page: s.page(s.localizer(c).T("display.title"), false),
			SocketURL: withLang(DisplaySocketPath, s.chooseLang(c)),
			Marks:     []string{s.markPath(payments.MethodWeChat), s.markPath(payments.MethodAlipay)}}
		v.CSS, v.JS = s.assets.Path("css/display.css"), s.assets.Path("js/display.js")
		for _, l := range views.Languages() {
			v.Accept = append(v.Accept, views.LangText{Tag: l, Text: s.i18n.Localizer(l).T("display.accept")})
		}
		s.render(c, http.StatusOK, views.DisplayPage(v))
	}
}

// renderDisplayPair renders the pairing form.
func (s *Server) renderDisplayPair(c *gin.Context, status int, errorID string) {
	code := c.Query("code")
	if len(code) > 12 {
		code = ""
	}
	title := s.errorTitle(c, s.localizer(c).T("display.pair.title"), errorID)
	s.render(c, status, views.DisplayPairPage(views.DisplayPair{Page: s.page(title, false),
		Action: s.langPath(c, DisplayPath), Code: echo(code), ErrorID: errorID}))
}

// handleDisplayPair serves POST /counter/display: the code shown on the
// counter becomes this browser's display credential, in an HttpOnly,
// SameSite=Strict cookie (Secure and __Host- on https). A code whose
// device was revoked since pairs nothing.
func (s *Server) handleDisplayPair() gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		d, tok, err := s.opts.Displays.Pair(ctx, c.PostForm("code"))
		var dev counter.Device
		if err == nil {
			if _, dev, err = s.displayOf(ctx, tok); errors.Is(err, displays.ErrNotFound) {
				_ = s.opts.Displays.Revoke(ctx, d.DeviceID, d.ID)
				err = displays.ErrBadCode
			}
		}
		if errors.Is(err, displays.ErrBadCode) {
			s.renderDisplayPair(c, http.StatusUnprocessableEntity, "display.pair.bad")
			return
		}
		if err != nil {
			s.respondError(c, err)
			return
		}
		// The display has no account: the audit log names the counter it
		// follows, and the address it was paired from.
		_ = s.opts.Accounts.Record(ctx, accounts.Actor{Address: c.ClientIP(), Device: dev.Name}, "display.pair", d.ID, "", dev.Name)
		http.SetCookie(c.Writer, &http.Cookie{Name: s.displayCookie(), Value: tok, Path: "/", MaxAge: int(displayCookieAge.Seconds()),
			HttpOnly: true, Secure: s.opts.PublicURL.Scheme == "https", SameSite: http.SameSiteStrictMode})
		c.Redirect(http.StatusSeeOther, s.langPath(c, DisplayPath))
	}
}

// displayMessage is one step of the display, as its socket sends it.
type displayMessage struct {
	Screen string `json:"screen"`         // idle, sale or result
	HTML   string `json:"html,omitempty"` // the step's fragment, in the display's language
	Hold   int    `json:"hold,omitempty"` // seconds a result stays before the display is idle
	Say    string `json:"say,omitempty"`  // the spoken announcement of a payment
	Sale   string `json:"sale,omitempty"` // an opaque name of the sale, so a sale is announced once
	Live   string `json:"live,omitempty"` // short text for screen readers
}

// same reports whether m shows what o shows (Hold only counts down).
func (m displayMessage) same(o displayMessage) bool {
	return m.Screen == o.Screen && m.HTML == o.HTML
}

// displayNow is what device dev's display shows now: its latest sale, in
// the language of ctx's localizer. A result stays for the device's result
// time after the payment settled; then the display is idle again.
func (s *Server) displayNow(ctx context.Context, dev counter.Device) (displayMessage, error) {
	now := s.opts.Now()
	sales, err := s.opts.Counter.Store().Sales(ctx, dev.ID, now.Add(-displayLookback), 1)
	if err != nil || len(sales) == 0 {
		return displayMessage{Screen: "idle"}, err
	}
	p, err := s.svc.Get(ctx, sales[0].PaymentID)
	if err != nil {
		return displayMessage{Screen: "idle"}, err
	}
	hold := displayHold
	if dev.ResultSeconds > 0 {
		hold = time.Duration(dev.ResultSeconds) * time.Second
	}
	name := sha256.Sum256([]byte("display-sale\x00" + p.ID))
	sale := hex.EncodeToString(name[:8])
	amount := money(p.Amount, p.Currency)
	switch p.Status {
	case payments.StatusCreated, payments.StatusPending:
		v := views.DisplaySale{Amount: amount, AmountCNY: p.AmountCNY, Rate: p.CurrencyRate}
		live := views.T(ctx, "display.topay")
		if a, ok := s.svc.CurrentQR(ctx, p); ok {
			n, _, err := qrGeometry(a.QRCodeURL)
			if err != nil {
				return displayMessage{}, err
			}
			png, err := qrPNG(a.QRCodeURL, max(1, displayQRBox/n))
			if err != nil {
				return displayMessage{}, err
			}
			v.QR, v.Method, v.Mark = "data:image/png;base64,"+base64.StdEncoding.EncodeToString(png), string(a.Method), s.markPath(a.Method)
		} else if p.Source == payments.SourceCounterScan {
			// What the till says of a pay code: refused (a new code is
			// wanted), or Latipay waiting on the shopper's phone. Any other
			// sale without a QR shows the amount alone.
			as, err := s.svc.Attempts(ctx, p.ID)
			if err != nil {
				return displayMessage{}, err
			}
			switch {
			case payments.PayCodeRefused(p, as):
				v.Hint = "display.refused"
				live = views.T(ctx, "display.refused")
			case p.Status == payments.StatusPending && payCodeLive(p, as):
				v.Hint = "display.wait"
			}
		}
		html, err := fragment(ctx, views.DisplaySaleFragment(v))
		return displayMessage{Screen: "sale", HTML: html, Sale: sale, Live: live}, err
	case payments.StatusPaid, payments.StatusPartiallyRefunded, payments.StatusRefunded:
		left := hold - now.Sub(p.PaidAt)
		if left <= 0 {
			return displayMessage{Screen: "idle"}, nil
		}
		html, err := fragment(ctx, views.DisplayResultFragment(views.DisplayResult{Paid: true, Amount: amount, Method: string(p.Method)}))
		return displayMessage{Screen: "result", HTML: html, Hold: int((left + time.Second - 1) / time.Second), Sale: sale,
			Say: sayPaid(ctx, p), Live: views.T(ctx, "display.paid")}, err
	case payments.StatusFailed, payments.StatusExpired, payments.StatusCanceled:
		// Not paid, and why, as the till says it, for the result time.
		left := hold - now.Sub(p.UpdatedAt)
		if left <= 0 {
			return displayMessage{Screen: "idle"}, nil
		}
		reason := "display." + string(p.Status)
		html, err := fragment(ctx, views.DisplayResultFragment(views.DisplayResult{Amount: amount, Method: string(p.Method), Reason: reason}))
		return displayMessage{Screen: "result", HTML: html, Hold: int((left + time.Second - 1) / time.Second), Sale: sale,
			Live: views.T(ctx, "display.notpaid") + " " + views.T(ctx, reason)}, err
	}
	return displayMessage{Screen: "idle"}, nil
}

// payCodeLive reports whether p's current attempt is a pay code Latipay
// has taken and not yet settled: the shopper's wallet may be asking for
// a password, so the display asks them to confirm on their phone.
func payCodeLive(p payments.Payment, as []payments.Attempt) bool {
	for _, a := range as {
		if a.Reference == p.LatipayReference {
			return a.Kind == payments.KindBarcode && a.Status.Live()
		}
	}
	return false
}

// sayPaid is the spoken announcement of p, "微信收款 12.50 纽币", in the
// display's language.
func sayPaid(ctx context.Context, p payments.Payment) string {
	if p.Method != payments.MethodWeChat && p.Method != payments.MethodAlipay {
		return ""
	}
	amount := views.T(ctx, "say.amount."+string(p.Currency), payments.FormatAmount(p.Amount, p.Currency))
	return views.T(ctx, "say.paid", views.T(ctx, "say."+string(p.Method)), amount)
}

// fragment renders a component to a string with ctx's language.
func fragment(ctx context.Context, comp templ.Component) (string, error) {
	var b bytes.Buffer
	err := comp.Render(ctx, &b)
	return b.String(), err
}

// displaySales remembers which payments are device's sales, so that the
// socket looks each payment up once: a sale never moves to another device.
type displaySales struct {
	s      *Server
	device string
	mine   map[string]bool // payment id -> a sale of device; only positives are kept
}

// has reports whether payment id is a sale of the device. A payment not
// (yet) recorded as a sale is asked again on its next update: the sale
// record is written just after the payment.
func (ds *displaySales) has(ctx context.Context, id string) bool {
	if ds.mine[id] {
		return true
	}
	if len(ds.mine) > 1000 { // a long day's sales; forget them rather than grow
		clear(ds.mine)
	}
	sale, err := ds.s.opts.Counter.Store().Sale(ctx, id)
	if err != nil || sale.DeviceID != ds.device {
		return false
	}
	ds.mine[id] = true
	return true
}

// socketCap bounds the sockets one address holds open, as socketCaps does
// for the checkout's (which also counts per payment; a display has none).
func (s *Server) socketCap() gin.HandlerFunc {
	return func(c *gin.Context) {
		if s.limits.off {
			return
		}
		ip := byIP(c)
		if !s.limits.open.Acquire(ip, s.limits.socketsPerIP) {
			s.tooMany(c, 5*time.Second)
			return
		}
		defer s.limits.open.Release(ip)
		c.Next()
	}
}
