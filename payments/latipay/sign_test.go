package latipay

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
)

type vector struct {
	Name          string            `json:"name"`
	Kind          string            `json:"kind"`
	Key           string            `json:"key"`
	Message       string            `json:"message"`
	Params        map[string]string `json:"params"`
	Result        []string          `json:"result"`
	SortedMessage string            `json:"sorted_message"`
	Signature     string            `json:"signature"`
}

// testMAC is an independent HMAC-SHA256 hex helper, so tests do not lean
// on the package's own signing code.
func testMAC(key, msg string) string {
	h := hmac.New(sha256.New, []byte(key))
	h.Write([]byte(msg))
	return hex.EncodeToString(h.Sum(nil))
}

func mustVectors(t testing.TB) []vector {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Vectors []vector }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Vectors) != 10 {
		t.Fatalf("got %d vectors, want 10", len(f.Vectors))
	}
	return f.Vectors
}

func TestVectors(t *testing.T) {
	for _, v := range mustVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			if got := testMAC(v.Key, v.Message); got != v.Signature {
				t.Fatalf("raw HMAC(%q) = %s, want %s", v.Message, got, v.Signature)
			}
			switch v.Kind {
			case "params":
				if got := SignParams(v.Key, v.Params); got != v.Signature {
					t.Errorf("SignParams = %s, want %s", got, v.Signature)
				}
				if got := sortedMessage(v.Params) + v.Key; got != v.Message {
					t.Errorf("sortedMessage = %q, want %q", got, v.Message)
				}
			case "result":
				r := v.Result
				if got := SignResult(v.Key, r[0], r[1], r[2], r[3], r[4]); got != v.Signature {
					t.Errorf("SignResult = %s, want %s", got, v.Signature)
				}
				if err := VerifyResult(v.Key, r[0], r[1], r[2], r[3], r[4], v.Signature); err != nil {
					t.Errorf("VerifyResult = %v, want nil", err)
				}
				if err := VerifyResult(v.Key, r[0], r[1], r[2], r[3], r[4], strings.ToUpper(v.Signature)); err != nil {
					t.Errorf("VerifyResult(upper-case) = %v, want nil", err)
				}
				if err := VerifyResult(v.Key+"x", r[0], r[1], r[2], r[3], r[4], v.Signature); !errors.Is(err, ErrBadSignature) {
					t.Errorf("VerifyResult(other key) = %v, want ErrBadSignature", err)
				}
			case "unsorted":
				// The docs' example signs an unsorted message; the client
				// follows the stated rule and signs the sorted one.
				want := testMAC(v.Key, v.SortedMessage)
				if got := SignParams(v.Key, v.Params); got != want {
					t.Errorf("SignParams = %s, want sorted-message signature %s", got, want)
				}
				if want == v.Signature {
					t.Errorf("sorted and unsorted signatures coincide; vector is not testing anything")
				}
			case "raw":
			default:
				t.Fatalf("unknown kind %q", v.Kind)
			}
		})
	}
}

func TestSignCreateResponse(t *testing.T) {
	nonce, host := "7d5a88119354301ad3fc250404493bd27abf4467283a061d1ed11860a46e1bf3", "https://pay.latipay.net/pay"
	want := testMAC("111222333", nonce+host)
	if got := SignCreateResponse("111222333", nonce, host); got != want {
		t.Errorf("SignCreateResponse = %s, want %s", got, want)
	}
}

func TestSignParamsDropsSignatureAndEmpty(t *testing.T) {
	base := map[string]string{"b": "2", "a": "1"}
	with := map[string]string{"b": "2", "a": "1", "c": "", "signature": "abc"}
	if got, want := SignParams("k", with), SignParams("k", base); got != want {
		t.Errorf("SignParams(with signature and empty) = %s, want %s", got, want)
	}
	if got, want := SignParams("k", base), testMAC("k", "a=1&b=2k"); got != want {
		t.Errorf("SignParams = %s, want %s", got, want)
	}
}

