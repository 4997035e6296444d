package latipaysim

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"net/http"
	"sync"

	"rsc.io/qr"
)

// gatewayData is the data object of the merchant-hosted QR answer.
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

// params returns the fields of d as signed by the QR-data signature: every field but the
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
// nonce answers once (single use): an unknown nonce is 207 "nonce is
// invalid", a second GET is 207 "nonce already used".
func (s *Simulator) handleGatewayData(w http.ResponseWriter, r *http.Request) {
	nonce := r.PathValue("nonce")
	var used bool
	var snap Transaction
	var cents int64
	var qrURL string
	t, err := s.load(r.Context(), byNonce, nonce)
	if err == nil && t != nil {
		t, err = s.change(r.Context(), t.MerchantReference, func(t *txn) (bool, error) {
			used, t.dataUsed = t.dataUsed, true
			return !used, nil
		})
	}
	if err != nil {
		s.ledgerFailed(w, err)
		return
	}
	ok := t != nil
	if ok {
		snap, cents, qrURL = t.snapshot(), t.cents, t.qrURL
	}
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
	png, err := qrPNG(qrURL, 200, &s.zlibs)
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

// qrPNG draws text as a size-pixel black-and-white PNG QR code (1-bit
// greyscale) with a four-module quiet zone, modules scaled by a whole
// number of pixels and centred. The symbol comes from rsc.io/qr, not the
// go-qrcode our own checkout draws with: go-qrcode lays the symbol out
// under all eight masks to pick the best-scanning one (about 420 µs a
// code), rsc.io/qr uses mask 0, which every reader decodes (about 16 µs).
// This PNG stands in for the one Latipay's servers draw; under the load
// harness the simulator runs on the same two cores as the app, where
// go-qrcode's layout was over half of its CPU per checkout start. Rows are
// packed directly and deflated at BestSpeed with a pooled compressor.
func qrPNG(text string, size int, zws *sync.Pool) ([]byte, error) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return nil, err
	}
	const quiet = 4
	n := code.Size + 2*quiet
	dark := func(x, y int) bool { return code.Black(x-quiet, y-quiet) } // false outside the symbol
	scale := max(1, size/n)
	size = max(size, n*scale)
	off := (size - n*scale) / 2
	stride := 1 + (size+7)/8 // filter byte (0: none), then 8 pixels a byte; 1 is white
	raw := make([]byte, size*stride)
	for y := range size {
		row := raw[y*stride : (y+1)*stride]
		for i := 1; i < len(row); i++ {
			row[i] = 0xff
		}
	}
	for y := range n {
		first := (off + y*scale) * stride
		line := raw[first+1 : first+stride]
		for x := range n {
			if dark(x, y) {
				for i := range scale {
					px := off + x*scale + i
					line[px>>3] &^= 0x80 >> (px & 7)
				}
			}
		}
		for i := 1; i < scale; i++ { // repeat the pixel row scale times
			copy(raw[first+i*stride:][:stride], raw[first:][:stride])
		}
	}
	var idat bytes.Buffer
	idat.Grow(1 << 10)
	zw, _ := zws.Get().(*zlib.Writer)
	if zw == nil {
		if zw, err = zlib.NewWriterLevel(&idat, zlib.BestSpeed); err != nil {
			return nil, err
		}
	} else {
		zw.Reset(&idat)
	}
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	zws.Put(zw)
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(size))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(size))
	ihdr[8] = 1 // bit depth; colour type 0 (greyscale), deflate, no filter, no interlace
	var b bytes.Buffer
	b.Grow(idat.Len() + 64)
	b.WriteString("\x89PNG\r\n\x1a\n")
	pngChunk(&b, "IHDR", ihdr[:])
	pngChunk(&b, "IDAT", idat.Bytes())
	pngChunk(&b, "IEND", nil)
	return b.Bytes(), nil
}

// pngChunk appends one PNG chunk: length, type, data, CRC of type and data.
func pngChunk(b *bytes.Buffer, typ string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	b.Write(n[:])
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	b.WriteString(typ)
	b.Write(data)
	binary.BigEndian.PutUint32(n[:], crc.Sum32())
	b.Write(n[:])
}
