package handlers

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/sessions"

	"github.com/latipay-hpp/hpp/payments"
	"github.com/latipay-hpp/hpp/payments/accounts"
	"github.com/latipay-hpp/hpp/views"
)

// The back office's paths. Every one of its routes is in routes.go.
const (
	AdminPath    = "/admin/"
	SetupPath    = "/admin/setup"
	SignInPath   = "/admin/signin"
	SignOutPath  = "/admin/signout"
	PaymentsPath = "/admin/payments"
)

var (
	errForbidden = errors.New("handlers: forbidden for this account's role")
	// errCashierForbidden is errForbidden for a cashier: the page says
	// what a cashier may do and leads to the till.
	errCashierForbidden = fmt.Errorf("%w: the owner's page, not a cashier's", errForbidden)
	errSessionEnded     = errors.New("handlers: no live back-office session")
)

// adminKey is the gin key of the signed-in account (requireRole).
const adminKey = "hpp.admin"

// signedIn is who is signed in to this request.
type signedIn struct {
	session accounts.Session
	account accounts.Account
	sid     string
}

// NewAdminSessionStore builds the back office's cookie store through
// gorilla/sessions. The cookie carries only the session id (signed and
// encrypted besides); the session itself is a row in the database, so it
// can be listed and revoked. HttpOnly, SameSite=Strict, Secure on https,
// and it lives no longer than a session's absolute limit. old are earlier
// (hash, block) key pairs while HPP_SESSION_KEY is rotated: a cookie they
// made is still read, and the request that reads it gets the cookie again
// under the first pair, with the expiry it had (requireRole), so a
// session in use moves to the new key at once.
func NewAdminSessionStore(hashKey, blockKey []byte, https bool, old ...[]byte) sessions.Store {
	st := sessions.NewCookieStore(append([][]byte{hashKey, blockKey}, old...)...)
	st.Options = &sessions.Options{Path: "/", MaxAge: int(accounts.AbsoluteTimeout.Seconds()), HttpOnly: true,
		Secure: https, SameSite: http.SameSiteStrictMode}
	return adminStore{st}
}

// adminStore is the back office's cookie store, which tells a cookie
// made under an old key pair.
type adminStore struct{ *sessions.CookieStore }

// underOldKey reports whether r's cookie name is read only with an old
// key pair (the first codec is the current pair's). Without old pairs it
// does not decode anything.
func (st adminStore) underOldKey(r *http.Request, name string) bool {
	if len(st.Codecs) < 2 {
		return false
	}
	ck, err := r.Cookie(name)
	if err != nil {
		return false
	}
	v := map[any]any{}
	return st.Codecs[0].Decode(name, ck.Value, &v) != nil
}

// adminCookie is the back office's cookie name: __Host- on https, which
// browsers accept only Secure, with Path=/ and no Domain.
func (s *Server) adminCookie() string {
	if s.opts.PublicURL.Scheme == "https" {
		return "__Host-hpp-admin"
	}
	return "hpp-admin"
}

// The back office's device cookie (accounts.TrustDevice), named and
// scoped as the session's cookie is (and as every cookie of the app):
// __Host- on https, which browsers accept only Secure, with Path=/ and no
// Domain, so no other host or path can plant or shadow it.
const (
	deviceCookieHTTPS = "__Host-hpp-device"
	deviceCookieHTTP  = "hpp-device"
)

func (s *Server) deviceCookie() string {
	if s.opts.PublicURL.Scheme == "https" {
		return deviceCookieHTTPS
	}
	return deviceCookieHTTP
}

// deviceTokens are the tokens the request's device cookie holds: one per
// account signed in on this browser, newest first, joined with dots (a
// token is base64url, which has none). Either name is read: a token
// counts only when the store knows it as a trusted device of the
// account signing in, whichever cookie carried it.
func deviceTokens(c *gin.Context) []string {
	ck, err := c.Request.Cookie(deviceCookieHTTPS)
	if err != nil {
		ck, err = c.Request.Cookie(deviceCookieHTTP)
	}
	if err != nil || ck.Value == "" {
		return nil
	}
	toks := strings.Split(ck.Value, ".")
	return toks[:min(len(toks), accounts.DeviceCookieTokens)]
}

