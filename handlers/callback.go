package handlers

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments"
)

// maxCallbackBody caps Latipay's notification body.
const maxCallbackBody = 16 << 10

// handleNotificationReceive serves POST /latipay/callback. It answers 200
// "sent" only after the effect is committed; a message that is not
// Latipay's gets a 400 and never "sent"; a commit failure gets a 503 so
// Latipay retries.
func (s *Server) handleNotificationReceive(svc interface {
	HandleNotification(ctx context.Context, form url.Values) error
}) gin.HandlerFunc {
	return func(c *gin.Context) {
		mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
		if mt != "application/x-www-form-urlencoded" {
			c.String(http.StatusUnsupportedMediaType, "form body expected")
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxCallbackBody)
		if err := c.Request.ParseForm(); err != nil {
			c.String(http.StatusBadRequest, "malformed body")
			return
		}
		err := svc.HandleNotification(c.Request.Context(), c.Request.PostForm)
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
