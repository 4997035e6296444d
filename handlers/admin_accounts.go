package handlers

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/counter"
	"github.com/latipay-hpp/hpp/views"
)

// The accounts page (owners) and the invitation link (anyone holding one).
const (
	AccountsPath = "/admin/accounts"
	InvitePath   = "/admin/invite"
)

var accountNotices = []string{"admin.accounts.removed", "admin.accounts.role.done", "admin.reauth.done"}

// showAccounts renders the accounts page; link is a new one-time link to
// hand to linkEmail, shown this once.
func (s *Server) showAccounts(c *gin.Context, status int, errorID, link, linkEmail string) {
	as, err := s.opts.Accounts.Store().Accounts(c.Request.Context())
	if err != nil {
		s.respondError(c, err)
		return
	}
	me := who(c).account
	v := views.AccountsPage{Admin: s.adminPage(c, "admin.accounts.title", AccountsPath), Reauth: s.reauthForm(c, AccountsPath),
		InviteAction: s.langPath(c, AccountsPath), Roles: roleNames(),
		Link: link, LinkEmail: linkEmail, ErrorID: errorID}
	if errorID == "" {
		v.ErrorID = s.flashError(c, reauthErrors...)
		v.NoticeID = s.flash(c, accountNotices...)
	}
	v.Title = s.errorTitle(c, v.Title, v.ErrorID)
	if v.Reauth.Action != "" {
		v.Reauth.ErrorID = v.ErrorID
	} else if c.Request.Method == http.MethodPost && c.FullPath() == AccountsPath && v.ErrorID != "" {
		// A refused invitation: tied to its field, as it was typed.
		v.ErrorField = inviteErrorField(v.ErrorID)
		v.InviteEmail, v.InviteName, v.InviteRole = echo(c.PostForm("email")), echo(c.PostForm("name")), c.PostForm("role")
	}
	now := s.opts.Now()
	for _, a := range as {
		state := "active"
		if a.Invited() {
			state = "invited"
		} else if now.Before(a.LockedUntil) {
			state = "locked"
		}
		base := AccountsPath + "/" + a.ID
		v.Rows = append(v.Rows, views.AccountRow{ID: a.ID, Email: a.Email, Name: payments.CleanText(a.Name), Role: string(a.Role), State: state,
			TOTP: a.TOTPOn(), Self: a.ID == me.ID, RoleURL: base + "/role", ResetURL: base + "/reset", RemoveURL: base + "/remove"})
	}
	s.render(c, status, views.AccountsPageView(v))
}

// handleAccountsShow serves GET /admin/accounts.
func (s *Server) handleAccountsShow() gin.HandlerFunc {
	return func(c *gin.Context) { s.showAccounts(c, http.StatusOK, "", "", "") }
}

// freshOr refuses a people change unless the session confirmed its
// password within accounts.ReauthWindow; it reports whether to go on.
func (s *Server) freshOr(c *gin.Context) bool {
	if s.opts.Accounts.Fresh(who(c).session) {
		return true
	}
	s.showAccounts(c, http.StatusUnauthorized, "admin.reauth.needed", "", "")
	return false
}

// inviteURL is the one-time link an invited person opens.
func (s *Server) inviteURL(token string) string {
	return s.opts.PublicURL.String() + InvitePath + "?" + url.Values{"token": {token}}.Encode()
}

// inviteErrorField is the id of the invitation form's field a refusal
// (accountErrorID's message) is about; "" when none is.
func inviteErrorField(errorID string) string {
	switch errorID {
	case "admin.accounts.bademail", "admin.accounts.taken":
		return "invite-email"
	case "admin.accounts.badname":
		return "invite-name"
	case "admin.accounts.badrole":
		return "invite-role"
	}
	return ""
}

// accountErrorID is the accounts page's message for a refused change.
func accountErrorID(err error) (string, int, bool) {
	var ie *accounts.InputError
	switch {
	case errors.As(err, &ie) && ie.Field == "email":
		return "admin.accounts.bademail", http.StatusBadRequest, true
	case errors.As(err, &ie) && ie.Field == "name":
		return "admin.accounts.badname", http.StatusBadRequest, true
	case errors.As(err, &ie) && ie.Field == "role":
		return "admin.accounts.badrole", http.StatusBadRequest, true
	case errors.Is(err, accounts.ErrInvalid):
		return "admin.accounts.badinput", http.StatusBadRequest, true
	case errors.Is(err, accounts.ErrEmailTaken):
		return "admin.accounts.taken", http.StatusConflict, true
	case errors.Is(err, accounts.ErrLastOwner):
		return "admin.accounts.lastowner", http.StatusConflict, true
	case errors.Is(err, accounts.ErrNotFound):
		return "error.notfound", http.StatusNotFound, true
	}
	return "", 0, false
}

// accountChange answers a people change: back to the page with a notice,
// or the page with what was refused.
func (s *Server) accountChange(c *gin.Context, err error, done string) {
	if err == nil {
		s.redirectDone(c, AccountsPath, done)
		return
	}
	id, status, ok := accountErrorID(err)
	if !ok {
		s.respondError(c, err)
		return
	}
	s.showAccounts(c, status, id, "", "")
}

// handleAccountInvite serves POST /admin/accounts: a new account with no
// password and its one-time link, shown to the owner to hand over.
func (s *Server) handleAccountInvite() gin.HandlerFunc {
	return func(c *gin.Context) {
		if !s.freshOr(c) {
			return
		}
		a, tok, err := s.opts.Accounts.Invite(c.Request.Context(), c.PostForm("email"), payments.CleanText(c.PostForm("name")),
			accounts.Role(c.PostForm("role")), actor(c))
		if err != nil {
			s.accountChange(c, err, "")
			return
		}
		s.showAccounts(c, http.StatusCreated, "", s.inviteURL(tok), a.Email)
	}
}