func TestVerifyResultRejects(t *testing.T) {
	const key = "111222333"
	valid := "840151e0dc39496e22b410b83058b4ddd633b786936c505ae978fae029a1e0f1"
	placeholder := strings.Repeat("14d5b06a", 8) // the docs' placeholder, padded to 64 chars
	tests := []struct{ name, sig string }{
		{"empty", ""},
		{"placeholder", placeholder},
		{"truncated", valid[:63]},
		{"truncated even", valid[:62]},
		{"odd length", valid + "0"},
		{"extended", valid + "00"},
		{"non-hex", "z" + valid[1:]},
		{"leading space", " " + valid},
		{"trailing newline", valid + "\n"},
		{"one bit", "850151e0dc39496e22b410b83058b4ddd633b786936c505ae978fae029a1e0f1"},
		{"other key", testMAC("111222334", "dsi39ej430sks03alipaypaidNZD120.00")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyResult(key, "dsi39ej430sks03", "alipay", "paid", "NZD", "120.00", tt.sig)
			if !errors.Is(err, ErrBadSignature) {
				t.Errorf("VerifyResult(%q) = %v, want ErrBadSignature", tt.sig, err)
			}
		})
	}
}

// TestAPIKeyAgrees: a Client's pooled signer signs and verifies exactly as
// SignParams, SignResult and VerifyResult do, on first use and on reuse of
// a pooled state, and refuses every signature VerifyResult refuses.
func TestAPIKeyAgrees(t *testing.T) {
	k := &apiKey{s: "111222333"}
	for range 3 { // the second and third rounds reuse pooled states
		for _, v := range mustVectors(t) {
			switch v.Kind {
			case "params", "unsorted":
				want := SignParams(v.Key, v.Params)
				vk := &apiKey{s: v.Key}
				if got := vk.signParams(v.Params); got != want {
					t.Errorf("%s: signParams = %s, want %s", v.Name, got, want)
				}
				if err := vk.verifyParams(v.Params, want); err != nil {
					t.Errorf("%s: verifyParams = %v, want nil", v.Name, err)
				}
				if err := vk.verifyParams(v.Params, strings.ToUpper(want)); err != nil {
					t.Errorf("%s: verifyParams(upper-case) = %v, want nil", v.Name, err)
				}
				if err := (&apiKey{s: v.Key + "x"}).verifyParams(v.Params, want); !errors.Is(err, ErrBadSignature) {
					t.Errorf("%s: verifyParams(other key) = %v, want ErrBadSignature", v.Name, err)
				}
			case "result":
				r := v.Result
				vk := &apiKey{s: v.Key}
				if err := vk.verify(v.Signature, r[0], r[1], r[2], r[3], r[4]); err != nil {
					t.Errorf("%s: verify = %v, want nil", v.Name, err)
				}
				if err := vk.verify(strings.ToUpper(v.Signature), r[0], r[1], r[2], r[3], r[4]); err != nil {
					t.Errorf("%s: verify(upper-case) = %v, want nil", v.Name, err)
				}
			}
		}
		valid := "840151e0dc39496e22b410b83058b4ddd633b786936c505ae978fae029a1e0f1"
		if err := k.verify(valid, "dsi39ej430sks03", "alipay", "paid", "NZD", "120.00"); err != nil {
			t.Errorf("verify(documented example) = %v, want nil", err)
		}
		for _, sig := range []string{"", valid[:63], valid[:62], valid + "0", valid + "00", "z" + valid[1:],
			valid[:10] + "g" + valid[11:], " " + valid, valid + "\n",
			"850151e0dc39496e22b410b83058b4ddd633b786936c505ae978fae029a1e0f1"} {
			if err := k.verify(sig, "dsi39ej430sks03", "alipay", "paid", "NZD", "120.00"); !errors.Is(err, ErrBadSignature) {
				t.Errorf("verify(%q) = %v, want ErrBadSignature", sig, err)
			}
		}
	}
}

// TestAPIKeyBufferForgetsKey: the message buffer a pooled state keeps
// holds the parameters signed, never the key appended to them.
func TestAPIKeyBufferForgetsKey(t *testing.T) {
	const secret = "s3cr3t-api-key-for-the-buffer-test"
	k := &apiKey{s: secret}
	m := k.mac()
	m.msg = appendSorted(m.msg, map[string]string{"a": "1", "b": "2"})
	k.sum(m, true)
	if b := m.msg[:cap(m.msg)]; strings.Contains(string(b), secret) {
		t.Fatalf("message buffer holds the key: %q", b)
	}
	if got, want := string(m.msg), "a=1&b=2"+strings.Repeat("\x00", len(secret)); got != want {
		t.Fatalf("message buffer = %q, want %q", got, want)
	}
}
