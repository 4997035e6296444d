//go:build ignore

// precompress writes the gzip (.gz) and Brotli (.br) forms of every file
// the app compresses (all but vendor/, which is served as it is) next to
// the file, at the best level each format has. Run by `go generate
// ./static` from the repository; the forms are committed and embedded.
// The output depends only on the inputs and the encoders' versions, so
// CI regenerates and fails on any difference, and TestCompressedForms
// fails when a form does not decode to its file.
package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/andybalholm/brotli"
)

func main() {
	n := 0
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		p = filepath.ToSlash(p)
		if !compressed(p) {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		n++
		if err := os.WriteFile(p+".gz", gzipped(b), 0o644); err != nil {
			return err
		}
		return os.WriteFile(p+".br", brotlied(b), 0o644)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "precompress:", err)
		os.Exit(1)
	}
	fmt.Printf("precompress: %d files\n", n)
}

// compressed reports whether p is one of the embedded files New serves
// compressed; it mirrors static.go's embed list and its vendor/ rule.
func compressed(p string) bool {
	if strings.HasSuffix(p, ".gz") || strings.HasSuffix(p, ".br") || strings.HasPrefix(p, "vendor/") {
		return false
	}
	return p == "embed.js" || strings.HasPrefix(p, "css/") || strings.HasPrefix(p, "js/") || strings.HasPrefix(p, "img/")
}

// gzipped is b at gzip's best compression.
func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // a valid level: no error
	_, _ = w.Write(b)                                       // a bytes.Buffer does not fail
	_ = w.Close()
	return buf.Bytes()
}

// brotlied is b at Brotli's best quality (11), with the smallest window
// that holds the whole file: a larger window compresses no better, and
// at quality 11 the encoder's memory follows the window (the default
// 4 MB window allocated some 35 MB per file).
func brotlied(b []byte) []byte {
	var buf bytes.Buffer
	w := brotli.NewWriterOptions(&buf, brotli.WriterOptions{Quality: brotli.BestCompression, LGWin: brotliWindow(len(b))})
	_, _ = w.Write(b)
	_ = w.Close()
	return buf.Bytes()
}

// brotliWindow is the base-2 logarithm of the smallest Brotli window
// (10 to 24) that holds n bytes.
func brotliWindow(n int) int {
	w := 10
	for w < 24 && 1<<w-16 < n { // a window holds 2^w - 16 bytes
		w++
	}
	return w
}
