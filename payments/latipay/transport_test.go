package latipay

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// ops calls every network operation once.
var ops = map[string]func(context.Context, *Client) error{
	"create": func(ctx context.Context, c *Client) error {
		_, err := c.CreateTransaction(ctx, validCreateRequest())
		return err
	},
	"query": func(ctx context.Context, c *Client) error {
		_, err := c.Query(ctx, "dsi39ej430sks03", false)
		return err
	},
	"gateway data": func(ctx context.Context, c *Client) error {
		_, err := c.GatewayData(ctx, CreateResponse{HostURL: c.baseStr + "/v2/merchanthosted/gatewaydata", Nonce: testNonce})
		return err
	},
	"refund": func(ctx context.Context, c *Client) error { return c.Refund(ctx, "2017232323345678", "1.00", "") },
	"cancel": func(ctx context.Context, c *Client) error { return c.Cancel(ctx, "dsi39ej430sks03") },
}

func TestTransportFaults(t *testing.T) {
	huge := `{"code":0,"message":"` + strings.Repeat("a", maxResponse) + `"}`
	tests := []struct {
		name    string
		respond func(http.ResponseWriter, fakeRequest)
		want    error
	}{
		{"500 json", func(w http.ResponseWriter, _ fakeRequest) {
			w.WriteHeader(500)
			io.WriteString(w, `{"code":0}`)
		}, ErrUnavailable},
		{"502 html", func(w http.ResponseWriter, _ fakeRequest) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(502)
			io.WriteString(w, "<html><body>Bad Gateway</body></html>")
		}, ErrUnavailable},
		{"200 html", func(w http.ResponseWriter, _ fakeRequest) { io.WriteString(w, "<html>maintenance</html>") }, ErrUnavailable},
		{"200 empty", func(w http.ResponseWriter, _ fakeRequest) {}, ErrUnavailable},
		{"truncated json", func(w http.ResponseWriter, _ fakeRequest) { io.WriteString(w, `{"code":0,"host_url":"https://pay.lat`) }, ErrUnavailable},
		{"two objects", func(w http.ResponseWriter, _ fakeRequest) { io.WriteString(w, `{"code":0}{"code":0}`) }, ErrUnavailable},
		{"over 1 MiB", func(w http.ResponseWriter, _ fakeRequest) { io.WriteString(w, huge) }, ErrUnavailable},
		{"redirect", func(w http.ResponseWriter, _ fakeRequest) {
			w.Header().Set("Location", "https://evil.example/")
			w.WriteHeader(http.StatusTemporaryRedirect)
		}, ErrUnavailable},
		{"connection cut", func(w http.ResponseWriter, _ fakeRequest) {
			w.Header().Set("Content-Length", "100")
			io.WriteString(w, `{"code":0,`)
			hj, _ := w.(http.Hijacker)
			conn, _, _ := hj.Hijack()
			conn.Close()
		}, ErrUnavailable},
		{"code 1", func(w http.ResponseWriter, _ fakeRequest) { writeJSON(w, codeBody(1)) }, &APIError{}},
		{"json string", func(w http.ResponseWriter, _ fakeRequest) { io.WriteString(w, `"SUCCESS"`) }, ErrMalformed},
	}
	for _, tt := range tests {
		for op, call := range ops {
			t.Run(tt.name+"/"+op, func(t *testing.T) {
				c, _ := newTestClient(t, tt.respond)
				err := call(context.Background(), c)
				if ae := (*APIError)(nil); errors.As(tt.want, &ae) {
					if !errors.As(err, &ae) {
						t.Errorf("error = %v, want *APIError", err)
					}
				} else if !errors.Is(err, tt.want) {
					t.Errorf("error = %v, want %v", err, tt.want)
				}
				if err != nil && strings.Contains(err.Error(), testKey) {
					t.Errorf("error leaks the key: %v", err)
				}
			})
		}
	}
}

func TestConnectionRefused(t *testing.T) {
	c, f := newTestClient(t, nil)
	f.srv.Close()
	for op, call := range ops {
		if err := call(context.Background(), c); !errors.Is(err, ErrUnavailable) {
			t.Errorf("%s: error = %v, want ErrUnavailable", op, err)
		}
	}
}

// newHangingClient returns a client whose server holds every request
// until the client gives up or the test ends.
func newHangingClient(t *testing.T) *Client {
	t.Helper()
	release := make(chan struct{})
	c, _ := newTestClient(t, func(w http.ResponseWriter, r fakeRequest) { <-release })
	t.Cleanup(func() { close(release) }) // runs before the server closes
	return c
}

func TestCallerDeadline(t *testing.T) {
	c := newHangingClient(t)
	for op, call := range ops {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		start := time.Now()
		err := call(ctx, c)
		cancel()
		if !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: error = %v, want ErrUnavailable and DeadlineExceeded", op, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: returned after %v", op, d)
		}
	}
}

func TestDefaultDeadlines(t *testing.T) {
	c := newHangingClient(t)
	ms := 30 * time.Millisecond
	c.timeout = timeouts{create: ms, query: ms, longPoll: ms, refund: ms, cancel: ms, data: ms}
	for op, call := range ops {
		if err := call(context.Background(), c); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: error = %v, want DeadlineExceeded", op, err)
		}
	}
	if _, err := c.Query(context.Background(), "ref1", true); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("long-poll query: error = %v, want DeadlineExceeded", err)
	}
}

// TestLongPollCancel checks that cancelling the caller's context ends a
// long-poll query promptly, as a shutdown would.
func TestLongPollCancel(t *testing.T) {
	c := newHangingClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Query(ctx, "ref1", true)
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrUnavailable) {
			t.Errorf("Query() error = %v, want ErrUnavailable and context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("long-poll query did not return after cancel")
	}
}