// trustDevice gives the browser that has just opened session sid its
// device cookie for the account: the account's token first, then the
// other accounts' it held. A failure costs only the cookie (the browser
// counts as untrusted at its next sign-in), never the sign-in.
func (s *Server) trustDevice(c *gin.Context, sid string) {
	held := deviceTokens(c)
	tok, err := s.opts.Accounts.TrustDevice(c.Request.Context(), sid, held)
	if err != nil {
		s.log.Warn("admin device cookie", "request_id", requestID(c), "err", err)
		return
	}
	toks := []string{tok}
	for _, t := range held {
		if t != tok && len(toks) < accounts.DeviceCookieTokens {
			toks = append(toks, t)
		}
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: s.deviceCookie(), Value: strings.Join(toks, "."), Path: "/",
		MaxAge: int(accounts.DeviceTTL.Seconds()), HttpOnly: true, Secure: s.opts.PublicURL.Scheme == "https",
		SameSite: http.SameSiteStrictMode})
}

// openSession puts the session a sign-in just opened in the cookie and
// gives the browser its device cookie for the account.
func (s *Server) openSession(c *gin.Context, sid string) error {
	if err := s.setSessionID(c, sid); err != nil {
		return err
	}
	s.trustDevice(c, sid)
	return nil
}

// actor is who makes this request, for the audit log, with the device
// cookie's tokens the sign-in checks count against (never recorded).
func actor(c *gin.Context) accounts.Actor {
	a := accounts.Actor{Address: c.ClientIP(), Device: c.Request.UserAgent()}
	a.DeviceTokens = deviceTokens(c)
	if v, ok := c.Get(adminKey); ok {
		si := v.(*signedIn)
		a.AccountID, a.Email = si.account.ID, si.account.Email
	}
	return a
}

// sessionID is the session id the request's cookie carries, if any.
func (s *Server) sessionID(c *gin.Context) string {
	if _, err := c.Request.Cookie(s.adminCookie()); err != nil {
		return ""
	}
	sess, err := s.opts.AdminSessions.Get(c.Request, s.adminCookie())
	if err != nil {
		return ""
	}
	id, _ := sess.Values["sid"].(string)
	return id
}

// setSessionID puts id in the cookie; "" removes the cookie.
func (s *Server) setSessionID(c *gin.Context, id string) error {
	if id == "" {
		return s.saveSessionID(c, "", -1)
	}
	return s.saveSessionID(c, id, 0)
}

// saveSessionID puts id in the cookie for maxAge seconds (0: the store's,
// a session's absolute limit; below 0 or no id: the cookie is removed).
func (s *Server) saveSessionID(c *gin.Context, id string, maxAge int) error {
	sess, _ := s.opts.AdminSessions.New(c.Request, s.adminCookie())
	if sess == nil {
		return errors.New("handlers: admin session")
	}
	sess.Values = map[any]any{}
	if maxAge != 0 {
		sess.Options.MaxAge = maxAge
	}
	if id == "" || maxAge < 0 {
		sess.Options.MaxAge = -1
	} else {
		sess.Values["sid"] = id
	}
	return sess.Save(c.Request, c.Writer)
}

// endToldCookie is the back-office cookie's name with "-ended": which
// ended session the sign-in page has said ended (tellEnd). It holds a
// digest of the session id, never the id.
func (s *Server) endToldCookie() string { return s.adminCookie() + "-ended" }

