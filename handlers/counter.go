package handlers

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/counter"
	"github.com/latipay-hpp/hpp/views"
)

// The counter's paths. Every one of its routes is in routes.go.
const (
	CounterPath       = "/counter"
	CounterPairPath   = "/counter/pair"
	CounterUnlockPath = "/counter/unlock"
	CounterLockPath   = "/counter/lock"
	CounterChargePath = "/counter/charge"
	CounterScanPath   = "/counter/scan"
	CounterSalesPath  = "/counter/sales"
)

// CounterSalePath is the JSON state of one of the device's sales.
func CounterSalePath(id string) string { return CounterSalesPath + "/" + id }

var (
	errNoDevice      = errors.New("handlers: this browser is not a paired counter device")
	errDeviceRevoked = errors.New("handlers: this counter device was revoked")
	errCounterLocked = errors.New("handlers: the counter is locked")
)

// counterJSONKey marks a request whose errors the counter's script reads
// as JSON.
const counterJSONKey = "hpp.counter.json"

// counterJSON marks every request of a route only the counter's script
// calls (its data group): its errors are JSON, formBody's included.
func counterJSON(c *gin.Context) { c.Set(counterJSONKey, true) }

// deviceKey is the gin key of the counter device (requireDevice).
const deviceKey = "hpp.counter.device"

// deviceCookieAge is how long a browser keeps the device credential: as
// long as browsers allow (400 days); revoking it is what ends it.
const deviceCookieAge = 400 * 24 * time.Hour

// counterCookie is the device credential's cookie: __Host- on https.
func (s *Server) counterCookie() string {
	if s.opts.PublicURL.Scheme == "https" {
		return "__Host-hpp-counter"
	}
	return "hpp-counter"
}

// setDeviceToken puts the device credential in its cookie (HttpOnly,
// SameSite=Strict, Secure on https); "" removes it.
func (s *Server) setDeviceToken(c *gin.Context, token string) {
	ck := &http.Cookie{Name: s.counterCookie(), Value: token, Path: "/", HttpOnly: true,
		Secure: s.opts.PublicURL.Scheme == "https", SameSite: http.SameSiteStrictMode, MaxAge: int(deviceCookieAge.Seconds())}
	if token == "" {
		ck.MaxAge = -1
	}
	http.SetCookie(c.Writer, ck)
}

// counterDevice authenticates the request's device credential.
func (s *Server) counterDevice(c *gin.Context) (counter.Device, error) {
	ck, err := c.Request.Cookie(s.counterCookie())
	if err != nil {
		return counter.Device{}, counter.ErrUnknown
	}
	return s.opts.Counter.Authenticate(c.Request.Context(), ck.Value)
}

// requireDevice lets a request through only from a paired, unrevoked
// device; with unlocked, only while a cashier has unlocked it. A revoked
// device loses its cookie. Refusals go through the error funnel: as JSON
// in the page's language for the counter's script (asJSON), else a page.
func (s *Server) requireDevice(unlocked, asJSON bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		if asJSON {
			c.Set(counterJSONKey, true)
		}
		d, err := s.counterDevice(c)
		switch {
		case errors.Is(err, counter.ErrUnknown):
			s.respondError(c, errNoDevice)
			return
		case errors.Is(err, counter.ErrRevoked):
			s.setDeviceToken(c, "")
			s.respondError(c, errDeviceRevoked)
			return
		case err != nil:
			s.respondError(c, err)
			return
		case unlocked && d.CashierID == "":
			s.respondError(c, errCounterLocked)
			return
		}
		c.Set(deviceKey, d)
		c.Next()
	}
}

// counterJSONAsked makes the errors of a counter route that serves both
// the script and a plain form JSON, in the till's language, when the
// script asks for JSON (Accept: application/json): the script shows the
// message on the screen in view. The counter's page group runs it first,
// before formBody and requireDevice, so their refusals follow it too.
func counterJSONAsked() gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.GetHeader("Accept") == "application/json" {
			c.Set(counterJSONKey, true)
		}
		c.Next()
	}
}

// device is the counter device of a request that passed requireDevice.
func device(c *gin.Context) counter.Device {
	v, _ := c.Get(deviceKey)
	return v.(counter.Device)
}

// counterPageHeaders loosens two of pageHeaders' headers for the keypad
// page alone, after pageHeaders: its camera button may use the camera
// (Permissions-Policy camera=(self)), and its vendored barcode reader is
// WebAssembly, which the browser compiles only with 'wasm-unsafe-eval'
// (no JavaScript eval is allowed by it). The checkout keeps both off.
func (s *Server) counterPageHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h["Content-Security-Policy"] = []string{strings.Replace(h.Get("Content-Security-Policy"),
			"script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", 1)}
		h["Permissions-Policy"] = []string{"camera=(self), microphone=(), geolocation=(), usb=(), payment=()"}
	}
}

