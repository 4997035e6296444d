package latipay

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
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
func decodeObject(b []byte) (object, error) {
	if !json.Valid(b) {
		return nil, errNotJSON
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, errNotObject
	}
	obj := object{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errNotObject
		}
		if _, dup := obj[key]; dup {
			return nil, errDupKey
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		obj[key] = raw
	}
	if _, err := dec.Token(); err != nil { // closing brace
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errNotObject
	}
	return obj, nil
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
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err
		}
		return s, nil
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
