package handlers

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/views"
)

// The back office's second sign-in step, re-authentication and two-step
// settings. Every route is in routes.go.
const (
	SignInCodePath = "/admin/signin/code"
	ReauthPath     = "/admin/reauth"
	TOTPPath       = "/admin/totp"
	TOTPOffPath    = "/admin/totp/off"
)

// setChallenge keeps the second step's challenge in the back office's
// cookie (signed and encrypted; no session id is in it until the code is
// right).
func (s *Server) setChallenge(c *gin.Context, challenge string) error {
	sess, _ := s.opts.AdminSessions.New(c.Request, s.adminCookie())
	if sess == nil {
		return errors.New("handlers: admin session")
	}
	sess.Values = map[any]any{"challenge": challenge}
	sess.Options.MaxAge = int(accounts.SignInCodeTTL.Seconds())
	return sess.Save(c.Request, c.Writer)
}

// challenge is the second step's challenge the cookie carries, if any.
func (s *Server) challenge(c *gin.Context) string {
	if _, err := c.Request.Cookie(s.adminCookie()); err != nil {
		return ""
	}
	sess, err := s.opts.AdminSessions.Get(c.Request, s.adminCookie())
	if err != nil {
		return ""
	}
	ch, _ := sess.Values["challenge"].(string)
	return ch
}

// codeErrorID is the message of a failed code or re-authentication, with
// its status; ok is false for an error that is not the person's.
func codeErrorID(err error) (id string, status int, ok bool) {
	switch {
	case errors.Is(err, accounts.ErrBadCode):
		return "admin.code.bad", http.StatusUnauthorized, true
	case errors.Is(err, accounts.ErrCodeUsed):
		return "admin.code.used", http.StatusUnauthorized, true
	case errors.Is(err, accounts.ErrCodeRequired):
		return "admin.reauth.code", http.StatusUnauthorized, true
	case errors.Is(err, accounts.ErrBadCredential):
		return "admin.reauth.bad", http.StatusUnauthorized, true
	case errors.Is(err, accounts.ErrLocked):
		return "admin.reauth.locked", http.StatusTooManyRequests, true
	case errors.Is(err, accounts.ErrBusy):
		return "admin.signin.busy", http.StatusServiceUnavailable, true
	}
	return "", 0, false
}

// handleSignInCodeShow serves GET /admin/signin/code.
func (s *Server) handleSignInCodeShow() gin.HandlerFunc {
	return func(c *gin.Context) {
		if s.challenge(c) == "" {
			c.Redirect(http.StatusSeeOther, s.langPath(c, SignInPath))
			return
		}
		s.render(c, http.StatusOK, views.SignInCodePage(s.codePage(c, c.Query("next"), "")))
	}
}

func (s *Server) codePage(c *gin.Context, next, errorID string) views.SignInCode {
	title := s.errorTitle(c, s.localizer(c).T("admin.code.title"), errorID)
	return views.SignInCode{Page: s.page(title, false), Action: s.langPath(c, SignInCodePath),
		Next: safeNext(next), ErrorID: errorID, Minutes: int(accounts.SignInCodeTTL / time.Minute)}
}

// handleSignInCode serves POST /admin/signin/code: the code opens the
// session (a new id), and the challenge is gone.
func (s *Server) handleSignInCode() gin.HandlerFunc {
	return func(c *gin.Context) {
		next := safeNext(c.PostForm("next"))
		_, sid, err := s.opts.Accounts.SignInCode(c.Request.Context(), s.challenge(c), c.PostForm("code"), actor(c))
		if err == nil {
			if err = s.openSession(c, sid); err == nil {
				c.Redirect(http.StatusSeeOther, next)
				return
			}
		}
		if errors.Is(err, accounts.ErrTokenExpired) {
			_ = s.setSessionID(c, "")
			// The password step again, from the email: an error like
			// the form's others (its title first, focus in the form).
			v := views.SignIn{Page: s.page(s.localizer(c).T("admin.signin.title"), false), Action: s.langPath(c, SignInPath), Session: sessionLimits,
				Next: next, ErrorID: "admin.code.expired"}
			v.Title = s.errorTitle(c, v.Title, v.ErrorID)
			s.render(c, http.StatusUnauthorized, views.SignInPage(v))
			return
		}
		id, status, ok := codeErrorID(err)
		if !ok {
			s.respondError(c, err)
			return
		}
		if errors.Is(err, accounts.ErrLocked) {
			id = "admin.signin.locked"
		}
		s.render(c, status, views.SignInCodePage(s.codePage(c, next, id)))
	}
}

// reauthForm is the "confirm it is you" form for a page at next, or
// none when the session confirmed within accounts.ReauthWindow.
func (s *Server) reauthForm(c *gin.Context, next string) views.Reauth {
	si := who(c)
	if s.opts.Accounts.Fresh(si.session) {
		return views.Reauth{}
	}
	return views.Reauth{Action: s.langPath(c, ReauthPath), Next: next, NeedCode: si.account.TOTPOn()}
}

// handleReauth serves POST /admin/reauth: the password (and code) again,
// then back to the page it came from.
func (s *Server) handleReauth() gin.HandlerFunc {
	return func(c *gin.Context) {
		next := safeNext(c.PostForm("next"))
		err := s.opts.Accounts.Reauthenticate(c.Request.Context(), who(c).sid, c.PostForm("password"), c.PostForm("code"), actor(c))
		if err == nil {
			s.redirectDone(c, next, "admin.reauth.done")
			return
		}
		id, _, ok := codeErrorID(err)
		if !ok {
			s.respondError(c, err)
			return
		}
		s.redirectRefused(c, next, id)
	}
}

