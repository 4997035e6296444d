package handlers

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments"
)

// maxAPIBody caps merchant API request bodies; a larger one is read and
// dropped up to maxAPIDrain, so its client can read the 400 (decodeAPIBody).
const (
	maxAPIBody  = 64 << 10
	maxAPIDrain = 4 << 20
)

// requireAPIKey checks "Authorization: Bearer <key>" in constant time,
// against the current key and, while HPP_API_KEY is rotated, the earlier
// ones (each compared, whichever matches). The scheme's name is
// case-insensitive (RFC 9110 section 11.1), so "bearer" and "BEARER" are
// as good as "Bearer". A request refused 401 has its body drained first
// (drainUnread, bounded as for a body too large), so a client that writes
// a large body before reading reads the 401 rather than a reset
// connection.
func (s *Server) requireAPIKey() gin.HandlerFunc {
	var wants [][sha256.Size]byte
	for _, k := range append([]string{s.opts.APIKey}, s.opts.OldAPIKeys...) {
		if k != "" {
			wants = append(wants, sha256.Sum256([]byte(k)))
		}
	}
	return func(c *gin.Context) {
		key, ok := bearerKey(c.GetHeader("Authorization"))
		got := sha256.Sum256([]byte(key))
		match := 0
		for _, want := range wants {
			match |= subtle.ConstantTimeCompare(got[:], want[:])
		}
		if !ok || s.opts.APIKey == "" || match != 1 {
			c.Header("WWW-Authenticate", `Bearer realm="hpp"`)
			drainUnread(c.Request)
			s.respondError(c, errUnauthorized)
			return
		}
		c.Next()
	}
}

// bearerKey is the credential of an "Authorization: Bearer <key>" header
// value, the scheme matched in any case and parted from the key by any
// run of spaces (1*SP, RFC 9110 section 11.4).
func bearerKey(h string) (string, bool) {
	scheme, key, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimLeft(key, " "), true
}

// maxIdempotencyKey bounds an Idempotency-Key in bytes.
const maxIdempotencyKey = 255

// idempotencyKey is the request's Idempotency-Key header ("" for none),
// or a validation error: a key is stored (or hashed) as text, and
// PostgreSQL refuses text that is not UTF-8, so such a key is the
// client's mistake, answered before the store sees it.
func idempotencyKey(c *gin.Context) (string, error) {
	key := c.GetHeader("Idempotency-Key")
	switch {
	case len(key) > maxIdempotencyKey:
		return "", &payments.ValidationError{Problems: []string{"Idempotency-Key must be at most 255 bytes"}}
	case !utf8.ValidString(key):
		return "", &payments.ValidationError{Problems: []string{"Idempotency-Key must be valid UTF-8"}}
	}
	return key, nil
}

// createRequest is the body of POST /api/v1/payments. Amount must be a
// JSON string: numbers are refused so no float ever touches money.
type createRequest struct {
	Amount        json.RawMessage `json:"amount"`
	Currency      string          `json:"currency"`
	Reference     string          `json:"reference"`
	Description   string          `json:"description"`
	ReturnURL     string          `json:"return_url"`
	CancelURL     string          `json:"cancel_url"`
	PaymentMethod string          `json:"payment_method"`
	ExpiresIn     int64           `json:"expires_in"`
}

// handlePaymentCreate serves POST /api/v1/payments.
func (s *Server) handlePaymentCreate(svc interface {
	Create(ctx context.Context, in payments.CreateInput, idemKey string) (payments.Payment, bool, error)
	CheckoutURL(id string) string
	refundTotaler
}) gin.HandlerFunc {
	return func(c *gin.Context) {
		var req createRequest
		if err := decodeAPIBody(c, &req); err != nil {
			s.respondError(c, err)
			return
		}
		amount, err := jsonAmount(req.Amount, "12.50")
		if err != nil {
			s.respondError(c, err)
			return
		}
		if req.ExpiresIn < 0 || req.ExpiresIn > 7*24*3600 {
			req.ExpiresIn = -1
		}
		key, err := idempotencyKey(c)
		if err != nil {
			s.respondError(c, err)
			return
		}
		if key != "" {
			key = "api:" + key
		}
		p, created, err := svc.Create(c.Request.Context(), payments.CreateInput{
			Amount: amount, Currency: req.Currency, Reference: req.Reference, Description: req.Description,
			ReturnURL: req.ReturnURL, CancelURL: req.CancelURL, Method: req.PaymentMethod,
			ExpiresIn: time.Duration(req.ExpiresIn) * time.Second, Source: "api",
		}, key)
		if err != nil {
			s.respondError(c, err)
			return
		}
		if !created {
			c.Header("Idempotent-Replayed", "true")
		}
		body, err := paymentJSON(c.Request.Context(), svc, p, svc.CheckoutURL(p.ID))
		if err != nil {
			s.respondError(c, err)
			return
		}
		c.JSON(http.StatusCreated, body)
	}
}

// handlePaymentShow serves GET /api/v1/payments/:id.
func (s *Server) handlePaymentShow(svc interface {
	Get(ctx context.Context, id string) (payments.Payment, error)
	CheckoutURL(id string) string
	refundTotaler
}) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := checkQuery(c); err != nil {
			s.respondError(c, err)
			return
		}
		p, err := svc.Get(c.Request.Context(), c.Param("id"))
		if err != nil {
			s.respondError(c, err)
			return
		}
		body, err := paymentJSON(c.Request.Context(), svc, p, svc.CheckoutURL(p.ID))
		if err != nil {
			s.respondError(c, err)
			return
		}
		c.JSON(http.StatusOK, body)
	}
}

// jsonAmount is the amount field of a body, raw as decoded: "" when it
// was left out, else its text. It must be a JSON string: a number would
// pass through a float, and null is neither an amount nor leaving it out
// (the OpenAPI document does not make amount nullable), so both are
// refused, saying which. example is an amount for the message.
func jsonAmount(raw json.RawMessage, example string) (string, error) {
	if len(raw) == 0 {
		return "", nil
	}
	var amount string
	switch {
	case string(raw) == "null":
		return "", &payments.ValidationError{Problems: []string{`amount must be a string such as "` + example + `", not null`}}
	case raw[0] != '"' || json.Unmarshal(raw, &amount) != nil:
		return "", &payments.ValidationError{Problems: []string{`amount must be a string such as "` + example + `", not a number`}}
	}
	return amount, nil
}

func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case asErr(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	case asErr(err, &te):
		return fmt.Sprintf("%s has the wrong type", te.Field)
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	return "the body could not be read"
}
