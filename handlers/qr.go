package handlers

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"net/http"

	"github.com/gin-gonic/gin"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/latipay-hpp/hpp/payments"
)

// qrMaxSize caps the QR image's width and height in CSS pixels: it fits a
// 390 px phone's card with room to spare.
const qrMaxSize = 264

// qrQuietZone is the standard margin, in modules, around the code
// (ISO/IEC 18004 asks for 4); go-qrcode's bitmap includes it.
const qrQuietZone = 4

// qrGeometry is how a QR of text is drawn: modules across, quiet zone
// included, and whole pixels per module. The page shows the image at
// exactly modules*scale CSS pixels, so no browser rescales it.
func qrGeometry(text string) (modules, scale int, err error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return 0, 0, err
	}
	n := len(q.Bitmap())
	return n, max(1, qrMaxSize/n), nil
}

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
		png, err := qrPNG(a.QRCodeURL)
		if err != nil {
			s.respondError(c, err)
			return
		}
		c.Data(http.StatusOK, "image/png", png)
	}
}

// qrPNG draws text as a two-colour PNG, dark on light, each module a
// whole number of pixels (qrGeometry), the standard quiet zone and no
// other padding: the image is exactly the size the page shows. go-qrcode's own PNG
// method draws pixel by pixel through image.Set and compresses with
// png.BestCompression, which made the image cost 4 ms (BenchmarkQRShow);
// filling a paletted image's rows and png.BestSpeed cost a fraction.
func qrPNG(text string) ([]byte, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return nil, err
	}
	bm := q.Bitmap() // modules, quiet zone included; true is dark
	n := len(bm)
	scale := max(1, qrMaxSize/n)
	size, off := n*scale, 0
	img := image.NewPaletted(image.Rect(0, 0, size, size), color.Palette{color.White, color.Black})
	for y, row := range bm {
		line := img.Pix[(off+y*scale)*img.Stride:]
		for x, dark := range row {
			if dark {
				for i := range scale {
					line[off+x*scale+i] = 1
				}
			}
		}
		for i := 1; i < scale; i++ { // repeat the pixel row scale times
			copy(img.Pix[(off+y*scale+i)*img.Stride:][:size], line[:size])
		}
	}
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
