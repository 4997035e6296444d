package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/latipay-hpp/hpp/payments"
)

// paymentResponse is a payment as the merchant API shows it.
type paymentResponse struct {
	ID               string  `json:"id"`
	Status           string  `json:"status"`
	Amount           string  `json:"amount"`
	Currency         string  `json:"currency"`
	Reference        string  `json:"reference"`
	Description      string  `json:"description"`
	PaymentMethod    string  `json:"payment_method"`
	CheckoutURL      string  `json:"checkout_url"`
	ReturnURL        string  `json:"return_url"`
	CancelURL        string  `json:"cancel_url,omitempty"`
	LatipayReference string  `json:"latipay_reference"`
	LatipayOrderID   string  `json:"latipay_order_id"`
	AmountCNY        string  `json:"amount_cny,omitempty"`
	CurrencyRate     string  `json:"currency_rate,omitempty"`
	Refunded         string  `json:"amount_refunded"`       // the refunds that succeeded
	RefundPending    string  `json:"amount_refund_pending"` // refunds waiting for Latipay's answer
	PaidLate         bool    `json:"paid_late"`
	NeedsReview      bool    `json:"needs_review"`
	Attempts         int     `json:"attempts"`
	CreatedAt        string  `json:"created_at"`
	ExpiresAt        string  `json:"expires_at"`
	PaidAt           *string `json:"paid_at"`
	// ReviewedAt is when the shop marked a payment flagged paid_late or
	// needs_review reviewed in the back office; null until then.
	ReviewedAt *string `json:"reviewed_at"`
}

// refundTotaler totals a payment's refunds (payments.Service).
type refundTotaler interface {
	RefundTotals(ctx context.Context, p payments.Payment) (payments.RefundTotals, error)
}

// paymentJSON is p as the API shows it: amount_refunded is what its
// succeeded refunds add up to, the figure its status follows, and
// amount_refund_pending what refunds still waiting for Latipay hold.
func paymentJSON(ctx context.Context, svc refundTotaler, p payments.Payment, checkoutURL string) (paymentResponse, error) {
	t, err := svc.RefundTotals(ctx, p)
	if err != nil {
		return paymentResponse{}, err
	}
	return paymentBody(p, t, checkoutURL), nil
}

// paymentBody is p as the API shows it, with its refund totals t.
func paymentBody(p payments.Payment, t payments.RefundTotals, checkoutURL string) paymentResponse {
	r := paymentResponse{
		ID: p.ID, Status: string(p.Status), Amount: payments.FormatAmount(p.Amount, p.Currency),
		Currency: string(p.Currency), Reference: p.Reference, Description: p.Description,
		PaymentMethod: string(p.Method), CheckoutURL: checkoutURL, ReturnURL: p.ReturnURL,
		CancelURL: p.CancelURL, LatipayReference: p.LatipayReference, LatipayOrderID: p.LatipayOrderID,
		AmountCNY: p.AmountCNY, CurrencyRate: p.CurrencyRate,
		Refunded: payments.FormatAmount(t.Succeeded, p.Currency), RefundPending: payments.FormatAmount(t.Pending, p.Currency),
		PaidLate:    p.PaidLate,
		NeedsReview: p.NeedsReview, Attempts: p.Attempts,
		CreatedAt: payments.FormatTime(p.CreatedAt), ExpiresAt: payments.FormatTime(p.ExpiresAt),
	}
	if !p.PaidAt.IsZero() {
		t := payments.FormatTime(p.PaidAt)
		r.PaidAt = &t
	}
	if !p.ReviewedAt.IsZero() {
		t := payments.FormatTime(p.ReviewedAt)
		r.ReviewedAt = &t
	}
	return r
}

func asErr[T any](err error, target *T) bool { return errors.As(err, target) }

// drainUnread reads a body nothing has read yet to its end, up to
// maxAPIDrain, and drops it, before an answer that does not need it (a
// body too large, a missing API key): net/http closes a connection whose
// body was left unread past a few hundred KiB, and a client that writes
// all of its body before reading (Python's urllib) then gets a reset
// connection in place of the answer. A client that sent "Expect:
// 100-continue" is answered at once, before it uploads anything, and a
// body announced larger than maxAPIDrain is left unread.
func drainUnread(r *http.Request) {
	if r.ContentLength > maxAPIDrain || strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
		return
	}
	_, _ = io.CopyN(io.Discard, r.Body, maxAPIDrain)
}

