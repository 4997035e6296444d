package latipaysim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"sync"

	qrcode "github.com/skip2/go-qrcode"
)

// gatewayData is the data object of the merchant-hosted QR answer (§5.2).
// Amounts are json.Number so they are written with their 2 dp literal text.
type gatewayData struct {
	OrderID           string      `json:"order_id"`
	Nonce             string      `json:"nonce"`
	PaymentMethod     string      `json:"payment_method"`
	Amount            json.Number `json:"amount"`
	AmountCNY         json.Number `json:"amount_cny"`
	Currency          string      `json:"currency"`
	ProductName       string      `json:"product_name"`
	UserID            string      `json:"user_id"`
	WalletID          string      `json:"wallet_id"`
	QRCode            string      `json:"qr_code"`
	QRCodeURL         string      `json:"qr_code_url"`
	CurrencyRate      string      `json:"currency_rate"`
	MerchantReference string      `json:"merchant_reference"`
	Signature         string      `json:"signature"`
}

// params returns the fields of d as signed by §3.6: every field but the
// signature, numbers as their literal text.
func (d gatewayData) params() map[string]string {
	return map[string]string{
		"order_id": d.OrderID, "nonce": d.Nonce, "payment_method": d.PaymentMethod,
		"amount": string(d.Amount), "amount_cny": string(d.AmountCNY), "currency": d.Currency,
		"product_name": d.ProductName, "user_id": d.UserID, "wallet_id": d.WalletID,
		"qr_code": d.QRCode, "qr_code_url": d.QRCodeURL, "currency_rate": d.CurrencyRate,
		"merchant_reference": d.MerchantReference,
	}
}

// gatewayResponse is the body of a successful GET gatewaydata.
type gatewayResponse struct {
	Code    int         `json:"code"`
	Message string      `json:"message"`
	Data    gatewayData `json:"data"`
}

// handleGatewayData serves GET /v2/merchanthosted/gatewaydata/{nonce}. A
// nonce answers once (§4.3: single use): an unknown nonce is 207 "nonce is
// invalid", a second GET is 207 "nonce already used".
func (s *Simulator) handleGatewayData(w http.ResponseWriter, r *http.Request) {
	nonce := r.PathValue("nonce")
	s.mu.Lock()
	t, ok := s.st.byNonce[nonce]
	var used bool
	var snap Transaction
	var cents int64
	var qrURL string
	if ok {
		used, t.dataUsed = t.dataUsed, true
		snap, cents, qrURL = t.snapshot(), t.cents, t.qrURL
	}
	s.mu.Unlock()
	switch {
	case !ok:
		writeCode(w, 207, "nonce is invalid")
		return
	case used:
		writeCode(w, 207, "nonce already used")
		return
	case qrURL == "":
		writeCode(w, 303, "")
		return
	}
	png, err := qrPNG(qrURL, 200, &s.pngs)
	if err != nil {
		writeCode(w, 1, "")
		return
	}
	d := gatewayData{
		OrderID: snap.OrderID, Nonce: nonce, PaymentMethod: snap.PaymentMethod,
		Amount: json.Number(snap.Amount), AmountCNY: json.Number(s.amountCNY(cents, snap.Currency)),
		Currency: snap.Currency, ProductName: snap.ProductName, UserID: snap.UserID,
		WalletID: snap.WalletID, QRCode: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png),
		QRCodeURL: qrURL, CurrencyRate: s.cnyRate(snap.Currency), MerchantReference: snap.MerchantReference,
	}
	d.Signature = signSorted(s.responseKey(s.merchants[snap.UserID]), d.params())
	writeJSON(w, http.StatusOK, gatewayResponse{Message: "SUCCESS", Data: d})
}

// qrPNG draws text as a size-pixel two-colour PNG QR code, modules scaled
// by a whole number of pixels and centred. go-qrcode's own Encode draws
// pixel by pixel through image.Set and compresses with BestCompression:
// about 1 ms and 1 MB per answer, which made the simulator, standing in
// for Latipay on the same cores, the largest cost of a checkout start
// under the load harness. Filling a paletted image's rows and encoding at
// png.BestSpeed, with the encoder's compressor reused through bufs
// (allocating one is most of an encode), gives the same picture for a
// fraction of that.
func qrPNG(text string, size int, bufs png.EncoderBufferPool) ([]byte, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return nil, err
	}
	bm := q.Bitmap() // modules, quiet zone included; true is dark
	n := len(bm)
	scale := max(1, size/n)
	size = max(size, n*scale)
	off := (size - n*scale) / 2
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
	b.Grow(4 << 10)
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: bufs}).Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// pngBuffers is a png.EncoderBufferPool; the zero value is ready.
type pngBuffers struct{ p sync.Pool }

// Get returns a pooled encoder buffer, or nil for a new one.
func (b *pngBuffers) Get() *png.EncoderBuffer {
	v, _ := b.p.Get().(*png.EncoderBuffer)
	return v
}

// Put returns an encoder buffer to the pool.
func (b *pngBuffers) Put(e *png.EncoderBuffer) { b.p.Put(e) }
