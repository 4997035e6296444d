package static

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

// TestVendoredZXingReader: the vendored zxing reader is the very build
// the vendored barcode-detector polyfill pins (its ZXING_WASM_SHA256), so
// an update that copies one file without the other fails here.
func TestVendoredZXingReader(t *testing.T) {
	a, err := New()
	if err != nil {
		t.Fatal(err)
	}
	js, ok := a.Lookup("vendor/barcode-detector/ponyfill.js")
	if !ok {
		t.Fatal("no vendored polyfill")
	}
	wasm, ok := a.Lookup("vendor/barcode-detector/zxing_reader.wasm")
	if !ok {
		t.Fatal("no vendored zxing reader")
	}
	sum := sha256.Sum256(wasm.Body())
	if !strings.Contains(string(js.Body()), "`"+hex.EncodeToString(sum[:])+"`") {
		t.Errorf("zxing_reader.wasm (sha256 %x) is not the reader ponyfill.js pins", sum)
	}
	if wasm.Type != "application/wasm" || wasm.Brotli() != nil || wasm.Gzip() != nil {
		t.Errorf("reader served as %q, precompressed %v/%v; want application/wasm as it is", wasm.Type, wasm.Gzip() != nil, wasm.Brotli() != nil)
	}
}