// decodeAPIBody reads one JSON object of at most maxAPIBody bytes from the
// request into v. It refuses, with a message for the merchant, anything
// but a single object: another JSON value ("[]", a string), a key given
// twice (encoding/json would keep the last, so "amount":"1.00" followed by
// "amount":"99.00" would charge 99.00), an unknown field, or anything
// after the object.
//
// A body whose Content-Length says it is too large is refused before any
// of it is read when the client sent "Expect: 100-continue": it then gets
// the answer instead of a "100 Continue". Any other too large body, up to
// maxAPIDrain, is read to its end and dropped before the answer: net/http
// closes a connection whose body was left unread, and a client that
// writes all of its body before reading (Python's urllib) then gets a
// reset connection in place of the error.
func decodeAPIBody(c *gin.Context, v any) error {
	return decodeBody(c, v, false)
}

// decodeOptionalAPIBody is decodeAPIBody for an endpoint whose body may be
// left out: an empty body (or one of white space only) leaves v as it
// is; any other is read as decodeAPIBody reads it, unknown fields refused.
func decodeOptionalAPIBody(c *gin.Context, v any) error {
	return decodeBody(c, v, true)
}

func decodeBody(c *gin.Context, v any, optional bool) error {
	tooLarge := &payments.ValidationError{Problems: []string{"the body could not be read (at most 64 KiB of JSON)"}}
	r := c.Request
	if r.ContentLength > maxAPIBody {
		drainUnread(r)
		return tooLarge
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxAPIBody+1))
	if err != nil {
		return tooLarge
	}
	if len(body) > maxAPIBody {
		_, _ = io.CopyN(io.Discard, r.Body, maxAPIDrain)
		return tooLarge
	}
	if optional && len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if problem := jsonObjectProblem(body); problem != "" {
		return &payments.ValidationError{Problems: []string{problem}}
	}
	// encoding/json would quietly turn each invalid byte into U+FFFD, so
	// "bad\xff" would be stored as another reference than the one sent.
	if !utf8.Valid(body) {
		return &payments.ValidationError{Problems: []string{invalidUTF8Field(body)}}
	}
	// So would a \u escape of half a UTF-16 surrogate pair ("\ud800"):
	// it stands for no character, and is refused rather than altered.
	if field, ok := loneSurrogateField(body); ok {
		return &payments.ValidationError{Problems: []string{field + ` must not hold half of a UTF-16 surrogate pair (a lone \ud800-\udfff escape): it is not a character`}}
	}
	// encoding/json matches field names in any case, the last one read
	// winning, so "AMOUNT" after "amount" would set the amount: only the
	// exact names are accepted, any other spelling is an unknown field.
	if problem := exactFieldsProblem(body, v); problem != "" {
		return &payments.ValidationError{Problems: []string{"the body must be a JSON object with the documented fields (" + problem + ")"}}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &payments.ValidationError{Problems: []string{"the body must be a JSON object with the documented fields (" + jsonProblem(err) + ")"}}
	}
	return nil
}

// exactFieldsProblem names the first top-level key of body, an object
// jsonObjectProblem accepted, that is not exactly the JSON name of a
// field of the struct v points to; "" when every key is one.
func exactFieldsProblem(body []byte, v any) string {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return ""
	}
	names := jsonFieldNames(t)
	dec := json.NewDecoder(bytes.NewReader(body))
	_, _ = dec.Token() // '{'
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		k, _ := tok.(string)
		if !slices.Contains(names, k) {
			for _, n := range names {
				if strings.EqualFold(n, k) {
					return fmt.Sprintf("unknown field %q: field names are case-sensitive, this one is %q", k, n)
				}
			}
			return fmt.Sprintf("unknown field %q", k)
		}
		if jsonSkipValue(dec) != "" {
			return ""
		}
	}
	return ""
}

// jsonFieldNames lists the names encoding/json gives the exported fields
// of the struct type t (its json tag's name, else the field's own).
func jsonFieldNames(t reflect.Type) []string {
	var names []string
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		names = append(names, name)
	}
	return names
}

// jsonObjectProblem describes what keeps body from being exactly one JSON
// object whose keys, at every level, appear once; "" when nothing does.
func jsonObjectProblem(body []byte) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return "the body is empty: send a JSON object"
		}
		return "the body is not valid JSON"
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return "the body must be a JSON object ({...}), not " + jsonKind(tok)
	}
	if p := jsonObjectKeys(dec); p != "" {
		return p
	}
	if _, err := dec.Token(); err != io.EOF {
		return "the body must be one JSON object with nothing after it"
	}
	return ""
}

