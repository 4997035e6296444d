package latipay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// maxResponse caps how much of any Latipay response is read.
const maxResponse = 1 << 20

// call sends one request with deadline d (or the caller's earlier one) and
// returns the raw body of a 200 response. A non-nil params is sent as a
// JSON object of strings; otherwise the request has no body.
func (c *Client) call(ctx context.Context, op string, d time.Duration, method, endpoint string, params map[string]string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()

	var body io.Reader
	if params != nil {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false) // send the bytes we signed, unescaped
		if err := enc.Encode(params); err != nil {
			return nil, errorf(op, ErrInvalidRequest, "cannot encode request")
		}
		body = &buf
	}
	req, err := http.NewRequestWithContext(ctx, method, endpoint, body)
	if err != nil {
		return nil, errorf(op, ErrInvalidRequest, "cannot build request")
	}
	if params != nil {
		req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	}
	req.Header.Set("Accept", "application/json")

	resp, err := c.http.Do(req)
	if err != nil {
		return nil, transportError(op, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, kindErrorf(op, ErrUnavailable, "http_status", "http status "+strconv.Itoa(resp.StatusCode))
	}
	b, err := readBody(resp.Body, resp.ContentLength)
	if err != nil {
		return nil, transportError(op, err)
	}
	if len(b) > maxResponse {
		return nil, kindErrorf(op, ErrUnavailable, "answer_too_large", "response larger than 1 MiB")
	}
	return b, nil
}

// readBody reads up to maxResponse+1 bytes of body. A declared length
// within the cap sizes the buffer at once: io.ReadAll starts at 512 bytes
// and grows by copying, which for the merchant-hosted QR data (a base64
// PNG) allocated about twice the body. A body longer than it declared
// still grows the buffer, up to the cap.
func readBody(body io.Reader, declared int64) ([]byte, error) {
	r := io.LimitReader(body, maxResponse+1)
	if declared < 0 || declared > maxResponse {
		return io.ReadAll(r)
	}
	b := make([]byte, 0, declared+1) // +1: room for the read that meets EOF
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// transportError wraps a network or context error as ErrUnavailable. The
// *url.Error layer is dropped because its text repeats the request URL,
// which for queries carries the user id and request signature.
func transportError(op string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if neverSent(err) {
		err = fmt.Errorf("%w: %w", ErrNotSent, err)
	}
	return &opError{op: op, sentinel: ErrUnavailable, detail: err.Error(), cause: err}
}

// neverSent reports whether err is a failure to open the connection: a
// dial error (refused, unreachable, a name that did not resolve), which
// net/http returns before it writes any of the request. A failure on a
// connection that was open (a reset, a timeout, a closed keep-alive
// connection) may come after the request reached Latipay, so it is not.
func neverSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// parseResponse decodes a Latipay JSON body and turns a non-zero code into
// an *APIError. A missing code is left for the caller to judge: signed
// responses are trusted by their signature, unsigned ones need code 0.
func (c *Client) parseResponse(op string, b []byte) (obj object, hasCode bool, err error) {
	obj, err = decodeObject(b)
	if errors.Is(err, errNotJSON) {
		return nil, false, kindErrorf(op, ErrUnavailable, "answer_not_json", "response is not json")
	}
	if err != nil {
		return nil, false, errorf(op, ErrMalformed, err.Error())
	}
	code, hasCode, err := obj.code()
	if err != nil {
		return nil, false, errorf(op, ErrMalformed, err.Error())
	}
	if code != 0 {
		msg, _ := obj.text("message")
		return nil, true, newAPIError(op, code, msg, c.key.s)
	}
	return obj, hasCode, nil
}

// strings returns the named fields as text, failing with ErrMalformed if
// any is an object or array.
func (o object) strings(op string, keys ...string) ([]string, error) {
	out := make([]string, len(keys))
	for i, k := range keys {
		v, err := o.text(k)
		if err != nil {
			return nil, errorf(op, ErrMalformed, k+": "+err.Error())
		}
		out[i] = v
	}
	return out, nil
}

// endpoint joins the base URL and an escaped path.
func (c *Client) endpoint(path string) string { return c.baseStr + path }