// withQuery adds key=value to a path's query.
func withQuery(path, key, value string) string {
	u, err := url.Parse(path)
	if err != nil {
		return path
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

var reauthErrors = []string{"admin.code.bad", "admin.code.used", "admin.reauth.code", "admin.reauth.bad",
	"admin.reauth.locked", "admin.signin.busy"}

// handleTOTPShow serves GET /admin/totp: the state of two-step sign-in,
// or, to enrol, the key as a QR drawn here (never by a third party) and
// as text.
func (s *Server) handleTOTPShow() gin.HandlerFunc {
	return func(c *gin.Context) {
		v := views.TOTPSettings{Admin: s.adminPage(c, "admin.totp.title", TOTPPath), Action: s.langPath(c, TOTPPath),
			OffAction: s.langPath(c, TOTPOffPath), ErrorID: s.flashError(c, reauthErrors...)}
		v.NoticeID = s.flash(c, "admin.totp.disabled")
		s.showTOTP(c, http.StatusOK, v)
	}
}

func (s *Server) showTOTP(c *gin.Context, status int, v views.TOTPSettings) {
	a := who(c).account
	v.On, v.RecoveryLeft = a.TOTPOn(), len(a.Recovery)
	if !v.On && len(v.Recovery) == 0 {
		v.Reauth = s.reauthForm(c, TOTPPath)
		if v.Reauth.Action == "" {
			en, err := s.opts.Accounts.BeginTOTP(c.Request.Context(), a.ID, s.opts.MerchantName)
			if err != nil {
				s.respondError(c, err)
				return
			}
			png, err := qrPNG(en.URL, 4)
			if err != nil {
				s.respondError(c, err)
				return
			}
			v.Secret, v.QR = en.Secret, "data:image/png;base64,"+base64.StdEncoding.EncodeToString(png)
		}
	}
	v.Title = s.errorTitle(c, v.Title, v.ErrorID)
	if v.Reauth.Action != "" {
		v.Reauth.ErrorID = v.ErrorID
	} else if v.ErrorField == "" && (v.Secret != "" || v.On) {
		v.ErrorField = totpErrorField(v.ErrorID, v.On)
	}
	s.render(c, status, views.TOTPPage(v))
}

// totpErrorField is the id of the two-step page's field an error is
// about: the enrolment's code, or, to turn it off, the password or code.
func totpErrorField(errorID string, on bool) string {
	switch errorID {
	case "admin.code.bad", "admin.code.used", "admin.reauth.code":
		if on {
			return "off-code"
		}
		return "code"
	case "admin.reauth.bad", "admin.reauth.locked", "admin.signin.busy":
		if on {
			return "off-password"
		}
	}
	return ""
}

// handleTOTPConfirm serves POST /admin/totp: a code from the pending key
// turns two-step sign-in on; the recovery codes are shown this once.
func (s *Server) handleTOTPConfirm() gin.HandlerFunc {
	return func(c *gin.Context) {
		si := who(c)
		v := views.TOTPSettings{Admin: s.adminPage(c, "admin.totp.title", TOTPPath), Action: s.langPath(c, TOTPPath),
			OffAction: s.langPath(c, TOTPOffPath)}
		if !s.opts.Accounts.Fresh(si.session) {
			v.ErrorID = "admin.reauth.needed"
			s.showTOTP(c, http.StatusUnauthorized, v)
			return
		}
		codes, err := s.opts.Accounts.ConfirmTOTP(c.Request.Context(), si.account.ID, c.PostForm("code"), actor(c))
		switch {
		case err == nil:
			v.Recovery, v.NoticeID, v.On, v.RecoveryLeft = codes, "admin.totp.enabled", true, len(codes)
			s.render(c, http.StatusOK, views.TOTPPage(v))
		case errors.Is(err, accounts.ErrTOTPOn):
			v.ErrorID = "admin.totp.already"
			s.showTOTP(c, http.StatusConflict, v)
		case errors.Is(err, accounts.ErrBadCode), errors.Is(err, accounts.ErrTOTPOff):
			v.ErrorID = "admin.code.bad"
			s.showTOTP(c, http.StatusUnprocessableEntity, v)
		default:
			s.respondError(c, err)
		}
	}
}

// handleTOTPOff serves POST /admin/totp/off: the password and a code now.
func (s *Server) handleTOTPOff() gin.HandlerFunc {
	return func(c *gin.Context) {
		err := s.opts.Accounts.DisableTOTP(c.Request.Context(), who(c).sid, c.PostForm("password"), c.PostForm("code"), actor(c))
		if err == nil || errors.Is(err, accounts.ErrTOTPOff) {
			s.redirectDone(c, TOTPPath, "admin.totp.disabled")
			return
		}
		id, status, ok := codeErrorID(err)
		if !ok {
			s.respondError(c, err)
			return
		}
		v := views.TOTPSettings{Admin: s.adminPage(c, "admin.totp.title", TOTPPath), Action: s.langPath(c, TOTPPath),
			OffAction: s.langPath(c, TOTPOffPath), ErrorID: id}
		s.showTOTP(c, status, v)
	}
}