// endMark is what endToldCookie holds for session id sid.
func endMark(sid string) string {
	sum := sha256.Sum256([]byte("hpp ended session\x00" + sid))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// endTold reports whether this browser was told already that session sid
// ended.
func (s *Server) endTold(c *gin.Context, sid string) bool {
	ck, err := c.Request.Cookie(s.endToldCookie())
	return err == nil && subtle.ConstantTimeCompare([]byte(ck.Value), []byte(endMark(sid))) == 1
}

// tellEnd notes in the browser that it was told session sid ended. A
// cookie of its own, never the session's: an answer about an ended
// session cannot replace or remove the cookie of a session opened
// meanwhile in another tab. It lives as long as a session's cookie.
func (s *Server) tellEnd(c *gin.Context, sid string) {
	http.SetCookie(c.Writer, &http.Cookie{Name: s.endToldCookie(), Value: endMark(sid), Path: "/",
		MaxAge: int(accounts.AbsoluteTimeout.Seconds()), HttpOnly: true, Secure: s.opts.PublicURL.Scheme == "https",
		SameSite: http.SameSiteStrictMode})
}

// BackgroundHeader marks a GET the page made by itself, not its person:
// static/js/admin.js sends it when a payment change makes it fetch the
// page's live parts again. Such a request does not count as activity
// for the session's idle limit (accounts.IdleTimeout); it can only make
// its own session end sooner.
const BackgroundHeader = "X-HPP-Background"

// sessionLimits is what the sign-in page says of a session's end: after
// accounts.IdleTimeout without a request of the person, and after
// accounts.AbsoluteTimeout however used.
var sessionLimits = views.SessionLimits{IdleMinutes: int(accounts.IdleTimeout / time.Minute), Hours: int(accounts.AbsoluteTimeout / time.Hour)}

// requireRole lets the request through only with a live session of an
// account holding one of roles. Without one, a page is sent to sign in
// (and back here afterwards) and anything else is refused with 401;
// with the wrong role it is 403, and nothing runs.
func (s *Server) requireRole(roles ...accounts.Role) gin.HandlerFunc {
	return s.checkRole(false, roles...)
}

// requireRoleQuietly is requireRole for a route a page's script asks by
// itself (SessionPath's GET): it never counts as the person's activity,
// and an ended session is refused with 401, never sent to sign in.
func (s *Server) requireRoleQuietly(roles ...accounts.Role) gin.HandlerFunc {
	return s.checkRole(true, roles...)
}

func (s *Server) checkRole(quiet bool, roles ...accounts.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		sid := s.sessionID(c)
		auth := s.opts.Accounts.Authenticate
		if quiet || c.Request.Method == http.MethodGet && c.GetHeader(BackgroundHeader) != "" {
			auth = s.opts.Accounts.AuthenticateQuietly // not the person: the idle clock stays
		}
		sess, a, err := auth(c.Request.Context(), sid)
		if errors.Is(err, accounts.ErrSessionEnded) {
			if c.Request.Method == http.MethodGet && !quiet && navigation(c) {
				q := url.Values{"next": {c.Request.URL.RequestURI()}}
				if sid != "" && !s.endTold(c, sid) {
					// The sign-in page says why, once: the end-told
					// cookie names the ended session, so a later visit
					// (another person's, on a shared computer) is not
					// told again. The session's own cookie stays: this
					// answer may reach the browser after a sign-in in
					// another tab, and removing the cookie then would
					// remove the new session's. An ended id is only
					// ever refused.
					s.leaveFlash(c, SignInPath, signInEnded, nil)
					s.tellEnd(c, sid)
				}
				c.Redirect(http.StatusSeeOther, SignInPath+"?"+q.Encode())
				c.Abort()
				return
			}
			// A page's own fetch, socket or image: 401, no flash. The page
			// that asked says the session ended itself (admin.js); a flash
			// left here would wait, unseen, for whoever opens the sign-in
			// page next.
			s.respondError(c, errSessionEnded)
			return
		}
		if err != nil {
			s.respondError(c, err)
			return
		}
		if st, ok := s.opts.AdminSessions.(adminStore); ok && st.underOldKey(c.Request, s.adminCookie()) {
			// Made under an old HPP_SESSION_KEY: the same session under
			// the new key, ending when the cookie would have.
			end := sess.CreatedAt.Add(accounts.AbsoluteTimeout).Sub(s.opts.Now())
			if err := s.saveSessionID(c, sid, max(1, int(end.Seconds()))); err != nil {
				s.log.Warn("admin session cookie under the new key", "request_id", requestID(c), "err", err)
			}
		}
		for _, r := range roles {
			if a.Role == r {
				c.Set(adminKey, &signedIn{session: sess, account: a, sid: sid})
				c.Next()
				return
			}
		}
		if a.Role == accounts.Cashier {
			s.respondError(c, errCashierForbidden)
			return
		}
		s.respondError(c, errForbidden)
	}
}

