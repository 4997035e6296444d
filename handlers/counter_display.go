package handlers

import (
	"encoding/base64"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/displays"
	"github.com/latipay-hpp/hpp/views"
)

// The counter's side of its displays: the device shows a pairing code
// (and its QR, the display's address with the code) for a screen facing
// the shopper, lists the screens paired with it and unpairs them.

// CounterDisplaysPath is the device's page of its displays.
const CounterDisplaysPath = "/counter/displays"

// showCounterDisplays renders the device's displays page; code, when not
// "", is a fresh pairing code to show.
func (s *Server) showCounterDisplays(c *gin.Context, code, noticeID string) {
	ctx, d := c.Request.Context(), device(c)
	cashier, err := s.opts.Counter.Cashier(ctx, d)
	if err != nil {
		s.respondError(c, err)
		return
	}
	list, err := s.opts.Displays.List(ctx, d.ID)
	if err != nil {
		s.respondError(c, err)
		return
	}
	v := views.CounterDisplays{Page: s.counterPageVM(c, "counter.displays.title"), DeviceName: payments.CleanText(d.Name),
		Cashier: personName(cashier.Name, cashier.Email), BackURL: s.langPath(c, CounterPath),
		CodeURL: s.langPath(c, CounterDisplaysPath+"/code"), DisplayURL: s.origin + DisplayPath,
		Seconds: int(displays.PairingTTL.Seconds()), NoticeID: noticeID}
	v.JS, v.CounterCSS = "", s.assets.Path("css/counter.css")
	if code != "" {
		v.Code = code[:4] + " " + code[4:]
		png, err := qrPNG(s.origin+DisplayPath+"?code="+code, 4)
		if err != nil {
			s.respondError(c, err)
			return
		}
		v.QR = "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)
	}
	for _, x := range list {
		_, text := s.shopTime(x.CreatedAt)
		v.Displays = append(v.Displays, views.CounterDisplay{Paired: text, RevokeURL: s.langPath(c, CounterDisplaysPath+"/"+x.ID+"/revoke")})
	}
	s.render(c, http.StatusOK, views.CounterDisplaysPage(v))
}

// handleCounterDisplaysShow serves GET /counter/displays.
func (s *Server) handleCounterDisplaysShow() gin.HandlerFunc {
	return func(c *gin.Context) {
		s.showCounterDisplays(c, "", s.flash(c, "counter.displays.revoked"))
	}
}

// handleCounterDisplayCode serves POST /counter/displays/code: a new
// pairing code for this device, replacing its earlier one.
func (s *Server) handleCounterDisplayCode() gin.HandlerFunc {
	return func(c *gin.Context) {
		code, _, err := s.opts.Displays.NewCode(c.Request.Context(), device(c).ID)
		if err != nil {
			s.respondError(c, err)
			return
		}
		s.showCounterDisplays(c, code, "")
	}
}

// handleCounterDisplayRevoke serves POST /counter/displays/:id/revoke:
// the display goes back to its pairing form. Only this device's displays
// can be unpaired here.
func (s *Server) handleCounterDisplayRevoke() gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, d := c.Request.Context(), device(c)
		err := s.opts.Displays.Revoke(ctx, d.ID, c.Param("id"))
		if errors.Is(err, displays.ErrNotFound) {
			s.respondError(c, errNoPage)
			return
		}
		if err != nil {
			s.respondError(c, err)
			return
		}
		a, _ := s.opts.Counter.Cashier(ctx, d)
		if a.ID == "" {
			a.ID = d.CashierID
		}
		_ = s.opts.Accounts.Record(ctx, counterActor(c, d, a), "display.revoke", c.Param("id"), "", d.Name)
		s.redirectDone(c, CounterDisplaysPath, "counter.displays.revoked")
	}
}
