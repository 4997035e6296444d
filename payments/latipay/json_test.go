package latipay

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"testing"
)

// decodeObjectTokens is the json.Decoder-token decoder decodeObject
// replaced, kept as the reference it must agree with.
func decodeObjectTokens(b []byte) (object, error) {
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
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errNotObject
	}
	return obj, nil
}

// referenceLiteral is literal before its fast path for strings.
func referenceLiteral(raw json.RawMessage) (string, error) {
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	}
	return literal(raw)
}

var objectSeeds = []string{
	`{}`, ` { } `, `{"a":1}`, `{"a":"x","b":[1,{"c":"}"}],"d":{"e":[]},"f":null,"g":true,"h":-1.5e3}`,
	`{"code":0,"data":{"qr_code":"data:image/png;base64,iVBORw0KGgo=","qr_code_url":"weixin://wxpay/bizpayurl?pr=hmU9BXs"}}`,
	`{"a":1,"a":2}`, `{"a":1,"\u0061":2}`, `{"k\"q":"v\\\"","\u00e9":"\ud83d\ude00"}`,
	`{"a":"` + "\xff\xfe" + `"}`, "{\"a\":\t\"b\"\r\n}", `[1,2]`, `"s"`, `12`, `null`, `{"a":}`, `{"a":1}x`, ``,
	`{"a":"}]\\","b":"[{"}`, `{"n":0,"m":1e-7,"t":false}`,
}

// TestDecodeObjectMatchesTokens: the hand-walked decoder and the token
// decoder agree on every seed: same error class, same keys, same raw
// bytes, same literals.
func TestDecodeObjectMatchesTokens(t *testing.T) {
	for _, s := range objectSeeds {
		compareDecoders(t, []byte(s))
	}
}

// FuzzDecodeObject compares the two decoders on arbitrary bodies.
func FuzzDecodeObject(f *testing.F) {
	for _, s := range objectSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { compareDecoders(t, b) })
}

func compareDecoders(t *testing.T, b []byte) {
	t.Helper()
	got, gerr := decodeObject(b)
	want, werr := decodeObjectTokens(b)
	if (gerr == nil) != (werr == nil) || errors.Is(gerr, errNotJSON) != errors.Is(werr, errNotJSON) ||
		errors.Is(gerr, errDupKey) != errors.Is(werr, errDupKey) {
		t.Fatalf("%q: error %v, reference %v", b, gerr, werr)
	}
	if gerr != nil {
		return
	}
	if !maps.EqualFunc(got, want, func(a, b json.RawMessage) bool { return bytes.Equal(a, b) }) {
		t.Fatalf("%q: decoded %q, reference %q", b, got, want)
	}
	for k, raw := range got {
		g, gerr := literal(raw)
		w, werr := referenceLiteral(raw)
		if g != w || (gerr == nil) != (werr == nil) {
			t.Fatalf("%q: literal of %s = %q, %v; reference %q, %v", b, k, g, gerr, w, werr)
		}
	}
}

// BenchmarkDecodeGatewayData decodes a merchant-hosted QR-data answer
// the size of Latipay's (a 200×200 PNG in base64).
func BenchmarkDecodeGatewayData(b *testing.B) {
	png := bytes.Repeat([]byte("iVBORw0KGgoAAAANSUhEUgAAAMgAAADI"), 40)
	body := []byte(`{"code":0,"message":"SUCCESS","data":{"qr_code":"data:image/png;base64,` + string(png) +
		`","qr_code_url":"weixin://wxpay/bizpayurl?pr=hmU9BXs","nonce":"abc","order_id":"2017232323345678",` +
		`"amount":"12.50","currency":"NZD","signature":"0123456789abcdef"}}`)
	b.ReportAllocs()
	for b.Loop() {
		obj, err := decodeObject(body)
		if err != nil {
			b.Fatal(err)
		}
		data, err := decodeObject(obj["data"])
		if err != nil {
			b.Fatal(err)
		}
		for _, raw := range data {
			if _, err := literal(raw); err != nil {
				b.Fatal(err)
			}
		}
	}
}