// navigation reports whether a GET is the person opening a page: not a
// page's own fetch (BackgroundHeader), a websocket's handshake, or what a
// browser fetches for a page (Sec-Fetch-Mode other than navigate: an
// image, a script's fetch). A client that sends neither header (curl, a
// test) counts as opening a page.
func navigation(c *gin.Context) bool {
	if c.GetHeader(BackgroundHeader) != "" || strings.EqualFold(c.GetHeader("Upgrade"), "websocket") {
		return false
	}
	mode := c.GetHeader("Sec-Fetch-Mode")
	return mode == "" || mode == "navigate"
}

// who is the signed-in account of a request that passed requireRole.
func who(c *gin.Context) *signedIn {
	v, _ := c.Get(adminKey)
	return v.(*signedIn)
}

// adminPage fills the back office's layout for a signed-in page.
func (s *Server) adminPage(c *gin.Context, titleID, current string) views.Admin {
	si := who(c)
	a := views.Admin{Page: s.page(s.localizer(c).T(titleID), false), Email: si.account.Email, Role: string(si.account.Role),
		SignOutURL: SignOutPath, Session: s.sessionWarning(c)}
	a.JS = s.adminJS // the warning before the session ends, on every signed-in page
	a.Nav = append(a.Nav, views.NavLink{URL: s.langPath(c, AdminPath), LabelID: "admin.home.title", Current: current == AdminPath})
	if si.account.Role.ReadsBooks() {
		a.Nav = append(a.Nav, views.NavLink{URL: s.langPath(c, PaymentsPath), LabelID: "admin.payments.title", Current: current == PaymentsPath})
		if s.opts.Reports != nil {
			a.Nav = append(a.Nav, views.NavLink{URL: s.langPath(c, ReportsPath), LabelID: "admin.reports.title", Current: current == ReportsPath})
		}
	}
	if si.account.Role == accounts.Owner {
		a.Nav = append(a.Nav, views.NavLink{URL: s.langPath(c, WebhooksPath), LabelID: "adminlist.webhooks.title", Current: current == WebhooksPath})
		if s.opts.Links != nil {
			a.Nav = append(a.Nav, views.NavLink{URL: s.langPath(c, LinksPath), LabelID: "links.admin.title", Current: current == LinksPath})
		}
		a.Nav = append(a.Nav, views.NavLink{URL: s.langPath(c, SettingsPath), LabelID: "settings.title", Current: current == SettingsPath})
		if s.opts.Counter != nil {
			a.Nav = append(a.Nav, views.NavLink{URL: s.langPath(c, AdminCounterPath), LabelID: "admin.counter.title", Current: current == AdminCounterPath})
		}
	}
	a.Nav = append(a.Nav, s.peopleNav(c, si.account.Role, current)...)
	return a
}

// safeNext is where to go after signing in: a back-office path only, so
// the form cannot be used to send someone elsewhere. Dot segments, plain
// or percent-encoded (browsers resolve %2e%2e as ..), are resolved first:
// /admin/../../evil is refused, /admin/x/../links is /admin/links.
func safeNext(next string) string {
	if !strings.HasPrefix(next, AdminPath) || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return AdminPath
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return AdminPath
	}
	clean := path.Clean(u.Path)
	if !strings.HasPrefix(clean+"/", AdminPath) {
		return AdminPath
	}
	if clean == strings.TrimSuffix(AdminPath, "/") || strings.HasSuffix(u.Path, "/") {
		clean += "/"
	}
	u.Path, u.RawPath = clean, ""
	return u.String()
}

