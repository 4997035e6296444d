package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/sessions"
)

// sessionName is the cookie of the optional shopper convenience session.
// The shopper's flow never depends on it: inside a merchant's iframe with
// third-party cookies blocked it simply is not there. The __Host- prefix
// needs Secure, so plain-http development uses a plain name.
func (s *Server) sessionName() string {
	if s.opts.PublicURL.Scheme == "https" {
		return "__Host-hpp"
	}
	return "hpp"
}

// NewSessionStore builds the cookie store for the convenience session:
// signed and encrypted, Secure on https, SameSite=None and Partitioned so
// that where a browser keeps it inside an iframe, it keeps it per site.
// old are earlier (hash, block) key pairs while HPP_SESSION_KEY is
// rotated: a cookie they made is still read, and saved again under the
// first pair.
func NewSessionStore(hashKey, blockKey []byte, https bool, old ...[]byte) sessions.Store {
	st := sessions.NewCookieStore(append([][]byte{hashKey, blockKey}, old...)...)
	st.Options = &sessions.Options{Path: "/", MaxAge: 1800, HttpOnly: true, Secure: https,
		SameSite: http.SameSiteLaxMode}
	if https {
		st.Options.SameSite = http.SameSiteNoneMode
		st.Options.Partitioned = true
	}
	return st
}

// sessionLang returns the language the shopper chose earlier, if any.
func (s *Server) sessionLang(c *gin.Context) string {
	if _, err := c.Request.Cookie(s.sessionName()); err != nil {
		return "" // no session: skip the store's registry and decoding
	}
	sess, err := s.sessions.Get(c.Request, s.sessionName())
	if err != nil {
		return ""
	}
	v, _ := sess.Values["lang"].(string)
	return v
}

// setSessionLang remembers the shopper's language choice.
func (s *Server) setSessionLang(c *gin.Context, lang string) {
	sess, err := s.sessions.Get(c.Request, s.sessionName())
	if err != nil && sess == nil {
		return
	}
	sess.Values["lang"] = lang
	if err := sess.Save(c.Request, c.Writer); err != nil {
		s.log.Warn("session save", "request_id", requestID(c), "err", err)
	}
}
