package handlers

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/counter"
	"github.com/latipay-hpp/hpp/views"
)

// AdminCounterPath is the owner's counter page: devices, pairing, PINs.
const AdminCounterPath = "/admin/counter"

// handleAdminCounterShow serves GET /admin/counter.
func (s *Server) handleAdminCounterShow() gin.HandlerFunc {
	return func(c *gin.Context) {
		notice, facts := s.flashWith(c, noticeRevoked, noticePIN, noticeDelay)
		s.renderAdminCounter(c, http.StatusOK, notice, facts, "")
	}
}

// The counter page's confirmations, each a one-time flash its action
// leaves (redirectDone): never read from the address.
const (
	noticeRevoked = "admin.counter.notice.revoked"
	noticePIN     = "admin.counter.notice.pin"
	noticeDelay   = "admin.counter.notice.delay"
)

// renderAdminCounter draws the counter page with notice (a message id,
// or "") and, after a revoke, facts: what it did to the device's sales.
func (s *Server) renderAdminCounter(c *gin.Context, status int, notice string, facts map[string]string, errorID string) {
	ctx := c.Request.Context()
	devices, err := s.opts.Counter.Store().Devices(ctx)
	if err != nil {
		s.respondError(c, err)
		return
	}
	people, err := s.opts.Accounts.Store().Accounts(ctx)
	if err != nil {
		s.respondError(c, err)
		return
	}
	pins, err := s.opts.Counter.Store().PINs(ctx)
	if err != nil {
		s.respondError(c, err)
		return
	}
	v := views.AdminCounter{Admin: s.adminPage(c, "admin.counter.title", AdminCounterPath),
		PairAction: s.langPath(c, AdminCounterPath+"/pair"), PINAction: s.langPath(c, AdminCounterPath+"/pins"),
		NoticeID: notice, ErrorID: errorID}
	// The field the error is about, from the form that was posted.
	switch errorID {
	case "admin.counter.error.name":
		v.ErrorField = "device-name"
	case "admin.counter.error.delay":
		v.ErrorField = "delay-" + c.Param("id")
	case "admin.counter.error.pin":
		v.ErrorField = "pin-" + c.PostForm("account")
	}
	v.Title = s.errorTitle(c, v.Title, errorID)
	if notice == noticeRevoked && facts != nil {
		v.Revoked = s.revokedSales(c, facts)
	}
	names := map[string]string{}
	byID := map[string]accounts.Account{}
	for _, a := range people {
		names[a.ID], byID[a.ID] = personName(a.Name, a.Email), a
	}
	// cashier names who d is unlocked for, as its next request will find
	// it: none when their access changed since (the device locks then).
	cashier := func(d counter.Device) string {
		if a, ok := byID[d.CashierID]; ok && a.StillUnlocks(d.UnlockedAt) {
			return names[d.CashierID]
		}
		return ""
	}
	when := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(s.shopZone()).Format(adminTime)
	}
	for _, d := range devices {
		v.Devices = append(v.Devices, views.AdminDevice{ID: d.ID, Name: payments.CleanText(d.Name), Paired: when(d.CreatedAt), Seen: when(d.SeenAt),
			Cashier: cashier(d), Revoked: d.Revoked(), ResultSeconds: d.ResultSeconds,
			RevokeAction: s.langPath(c, AdminCounterPath+"/devices/"+d.ID+"/revoke"),
			DelayAction:  s.langPath(c, AdminCounterPath+"/devices/"+d.ID+"/delay")})
	}
	state := map[string]counter.PIN{}
	for _, p := range pins {
		state[p.AccountID] = p
	}
	for _, a := range people {
		if !a.Role.Sells() {
			continue // a bookkeeper gets no PIN: the counter is not theirs
		}
		p, ok := state[a.ID]
		v.People = append(v.People, views.AdminPINRow{ID: a.ID, Name: personName(a.Name, a.Email), Role: string(a.Role),
			HasPIN: ok, Locked: p.Locked})
	}
	s.render(c, status, views.AdminCounterPage(v))
}

// handleAdminCounterPair serves POST /admin/counter/pair: a pairing code
// for a new device, and its QR, valid 60 seconds.
func (s *Server) handleAdminCounterPair() gin.HandlerFunc {
	return func(c *gin.Context) {
		name := c.PostForm("name")
		code, _, err := s.opts.Counter.NewPairing(c.Request.Context(), name)
		if errors.Is(err, counter.ErrInvalid) {
			s.renderAdminCounter(c, http.StatusBadRequest, "", nil, "admin.counter.error.name")
			return
		}
		if err != nil {
			s.respondError(c, err)
			return
		}
		_ = s.opts.Accounts.Record(c.Request.Context(), actor(c), "counter.pairing", "", "", name)
		pairURL := s.origin + CounterPairPath + "?" + url.Values{"code": {code}}.Encode()
		png, err := qrPNG(pairURL, 6)
		if err != nil {
			s.respondError(c, err)
			return
		}
		c.Header("Cache-Control", "no-store")
		s.render(c, http.StatusOK, views.AdminCounterPairingPage(views.CounterPairing{
			Admin: s.adminPage(c, "admin.counter.pair", AdminCounterPath), Code: code[:4] + " " + code[4:],
			QR: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png), PairURL: pairURL,
			Seconds: int(counter.PairingTTL.Seconds()), BackURL: s.langPath(c, AdminCounterPath), DeviceName: name}))
	}
}

