package handlers

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/latipay-hpp/hpp/payments"
)

// qrSize is the QR image's width and height in pixels.
const qrSize = 256

// handleQRShow serves GET /checkout/:id/qr.png: the current attempt's
// wallet QR, drawn here from Latipay's qr_code_url (a weixin:// or
// qr.alipay.com link, never one of our own URLs). Dark on light always.
func (s *Server) handleQRShow(svc interface {
	Get(ctx context.Context, id string) (payments.Payment, error)
	CurrentQR(ctx context.Context, p payments.Payment) (payments.Attempt, bool)
}) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, err := svc.Get(c.Request.Context(), c.Param("id"))
		if err != nil {
			c.Status(http.StatusNotFound)
			return
		}
		a, ok := svc.CurrentQR(c.Request.Context(), p)
		if !ok {
			c.Status(http.StatusNotFound)
			return
		}
		png, err := qrcode.Encode(a.QRCodeURL, qrcode.Medium, qrSize)
		if err != nil {
			s.respondError(c, err)
			return
		}
		c.Data(http.StatusOK, "image/png", png)
	}
}
