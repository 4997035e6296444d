package webhook

import (
	"errors"
	"testing"
	"time"
)

func TestVerify(t *testing.T) {
	now := time.Unix(1_760_000_000, 0)
	body := []byte(`{"id":"evt_1"}`)
	good := Sign([]string{"s1", "s2"}, now, body)
	tests := []struct {
		name   string
		header string
		body   []byte
		secret string
		at     time.Time
		want   error
	}{
		{"first secret", good, body, "s1", now, nil},
		{"second secret", good, body, "s2", now, nil},
		{"within tolerance", good, body, "s1", now.Add(DefaultTolerance), nil},
		{"too old", good, body, "s1", now.Add(DefaultTolerance + time.Second), ErrTooOld},
		{"from the future", good, body, "s1", now.Add(-DefaultTolerance - time.Second), ErrTooOld},
		{"other secret", good, body, "s3", now, ErrBadSignature},
		{"tampered body", good, []byte(`{"id":"evt_2"}`), "s1", now, ErrBadSignature},
		{"empty secret", good, body, "", now, ErrNoSignature},
		{"missing", "", body, "s1", now, ErrNoSignature},
		{"t only", "t=1760000000", body, "s1", now, ErrNoSignature},
		{"v1 only", "v1=" + good[len("t=1760000000,v1="):][:64], body, "s1", now, ErrNoSignature},
		{"bad t", "t=x," + good[len("t=1760000000,"):], body, "s1", now, ErrNoSignature},
		{"other scheme", "t=1760000000,v0=" + good[len("t=1760000000,v1="):][:64], body, "s1", now, ErrNoSignature},
		{"changed t", "t=1760000001," + good[len("t=1760000000,"):], body, "s1", now, ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Verify(tt.header, tt.body, tt.secret, tt.at, DefaultTolerance); !errors.Is(got, tt.want) {
				t.Errorf("Verify(%q) = %v, want %v", tt.header, got, tt.want)
			}
		})
	}
}

// TestSignVector pins the scheme: HMAC-SHA256 over "t.body", hex.
func TestSignVector(t *testing.T) {
	// printf '1760000000.{"id":"evt_1"}' | openssl dgst -sha256 -hmac whsec_test
	got := Sign([]string{"whsec_test"}, time.Unix(1_760_000_000, 0), []byte(`{"id":"evt_1"}`))
	want := "t=1760000000,v1=66e880d7175fffb43ce10c4e14db1cfb230c8804b5aafb116affbc9a836c7690"
	if got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}
