package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/views"
)

// SettingsPath is the back office's read-only configuration page.
const SettingsPath = "/admin/settings"

// showSettings renders the configuration and, when checked, each wallet.
func (s *Server) showSettings(c *gin.Context, checks []payments.WalletCheck, checked bool) {
	v := views.Settings{Admin: s.adminPage(c, "settings.title", SettingsPath), Rows: s.opts.Settings, Checked: checked}
	if s.opts.CheckWallets != nil {
		v.CheckURL = s.langPath(c, SettingsPath+"/check")
	}
	for _, w := range checks {
		r := views.WalletResult{Currency: string(w.Currency), WalletID: w.WalletID, OK: w.Problem == "",
			Methods: strings.Join(w.Methods, ", ")}
		if !r.OK {
			r.ProblemID = "settings.problem." + string(w.Problem)
			r.Code = strconv.Itoa(w.Code)
		}
		v.Wallets = append(v.Wallets, r)
	}
	s.render(c, http.StatusOK, views.SettingsPage(v))
}

// handleSettingsShow serves GET /admin/settings.
func (s *Server) handleSettingsShow() gin.HandlerFunc {
	return func(c *gin.Context) { s.showSettings(c, nil, false) }
}

// handleSettingsCheck serves POST /admin/settings/check: asks Latipay's
// wallet detail endpoint about every configured wallet and shows what is
// enabled or, in plain words, what is wrong. The check is audited.
func (s *Server) handleSettingsCheck() gin.HandlerFunc {
	return func(c *gin.Context) {
		if s.opts.CheckWallets == nil {
			s.respondError(c, errBadRequest)
			return
		}
		checks := s.opts.CheckWallets(c.Request.Context())
		var out []string
		for _, w := range checks {
			res := "ok " + strings.Join(w.Methods, ",")
			if w.Problem != "" {
				res = string(w.Problem)
			}
			out = append(out, string(w.Currency)+": "+res)
		}
		_ = s.opts.Accounts.Record(c.Request.Context(), actor(c), "settings.check", "latipay", "", strings.Join(out, "; "))
		s.showSettings(c, checks, true)
	}
}
