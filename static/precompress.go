//go:build ignore

// precompress writes the gzip (.gz) and Brotli (.br) forms of every file
// the app compresses (static.Compressed: all but vendor/, which is served
// as it is) next to the file, at the best level each format has, and
// version.txt, the content hash of every embedded file (static.Sources).
// Run by `go generate ./static`; its output is committed and embedded.
// It depends only on the inputs and the encoders' versions, so CI
// regenerates and fails on any difference, and TestCompressedForms fails
// when a form does not decode to its file or version.txt is stale.
package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"

	"github.com/andybalholm/brotli"

	"github.com/latipay-hpp/hpp/static"
)

func main() {
	names, version, err := static.Sources(os.DirFS("."))
	if err == nil {
		err = os.WriteFile("version.txt", []byte(version+"\n"), 0o644)
	}
	n := 0
	for _, p := range names {
		if err != nil || !static.Compressed(p) {
			continue
		}
		var b []byte
		if b, err = os.ReadFile(p); err != nil {
			break
		}
		if err = os.WriteFile(p+".gz", gzipped(b), 0o644); err == nil {
			err = os.WriteFile(p+".br", brotlied(b), 0o644)
		}
		n++
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "precompress:", err)
		os.Exit(1)
	}
	fmt.Printf("precompress: %d files compressed, version %s\n", n, version)
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
