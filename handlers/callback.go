package handlers

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments"
)

// maxCallbackBody caps Latipay's notification body.
const maxCallbackBody = 16 << 10

// formType is the one media type a callback's body may have.
const formType = "application/x-www-form-urlencoded"

// readCallbackForm reads the body of r from body (r.Body capped) and parses it as
// a form, as Request.ParseForm would fill PostForm, but without what
// ParseForm adds for a callback: it copies every field into Request.Form
// as well (a new map and a slice per field, with the URL's query, which a
// callback never reads), and reads the body through a buffer grown from
// 512 bytes. The body is read into one buffer of its declared length.
func readCallbackForm(r *http.Request, body io.Reader) (url.Values, error) {
	n := 512
	if r.ContentLength > 0 && r.ContentLength < maxCallbackBody {
		n = int(r.ContentLength) + 1 // + 1: the end is read without growing
	}
	b := make([]byte, 0, n)
	for {
		k, err := body.Read(b[len(b):cap(b)])
		b = b[:len(b)+k]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
	return url.ParseQuery(string(b))
}

// handleNotificationReceive serves POST /latipay/callback. It answers 200
// "sent" only after the effect is committed; a message that is not
// Latipay's gets a 400 and never "sent"; a commit failure gets a 503 so
// Latipay retries.
func (s *Server) handleNotificationReceive(svc interface {
	HandleNotification(ctx context.Context, form url.Values) error
}) gin.HandlerFunc {
	return func(c *gin.Context) {
		if ct := c.Request.Header.Get("Content-Type"); ct != formType { // Latipay's, as sent: no parameters
			if mt, _, _ := mime.ParseMediaType(ct); mt != formType {
				c.String(http.StatusUnsupportedMediaType, "form body expected")
				return
			}
		}
		form, err := readCallbackForm(c.Request, http.MaxBytesReader(c.Writer, c.Request.Body, maxCallbackBody))
		if err != nil {
			c.String(http.StatusBadRequest, "malformed body")
			return
		}
		err = svc.HandleNotification(c.Request.Context(), form)
		switch {
		case err == nil:
			// Not flushed here: net/http then sends the answer whole, with
			// its length, in one write once the handler returns (the
			// access log's line is written first). A flush would send the
			// header and a chunk now and the closing chunk in a second
			// write: a system call and a TCP segment more per callback
			// (in a perf profile of e2e/load's callback row, the two
			// writes took 13% of the app's samples, the one write 9%).
			c.Header("Content-Type", "text/plain; charset=utf-8")
			c.String(http.StatusOK, "sent")
		case errors.Is(err, payments.ErrBadSignature):
			if !s.allowBadCallback(c) {
				return // 429: rejections from this address are limited, and so is their logging
			}
			s.log.Warn("callback with a bad signature", "request_id", requestID(c), "client", c.ClientIP())
			c.String(http.StatusUnauthorized, "bad signature")
		case errors.Is(err, payments.ErrMalformed):
			c.String(http.StatusBadRequest, "malformed notification")
		default:
			s.log.Error("callback not committed", "request_id", requestID(c), "err", err)
			c.String(http.StatusServiceUnavailable, "retry later")
		}
	}
}
