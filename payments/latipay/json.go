package latipay

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"
)

// object is a decoded JSON object whose values are kept as raw JSON, so
// numbers keep their literal text ("120.00" stays "120.00").
type object map[string]json.RawMessage

var (
	errNotJSON   = errors.New("body is not json")
	errNotObject = errors.New("body is not a json object")
	errDupKey    = errors.New("duplicate json key")
)

// decodeObject parses b as exactly one JSON object. Invalid JSON yields
// errNotJSON (a proxy page or a cut connection, so the caller reports
// ErrUnavailable); valid JSON that is not an object or repeats a key
// yields another error (ErrMalformed). Duplicate keys are refused because
// parsers disagree on which copy wins.
//
// json.Valid checks the whole body once; the top level is then walked by
// hand, each value kept as its exact bytes (a slice of b). Walking it with
// json.Decoder tokens scanned every value three more times, which for
// the merchant-hosted QR data (a base64 PNG of a kilobyte or two) was
// about a tenth of the app's CPU per checkout start under load.
// decodeObjectTokens in json_test.go is that decoder, kept as the
// reference FuzzDecodeObject compares with.
func decodeObject(b []byte) (object, error) {
	if !json.Valid(b) {
		return nil, errNotJSON
	}
	// b holds exactly one valid JSON value, so every index below is in
	// range and every value is well formed.
	i := skipSpace(b, 0)
	if b[i] != '{' {
		return nil, errNotObject
	}
	obj := object{}
	i = skipSpace(b, i+1)
	for b[i] != '}' {
		if b[i] == ',' {
			i = skipSpace(b, i+1)
		}
		end := stringEnd(b, i)
		key, err := objectKey(b[i:end])
		if err != nil {
			return nil, err
		}
		if _, dup := obj[key]; dup {
			return nil, errDupKey
		}
		i = skipSpace(b, skipSpace(b, end)+1) // past the colon
		end = valueEnd(b, i)
		obj[key] = json.RawMessage(b[i:end:end])
		i = skipSpace(b, end)
	}
	return obj, nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just past the string starting at b[i].
func stringEnd(b []byte, i int) int {
	for i++; b[i] != '"'; i++ {
		if b[i] == '\\' {
			i++
		}
	}
	return i + 1
}

// valueEnd returns the index just past the value starting at b[i].
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for ; ; i++ {
			switch b[i] {
			case '"':
				i = stringEnd(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
	}
	for ; i < len(b); i++ { // a number, true, false or null
		switch b[i] {
		case ' ', '\t', '\n', '\r', ',', '}', ']':
			return i
		}
	}
	return i
}

// responseKeys are the keys of Latipay's responses, each its own string:
// decodeObject returns these rather than a new copy of every key of every
// response.
var responseKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{"code", "message", "messageCN", "host_url", "nonce", "signature", "data",
		"order_id", "payment_method", "amount", "amount_cny", "currency", "currency_rate", "product_name",
		"qr_code", "qr_code_url", "merchant_reference", "status", "pay_time", "rate",
		"user_id", "wallet_id", "wallet_name"} {
		m[k] = k
	}
	return m
}()

// objectKey is unquote for an object's key (a raw JSON string).
func objectKey(raw []byte) (string, error) {
	if k, ok := responseKeys[string(raw[1:len(raw)-1])]; ok { // escapes never match
		return k, nil
	}
	return unquote(raw)
}

// unquote decodes a JSON string as encoding/json does: without escapes
// and in valid UTF-8 it is the bytes between the quotes; otherwise
// json.Unmarshal decodes it.
func unquote(raw []byte) (string, error) {
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner), nil
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}

// text returns the value of key as text: a JSON string unquoted, a
// number as its literal text, true/false as written, and "" for null or
// a missing key. Objects and arrays are an error.
func (o object) text(key string) (string, error) {
	raw, ok := o[key]
	if !ok {
		return "", nil
	}
	return literal(raw)
}

func literal(raw json.RawMessage) (string, error) {
	if len(raw) == 0 {
		return "", nil
	}
	switch c := raw[0]; {
	case c == '"':
		return unquote(raw)
	case c == '-' || (c >= '0' && c <= '9'):
		return string(raw), nil
	case string(raw) == "null":
		return "", nil
	case string(raw) == "true" || string(raw) == "false":
		return string(raw), nil
	}
	return "", errors.New("value is an object or array")
}

// maxCode bounds Latipay's result codes: every documented one has at most
// three digits. A larger number is not Latipay talking, and refusing it
// also keeps arbitrary digits (which could spell a numeric key) out of
// error text.
const maxCode = 9999

// code returns Latipay's "code" field. present is false when the field is
// absent or null. A code that is not an integer (number or digit string)
// in 0..maxCode is an error.
func (o object) code() (code int, present bool, err error) {
	s, err := o.text("code")
	if err != nil || s == "" {
		return 0, false, err
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, true, errors.New("code is not an integer")
	}
	if n < 0 || n > maxCode {
		return 0, true, errors.New("code is out of range")
	}
	return n, true, nil
}