// invalidUTF8Field names the top-level field of body, an object
// jsonObjectProblem accepted, whose key or value holds invalid UTF-8.
func invalidUTF8Field(body []byte) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	_, _ = dec.Token() // '{'
	for dec.More() {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			break
		}
		if !utf8.Valid(body[start:dec.InputOffset()]) {
			return "a field name must be valid UTF-8"
		}
		valueStart := dec.InputOffset()
		if jsonSkipValue(dec) != "" {
			break
		}
		if !utf8.Valid(body[valueStart:dec.InputOffset()]) {
			k, _ := tok.(string)
			return k + " must be valid UTF-8"
		}
	}
	return "the body must be valid UTF-8"
}

// loneSurrogateField names the top-level field of body, an object
// jsonObjectProblem accepted, whose key or value holds a \u escape of a
// UTF-16 surrogate that is not one half of a pair; ok is false when none
// does.
func loneSurrogateField(body []byte) (field string, ok bool) {
	if !bytes.Contains(body, []byte(`\u`)) {
		return "", false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	_, _ = dec.Token() // '{'
	for dec.More() {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			break
		}
		if hasLoneSurrogate(body[start:dec.InputOffset()]) {
			return "a field name", true
		}
		valueStart := dec.InputOffset()
		if jsonSkipValue(dec) != "" {
			break
		}
		if hasLoneSurrogate(body[valueStart:dec.InputOffset()]) {
			k, _ := tok.(string)
			return k, true
		}
	}
	return "", false
}

// hasLoneSurrogate reports whether raw JSON text holds a \uXXXX escape
// of a high surrogate not followed by one of a low surrogate, or of a low
// surrogate not preceded by a high one. Outside strings there are no
// backslashes, so every one read starts an escape.
func hasLoneSurrogate(raw []byte) bool {
	escape := func(i int) (rune, bool) { // the \uXXXX at raw[i:], if any
		if i+6 > len(raw) || raw[i] != '\\' || raw[i+1] != 'u' {
			return 0, false
		}
		var r rune
		for _, c := range raw[i+2 : i+6] {
			switch {
			case '0' <= c && c <= '9':
				r = r<<4 | rune(c-'0')
			case 'a' <= c && c <= 'f':
				r = r<<4 | rune(c-'a'+10)
			case 'A' <= c && c <= 'F':
				r = r<<4 | rune(c-'A'+10)
			default:
				return 0, false
			}
		}
		return r, true
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		r, ok := escape(i)
		switch {
		case !ok:
			i++ // a two-character escape such as \\ or \"
		case 0xD800 <= r && r < 0xDC00:
			low, ok := escape(i + 6)
			if !ok || low < 0xDC00 || low > 0xDFFF {
				return true
			}
			i += 11
		case 0xDC00 <= r && r <= 0xDFFF:
			return true
		default:
			i += 5
		}
	}
	return false
}

// jsonObjectKeys reads the rest of an object whose '{' was just read,
// and of every object inside it, and reports a repeated key.
func jsonObjectKeys(dec *json.Decoder) string {
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "the body is not valid JSON"
		}
		k, _ := tok.(string)
		if seen[k] {
			return fmt.Sprintf("the field %q appears more than once", k)
		}
		seen[k] = true
		if p := jsonSkipValue(dec); p != "" {
			return p
		}
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return "the body is not valid JSON"
	}
	return ""
}

// jsonSkipValue reads one value, checking the keys of objects inside it.
func jsonSkipValue(dec *json.Decoder) string {
	tok, err := dec.Token()
	if err != nil {
		return "the body is not valid JSON"
	}
	switch tok {
	case json.Delim('{'):
		return jsonObjectKeys(dec)
	case json.Delim('['):
		for dec.More() {
			if p := jsonSkipValue(dec); p != "" {
				return p
			}
		}
		if _, err := dec.Token(); err != nil {
			return "the body is not valid JSON"
		}
	}
	return ""
}

// jsonKind names the JSON value tok starts, for messages.
func jsonKind(tok json.Token) string {
	switch tok.(type) {
	case json.Delim:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "true or false"
	}
	return "null"
}