// notSelf refuses a reset of one's own access (another owner does it),
// so an owner cannot lock themselves out by a click.
func (s *Server) notSelf(c *gin.Context) bool {
	if c.Param("id") != who(c).account.ID {
		return true
	}
	s.showAccounts(c, http.StatusConflict, "admin.accounts.self", "", "")
	return false
}

// handleAccountReset serves POST /admin/accounts/:id/reset: the person's
// password, two-step sign-in and sessions go; a new link is shown.
func (s *Server) handleAccountReset() gin.HandlerFunc {
	return func(c *gin.Context) {
		if !s.freshOr(c) || !s.notSelf(c) {
			return
		}
		ctx := c.Request.Context()
		tok, err := s.opts.Accounts.ResetAccess(ctx, c.Param("id"), actor(c))
		if err != nil {
			s.accountChange(c, err, "")
			return
		}
		a, _ := s.opts.Accounts.Store().Account(ctx, c.Param("id"))
		a.ID = c.Param("id")
		s.lockShutOut(c, a, counter.LockedAccessReset)
		s.showAccounts(c, http.StatusOK, "", s.inviteURL(tok), a.Email)
	}
}

// handleAccountRole serves POST /admin/accounts/:id/role.
func (s *Server) handleAccountRole() gin.HandlerFunc {
	return func(c *gin.Context) {
		if !s.freshOr(c) {
			return
		}
		err := s.opts.Accounts.SetRole(c.Request.Context(), c.Param("id"), accounts.Role(c.PostForm("role")), actor(c))
		if err == nil {
			a, _ := s.opts.Accounts.Store().Account(c.Request.Context(), c.Param("id"))
			a.ID = c.Param("id")
			s.lockShutOut(c, a, counter.LockedRoleChanged)
		}
		s.accountChange(c, err, "admin.accounts.role.done")
	}
}

// handleAccountRemove serves POST /admin/accounts/:id/remove.
func (s *Server) handleAccountRemove() gin.HandlerFunc {
	return func(c *gin.Context) {
		if !s.freshOr(c) {
			return
		}
		// Who it was, for the record of the tills their removal locks.
		a, _ := s.opts.Accounts.Store().Account(c.Request.Context(), c.Param("id"))
		a.ID = c.Param("id")
		err := s.opts.Accounts.RemoveAccount(c.Request.Context(), c.Param("id"), actor(c))
		if err == nil {
			s.lockShutOut(c, a, counter.LockedRemoved)
		}
		s.accountChange(c, err, "admin.accounts.removed")
	}
}

// invitePage fills the invitation page for token.
func (s *Server) invitePage(c *gin.Context, token string) (views.InvitePage, int) {
	v := views.InvitePage{Page: s.page(s.localizer(c).T("admin.invite.title"), false), Action: s.langPath(c, InvitePath), Token: token}
	a, err := s.opts.Accounts.Invitation(c.Request.Context(), token)
	switch {
	case err == nil:
		v.Email = a.Email
		return v, http.StatusOK
	case errors.Is(err, accounts.ErrTokenExpired):
		v.ErrorID = "admin.invite.expired"
		return v, http.StatusGone
	default:
		v.ErrorID = "admin.invite.bad"
		return v, http.StatusForbidden
	}
}

// passwordErrorID is the message for a password CheckPassword refused:
// which rule it breaks.
func passwordErrorID(err error) string {
	var ie *accounts.InputError
	if errors.As(err, &ie) && ie.Field == "password" {
		switch ie.Why {
		case accounts.PasswordLong, accounts.PasswordBlank, accounts.PasswordRepeated, accounts.PasswordCommon:
			return "admin.password." + ie.Why
		}
	}
	return "admin.setup.badpassword"
}

// handleInviteShow serves GET /admin/invite?token=.
func (s *Server) handleInviteShow() gin.HandlerFunc {
	return func(c *gin.Context) {
		v, status := s.invitePage(c, c.Query("token"))
		s.render(c, status, views.InvitePageView(v))
	}
}

// handleInviteAccept serves POST /admin/invite: the chosen password, then
// signed in.
func (s *Server) handleInviteAccept() gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, tok, pw := c.Request.Context(), c.PostForm("token"), c.PostForm("password")
		a, err := s.opts.Accounts.AcceptInvite(ctx, tok, pw, actor(c))
		if err == nil {
			var sid string
			if _, sid, err = s.opts.Accounts.SignIn(ctx, a.Email, pw, actor(c)); err == nil {
				if err = s.openSession(c, sid); err == nil {
					c.Redirect(http.StatusSeeOther, s.langPath(c, AdminPath))
					return
				}
			}
			s.respondError(c, err)
			return
		}
		v, status := s.invitePage(c, tok)
		if errors.Is(err, accounts.ErrInvalid) && v.Email != "" {
			v.ErrorID, status = passwordErrorID(err), http.StatusBadRequest
			v.Title = s.errorTitle(c, v.Title, v.ErrorID)
		}
		if v.ErrorID == "" {
			s.respondError(c, err)
			return
		}
		s.render(c, status, views.InvitePageView(v))
	}
}

// roleNames are the roles the accounts page offers, in accounts.Roles'
// order: to invite with, and to change a person's role to.
func roleNames() []string {
	out := make([]string, len(accounts.Roles))
	for i, r := range accounts.Roles {
		out[i] = string(r)
	}
	return out
}