// handleCounterShow serves GET /counter: the pairing form on a browser
// that is not a device (or whose device was revoked), the unlock screen
// on a locked device, else the keypad.
func (s *Server) handleCounterShow() gin.HandlerFunc {
	return func(c *gin.Context) {
		d, err := s.counterDevice(c)
		switch {
		case errors.Is(err, counter.ErrUnknown):
			s.renderPair(c, http.StatusOK, "", c.Query("code"))
			return
		case errors.Is(err, counter.ErrRevoked):
			s.setDeviceToken(c, "")
			s.renderPair(c, http.StatusForbidden, "counter.pair.revoked", "")
			return
		case err != nil:
			s.respondError(c, err)
			return
		}
		if d.CashierID == "" {
			s.renderUnlock(c, http.StatusOK, d, "", "")
			return
		}
		cashier, err := s.opts.Counter.Cashier(c.Request.Context(), d)
		if errors.Is(err, counter.ErrLocked) {
			s.renderUnlock(c, http.StatusOK, d, "", "")
			return
		}
		if err != nil {
			s.respondError(c, err)
			return
		}
		today, err := s.opts.Counter.Today(c.Request.Context(), d)
		if err != nil {
			s.respondError(c, err)
			return
		}
		rate, err := s.opts.Counter.Rate(c.Request.Context(), today)
		if err != nil {
			s.respondError(c, err)
			return
		}
		s.render(c, http.StatusOK, views.CounterPage(s.counterKeypad(c, d, cashier, rate)))
	}
}

// counterKeypad fills the keypad's view model.
func (s *Server) counterKeypad(c *gin.Context, d counter.Device, cashier accounts.Account, rate string) views.Counter {
	name := personName(cashier.Name, cashier.Email)
	v := views.Counter{Page: s.counterPageVM(c, "counter.title"), DeviceName: payments.CleanText(d.Name), Cashier: name,
		Currency: string(s.opts.Counter.Currency()), Rate: rate, ResultSeconds: d.ResultSeconds,
		ChargeURL: CounterChargePath, ScanURL: CounterScanPath, SalesURL: s.langPath(c, CounterSalesPath),
		SaleURL: CounterSalesPath + "/", LockURL: CounterLockPath, SocketBase: "/checkout/", LiveURL: s.counterLiveURL(),
		MaxAmount: s.opts.Counter.MaxAmount(), CounterCSS: s.assets.Path("css/counter.css"),
		Polyfill: s.assets.Path("vendor/barcode-detector/ponyfill.js"), ZXingWasm: s.assets.Path("vendor/barcode-detector/zxing_reader.wasm")}
	left := s.opts.Counter.UnlockLeft(d)
	v.LockSeconds, v.LockWarnSeconds = int(left/time.Second), int(counter.LockWarnBefore/time.Second)
	v.LockAt = s.opts.Now().Add(left).In(s.shopZone()).Format("15:04 MST")
	for _, m := range s.svc.Methods() {
		if m == "wechat" || m == "alipay" {
			v.Methods = append(v.Methods, string(m))
		}
	}
	if s.opts.Displays != nil {
		v.DisplaysURL = s.langPath(c, CounterDisplaysPath)
	}
	return v
}

// counterLimit is the counter's largest sale written in lang, as the
// keypad writes money: "NZ$ 50,000.00".
func (s *Server) counterLimit(lang string) string {
	cur := s.opts.Counter.Currency()
	return views.MoneyIn(lang, views.Money{Minor: s.opts.Counter.MaxAmount(), Currency: string(cur), Exponent: cur.Exponent()})
}

// counterPageVM is the counter's layout model: the counter's own script.
func (s *Server) counterPageVM(c *gin.Context, titleID string) views.Page {
	p := s.page(s.localizer(c).T(titleID), false)
	p.JS = s.assets.Path("js/counter.js")
	return p
}

// renderPair shows the pairing form.
func (s *Server) renderPair(c *gin.Context, status int, errorID, code string) {
	v := views.CounterPair{Page: s.counterPageVM(c, "counter.pair.title"), Action: s.langPath(c, CounterPairPath),
		Code: echo(code), ErrorID: errorID}
	v.Title = s.errorTitle(c, v.Title, errorID)
	v.JS, v.CounterCSS = "", s.assets.Path("css/counter.css")
	s.render(c, status, views.CounterPairPage(v))
}

