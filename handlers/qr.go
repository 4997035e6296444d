package handlers

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/latipay-hpp/hpp/payments"
)

// qrBox is the widest the QR is shown, in CSS pixels: the content width
// of the card on a 390 px phone (390 less 16 px of padding each side).
// The page's script fits the code to its actual box, never wider than
// this; on a desktop the QR keeps this size beside the order.
const qrBox = 358

// qrMaxPixels caps the drawn image's side in device pixels, whatever
// scale a request asks for: 3x a qrBox is 1074.
const qrMaxPixels = 1200

// qrQuietZone is the standard margin, in modules, around the code
// (ISO/IEC 18004 asks for 4); go-qrcode's bitmap includes it.
const qrQuietZone = 4

// qrGeometry is how a QR of text is drawn by default: modules across,
// quiet zone included, and the largest whole number of CSS pixels per
// module that fits qrBox. The page shows the image at exactly
// modules*scale CSS pixels (with 2x and 3x drawings in srcset), so no
// browser rescales it; the script then refits it to the box it really
// has in device pixels (qr.png?scale=).
func qrGeometry(text string) (modules, scale int, err error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return 0, 0, err
	}
	n := len(q.Bitmap())
	return n, max(1, qrBox/n), nil
}

// qrScale is the pixels per module a qr.png request asks for (scale=,
// a whole number; the default scale when absent), capped so the image
// stays within qrMaxPixels.
func qrScale(raw string, modules, def int) (int, error) {
	if raw == "" {
		return def, nil
	}
	top := max(1, qrMaxPixels/modules)
	k, err := strconv.Atoi(raw)
	if err != nil || k < 1 || k > top {
		return 0, fmt.Errorf("scale must be a whole number of pixels per module from 1 to %d", top)
	}
	return k, nil
}

// handleQRShow serves GET /checkout/:id/qr.png[?scale=k]: the current
// attempt's wallet QR, drawn here from Latipay's qr_code_url (a weixin://
// or qr.alipay.com link, never one of our own URLs), k pixels per module
// (qrGeometry's scale by default). Dark on light always.
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
		n, def, err := qrGeometry(a.QRCodeURL)
		if err != nil {
			s.respondError(c, err)
			return
		}
		scale, err := qrScale(c.Query("scale"), n, def)
		if err != nil {
			c.String(http.StatusBadRequest, err.Error())
			return
		}
		png, err := qrPNG(a.QRCodeURL, scale)
		if err != nil {
			s.respondError(c, err)
			return
		}
		c.Data(http.StatusOK, "image/png", png)
	}
}

// qrPNG draws text as a two-colour PNG, dark on light, each module scale
// pixels, the standard quiet zone and no
// other padding: the image is exactly the size the page shows. go-qrcode's own PNG
// method draws pixel by pixel through image.Set and compresses with
// png.BestCompression, which made the image cost 4 ms (BenchmarkQRShow);
// filling a paletted image's rows and png.BestSpeed cost a fraction.
func qrPNG(text string, scale int) ([]byte, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return nil, err
	}
	bm := q.Bitmap() // modules, quiet zone included; true is dark
	n := len(bm)
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
