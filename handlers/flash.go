package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
)

// A confirmation ("The refund was made.") shows only after its action
// really happened, and an error ("The password is not right.") only
// after its action was really refused: the POST handler leaves a
// one-time flash, a cookie sealed with HPP_SESSION_KEY (signed and
// encrypted, as the back office's own cookie is, so another instance
// reads it too) naming the page and the message, then redirects there
// (post/redirect/get). That page's next GET shows the message and
// removes the cookie. A link carries no message: nobody can send an
// owner a page that says a payment was canceled or refunded when it was
// not, or that their password was refused or their account locked.

// flashMaxAge is how long a flash waits for its page, in seconds: the
// redirect that follows the POST comes at once.
const flashMaxAge = 60

// flashCookie is the flash's cookie name: __Host- on https, as the back
// office's own cookie.
func (s *Server) flashCookie() string { return s.adminCookie() + "-flash" }

// redirectDone answers a POST whose action happened: the page at target
// (a path, perhaps with a query) shows noticeID once.
func (s *Server) redirectDone(c *gin.Context, target, noticeID string) {
	s.redirectFlash(c, target, "notice", noticeID, nil)
}

// redirectDoneWith is redirectDone with the facts of the outcome the
// page shows with its message (flashWith), as strings by name.
func (s *Server) redirectDoneWith(c *gin.Context, target, noticeID string, facts map[string]string) {
	s.redirectFlash(c, target, "notice", noticeID, facts)
}

// redirectRefused answers a POST that was refused with the page at target
// showing errorID once (flashError), as redirectDone does a
// confirmation: an error is not read from the URL either, so no link can
// make a page say that a password was wrong or an account locked.
func (s *Server) redirectRefused(c *gin.Context, target, errorID string) {
	s.redirectFlash(c, target, "error", errorID, nil)
}

// redirectFlash redirects to target, leaving id as the flash of its kind
// ("notice" or "error") for that page, with facts.
func (s *Server) redirectFlash(c *gin.Context, target, kind, id string, facts map[string]string) {
	path := target
	if u, err := url.Parse(target); err == nil {
		path = u.Path
	}
	s.leaveFlashKind(c, path, kind, id, facts)
	c.Redirect(http.StatusSeeOther, s.langPath(c, target))
}

// leaveFlash sets the confirmation flash for the next GET of path.
func (s *Server) leaveFlash(c *gin.Context, path, noticeID string, facts map[string]string) {
	s.leaveFlashKind(c, path, "notice", noticeID, facts)
}

// leaveFlashKind sets the flash of kind for the next GET of path.
func (s *Server) leaveFlashKind(c *gin.Context, path, kind, id string, facts map[string]string) {
	if sess, _ := s.opts.AdminSessions.New(c.Request, s.flashCookie()); sess != nil && id != "" {
		sess.Values = map[any]any{"path": path, kind: id}
		for k, v := range facts {
			sess.Values[flashFact+k] = v
		}
		sess.Options.MaxAge = flashMaxAge
		if err := sess.Save(c.Request, c.Writer); err != nil {
			s.log.Warn("flash cookie", "request_id", requestID(c), "err", err)
		}
	}
}

// flash is the confirmation a POST left for this page (redirectDone), one
// of allowed, or "". Once shown it is removed, so a reload does not say it
// again. A fetch the page makes by itself (BackgroundHeader) neither
// shows nor removes it.
func (s *Server) flash(c *gin.Context, allowed ...string) string {
	notice, _ := s.flashWith(c, allowed...)
	return notice
}

// flashError is the error a refused POST left for this page
// (redirectRefused), one of allowed, or "", shown once as flash is.
func (s *Server) flashError(c *gin.Context, allowed ...string) string {
	id, _ := s.takeFlash(c, "error", allowed...)
	return id
}

// flashFact prefixes the names of an outcome's facts in the flash.
const flashFact = "fact:"

// flashWith is flash with the facts redirectDoneWith left beside the
// message (nil without them).
func (s *Server) flashWith(c *gin.Context, allowed ...string) (string, map[string]string) {
	return s.takeFlash(c, "notice", allowed...)
}

// takeFlash reads and removes the flash of kind for this page, with its
// facts.
func (s *Server) takeFlash(c *gin.Context, kind string, allowed ...string) (string, map[string]string) {
	if c.GetHeader(BackgroundHeader) != "" {
		return "", nil
	}
	if _, err := c.Request.Cookie(s.flashCookie()); err != nil {
		return "", nil
	}
	sess, err := s.opts.AdminSessions.New(c.Request, s.flashCookie())
	if err != nil || sess == nil {
		return "", nil
	}
	path, _ := sess.Values["path"].(string)
	id, _ := sess.Values[kind].(string)
	if path != c.Request.URL.Path || !slices.Contains(allowed, id) {
		return "", nil
	}
	var facts map[string]string
	for k, v := range sess.Values {
		name, _ := k.(string)
		value, ok := v.(string)
		if after, found := strings.CutPrefix(name, flashFact); found && ok {
			if facts == nil {
				facts = map[string]string{}
			}
			facts[after] = value
		}
	}
	sess.Values = map[any]any{}
	sess.Options.MaxAge = -1
	if err := sess.Save(c.Request, c.Writer); err != nil {
		s.log.Warn("flash cookie", "request_id", requestID(c), "err", err)
	}
	return id, facts
}