// renderUnlock shows the unlock screen: who may unlock, and the PIN.
func (s *Server) renderUnlock(c *gin.Context, status int, d counter.Device, errorID, chosen string) {
	people, err := s.opts.Counter.People(c.Request.Context())
	if err != nil {
		s.respondError(c, err)
		return
	}
	v := views.CounterUnlock{Page: s.counterPageVM(c, "counter.unlock.title"), DeviceName: payments.CleanText(d.Name),
		Action: s.langPath(c, CounterUnlockPath), ErrorID: errorID, Chosen: chosen}
	v.Title = s.errorTitle(c, v.Title, errorID)
	v.JS, v.CounterCSS = "", s.assets.Path("css/counter.css")
	for _, p := range people {
		v.People = append(v.People, views.CounterPerson{ID: p.Account.ID, Name: personName(p.Account.Name, p.Account.Email), Locked: p.Locked})
	}
	if len(v.People) == 1 && v.Chosen == "" {
		v.Chosen = v.People[0].ID
	}
	s.render(c, status, views.CounterUnlockPage(v))
}

// handleCounterPairShow serves GET /counter/pair?code=: the pairing
// form, filled in from the back office's QR.
func (s *Server) handleCounterPairShow() gin.HandlerFunc {
	return func(c *gin.Context) {
		s.renderPair(c, http.StatusOK, "", c.Query("code"))
	}
}

// handleCounterPair serves POST /counter/pair: a right code makes this
// browser a counter device (its credential in an HttpOnly cookie).
func (s *Server) handleCounterPair() gin.HandlerFunc {
	return func(c *gin.Context) {
		d, token, err := s.opts.Counter.Pair(c.Request.Context(), c.PostForm("code"))
		if errors.Is(err, counter.ErrPairingCode) {
			s.renderPair(c, http.StatusUnauthorized, "counter.pair.bad", "")
			return
		}
		if err != nil {
			s.respondError(c, err)
			return
		}
		s.setDeviceToken(c, token)
		_ = s.opts.Accounts.Record(c.Request.Context(), accounts.Actor{Address: c.ClientIP(), Device: d.Name}, "counter.pair", d.ID, "", d.Name)
		c.Redirect(http.StatusSeeOther, s.langPath(c, CounterPath))
	}
}

// counterActor is who does something at the counter, for the audit log:
// the cashier unlocked on device d, from this address, on that device.
func counterActor(c *gin.Context, d counter.Device, a accounts.Account) accounts.Actor {
	return accounts.Actor{AccountID: a.ID, Email: a.Email, Address: c.ClientIP(), Device: d.Name}
}

// handleCounterUnlock serves POST /counter/unlock: a cashier's PIN.
func (s *Server) handleCounterUnlock() gin.HandlerFunc {
	return func(c *gin.Context) {
		d := device(c)
		who := c.PostForm("account")
		_, a, err := s.opts.Counter.Unlock(c.Request.Context(), d.ID, who, c.PostForm("pin"))
		actor := accounts.Actor{AccountID: who, Address: c.ClientIP(), Device: d.Name} // as counterActor
		switch {
		case err == nil:
			actor.Email = a.Email
			_ = s.opts.Accounts.Record(c.Request.Context(), actor, "counter.unlock", d.ID, "", d.Name) // as counter.lock
			c.Redirect(http.StatusSeeOther, s.langPath(c, CounterPath))
		case errors.Is(err, counter.ErrBadPIN), errors.Is(err, counter.ErrNoPIN):
			_ = s.opts.Accounts.Record(c.Request.Context(), actor, "counter.unlock.failed", d.ID, "", "")
			s.renderUnlock(c, http.StatusUnauthorized, d, "counter.unlock.bad", who)
		case errors.Is(err, counter.ErrPINLocked):
			_ = s.opts.Accounts.Record(c.Request.Context(), actor, "counter.unlock.failed", d.ID, "", "pin locked")
			s.renderUnlock(c, http.StatusLocked, d, "counter.unlock.locked", who)
		default:
			s.respondError(c, err)
		}
	}
}

// handleCounterLock serves POST /counter/lock: the cashier's turn ends,
// recorded as theirs.
func (s *Server) handleCounterLock() gin.HandlerFunc {
	return func(c *gin.Context) {
		d := device(c)
		a, err := s.opts.Counter.Lock(c.Request.Context(), d.ID)
		if err != nil {
			s.respondError(c, err)
			return
		}
		if a.ID != "" {
			_ = s.opts.Accounts.Record(c.Request.Context(), counterActor(c, d, a), "counter.lock", d.ID, "", d.Name)
		}
		s.devices.kick(device(c).ID)
		c.Redirect(http.StatusSeeOther, s.langPath(c, CounterPath))
	}
}
