package handlers

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/payments/counter"
	"github.com/latipay-hpp/hpp/views"
)

// PasswordPath is where any signed-in person, whatever their role, changes
// their own password: the current one, the new one twice. Every session
// of theirs ends; this browser goes on in a new one. (An owner resets another
// person's access on the accounts page; `hpp admin reset-password`
// is for an owner locked out.)
const PasswordPath = "/admin/password"

func (s *Server) passwordPage(c *gin.Context, errorID, noticeID string) views.PasswordPage {
	v := views.PasswordPage{Admin: s.adminPage(c, "admin.password.title", PasswordPath), Action: s.langPath(c, PasswordPath),
		ErrorID: errorID, NoticeID: noticeID}
	v.Title = s.errorTitle(c, v.Title, errorID)
	return v
}

// handlePasswordShow serves GET /admin/password.
func (s *Server) handlePasswordShow() gin.HandlerFunc {
	return func(c *gin.Context) {
		s.render(c, http.StatusOK, views.PasswordPageView(s.passwordPage(c, "", s.flash(c, "admin.password.done"))))
	}
}

// handlePasswordChange serves POST /admin/password: changed, then back
// to the page with a notice; or the page again with what was refused.
func (s *Server) handlePasswordChange() gin.HandlerFunc {
	return func(c *gin.Context) {
		pw := c.PostForm("password")
		if pw != c.PostForm("confirm") {
			s.render(c, http.StatusBadRequest, views.PasswordPageView(s.passwordPage(c, "admin.password.mismatch", "")))
			return
		}
		sid, err := s.opts.Accounts.ChangePassword(c.Request.Context(), who(c).sid, c.PostForm("current"), pw, actor(c))
		if err == nil {
			s.lockShutOut(c, who(c).account, counter.LockedPasswordChanged)
			// The old session ended with the others: this browser goes
			// on in the new one, as after a sign-in, with a new device
			// cookie (the change voided every earlier one).
			if err = s.openSession(c, sid); err == nil {
				s.redirectDone(c, PasswordPath, "admin.password.done")
				return
			}
			s.respondError(c, err)
			return
		}
		var ie *accounts.InputError
		id, status, ok := codeErrorID(err)
		switch {
		case errors.As(err, &ie) && ie.Why == accounts.PasswordSame:
			id, status = "admin.password.same", http.StatusBadRequest
		case errors.As(err, &ie):
			id, status = passwordErrorID(err), http.StatusBadRequest
		case errors.Is(err, accounts.ErrLocked):
			id = "admin.signin.locked"
		case !ok:
			s.respondError(c, err)
			return
		}
		s.render(c, status, views.PasswordPageView(s.passwordPage(c, id, "")))
	}
}