// handleAdminDeviceRevoke serves POST /admin/counter/devices/:id/revoke:
// the device's next request is refused, and its open sales are canceled
// (counter.Service.Revoke); the page then says how many, and names those
// paid meanwhile or that could not be canceled. The audit log has the
// revoke and each sale's cancel.
func (s *Server) handleAdminDeviceRevoke() gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		r, err := s.opts.Counter.Revoke(ctx, c.Param("id"))
		if errors.Is(err, counter.ErrNotFound) {
			s.respondError(c, errNoPage)
			return
		}
		if r.Device.ID != "" {
			s.devices.kick(r.Device.ID)
			_ = s.opts.Accounts.Record(ctx, actor(c), "counter.revoke", r.Device.ID, "", r.Device.Name)
		}
		// Each sale it canceled, as the owner's cancel of it.
		for _, p := range r.Canceled {
			_ = s.opts.Accounts.Record(ctx, actor(c), "cancel", p.ID, "", string(p.Status))
		}
		if err != nil {
			s.respondError(c, err)
			return
		}
		ids := func(ps []payments.Payment) string {
			var out []string
			for _, p := range ps[:min(len(ps), maxRevokedShown)] {
				out = append(out, p.ID)
			}
			return strings.Join(out, " ")
		}
		s.redirectDoneWith(c, AdminCounterPath, noticeRevoked, map[string]string{
			"canceled": strconv.Itoa(len(r.Canceled)), "paid": ids(r.Paid), "failed": ids(r.Failed)})
	}
}

// maxRevokedShown bounds the sales a revoke's result names (they ride
// in the flash's cookie); the payments list has them all.
const maxRevokedShown = 20

// revokedSales is what the revoke the page follows did to the device's
// open sales, from the revoke's flash: how many it canceled, and the
// sales paid meanwhile or still open, named by reference.
func (s *Server) revokedSales(c *gin.Context, facts map[string]string) *views.RevokedSales {
	n, _ := strconv.Atoi(facts["canceled"])
	out := &views.RevokedSales{Canceled: max(0, n)}
	links := func(ids []string) []views.SaleLink {
		var ls []views.SaleLink
		for _, id := range ids[:min(len(ids), maxRevokedShown)] {
			p, err := s.svc.Get(c.Request.Context(), id)
			if err != nil {
				continue
			}
			ls = append(ls, views.SaleLink{Reference: p.Reference, URL: s.langPath(c, PaymentsPath+"/"+p.ID)})
		}
		return ls
	}
	out.Paid, out.Failed = links(strings.Fields(facts["paid"])), links(strings.Fields(facts["failed"]))
	return out
}

// handleAdminDeviceDelay serves POST /admin/counter/devices/:id/delay:
// how long the device shows a result before the keypad returns.
func (s *Server) handleAdminDeviceDelay() gin.HandlerFunc {
	return func(c *gin.Context) {
		secs, err := strconv.Atoi(c.PostForm("seconds"))
		if err != nil {
			secs = -1
		}
		d, before, err := s.opts.Counter.SetResultSeconds(c.Request.Context(), c.Param("id"), secs)
		switch {
		case errors.Is(err, counter.ErrInvalid):
			s.renderAdminCounter(c, http.StatusBadRequest, "", nil, "admin.counter.error.delay")
		case errors.Is(err, counter.ErrNotFound):
			s.respondError(c, errNoPage)
		case err != nil:
			s.respondError(c, err)
		default:
			if before != d.ResultSeconds {
				_ = s.opts.Accounts.Record(c.Request.Context(), actor(c), "counter.delay", d.ID, strconv.Itoa(before), strconv.Itoa(d.ResultSeconds))
			}
			s.redirectDone(c, AdminCounterPath, noticeDelay)
		}
	}
}

// handleAdminPINSet serves POST /admin/counter/pins: the owner sets a
// person's counter PIN (which also unlocks a locked one).
func (s *Server) handleAdminPINSet() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.PostForm("account")
		err := s.opts.Counter.SetPIN(c.Request.Context(), id, c.PostForm("pin"))
		switch {
		case errors.Is(err, counter.ErrInvalid), errors.Is(err, accounts.ErrNotFound):
			s.renderAdminCounter(c, http.StatusBadRequest, "", nil, "admin.counter.error.pin")
		case err != nil:
			s.respondError(c, err)
		default:
			_ = s.opts.Accounts.Record(c.Request.Context(), actor(c), "counter.pin.set", id, "", "")
			s.redirectDone(c, AdminCounterPath, noticePIN)
		}
	}
}
