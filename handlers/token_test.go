package handlers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"testing"
	"time"
)

// TestSocketTokenFormat checks the token against its definition,
// "<unix expiry>.<base64url HMAC(key, ws|id|expiry)>", from the package
// function and from a pooled signer reused across ids.
func TestSocketTokenFormat(t *testing.T) {
	key := []byte("socket-token-key-0123456789abcdef")
	now := time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC)
	want := func(id string) string {
		exp := strconv.FormatInt(now.Add(tokenTTL).Unix(), 10)
		m := hmac.New(sha256.New, key)
		m.Write([]byte("ws|" + id + "|" + exp))
		return exp + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	ts := newTokenSigners(key)
	for _, id := range []string{"pay_1", "pay_01234567890123456789012345", "", "pay_1"} {
		if got := socketToken(key, id, now); got != want(id) {
			t.Errorf("socketToken(%q) = %q, want %q", id, got, want(id))
		}
		if got := string(ts.appendToken([]byte("x"), id, now)); got != "x"+want(id) {
			t.Errorf("pooled appendToken(%q) = %q, want %q", id, got, "x"+want(id))
		}
		if !checkSocketToken(key, id, want(id), now) {
			t.Errorf("checkSocketToken(%q) refused its own token", id)
		}
	}
}
