package handlers

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/counter"
	"github.com/latipay-hpp/hpp/views"
)

// SessionsPath lists signed-in browsers: every one for an owner, one's
// own for anyone else.
const SessionsPath = "/admin/sessions"

const adminTime = "2006-01-02 15:04 MST"

// showSessions renders the sessions page.
func (s *Server) showSessions(c *gin.Context, status int, errorID string) {
	ctx, si := c.Request.Context(), who(c)
	all := si.account.Role == accounts.Owner
	of := si.account.ID
	if all {
		of = ""
	}
	ss, err := s.opts.Accounts.Store().Sessions(ctx, of)
	if err != nil {
		s.respondError(c, err)
		return
	}
	emails := map[string]string{si.account.ID: si.account.Email}
	if all {
		as, err := s.opts.Accounts.Store().Accounts(ctx)
		if err != nil {
			s.respondError(c, err)
			return
		}
		for _, a := range as {
			emails[a.ID] = a.Email
		}
	}
	v := views.SessionsPage{Admin: s.adminPage(c, "admin.sessions.title", SessionsPath), All: all, ErrorID: errorID}
	if c.Request.Method == http.MethodGet {
		v.NoticeID = s.flash(c, "admin.sessions.revoked")
	}
	for _, x := range ss {
		v.Rows = append(v.Rows, views.SessionRow{Hash: x.IDHash, AccountID: x.AccountID, Email: emails[x.AccountID],
			Address: x.Address, Device: x.Device, Started: x.CreatedAt.In(s.shopZone()).Format(adminTime), Seen: x.SeenAt.In(s.shopZone()).Format(adminTime),
			This: x.IDHash == si.session.IDHash, RevokeURL: s.langPath(c, SessionsPath+"/revoke"), AllURL: s.langPath(c, SessionsPath+"/revoke-all")})
	}
	s.render(c, status, views.SessionsPageView(v))
}

// handleSessionsShow serves GET /admin/sessions.
func (s *Server) handleSessionsShow() gin.HandlerFunc {
	return func(c *gin.Context) { s.showSessions(c, http.StatusOK, "") }
}

// handleSessionRevoke serves POST /admin/sessions/revoke (one session,
// form field session) and /admin/sessions/revoke-all (every session of
// form field account).
func (s *Server) handleSessionRevoke(all bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, si := c.Request.Context(), who(c)
		var err error
		if all {
			err = s.opts.Accounts.RevokeSessions(ctx, si.account, c.PostForm("account"), actor(c))
			if err == nil {
				a, _ := s.opts.Accounts.Store().Account(ctx, c.PostForm("account"))
				a.ID = c.PostForm("account")
				s.lockShutOut(c, a, counter.LockedSignedOut)
			}
		} else {
			err = s.opts.Accounts.RevokeSession(ctx, si.account, c.PostForm("session"), actor(c))
		}
		switch {
		case err == nil, errors.Is(err, accounts.ErrNotFound): // already gone: the wish is met
			s.redirectDone(c, SessionsPath, "admin.sessions.revoked")
		case errors.Is(err, accounts.ErrNotYours):
			s.showSessions(c, http.StatusForbidden, "admin.sessions.notyours")
		default:
			s.respondError(c, err)
		}
	}
}

// peopleNav is the navigation to the people pages a role may open.
func (s *Server) peopleNav(c *gin.Context, role accounts.Role, current string) []views.NavLink {
	var out []views.NavLink
	add := func(path, label string) {
		out = append(out, views.NavLink{URL: s.langPath(c, path), LabelID: label, Current: current == path})
	}
	if role == accounts.Owner {
		add(AccountsPath, "admin.nav.accounts")
	}
	add(SessionsPath, "admin.nav.sessions")
	add(PasswordPath, "admin.nav.password")
	if role.ReadsBooks() {
		add(AuditPath, "admin.nav.audit")
		add(TOTPPath, "admin.nav.totp")
	}
	return out
}
