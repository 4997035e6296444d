package handlers

import (
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestSocketTokenOldKey: while HPP_SESSION_KEY is rotated, a checkout
// page opened before still reaches its socket: a token under the old
// token key is taken beside the current one's; a token under any other
// key is refused.
func TestSocketTokenOldKey(t *testing.T) {
	oldKey := []byte("old-token-key-0123456789abcdef01")
	a := newSecApp(t, func(o *Options) { o.OldTokenKeys = [][]byte{oldKey} })
	p := a.newPayment(t)
	for name, tc := range map[string]struct {
		key  []byte
		want int
	}{
		"current": {[]byte("sec-token-key-0123456789abcdef01"), http.StatusSwitchingProtocols},
		"old":     {oldKey, http.StatusSwitchingProtocols},
		"other":   {[]byte("any-token-key-0123456789abcdef01"), http.StatusUnauthorized},
	} {
		u := "ws" + a.url[len("http"):] + CheckoutPath(p.ID) + "/ws?t=" + socketToken(tc.key, p.ID, time.Now())
		c, resp, err := websocket.DefaultDialer.Dial(u, http.Header{"Origin": {a.url}})
		if c != nil {
			c.Close()
		}
		got := 0
		if resp != nil {
			got = resp.StatusCode
		}
		if got != tc.want {
			t.Errorf("%s key's token: status %d (%v), want %d", name, got, err, tc.want)
		}
	}
}