// signInEnded is what the sign-in page says, once, to a browser whose
// session ended (a flash requireRole leaves, never read from the address).
const signInEnded = "admin.signin.ended"

// handleSignInShow serves GET /admin/signin.
func (s *Server) handleSignInShow() gin.HandlerFunc {
	return func(c *gin.Context) {
		v := views.SignIn{Page: s.page(s.localizer(c).T("admin.signin.title"), false), Action: s.langPath(c, SignInPath), Session: sessionLimits,
			Next: safeNext(c.Query("next"))}
		if s.flash(c, signInEnded) != "" {
			v.ErrorID = signInEnded
		}
		s.render(c, http.StatusOK, views.SignInPage(v))
	}
}

// handleSignIn serves POST /admin/signin: a new session id at every
// sign-in, so an id planted earlier is worth nothing.
func (s *Server) handleSignIn() gin.HandlerFunc {
	return func(c *gin.Context) {
		email, next := c.PostForm("email"), safeNext(c.PostForm("next"))
		_, sid, err := s.opts.Accounts.SignIn(c.Request.Context(), email, c.PostForm("password"), actor(c))
		if errors.Is(err, accounts.ErrCodeRequired) { // two-step: sid is the challenge
			if old := s.sessionID(c); old != "" { // the cookie is about to hold the challenge alone
				_ = s.opts.Accounts.SignOut(c.Request.Context(), old, actor(c))
			}
			if err = s.setChallenge(c, sid); err == nil {
				c.Redirect(http.StatusSeeOther, s.langPath(c, SignInCodePath+"?"+url.Values{"next": {next}}.Encode()))
				return
			}
		}
		if err == nil {
			if old := s.sessionID(c); old != "" {
				_ = s.opts.Accounts.SignOut(c.Request.Context(), old, actor(c))
			}
			if err = s.openSession(c, sid); err == nil {
				c.Redirect(http.StatusSeeOther, next)
				return
			}
		}
		v := views.SignIn{Page: s.page(s.localizer(c).T("admin.signin.title"), false), Action: s.langPath(c, SignInPath), Session: sessionLimits,
			Email: echo(email), Next: next}
		status := http.StatusUnauthorized
		switch {
		case errors.Is(err, accounts.ErrBadCredential):
			v.ErrorID = "admin.signin.bad"
		case errors.Is(err, accounts.ErrLocked):
			v.ErrorID, status = "admin.signin.locked", http.StatusTooManyRequests
		case errors.Is(err, accounts.ErrBusy):
			v.ErrorID, status = "admin.signin.busy", http.StatusServiceUnavailable
		default:
			s.respondError(c, err)
			return
		}
		v.Title = s.errorTitle(c, v.Title, v.ErrorID)
		s.render(c, status, views.SignInPage(v))
	}
}

// handleSignOut serves POST /admin/signout.
func (s *Server) handleSignOut() gin.HandlerFunc {
	return func(c *gin.Context) {
		if sid := s.sessionID(c); sid != "" {
			if err := s.opts.Accounts.SignOut(c.Request.Context(), sid, actor(c)); err != nil {
				s.respondError(c, err)
				return
			}
		}
		_ = s.setSessionID(c, "")
		c.Redirect(http.StatusSeeOther, s.langPath(c, SignInPath))
	}
}

