package latipaysim

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// NewTransport returns an http.RoundTripper that serves each request
// in-process by calling h, with no network hop. Sandbox wiring uses it so
// the app's Latipay client reaches the simulator and the simulator's
// callbacks reach the app. Request bodies and context cancellation are
// supported; responses are buffered, so streaming is not.
func NewTransport(h http.Handler) http.RoundTripper { return transport{h: h} }

type transport struct{ h http.Handler }

// errHandlerPanic is returned when the handler panics, where a real server
// would drop the connection.
var errHandlerPanic = errors.New("latipaysim: handler panicked")

// RoundTrip implements http.RoundTripper.
func (t transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		closeBody(req)
		return nil, err
	}
	in := serverRequest(req)
	rec := &bufferWriter{header: http.Header{}, status: http.StatusOK}
	done := make(chan error, 1)
	go func() {
		defer closeBody(req) // RoundTrip must close the body, even late
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Errorf("%w: %v", errHandlerPanic, p)
			}
		}()
		t.h.ServeHTTP(rec, in)
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			return nil, err
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	body := rec.body.Bytes()
	resp := &http.Response{
		Status:        strconv.Itoa(rec.status) + " " + http.StatusText(rec.status),
		StatusCode:    rec.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        rec.header,
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
	if req.Method == http.MethodHead {
		resp.Body = http.NoBody
	}
	return resp, nil
}

// serverRequest turns an outgoing client request into the request a server
// handler would see.
func serverRequest(req *http.Request) *http.Request {
	in := req.Clone(req.Context())
	in.URL = &url.URL{Path: req.URL.Path, RawPath: req.URL.RawPath, RawQuery: req.URL.RawQuery}
	in.RequestURI = req.URL.RequestURI()
	in.Host = req.Host
	if in.Host == "" {
		in.Host = req.URL.Host
	}
	in.Proto, in.ProtoMajor, in.ProtoMinor = "HTTP/1.1", 1, 1
	in.RemoteAddr = "127.0.0.1:1"
	if req.URL.Scheme == "https" {
		in.TLS = &tls.ConnectionState{HandshakeComplete: true, ServerName: req.URL.Hostname()}
	}
	in.Body = req.Body
	if in.Body == nil {
		in.Body = http.NoBody
	}
	in.GetBody = nil
	return in
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}
