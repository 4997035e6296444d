package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
)

// A confirmation ("The refund was made.") shows only after its action
// really happened: the POST handler that did it leaves a one-time flash,
// a cookie sealed with HPP_SESSION_KEY (signed and encrypted, as the back
// office's own cookie is, so another instance reads it too) naming the
// page and the message, then redirects there (post/redirect/get). That
// page's next GET shows the message and removes the cookie. A link
// carries no message: nobody can send an owner a page that says a
// payment was canceled or refunded when it was not.

// flashMaxAge is how long a flash waits for its page, in seconds: the
// redirect that follows the POST comes at once.
const flashMaxAge = 60

// flashCookie is the flash's cookie name: __Host- on https, as the back
// office's own cookie.
func (s *Server) flashCookie() string { return s.adminCookie() + "-flash" }

// redirectDone answers a POST whose action happened: the page at target
// (a path, perhaps with a query) shows noticeID once.
func (s *Server) redirectDone(c *gin.Context, target, noticeID string) {
	s.redirectDoneWith(c, target, noticeID, nil)
}

// redirectDoneWith is redirectDone with the facts of the outcome the
// page shows with its message (flashWith), as strings by name.
func (s *Server) redirectDoneWith(c *gin.Context, target, noticeID string, facts map[string]string) {
	path := target
	if u, err := url.Parse(target); err == nil {
		path = u.Path
	}
	s.leaveFlash(c, path, noticeID, facts)
	c.Redirect(http.StatusSeeOther, s.langPath(c, target))
}

// leaveFlash sets the flash for the next GET of path.
func (s *Server) leaveFlash(c *gin.Context, path, noticeID string, facts map[string]string) {
	if sess, _ := s.opts.AdminSessions.New(c.Request, s.flashCookie()); sess != nil && noticeID != "" {
		sess.Values = map[any]any{"path": path, "notice": noticeID}
		for k, v := range facts {
			sess.Values[flashFact+k] = v
		}
		sess.Options.MaxAge = flashMaxAge
		if err := sess.Save(c.Request, c.Writer); err != nil {
			s.log.Warn("flash cookie", "request_id", requestID(c), "err", err)
		}
	}
}

// flash is the message a POST left for this page (redirectDone), one of
// allowed, or "". Once shown it is removed, so a reload does not say it
// again. A fetch the page makes by itself (BackgroundHeader) neither
// shows nor removes it.
func (s *Server) flash(c *gin.Context, allowed ...string) string {
	notice, _ := s.flashWith(c, allowed...)
	return notice
}

// flashFact prefixes the names of an outcome's facts in the flash.
const flashFact = "fact:"

// flashWith is flash with the facts redirectDoneWith left beside the
// message (nil without them).
func (s *Server) flashWith(c *gin.Context, allowed ...string) (string, map[string]string) {
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
	notice, _ := sess.Values["notice"].(string)
	if path != c.Request.URL.Path || !slices.Contains(allowed, notice) {
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
	return notice, facts
}