// handleSetupShow serves GET /admin/setup?token=: the first run's form,
// or, for a link that cannot make the owner, why, before anyone fills in
// the form.
func (s *Server) handleSetupShow() gin.HandlerFunc {
	return func(c *gin.Context) {
		v := views.Setup{Page: s.page(s.localizer(c).T("admin.setup.title"), false), Action: s.langPath(c, SetupPath),
			Token: c.Query("token")}
		status := http.StatusOK
		if err := s.opts.Accounts.CheckSetup(c.Request.Context(), v.Token); err != nil {
			if status = s.setupRefused(c, &v, err); status == 0 {
				s.respondError(c, err)
				return
			}
		}
		s.render(c, status, views.SetupPage(v))
	}
}

// setupRefused fills v for a setup link that cannot make the owner and
// returns its status, or 0 when err is not such a refusal.
func (s *Server) setupRefused(c *gin.Context, v *views.Setup, err error) int {
	status := 0
	switch {
	case errors.Is(err, accounts.ErrOwnerExists):
		v.ErrorID, status, v.SignInURL = "admin.setup.done", http.StatusConflict, s.langPath(c, SignInPath)
	case errors.Is(err, accounts.ErrNotFound):
		v.ErrorID, status = "admin.setup.badtoken", http.StatusForbidden
	case errors.Is(err, accounts.ErrTokenExpired):
		v.ErrorID, status = "admin.setup.expired", http.StatusGone
	default:
		return 0
	}
	v.Dead, v.Title = true, s.errorTitle(c, v.Title, v.ErrorID)
	return status
}

// handleSetup serves POST /admin/setup: spends the token on the owner and
// signs them in.
func (s *Server) handleSetup() gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, email := c.Request.Context(), c.PostForm("email")
		a, err := s.opts.Accounts.CompleteSetup(ctx, c.PostForm("token"), email, "", c.PostForm("password"), actor(c))
		if err == nil {
			var sid string
			if _, sid, err = s.opts.Accounts.SignIn(ctx, a.Email, c.PostForm("password"), actor(c)); err == nil {
				if err = s.openSession(c, sid); err == nil {
					c.Redirect(http.StatusSeeOther, s.langPath(c, AdminPath))
					return
				}
			}
			s.respondError(c, err)
			return
		}
		v := views.Setup{Page: s.page(s.localizer(c).T("admin.setup.title"), false), Action: s.langPath(c, SetupPath),
			Token: echo(c.PostForm("token")), Email: echo(email)}
		if status := s.setupRefused(c, &v, err); status != 0 {
			s.render(c, status, views.SetupPage(v))
			return
		}
		var ie *accounts.InputError
		switch {
		case errors.As(err, &ie) && ie.Field == "email":
			v.ErrorID = "admin.setup.bademail"
		case errors.As(err, &ie):
			v.ErrorID = passwordErrorID(err)
		default:
			s.respondError(c, err)
			return
		}
		v.Title = s.errorTitle(c, v.Title, v.ErrorID)
		s.render(c, http.StatusBadRequest, views.SetupPage(v))
	}
}

// handleAdminHome serves GET /admin/.
func (s *Server) handleAdminHome() gin.HandlerFunc {
	return func(c *gin.Context) {
		v := views.AdminHome{Admin: s.adminPage(c, "admin.home.title", AdminPath)}
		if s.opts.Counter != nil && who(c).account.Role.Sells() {
			v.CounterURL = s.langPath(c, CounterPath)
		}
		if who(c).account.Role.ReadsBooks() {
			v.PaymentsURL = s.langPath(c, PaymentsPath)
			if s.opts.Reports != nil {
				f, err := s.homeFigures(c.Request.Context())
				if err != nil {
					s.respondError(c, err)
					return
				}
				if who(c).account.Role != accounts.Owner {
					// The delivery log is the owner's: no link to it.
					f.AttentionLinks = slices.DeleteFunc(f.AttentionLinks, func(l views.AttentionLink) bool {
						return l.Kind == payments.AttentionWebhook
					})
				}
				v.Figures, v.Admin = f, s.withFeed(v.Admin)
			}
		}
		s.render(c, http.StatusOK, views.AdminHomePage(v))
	}
}
