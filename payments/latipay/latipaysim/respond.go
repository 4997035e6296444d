package latipaysim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// maxBody bounds every request body the simulator reads.
const maxBody = 64 << 10

// message returns the English text of a Latipay error code (package latipay, Error codes).
func message(code int) string {
	switch code {
	case 1:
		return "FAIL"
	case 3:
		return "data error"
	case 110:
		return "user does not exist"
	case 201:
		return "order not exist"
	case 204:
		return "some input fields are null"
	case 205:
		return "no key for this user, or user disabled/inactive"
	case 206:
		return "signature from merchant request is wrong"
	case 207:
		return "param is wrong"
	case 300:
		return "gateway not exist"
	case 301:
		return "wrong account info or currency info"
	case 302:
		return "pay company not exist"
	case 303:
		return "wrong pay type from merchant"
	case 304:
		return "wallet does not support this payment method"
	case 305:
		return "no margin plan for the merchant"
	case 450:
		return "wallet not assigned to user"
	case 454:
		return "exceeds the merchant's single-payment limit"
	case 550:
		return "refund parameters wrong"
	case 551:
		return "refund's order does not exist"
	case 556:
		return "create refund order failed"
	case 558:
		return "refund order does not exist"
	case 559:
		return "insufficient amount in wallet"
	case 562:
		return "refund request already done"
	case 900:
		return "transaction already completed successfully"
	case 901:
		return "transaction already failed"
	}
	return fmt.Sprintf("error %d", code)
}

// writeJSON writes v with HTTP status. HTML escaping is off so URLs keep
// their & characters.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// apiError is Latipay's error body; it is always sent with HTTP 200.
type apiError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// writeCode answers a Latipay error code with its standard text, or with
// msg when given.
func writeCode(w http.ResponseWriter, code int, msg string) {
	if msg == "" {
		msg = message(code)
	}
	writeJSON(w, http.StatusOK, apiError{Code: code, Message: msg})
}

// errNotString reports a JSON parameter that is not a string or number.
var errNotString = errors.New("latipaysim: parameter is not a string")

// readParams decodes a JSON object of request parameters. Strings are taken
// as they are, numbers as their literal text, and null as absent; any other
// type is an error.
func readParams(w http.ResponseWriter, r *http.Request) (map[string]string, error) {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		switch v := v.(type) {
		case nil:
		case string:
			out[k] = v
		case json.Number:
			out[k] = string(v)
		default:
			return nil, fmt.Errorf("%w: %s", errNotString, k)
		}
	}
	return out, nil
}

// missing returns the first of keys that is absent or empty in p, or "".
func missing(p map[string]string, keys ...string) string {
	for _, k := range keys {
		if p[k] == "" {
			return k
		}
	}
	return ""
}
