package handlers

import (
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/views"
)

// SessionPath is the back-office session's time left: GET asks it
// quietly (a page's script, which must not keep the session alive by
// asking), POST is "Stay signed in" (the person's own request, which
// pushes the idle limit back as any other does). static/js/admin.js warns
// accounts.WarnBefore the end on every signed-in page, and says so when
// the session has ended. Both answer JSON; an ended session is 401
// session_ended. A POST from another site is refused by the
// cross-origin protection every form of the back office has (server.go).
const SessionPath = "/admin/session"

// sessionLeft is SessionPath's answer: whole seconds until the session
// ends unless its person makes a request (idle), and however used
// (absolute); warn is accounts.WarnBefore, in seconds.
type sessionLeft struct {
	Idle     int `json:"idle_seconds"`
	Absolute int `json:"absolute_seconds"`
	Warn     int `json:"warn_seconds"`
}

// asJSON makes a route's refusals (requireRole's 401 and 403) the API's
// JSON, which the page's script reads.
func asJSON(c *gin.Context) { c.Set("api", true) }

func (s *Server) sessionLeft(c *gin.Context) sessionLeft {
	idle, abs := s.opts.Accounts.Left(who(c).session)
	return sessionLeft{Idle: int(idle / time.Second), Absolute: int(abs / time.Second), Warn: int(accounts.WarnBefore / time.Second)}
}

// handleSessionLeft serves SessionPath: the time left. A GET
// (requireRoleQuietly) leaves it as it was; a POST ("Stay signed in",
// requireRole) has been counted as the person's request, which moved the
// idle limit, and answers the time left after it.
func (s *Server) handleSessionLeft() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.JSON(http.StatusOK, s.sessionLeft(c))
	}
}

// sessionWarning is what a signed-in page's layout needs to warn before
// its session ends: the time left as this request leaves it, and where
// to sign in again, back to this page (for a form's POST answered with
// a page, the page that form is on).
func (s *Server) sessionWarning(c *gin.Context) *views.SessionWarning {
	left := s.sessionLeft(c)
	next := c.Request.URL.RequestURI()
	if c.Request.Method != http.MethodGet {
		next = s.postPage(c)
	}
	return &views.SessionWarning{URL: SessionPath, IdleSeconds: left.Idle, AbsoluteSeconds: left.Absolute,
		WarnSeconds: left.Warn, SignInURL: s.langPath(c, SignInPath+"?"+url.Values{"next": {safeNext(next)}}.Encode())}
}
