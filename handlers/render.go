package handlers

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/a-h/templ"
	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/views"
)

// render writes a templ component as an HTML response with the request's
// context, the CSP nonce of pageHeaders and the shopper's language.
//
// The page is rendered into a buffer and sent with a Content-Length in
// one write. Rendered straight into the response, templ flushes it (an
// http.Flusher) when the page ends, so every page went out chunked in two
// socket writes, one for the page and one for the last chunk: 13% of the
// app's CPU in a perf profile of the load harness's render scenario.
func (s *Server) render(c *gin.Context, status int, comp templ.Component) {
	s.rememberLang(c)
	s.htmlHead(c)
	buf := s.getPageBuf()
	defer s.putPageBuf(buf)
	if err := comp.Render(s.pageContext(c, state(c).nonce), buf); err != nil {
		s.log.Error("render", "request_id", requestID(c), "err", err)
	}
	c.Writer.Header()["Content-Length"] = []string{strconv.Itoa(buf.Len())}
	c.Status(status)
	_, _ = c.Writer.Write(buf.Bytes())
}

// htmlHead sets a page's content headers: type, Vary and language, and
// its Date (dateHeader).
func (s *Server) htmlHead(c *gin.Context) {
	h := c.Writer.Header()
	s.htmlHeaders.apply(h)
	h["Date"] = dateHeader(time.Now())
	lang := s.chooseLang(c)
	if v, ok := s.langValues[lang]; ok {
		h["Content-Language"] = v
	} else {
		h["Content-Language"] = []string{lang}
	}
}

// pageContext is the context a page renders with: the request's, with
// the CSP nonce (none when ""), the shopper's localizer and the language
// switch's links.
func (s *Server) pageContext(c *gin.Context, nonce string) context.Context {
	ctx := c.Request.Context()
	if nonce != "" {
		ctx = templ.WithNonce(ctx, nonce)
	}
	ctx = views.WithLocalizer(ctx, s.localizer(c))
	return views.WithLangLinks(ctx, s.langLinks(c))
}

// getPageBuf takes a page-sized buffer from the pool; putPageBuf gives it
// back.
func (s *Server) getPageBuf() *bytes.Buffer {
	if buf, _ := s.pageBufs.Get().(*bytes.Buffer); buf != nil {
		return buf
	}
	return bytes.NewBuffer(make([]byte, 0, 8<<10))
}

func (s *Server) putPageBuf(buf *bytes.Buffer) {
	if buf.Cap() <= 64<<10 { // keep the pool's buffers page-sized
		buf.Reset()
		s.pageBufs.Put(buf)
	}
}

// localizer is the shopper's language (see chooseLang).
func (s *Server) localizer(c *gin.Context) views.Localizer {
	return s.i18n.Localizer(s.chooseLang(c))
}

// page fills the layout's view model.
func (s *Server) page(title string, withScript bool) views.Page {
	p := views.Page{Title: title, MerchantName: s.opts.MerchantName, Sandbox: s.opts.Sandbox != nil,
		CSS: s.cssPath, Favicon: s.faviconPath}
	if withScript {
		p.JS = s.jsPath
	}
	if len(s.opts.Logo) > 0 {
		p.LogoURL = LogoPath
	}
	if s.theme != "" {
		p.ThemeCSS = ThemePath + "?v=" + s.themeVersion
	}
	return p
}

// errorTitle is a page's title when a form comes back refused: the error
// first ("Error: … – Sign in"), the first thing a screen reader says of the
// reloaded page. Without an error it is title.
func (s *Server) errorTitle(c *gin.Context, title, errorID string, args ...any) string {
	if errorID == "" {
		return title
	}
	l := s.localizer(c)
	return l.T("form.error.title", l.T(errorID, args...), title)
}

// echo is text a person typed, made safe to show back in a form: invalid
// UTF-8 and control characters (a NUL, an escape, a line break in a
// one-line field) are dropped. Templ escapes markup; these it would keep.
func echo(s string) string {
	s = strings.ToValidUTF8(s, "")
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
}

// lastDate is the Date header of the second now passing, formatted once.
var lastDate atomic.Pointer[dateValue]

type dateValue struct {
	unix  int64
	value []string // shared: never written into
}

// dateHeader is the Date header for now, the second it is in: net/http
// formats one for every response that has none (time.AppendFormat, 1.7%
// of the app's CPU a checkout page in a profile of the load harness);
// this formats it once a second. The value is what net/http would have
// written.
func dateHeader(now time.Time) []string {
	sec := now.Unix()
	if d := lastDate.Load(); d != nil && d.unix == sec {
		return d.value
	}
	d := &dateValue{unix: sec, value: []string{now.UTC().Format(http.TimeFormat)}}
	lastDate.Store(d)
	return d.value
}
