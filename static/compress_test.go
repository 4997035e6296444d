package static

import (
	"bytes"
	"compress/gzip"
	"io"
	"testing"

	"github.com/andybalholm/brotli"
)

// TestCompressedFormsDecode: every asset's gzip and Brotli forms decode
// to its body, so the small Brotli windows lose nothing; the window is
// the smallest that holds the file.
func TestCompressedFormsDecode(t *testing.T) {
	a, err := New()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for name, x := range a.byName {
		if x.Brotli == nil && x.Gzip == nil {
			continue
		}
		n++
		if x.Brotli != nil {
			got, err := io.ReadAll(brotli.NewReader(bytes.NewReader(x.Brotli)))
			if err != nil || !bytes.Equal(got, x.Body) {
				t.Errorf("%s: Brotli form does not decode to the file (%v)", name, err)
			}
		}
		if x.Gzip != nil {
			r, err := gzip.NewReader(bytes.NewReader(x.Gzip))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, x.Body) {
				t.Errorf("%s: gzip form does not decode to the file (%v)", name, err)
			}
		}
	}
	if n < 10 {
		t.Errorf("only %d assets are compressed", n)
	}
	for n, want := range map[int]int{0: 10, 1008: 10, 1009: 11, 12906: 14, 1<<20 - 16: 20, 1 << 20: 21, 1 << 30: 24} {
		if got := brotliWindow(n); got != want {
			t.Errorf("brotliWindow(%d) = %d, want %d", n, got, want)
		}
	}
}
