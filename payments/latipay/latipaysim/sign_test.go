package latipaysim

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

type vector struct {
	Name      string            `json:"name"`
	Kind      string            `json:"kind"`
	Key       string            `json:"key"`
	Params    map[string]string `json:"params"`
	Result    []string          `json:"result"`
	Message   string            `json:"message"`
	Signature string            `json:"signature"`
}

func loadVectors(t *testing.T) []vector {
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
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			var msg, sig string
			switch v.Kind {
			case "sorted":
				msg = sortedMessage(v.Params) + v.Key
				sig = signSorted(v.Key, v.Params)
			case "result":
				r := v.Result
				msg = strings.Join(r, "")
				sig = signResult(v.Key, r[0], r[1], r[2], r[3], r[4])
			case "legacy":
				msg = legacyCreateMessage(v.Params)
				sig = sign(v.Key, msg)
			case "cancel":
				msg = cancelDocMessage(v.Params) + v.Key
				sig = sign(v.Key, msg)
			default:
				t.Fatalf("unknown kind %q", v.Kind)
			}
			if msg != v.Message {
				t.Errorf("message = %q, want %q", msg, v.Message)
			}
			if sig != v.Signature {
				t.Errorf("signature = %s, want %s", sig, v.Signature)
			}
			if !validSignature(v.Signature, v.Key, v.Message) {
				t.Errorf("validSignature(published) = false, want true")
			}
		})
	}
}

func TestValidSignature(t *testing.T) {
	const key, msg = "111222333", "dsi39ej430sks03alipaypaidNZD120.00"
	good := "840151e0dc39496e22b410b83058b4ddd633b786936c505ae978fae029a1e0f1"
	tests := []struct {
		name, sig string
		want      bool
	}{
		{"good", good, true},
		{"upper case", strings.ToUpper(good), true},
		{"empty", "", false},
		{"truncated", good[:62], false},
		{"odd length", good[:63], false},
		{"non hex", "zz" + good[2:], false},
		{"trailing space", good + " ", false},
		{"other key", sign("other", msg), false},
		{"docs placeholder", "14d5b06a" + strings.Repeat("0", 50) + "4070e3", false},
	}
	for _, tt := range tests {
		if got := validSignature(tt.sig, key, msg); got != tt.want {
			t.Errorf("%s: validSignature(%q) = %v, want %v", tt.name, tt.sig, got, tt.want)
		}
	}
}

func TestSortedMessageDropsEmptyAndSignature(t *testing.T) {
	got := sortedMessage(map[string]string{"b": "2", "a": "1", "c": "", "signature": "x", "backPage_url": "u"})
	want := "a=1&b=2&backPage_url=u"
	if got != want {
		t.Errorf("sortedMessage = %q, want %q", got, want)
	}
}
